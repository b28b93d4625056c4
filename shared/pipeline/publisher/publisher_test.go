package publisher_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

func axs(id string, st event.Status, ref string, at time.Time) *event.Event {
	typ := map[event.Status]event.Type{event.Succeeded: "payment.succeeded", event.Failed: "payment.failed",
		event.Pending: "payment.pending", "refunded": "payment.refunded"}[st]
	ev := &event.Event{ID: id, Provider: "axs", Type: typ, Status: st, ObjectRef: ref}
	ev.Stamp(at, event.OriginWebhook)
	return ev
}

type published struct {
	ID       string          `json:"id"`
	Sequence int64           `json:"sequence"`
	Conflict *event.Conflict `json:"conflict"`
}

// The real stream of DynamoDB Local drives the publisher: every stored event reaches the
// queue once, in its object's order, with its sequence; an outcome that contradicts the
// recorded terminal state is published with the conflict field and leaves the state alone.
func TestStreamPublishesWithSequenceAndConflict(t *testing.T) {
	env := stacktest.New(t)
	in := env.Ingester()
	ctx := context.Background()
	now := time.Now()
	for _, ev := range []*event.Event{
		axs("axs:T1:PENDING", event.Pending, "T1", now),
		axs("axs:T1:SUCCESS", event.Succeeded, "T1", now),
		axs("axs:T1:DECLINED", event.Failed, "T1", now), // contradicts SUCCESS
		axs("axs:T2:SUCCESS", event.Succeeded, "T2", now),
	} {
		if _, err := in.Ingest(ctx, ev); err != nil {
			t.Fatal(err)
		}
		env.Sync(t) // one at a time, as separate webhooks would arrive
	}
	if _, err := in.Ingest(ctx, axs("axs:T2:REFUNDED", "refunded", "T2", now)); err != nil {
		t.Fatal(err)
	}
	msgs := env.Messages(t)
	got := map[string]published{}
	for _, m := range msgs {
		var p published
		if err := json.Unmarshal([]byte(*m.Body), &p); err != nil {
			t.Fatal(err)
		}
		if _, dup := got[p.ID]; dup {
			t.Fatalf("%s published twice", p.ID)
		}
		got[p.ID] = p
		if p.ID != "axs:T2:REFUNDED" { // "refunded" is not in this schema's status enum yet
			eventtest.Validate(t, []byte(*m.Body))
		}
		if (p.Conflict != nil) != (m.MessageAttributes["conflict"].StringValue != nil) {
			t.Errorf("%s: conflict attribute and body disagree", p.ID)
		}
	}
	if len(got) != 5 {
		t.Fatalf("%d messages, want 5", len(got))
	}
	for id, seq := range map[string]int64{"axs:T1:PENDING": 1, "axs:T1:SUCCESS": 2, "axs:T1:DECLINED": 3, "axs:T2:SUCCESS": 1, "axs:T2:REFUNDED": 2} {
		if got[id].Sequence != seq {
			t.Errorf("%s: sequence %d, want %d", id, got[id].Sequence, seq)
		}
	}
	if c := got["axs:T1:DECLINED"].Conflict; c == nil || c.RecordedStatus != event.Succeeded || c.RecordedEventID != "axs:T1:SUCCESS" {
		t.Errorf("DECLINED after SUCCESS: conflict %+v", c)
	}
	for id, p := range got {
		if id != "axs:T1:DECLINED" && p.Conflict != nil {
			t.Errorf("%s: unexpected conflict %+v", id, p.Conflict)
		}
	}
	t1, _ := env.Store.GetState(ctx, "axs", "T1")
	t2, _ := env.Store.GetState(ctx, "axs", "T2")
	if t1.Status != "succeeded" || t1.Conflicts != 1 || t2.Status != "refunded" {
		t.Fatalf("states: T1 %s (%d conflicts), T2 %s", t1.Status, t1.Conflicts, t2.Status)
	}
	for id := range got {
		if se, _ := env.Store.GetEvent(ctx, id); se.PublishState != "published" {
			t.Errorf("%s is %s", id, se.PublishState)
		}
	}
}

// countingSender counts what reaches the queue.
type countingSender struct {
	inner publisher.Sender
	sent  []string
}

func (c *countingSender) SendBatch(ctx context.Context, msgs []queue.Message) []error {
	for _, m := range msgs {
		c.sent = append(c.sent, m.EventID)
	}
	return c.inner.SendBatch(ctx, msgs)
}

// A stream record that arrives after the repair path published its event (a lagging
// stream, maybe past SQS's five-minute deduplication window) sends nothing; a replay
// still does.
func TestLateDeliveryOfPublishedEventSendsNothing(t *testing.T) {
	env := stacktest.New(t)
	env.StopStream()
	ctx := context.Background()
	if _, err := env.Ingester().Ingest(ctx, axs("axs:L1:SUCCESS", event.Succeeded, "L1", time.Now())); err != nil {
		t.Fatal(err)
	}
	image, err := env.Store.GetEvent(ctx, "axs:L1:SUCCESS") // pending, as the stream's insert image
	if err != nil {
		t.Fatal(err)
	}
	q := &countingSender{inner: env.Queue}
	p := &publisher.Publisher{Store: env.Store, Queue: q}
	for run := 0; run < 2; run++ { // the repair path, then the lagging stream
		if err := p.Publish(ctx, []store.StoredEvent{image})[0]; err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	if len(q.sent) != 1 {
		t.Fatalf("sent %v, want one send", q.sent)
	}
	ev := axs("axs:L1:SUCCESS", event.Succeeded, "L1", time.Now())
	if err := p.Republish(ctx, ev, image.Payload); err != nil || len(q.sent) != 2 {
		t.Fatalf("replay: %v, sent %v", err, q.sent)
	}
}
