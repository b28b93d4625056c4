// Package outbox is the repair path: it publishes events that were stored but never
// confirmed on the queue, which the stream could not deliver (the publisher's retries ran
// out during an SQS outage, or stream records older than 24 h), and quarantines an event
// that keeps failing, so it never holds back the ones behind it.
package outbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Store is what the sweeper reads and records.
type Store interface {
	Pending(ctx context.Context, shard int, quarantined bool, before time.Time, limit int32, start store.PageKey) ([]string, store.PageKey, error)
	GetEvent(ctx context.Context, id string) (store.StoredEvent, error)
	RecordFailure(ctx context.Context, id, reason string) (quarantined bool, err error)
}

// Publisher publishes stored events (*publisher.Publisher).
type Publisher interface {
	Publish(ctx context.Context, evs []store.StoredEvent) []error
}

// Sweeper walks the pending shards.
type Sweeper struct {
	Store     Store
	Publisher Publisher
	Log       *slog.Logger
	Now       func() time.Time
	MinAge    time.Duration // leave events this young to the stream
	Batch     int32         // events per page of one shard
	MaxPerRun int           // events tried per run
}

// Result counts one run.
type Result struct {
	Published, Failed, Quarantined int
	OldestAge                      time.Duration
	QueueDown                      bool // nothing could be sent: the failures were not counted
}

type failure struct {
	id, reason string
	outage     bool // SQS or DynamoDB failed: nothing is known about the event itself
}

// Run publishes pending events older than MinAge, taking one page from each shard in
// turn, until none is left, the run's budget is spent, three pages in a row met only an
// outage, or ctx nears its end. An event that fails is left for the next run, not retried
// here; its try is counted unless the failure was an outage in a run that sent nothing, so
// an outage never quarantines healthy events while a poisoned event never hides the
// shards behind it. After store.MaxPublishAttempts counted tries it is quarantined.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	var res Result
	now := s.now()
	cutoff := now.Add(-s.MinAge)
	budget := s.MaxPerRun
	if budget == 0 {
		budget = 1000
	}
	starts := make([]store.PageKey, store.Shards)
	done := make([]bool, store.Shards)
	var failed []failure
	for left, dry := store.Shards, 0; left > 0 && res.Published+res.Failed < budget && dry < 3; {
		for sh := 0; sh < store.Shards && res.Published+res.Failed < budget; sh++ {
			if done[sh] {
				continue
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*time.Second {
				return s.finish(ctx, res, failed)
			}
			ids, next, err := s.Store.Pending(ctx, sh, false, cutoff, s.batch(), starts[sh])
			if err != nil {
				res, _ = s.finish(ctx, res, failed)
				return res, err
			}
			if starts[sh] = next; next == nil {
				done[sh] = true
				left--
			}
			page := s.publish(ctx, ids, now, &res)
			failed = append(failed, page...)
			if allOutages(page) && len(page) == len(ids) && len(ids) > 0 {
				dry++
			} else if len(ids) > 0 {
				dry = 0
			}
			if dry >= 3 {
				break
			}
		}
	}
	return s.finish(ctx, res, failed)
}

// publish reads the events' payloads and publishes them.
func (s *Sweeper) publish(ctx context.Context, ids []string, now time.Time, res *Result) []failure {
	var evs []store.StoredEvent
	var failed []failure
	for _, id := range ids {
		se, err := s.Store.GetEvent(ctx, id)
		if err != nil {
			res.Failed++
			failed = append(failed, failure{id: id, reason: redact.Detail(err.Error()), outage: publisher.Outage(err)})
			continue
		}
		if se.PublishState != store.PublishPending {
			continue // published since the index was read (it lags the table)
		}
		if t, err := time.Parse(time.RFC3339Nano, se.ReceivedAt); err == nil && now.Sub(t) > res.OldestAge {
			res.OldestAge = now.Sub(t)
		}
		evs = append(evs, se)
	}
	for i, err := range s.Publisher.Publish(ctx, evs) {
		if err == nil {
			res.Published++
			s.log().Info("outbox published", "event_id", evs[i].ID, "provider", evs[i].Provider, "outcome", "recovered")
			continue
		}
		res.Failed++
		failed = append(failed, failure{id: evs[i].ID, reason: redact.Detail(err.Error()), outage: publisher.Outage(err) && !publisher.Permanent(err)})
	}
	return failed
}

func allOutages(fs []failure) bool {
	for _, f := range fs {
		if !f.outage {
			return false
		}
	}
	return true
}

// finish counts the tries of the run's failures (see Run) and quarantines the events that
// have had enough.
func (s *Sweeper) finish(ctx context.Context, res Result, failed []failure) (Result, error) {
	var firstErr error
	for _, f := range failed {
		if f.outage && res.Published == 0 {
			res.QueueDown = true
			continue
		}
		q, err := s.Store.RecordFailure(ctx, f.id, f.reason)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if q {
			res.Quarantined++
			s.log().Error("event quarantined after repeated publish failures", "event_id", f.id,
				"reason", "quarantined", "attempts", store.MaxPublishAttempts)
		}
	}
	return res, firstErr
}

func (s *Sweeper) batch() int32 {
	if s.Batch > 0 {
		return s.Batch
	}
	return 25
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sweeper) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
