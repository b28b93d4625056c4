package publisher_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

// An object with many events keeps only the newest MaxDeliveries delivery records on its
// state item (no growth toward DynamoDB's item limit), its sequence keeps counting, and a
// late redelivery of an event whose record was dropped still sends nothing once published.
func TestStateItemKeepsTheNewestDeliveries(t *testing.T) {
	env := stacktest.New(t)
	env.StopStream()
	ctx := context.Background()
	q := &countingSender{inner: env.Queue}
	p := &publisher.Publisher{Store: env.Store, Queue: q}
	const extra = 6
	n := store.MaxDeliveries + extra
	var first store.StoredEvent
	for i := range n {
		st := event.Pending
		switch i {
		case n - 2:
			st = event.Succeeded
		case n - 1:
			st = event.Failed // a conflict: counted in the same write that trims
		}
		id := fmt.Sprintf("axs:C1:%03d", i)
		if _, err := env.Ingester().Ingest(ctx, axs(id, st, "C1", time.Now())); err != nil {
			t.Fatal(err)
		}
		se, err := env.Store.GetEvent(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = se
		}
		if err := p.Publish(ctx, []store.StoredEvent{se})[0]; err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	state, err := env.Store.GetState(ctx, "axs", "C1")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for k := range state.Item {
		if strings.HasPrefix(k, "delivery:") {
			kept = append(kept, k)
		}
	}
	if len(kept) != store.MaxDeliveries || state.Sequence != int64(n) || state.Status != "succeeded" || state.Conflicts != 1 {
		t.Fatalf("%d delivery records (want %d), sequence %d, status %s, %d conflicts", len(kept), store.MaxDeliveries, state.Sequence, state.Status, state.Conflicts)
	}
	for i := range extra {
		if _, ok := state.Item[fmt.Sprintf("delivery:axs:C1:%03d", i)]; ok {
			t.Errorf("oldest delivery %d kept", i)
		}
	}
	if _, ok := state.Item[fmt.Sprintf("delivery:axs:C1:%03d", n-1)]; !ok {
		t.Error("newest delivery dropped")
	}
	sent := len(q.sent)
	if err := p.Publish(ctx, []store.StoredEvent{first})[0]; err != nil || len(q.sent) != sent {
		t.Fatalf("late redelivery of a forgotten, published event: %v, sent %v", err, q.sent[sent:])
	}
}
