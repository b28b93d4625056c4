package queue

import (
	"context"
	"strconv"
	"time"
)

// ReplayDedupID is the deduplication id of a deliberate re-send of eventID at `at`. A replay
// must not reuse the event id: SQS FIFO would drop it as a duplicate of the original publish
// for five minutes. Distinct per millisecond, so two replays of the same event both go out.
func ReplayDedupID(eventID string, at time.Time) string {
	return FIFOID(eventID + "#replay-" + strconv.FormatInt(at.UnixMilli(), 10))
}

// Replayer publishes events again on purpose (operator replays and DLQ redrives): same
// message group and attributes as Publisher, its own deduplication id.
type Replayer struct {
	Publisher *Publisher
	Now       func() time.Time
}

// SendBatch sends msgs as replays.
func (r *Replayer) SendBatch(ctx context.Context, msgs []Message) []error {
	at := time.Now()
	if r.Now != nil {
		at = r.Now()
	}
	for i := range msgs {
		msgs[i].DedupID = ReplayDedupID(msgs[i].EventID, at)
	}
	return r.Publisher.SendBatch(ctx, msgs)
}
