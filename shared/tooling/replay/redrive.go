package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
)

// SQS is the part of the SQS client a redrive uses.
type SQS interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Redriver moves dead letters back to the main queue: receive from the DLQ, send to the
// queue, and delete from the DLQ only once the send succeeded, so a crash or an error in
// between leaves the message in the DLQ (at worst it is sent twice, never lost).
type Redriver struct {
	Client   SQS
	DLQURL   string
	QueueURL string
	DryRun   bool
	Max      int                   // stop after this many messages; 0: no limit
	Now      func() time.Time      // for deduplication ids
	Progress func(done, total int) // nil: none
	// Visibility is how long a received message stays hidden while it is handled (default 60s).
	Visibility time.Duration
}

// Run redrives until the DLQ is empty, Max is reached, or ctx ends.
func (r *Redriver) Run(ctx context.Context) (Result, error) {
	var res Result
	total := r.depth(ctx)
	done := 0
	r.progress(0, total)
	vis := int32(r.Visibility / time.Second)
	if vis <= 0 {
		vis = 60
	}
	var held []string // dry run: receipts to release at the end
	defer func() {
		for _, h := range held {
			_, _ = r.Client.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(r.DLQURL), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
			})
		}
	}()
	seen := map[string]bool{}
	for empty := 0; empty < 2; {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		want := int32(10)
		if r.Max > 0 {
			if done >= r.Max {
				break
			}
			want = int32(min(10, r.Max-done))
		}
		out, err := r.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(r.DLQURL), MaxNumberOfMessages: want, VisibilityTimeout: vis,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameMessageGroupId},
		})
		if err != nil {
			return res, fmt.Errorf("replay: receive from the DLQ: %w", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		fresh := 0
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if seen[id] {
				continue
			}
			seen[id] = true
			fresh++
			res.add(r.one(ctx, m, &held))
			done++
			r.progress(done, max(total, done))
		}
		if fresh == 0 {
			break // a dry run sees only what it already listed
		}
	}
	return res, nil
}

func (r *Redriver) one(ctx context.Context, m types.Message, held *[]string) Item {
	body := aws.ToString(m.Body)
	it := Item{ID: aws.ToString(m.MessageId)}
	var ev event.Event
	if json.Unmarshal([]byte(body), &ev) == nil && ev.ID != "" {
		it.ID, it.Provider, it.Type, it.Status = ev.ID, ev.Provider, string(ev.Type), string(ev.Status)
		if !ev.ReceivedAt.IsZero() {
			it.ReceivedAt = ev.ReceivedAt.UTC().Format(time.RFC3339)
		}
		if b, err := WithOrigin([]byte(body), event.OriginReplay); err == nil {
			body = string(b)
		}
	}
	if r.DryRun {
		*held = append(*held, aws.ToString(m.ReceiptHandle))
		it.Outcome = WouldSend
		return it
	}
	group := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
	if group == "" {
		group = queue.FIFOID(it.Provider + ":" + ev.ObjectRef)
	}
	_, err := r.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               aws.String(r.QueueURL),
		MessageBody:            aws.String(body),
		MessageGroupId:         aws.String(group),
		MessageDeduplicationId: aws.String(queue.ReplayDedupID(it.ID, r.now())),
		MessageAttributes:      m.MessageAttributes,
	})
	if err != nil {
		// Left in the DLQ: it becomes visible again after the visibility timeout.
		it.Outcome, it.Err = Failed, fmt.Errorf("send to the queue: %w", err)
		return it
	}
	if _, err := r.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{
		QueueUrl: aws.String(r.DLQURL), ReceiptHandle: m.ReceiptHandle,
	}); err != nil {
		// Sent but still in the DLQ: a later redrive sends it again, which consumers absorb
		// by event id. Better twice than never.
		it.Outcome, it.Err = Failed, fmt.Errorf("sent, but not deleted from the DLQ: %w", err)
		return it
	}
	it.Outcome = Sent
	return it
}

// depth is the DLQ's approximate size, for the progress bar; 0 when unknown.
func (r *Redriver) depth(ctx context.Context) int {
	out, err := r.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(r.DLQURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	if r.Max > 0 && n > r.Max {
		n = r.Max
	}
	return n
}

func (r *Redriver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Redriver) progress(done, total int) {
	if r.Progress != nil {
		r.Progress(done, total)
	}
}
