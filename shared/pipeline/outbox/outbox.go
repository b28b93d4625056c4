// Package outbox publishes events that were stored but never confirmed on the queue: a
// crash between store and publish, or an SQS outage that outlasted the provider's retries.
package outbox

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// Store is what the sweeper reads.
type Store interface {
	Pending(ctx context.Context, before time.Time, limit int32, start store.PageKey) ([]store.StoredEvent, store.PageKey, error)
}

// Republisher sends a stored payload and marks it published.
type Republisher interface {
	Republish(ctx context.Context, ev *event.Event, payload []byte) error
}

// Sweeper drains the outbox index.
type Sweeper struct {
	Store     Store
	Publisher Republisher
	Log       *slog.Logger
	Now       func() time.Time
	MinAge    time.Duration // leave events this young to the webhook still handling them
	Batch     int32
	MaxPerRun int
}

// Result counts one run.
type Result struct {
	Published, Failed int
	OldestAge         time.Duration
}

// Run publishes pending events older than MinAge until none is left, the run's budget is
// spent, or ctx ends. It may race a webhook retry publishing the same event: both send
// the same deduplication id, so SQS FIFO keeps one message.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	batch, max := s.Batch, s.MaxPerRun
	if batch == 0 {
		batch = 25
	}
	if max == 0 {
		max = 1000
	}
	var res Result
	cutoff := now().Add(-s.MinAge)
	// One pass over the index per run: an event that fails is left for the next run
	// instead of being retried here, so a few poisoned events cannot stall the rest.
	var start store.PageKey
	for res.Published+res.Failed < max {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*time.Second {
			break
		}
		evs, next, err := s.Store.Pending(ctx, cutoff, batch, start)
		if err != nil {
			return res, err
		}
		for _, se := range evs {
			var ev event.Event
			if err := json.Unmarshal(se.Payload, &ev); err != nil {
				res.Failed++
				s.log().Error("outbox event is not valid JSON", "event_id", se.ID, "reason", "bad_payload", "error", err.Error())
				continue
			}
			if t, err := time.Parse(time.RFC3339Nano, se.ReceivedAt); err == nil && now().Sub(t) > res.OldestAge {
				res.OldestAge = now().Sub(t)
			}
			if err := s.Publisher.Republish(ctx, &ev, se.Payload); err != nil {
				res.Failed++
				s.log().Error("outbox publish failed", "event_id", se.ID, "reason", "publish_failed", "error", err.Error())
				continue
			}
			res.Published++
			s.log().Info("outbox published", "event_id", se.ID, "provider", se.Provider, "outcome", "recovered")
		}
		if next == nil {
			break
		}
		start = next
	}
	return res, nil
}

func (s *Sweeper) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
