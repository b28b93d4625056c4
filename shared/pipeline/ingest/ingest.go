// Package ingest stores a normalized event exactly once and hands it to the queue: the one
// path every webhook, reconciliation poll and replay goes through.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/platform/trace"
)

// Store is what ingestion needs of the event store.
type Store interface {
	PutEvent(ctx context.Context, ev *event.Event, payload []byte) (store.PutResult, error)
	AdvanceState(ctx context.Context, ev *event.Event) (bool, error)
	MarkPublished(ctx context.Context, id string, at time.Time) error
}

// Publisher is what ingestion needs of the queue.
type Publisher interface {
	Publish(ctx context.Context, ev *event.Event, body []byte) error
}

// Outcome is what happened to one event.
type Outcome string

const (
	Stored      Outcome = "stored"      // new, stored and published
	Duplicate   Outcome = "duplicate"   // seen and published before: nothing to do
	Recovered   Outcome = "recovered"   // seen before but never published: published now
	Unsupported Outcome = "unsupported" // stored for inspection, never published
)

// Errors that tell the edge which dependency failed; both mean "retry later".
var (
	ErrStore   = errors.New("store failed")
	ErrPublish = errors.New("publish failed")
)

// Ingester runs store → state → publish → mark.
type Ingester struct {
	Store     Store
	Publisher Publisher
	Now       func() time.Time
}

// Ingest stores ev unless its id is known, then publishes it. It returns an error only
// when the provider must retry; by then either nothing was stored, or the event is stored
// with publishing pending, and a retry (or the outbox sweeper) finishes the job.
func (in *Ingester) Ingest(ctx context.Context, ev *event.Event) (Outcome, error) {
	// Whatever the sender wrote, the event is made to fit a DynamoDB item and an SQS
	// message before the write: an unfit one would fail on every retry.
	body, err := event.Fit(ev)
	if err != nil {
		return "", fmt.Errorf("ingest %s: %w", ev.ID, err)
	}
	sctx, end := trace.Start(ctx, "store.PutEvent")
	res, err := in.Store.PutEvent(sctx, ev, body)
	end(err)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrStore, err)
	}
	switch res.PublishState {
	case store.PublishPublished:
		return Duplicate, nil
	case store.PublishSkipped:
		if res.Created {
			return Unsupported, nil
		}
		return Duplicate, nil
	}
	if err := in.deliver(ctx, ev, res.Payload); err != nil {
		return "", err
	}
	if res.Created {
		return Stored, nil
	}
	return Recovered, nil
}

// deliver advances the object's state, sends the stored payload and marks it published.
// The state update and the send are independent, so they overlap: the provider waits for
// two round trips after the write instead of three. The event is marked published only
// when both succeeded, so a failure of either leaves it pending and the retry (or the
// outbox sweeper, which delivers the same way) does both again; the state update is
// idempotent and the FIFO deduplication id absorbs the second send.
func (in *Ingester) deliver(ctx context.Context, ev *event.Event, payload []byte) error {
	stateErr := make(chan error, 1)
	go func() {
		_, err := in.Store.AdvanceState(ctx, ev)
		stateErr <- err
	}()
	pubErr := in.send(ctx, ev, payload)
	if err := <-stateErr; err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if pubErr != nil {
		return pubErr
	}
	return in.mark(ctx, ev)
}

func (in *Ingester) send(ctx context.Context, ev *event.Event, payload []byte) error {
	pctx, end := trace.Start(ctx, "queue.Publish")
	err := in.Publisher.Publish(pctx, ev, payload)
	end(err)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPublish, err)
	}
	return nil
}

func (in *Ingester) mark(ctx context.Context, ev *event.Event) error {
	if err := in.Store.MarkPublished(ctx, ev.ID, in.now()); err != nil {
		// The message is on the queue; a retry within the FIFO deduplication window
		// re-sends harmlessly and then marks it.
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

// Republish delivers a stored event's exact payload again (outbox sweeper, replays).
func (in *Ingester) Republish(ctx context.Context, ev *event.Event, payload []byte) error {
	return in.deliver(ctx, ev, payload)
}

func (in *Ingester) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}
