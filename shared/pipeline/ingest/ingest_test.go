package ingest_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/support/money"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

func sample(id string, st event.Status) *event.Event {
	amt, _ := money.New("3.74", "USD")
	ev := &event.Event{ID: id, Provider: "instaxchange", Type: event.Type("payment." + string(st)), Status: st, ObjectRef: "tx-1", Amount: &amt}
	if st == event.Pending {
		ev.Type = "payment.pending"
	}
	ev.Stamp(time.Now(), event.OriginWebhook)
	return ev
}

func TestIngestOnceUnderConcurrency(t *testing.T) {
	env := stacktest.New(t)
	in := env.Ingester()
	ctx := context.Background()
	out, err := in.Ingest(ctx, sample("instaxchange:tx-1:completed", event.Succeeded))
	if err != nil || out != ingest.Stored {
		t.Fatalf("first: %v %v", out, err)
	}
	for i := 0; i < 4; i++ {
		if out, err := in.Ingest(ctx, sample("instaxchange:tx-1:completed", event.Succeeded)); err != nil || out != ingest.Duplicate {
			t.Fatalf("redelivery %d: %v %v", i, out, err)
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := in.Ingest(ctx, sample("instaxchange:tx-2:completed", event.Succeeded)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	msgs := env.Messages(t)
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(msgs))
	}
	for _, m := range msgs {
		eventtest.Validate(t, []byte(*m.Body))
		if g := m.Attributes["MessageGroupId"]; g != "instaxchange:tx-1" {
			t.Errorf("group id %q", g)
		}
	}
}

func TestLateNonTerminalDoesNotRegress(t *testing.T) {
	env := stacktest.New(t)
	in := env.Ingester()
	ctx := context.Background()
	for _, ev := range []*event.Event{sample("a:completed", event.Succeeded), sample("a:pending", event.Pending)} {
		if _, err := in.Ingest(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	env.Sync(t) // the publisher advances the state
	st, err := env.Store.GetState(ctx, "instaxchange", "tx-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "succeeded" || !st.Terminal || st.EventID != "a:completed" {
		t.Fatalf("state regressed: %+v", st)
	}
	var body map[string]any
	msgs := env.Messages(t)
	json.Unmarshal([]byte(*msgs[0].Body), &body)
	if len(msgs) != 2 {
		t.Fatalf("both events are published (consumers see the late one too): got %d", len(msgs))
	}
}

func TestHugeTextIsCutNotTheEvent(t *testing.T) {
	env := stacktest.New(t)
	in := env.Ingester()
	ev := sample("big:1", event.Succeeded)
	ev.Raw = json.RawMessage(`{"blob":"` + strings.Repeat("x", 260<<10) + `"}`)
	if out, err := in.Ingest(context.Background(), ev); err != nil || out != ingest.Stored {
		t.Fatalf("%v %v", out, err)
	}
	msgs := env.Messages(t)
	if len(msgs) != 1 || len(*msgs[0].Body) > event.MaxBodyBytes || !strings.Contains(*msgs[0].Body, `"textCut":true`) {
		t.Fatalf("got %d messages", len(msgs))
	}
	eventtest.Validate(t, []byte(*msgs[0].Body))
}

func TestHugeRawAndDetailsAreCutToo(t *testing.T) {
	env := stacktest.New(t)
	in := env.Ingester()
	ev := sample("big:2", event.Succeeded)
	ev.Raw = json.RawMessage(`{"blob":"` + strings.Repeat("x", 120<<10) + `"}`)
	ev.Details = map[string]any{"additionalData": strings.Repeat("y", 210<<10)}
	if out, err := in.Ingest(context.Background(), ev); err != nil || out != ingest.Stored {
		t.Fatalf("%v %v", out, err)
	}
	msgs := env.Messages(t)
	if len(msgs) != 1 || len(*msgs[0].Body) > event.MaxBodyBytes || !strings.Contains(*msgs[0].Body, `"textCut":true`) {
		t.Fatalf("got %d messages", len(msgs))
	}
	eventtest.Validate(t, []byte(*msgs[0].Body))
}
