package outbox_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/outbox"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

type downQueue struct{}

func (downQueue) Publish(context.Context, *event.Event, []byte) error { return errors.New("sqs down") }

func TestSweeperPublishesWhatAnOutageLeftBehind(t *testing.T) {
	env := stacktest.New(t)
	ctx := context.Background()
	past := time.Now().Add(-10 * time.Minute)
	down := &ingest.Ingester{Store: env.Store, Publisher: downQueue{}}
	for _, id := range []string{"x:1", "x:2", "x:3"} {
		ev := &event.Event{ID: id, Provider: "instaxchange", Type: "payment.succeeded", Status: event.Succeeded, ObjectRef: id}
		ev.Stamp(past, event.OriginWebhook)
		if _, err := down.Ingest(ctx, ev); !errors.Is(err, ingest.ErrPublish) {
			t.Fatalf("want publish failure, got %v", err)
		}
	}
	// A young pending event is left to its webhook.
	young := &event.Event{ID: "x:young", Provider: "instaxchange", Type: "payment.succeeded", Status: event.Succeeded, ObjectRef: "y"}
	young.Stamp(time.Now(), event.OriginWebhook)
	down.Ingest(ctx, young)

	up := &ingest.Ingester{Store: env.Store, Publisher: env.Publisher}
	sw := &outbox.Sweeper{Store: env.Store, Publisher: up, MinAge: time.Minute, Batch: 2}
	res, err := sw.Run(ctx)
	if err != nil || res.Published != 3 || res.OldestAge < 9*time.Minute {
		t.Fatalf("run: %+v %v", res, err)
	}
	res, err = sw.Run(ctx)
	if err != nil || res.Published != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	if n := len(env.Messages(t)); n != 3 {
		t.Fatalf("%d messages, want 3", n)
	}
	got, _ := env.Store.GetEvent(ctx, "x:2")
	if got.PublishState != "published" {
		t.Fatalf("x:2 is %s", got.PublishState)
	}
}
