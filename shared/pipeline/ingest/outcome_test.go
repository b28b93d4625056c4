package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// fakeStore answers PutEvent as scripted and counts the writes.
type fakeStore struct {
	res    store.PutResult
	err    error
	writes int
}

func (f *fakeStore) PutEvent(context.Context, *event.Event, []byte) (store.PutResult, error) {
	f.writes++
	return f.res, f.err
}

// One conditional write is all a caller waits for; what it found decides the outcome.
func TestOutcomeOfTheOneWrite(t *testing.T) {
	tests := []struct {
		name string
		res  store.PutResult
		err  error
		want ingest.Outcome
	}{
		{"new", store.PutResult{Created: true, PublishState: store.PublishPending}, nil, ingest.Stored},
		{"new unsupported", store.PutResult{Created: true, PublishState: store.PublishSkipped}, nil, ingest.Unsupported},
		{"redelivery, published", store.PutResult{PublishState: store.PublishPublished}, nil, ingest.Duplicate},
		{"redelivery, unsupported", store.PutResult{PublishState: store.PublishSkipped}, nil, ingest.Duplicate},
		{"redelivery, not yet published", store.PutResult{PublishState: store.PublishPending}, nil, ingest.Duplicate},
		{"redelivery, quarantined", store.PutResult{PublishState: store.PublishQuarantined}, nil, ingest.Duplicate},
		{"dynamodb down", store.PutResult{}, store.ErrUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{res: tt.res, err: tt.err}
			ev := &event.Event{ID: "x:1", Provider: "instaxchange", Type: "payment.succeeded", Status: event.Succeeded, ObjectRef: "o"}
			ev.Stamp(time.Now(), event.OriginWebhook)
			out, err := (&ingest.Ingester{Store: st}).Ingest(context.Background(), ev)
			if out != tt.want || (tt.err != nil) != errors.Is(err, ingest.ErrStore) || st.writes != 1 {
				t.Fatalf("got %q %v after %d writes", out, err, st.writes)
			}
		})
	}
}
