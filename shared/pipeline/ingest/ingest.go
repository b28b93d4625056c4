// Package ingest stores a normalized event exactly once: the one path every webhook,
// reconciliation poll and replay goes through. Storing is all a caller waits for: the
// table's stream hands the new event to the publisher (shared/pipeline/publisher).
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
}

// Outcome is what happened to one event.
type Outcome string

const (
	Stored      Outcome = "stored"      // new: stored, and the stream will publish it
	Duplicate   Outcome = "duplicate"   // seen before: the stream published it, or will
	Unsupported Outcome = "unsupported" // stored for inspection, never published
)

// ErrStore tells the edge that storing failed: the provider must retry.
var ErrStore = errors.New("store failed")

// Ingester stores events.
type Ingester struct {
	Store Store
	Now   func() time.Time
}

// Ingest stores ev unless its id is known, in one conditional write. It returns an error
// only when the provider must retry, and then nothing was stored.
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
	switch {
	case res.PublishState == store.PublishSkipped && res.Created:
		return Unsupported, nil
	case res.Created:
		return Stored, nil
	}
	return Duplicate, nil
}
