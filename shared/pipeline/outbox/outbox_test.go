package outbox_test

import (
	"context"

	"fmt"
	"os"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/outbox"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

// flaky publishes through the real publisher, except that it fails the ids in bad with
// SQS's "message rejected" and, while down, every id as an outage.
type flaky struct {
	pub  *publisher.Publisher
	bad  map[string]bool
	down bool
}

func (f *flaky) Publish(ctx context.Context, evs []store.StoredEvent) []error {
	errs := make([]error, len(evs))
	var ok []store.StoredEvent
	var at []int
	for i, se := range evs {
		switch {
		case f.down:
			errs[i] = fmt.Errorf("%w: %w", publisher.ErrSend, queue.ErrUnavailable)
		case f.bad[se.ID]:
			errs[i] = fmt.Errorf("%w: %w", publisher.ErrSend, queue.ErrRejected)
		default:
			ok, at = append(ok, se), append(at, i)
		}
	}
	for j, err := range f.pub.Publish(ctx, ok) {
		errs[at[j]] = err
	}
	return errs
}

// stored puts events in the table as webhooks would, `age` ago, with no stream running
// (as if the stream's retries had run out).
func stored(t *testing.T, env *stacktest.Env, age time.Duration, ids ...string) {
	t.Helper()
	for _, id := range ids {
		ev := &event.Event{ID: id, Provider: "instaxchange", Type: "payment.succeeded", Status: event.Succeeded, ObjectRef: id}
		ev.Stamp(time.Now().Add(-age), event.OriginWebhook)
		if _, err := env.Ingester().Ingest(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSweeperPublishesWhatTheStreamLeftBehind(t *testing.T) {
	env := stacktest.New(t)
	env.StopStream()
	ctx := context.Background()
	stored(t, env, 10*time.Minute, "x:1", "x:2", "x:3")
	stored(t, env, 0, "x:young") // left to the stream
	sw := &outbox.Sweeper{Store: env.Store, Publisher: env.Publisher, MinAge: time.Minute, Batch: 2}
	res, err := sw.Run(ctx)
	if err != nil || res.Published != 3 || res.OldestAge < 9*time.Minute {
		t.Fatalf("run: %+v %v", res, err)
	}
	if res, err = sw.Run(ctx); err != nil || res.Published != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	if n := len(env.Messages(t)); n != 3 {
		t.Fatalf("%d messages, want 3", n)
	}
	if got, _ := env.Store.GetEvent(ctx, "x:young"); got.PublishState != store.PublishPending {
		t.Fatalf("young event is %s", got.PublishState)
	}
}

// An event SQS keeps refusing is quarantined after store.MaxPublishAttempts runs; newer
// events are published in every run meanwhile; an outage alone quarantines nothing.
func TestPoisonIsQuarantinedAndNeverHoldsOthersBack(t *testing.T) {
	env := stacktest.New(t)
	env.StopStream()
	ctx := context.Background()
	stored(t, env, time.Hour, "x:poison")
	q := &flaky{pub: env.Publisher, bad: map[string]bool{"x:poison": true}}
	sw := &outbox.Sweeper{Store: env.Store, Publisher: q, MinAge: time.Minute, Batch: 1, MaxPerRun: 2}

	q.down = true
	for i := 0; i < store.MaxPublishAttempts+1; i++ {
		if res, _ := sw.Run(ctx); res.Quarantined != 0 || !res.QueueDown {
			t.Fatalf("outage run %d: %+v", i, res)
		}
	}
	if se, _ := env.Store.GetEvent(ctx, "x:poison"); se.PublishAttempts != 0 {
		t.Fatalf("an outage counted %d tries", se.PublishAttempts)
	}
	q.down = false
	quarantined := 0
	for run := 0; run < store.MaxPublishAttempts; run++ {
		newer := fmt.Sprintf("x:newer-%d", run)
		stored(t, env, 30*time.Minute, newer) // newer than the poison, so behind it in its shard's order
		res, err := sw.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if se, _ := env.Store.GetEvent(ctx, newer); se.PublishState != store.PublishPublished {
			t.Fatalf("run %d: %s held back (%s): %+v", run, newer, se.PublishState, res)
		}
		quarantined += res.Quarantined
	}
	se, _ := env.Store.GetEvent(ctx, "x:poison")
	if quarantined != 1 || se.PublishState != store.PublishQuarantined || se.PublishAttempts != store.MaxPublishAttempts {
		t.Fatalf("poison: %s after %d tries, %d quarantined", se.PublishState, se.PublishAttempts, quarantined)
	}
	ids, _, err := env.Store.Pending(ctx, shardOf(t, env, "x:poison"), true, time.Now(), 10, nil)
	if err != nil || len(ids) != 1 || ids[0] != "x:poison" {
		t.Fatalf("quarantine shard: %v %v", ids, err)
	}
	// A replay (here: the publisher once SQS takes it) takes it out of quarantine.
	if err := env.Publisher.Publish(ctx, []store.StoredEvent{se})[0]; err != nil {
		t.Fatal(err)
	}
	if se, _ := env.Store.GetEvent(ctx, "x:poison"); se.PublishState != store.PublishPublished {
		t.Fatalf("after replay: %s", se.PublishState)
	}
	if ids, _, _ := env.Store.Pending(ctx, shardOf(t, env, "x:poison"), true, time.Now(), 10, nil); len(ids) != 0 {
		t.Fatalf("still quarantined: %v", ids)
	}
}

// shardOf finds which quarantine shard holds id.
func shardOf(t *testing.T, env *stacktest.Env, id string) int {
	t.Helper()
	for sh := 0; sh < store.Shards; sh++ {
		ids, _, err := env.Store.Pending(context.Background(), sh, true, time.Now(), 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range ids {
			if got == id {
				return sh
			}
		}
	}
	return 0
}

// Poisoned events at the head of many shards neither end the run nor hide the healthy
// events behind them, and each poisoned try is counted toward quarantine.
func TestPoisonInManyShardsDoesNotEndTheRun(t *testing.T) {
	env := stacktest.New(t)
	env.StopStream()
	ctx := context.Background()
	bad := map[string]bool{}
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("x:poison-%d", i)
		bad[id] = true
		stored(t, env, 2*time.Hour, id)
	}
	stored(t, env, time.Hour, "x:good-1", "x:good-2", "x:good-3", "x:good-4", "x:good-5")
	sw := &outbox.Sweeper{Store: env.Store, Publisher: &flaky{pub: env.Publisher, bad: bad}, MinAge: time.Minute, Batch: 1}
	res, err := sw.Run(ctx)
	if err != nil || res.Published != 5 || res.Failed != 40 || res.QueueDown {
		t.Fatalf("run: %+v %v", res, err)
	}
	if se, _ := env.Store.GetEvent(ctx, "x:poison-0"); se.PublishAttempts != 1 {
		t.Fatalf("poison tries counted: %d", se.PublishAttempts)
	}
}
