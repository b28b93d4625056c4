package queue

import (
	"context"
	"strconv"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
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
