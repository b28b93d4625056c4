package ingest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// memStore is an in-memory Store whose state update can be made to fail.
type memStore struct {
	mu        sync.Mutex
	state     map[string]string
	failState bool
}

func (m *memStore) PutEvent(_ context.Context, ev *event.Event, p []byte) (store.PutResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.state[ev.ID]; ok {
		return store.PutResult{PublishState: s, Payload: p}, nil
	}
	m.state[ev.ID] = store.PublishPending
	return store.PutResult{Created: true, PublishState: store.PublishPending, Payload: p}, nil
}

func (m *memStore) AdvanceState(context.Context, *event.Event) (bool, error) {
	if m.failState {
		return false, errors.New("dynamodb throttled")
	}
	return true, nil
}

func (m *memStore) MarkPublished(_ context.Context, id string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state[id] = store.PublishPublished
	return nil
}

type countingQueue struct{ n int }

func (q *countingQueue) Publish(context.Context, *event.Event, []byte) error { q.n++; return nil }

// A failed state update leaves the event pending even though the send went out, so the
// provider's retry advances the state and the event is then marked published.
func TestStateFailureKeepsEventPending(t *testing.T) {
	st := &memStore{state: map[string]string{}, failState: true}
	q := &countingQueue{}
	in := &ingest.Ingester{Store: st, Publisher: q}
	ev := &event.Event{ID: "x:1", Provider: "instaxchange", Type: "payment.succeeded", Status: event.Succeeded, ObjectRef: "o"}
	ev.Stamp(time.Now(), event.OriginWebhook)
	if _, err := in.Ingest(context.Background(), ev); !errors.Is(err, ingest.ErrStore) {
		t.Fatalf("want ErrStore, got %v", err)
	}
	if st.state["x:1"] != store.PublishPending {
		t.Fatalf("event marked %s after a failed state update", st.state["x:1"])
	}
	st.failState = false
	out, err := in.Ingest(context.Background(), ev)
	if err != nil || out != ingest.Recovered || st.state["x:1"] != store.PublishPublished {
		t.Fatalf("retry: %v %v %s", out, err, st.state["x:1"])
	}
	if q.n != 2 {
		t.Fatalf("sent %d times; the FIFO dedup id absorbs the second", q.n)
	}
}
