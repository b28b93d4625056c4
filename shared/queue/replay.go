package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/payhooks/payhooks/shared/event"
)

// ReplayDedupID is the deduplication id of a deliberate re-send of eventID at `at`. A replay
// must not reuse the event id: SQS FIFO would drop it as a duplicate of the original publish
// for five minutes. Distinct per millisecond, so two replays of the same event both go out.
func ReplayDedupID(eventID string, at time.Time) string {
	return FIFOID(eventID + "#replay-" + strconv.FormatInt(at.UnixMilli(), 10))
}

// Replayer publishes events again on purpose (operator replays and DLQ redrives): same
// message group and attributes as Publisher, its own deduplication id. It satisfies the
// ingester's Publisher interface, so Ingester.Republish can send through it.
type Replayer struct {
	Publisher *Publisher
	Now       func() time.Time
}

// Publish sends body as a replay of ev.
func (r *Replayer) Publish(ctx context.Context, ev *event.Event, body []byte) error {
	return r.Publisher.send(ctx, ev, body, ReplayDedupID(ev.ID, r.now()))
}

func (r *Replayer) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// send is Publish with a chosen deduplication id.
func (p *Publisher) send(ctx context.Context, ev *event.Event, body []byte, dedupID string) error {
	_, err := p.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               aws.String(p.QueueURL),
		MessageBody:            aws.String(string(body)),
		MessageGroupId:         aws.String(FIFOID(ev.Provider + ":" + ev.ObjectRef)),
		MessageDeduplicationId: aws.String(dedupID),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"provider": {DataType: aws.String("String"), StringValue: aws.String(ev.Provider)},
			"type":     {DataType: aws.String("String"), StringValue: aws.String(ev.Type)},
		},
	})
	if err != nil {
		return fmt.Errorf("%w: replay %s: %w", ErrUnavailable, ev.ID, err)
	}
	return nil
}
