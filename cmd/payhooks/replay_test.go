package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/support/money"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestReplayUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"replay"},
		{"replay", "--id", "a", "--dlq"},
		{"replay", "--provider", "axs"},
		{"replay", "--from", "2h"},
		{"replay", "--provider", "axs", "--from", "yesterday"},
		{"replay", "--provider", "axs", "--from", "-2h"},
		{"replay", "--id", "a", "--max", "3"},
		{"replay", "--id", "a", "extra"},
		{"events", "--published", "sometimes"},
		{"events", "--since", "2h", "--from", "1h"},
		{"events", "--from", "last week"},
		{"events", "--provider", "nosuch"},
	} {
		var out, errOut bytes.Buffer
		if code := runMain(context.Background(), args, &out, &errOut); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

// replayStack is one test's table and queues on a local stack.
type replayStack struct {
	dynamo, moto string
	c            devstack.Clients
	table        string
	qs           queue.Queues
	st           *store.Store
}

func startReplayStack(t *testing.T) func(t *testing.T) *replayStack {
	t.Helper()
	ctx := context.Background()
	dynamo, moto := os.Getenv(stacktest.EnvDynamoDB), os.Getenv(stacktest.EnvMoto)
	if dynamo == "" || moto == "" {
		sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		s, err := devstack.Start(sctx, devstack.Options{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		dynamo, moto = s.DynamoDBEndpoint, s.MotoEndpoint
	}
	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := devstack.NewClients(cfg, dynamo, moto)
	n := 0
	return func(t *testing.T) *replayStack {
		n++
		name := fmt.Sprintf("replay-%d-%d-%s", os.Getpid(), n, time.Now().Format("150405"))
		res, err := devstack.Provision(ctx, c, name, name+".fifo", "")
		if err != nil {
			t.Fatal(err)
		}
		return &replayStack{dynamo: dynamo, moto: moto, c: c, table: res.Table, qs: res.Queues,
			st: &store.Store{Client: c.DynamoDB, Table: res.Table}}
	}
}

func (s *replayStack) run(t *testing.T, args ...string) (string, string) {
	t.Helper()
	args = append(append([]string{"replay"}, args...), "--endpoint", s.dynamo, "--moto", s.moto, "--table", s.table,
		"--queue-url", s.qs.URL, "--dlq-url", s.qs.DLQURL)
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// ingest stores and publishes an event received at `at`, as a webhook would have.
func (s *replayStack) ingest(t *testing.T, provider, ref string, at time.Time) event.Event {
	t.Helper()
	amt, _ := money.New("12.50", "SGD")
	ev := event.Event{
		ID: provider + ":" + ref, Provider: provider, Type: "payment.succeeded", Status: event.Succeeded,
		ObjectRef: ref, Amount: &amt, OccurredAt: at.Add(-time.Second),
		Details: map[string]any{"origin": "webhook", "note": "a<b"},
	}
	ev.Stamp(at, event.OriginWebhook)
	in := &ingest.Ingester{Store: s.st}
	if out, err := in.Ingest(context.Background(), &ev); err != nil || out != ingest.Stored {
		t.Fatalf("ingest %s: %v %v", ev.ID, out, err)
	}
	// What the stream's publisher does with it.
	se, err := s.st.GetEvent(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	pub := &publisher.Publisher{Store: s.st, Queue: &queue.Publisher{Client: s.c.SQS, QueueURL: s.qs.URL}}
	if err := pub.Publish(context.Background(), []store.StoredEvent{se})[0]; err != nil {
		t.Fatal(err)
	}
	return ev
}

func (s *replayStack) drain(t *testing.T, url string) []sqstypes.Message {
	t.Helper()
	var out []sqstypes.Message
	for empty := 0; empty < 2; {
		res, err := s.c.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			empty++
			continue
		}
		for _, m := range res.Messages {
			out = append(out, m)
			_, _ = s.c.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return out
}

type published struct {
	ID, Origin string
	Details    map[string]any
}

func decodeMsgs(t *testing.T, msgs []sqstypes.Message) []published {
	t.Helper()
	var out []published
	for _, m := range msgs {
		eventtest.Validate(t, []byte(*m.Body))
		var p published
		if err := json.Unmarshal([]byte(*m.Body), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestReplayAgainstLocalStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local and moto")
	}
	newStack := startReplayStack(t)

	t.Run("by id within the dedup window", func(t *testing.T) {
		s := newStack(t)
		ev := s.ingest(t, "axs", "ref-1", time.Now())
		s.ingest(t, "axs", "ref-2", time.Now())
		if n := len(s.drain(t, s.qs.URL)); n != 2 {
			t.Fatalf("%d original messages", n)
		}
		// Seconds after the original publish: a replay reusing the event id as deduplication
		// id would be dropped by SQS.
		out, _ := s.run(t, "--id", ev.ID, "--no-progress")
		if !strings.Contains(out, "replayed 1,") {
			t.Fatalf("output:\n%s", out)
		}
		msgs := s.drain(t, s.qs.URL)
		got := decodeMsgs(t, msgs)
		if len(got) != 1 || got[0].ID != ev.ID || got[0].Origin != "replay" {
			t.Fatalf("replayed %+v", got)
		}
		// Only the top-level origin changes: a provider's own "origin" field stays.
		if got[0].Details["origin"] != "webhook" || got[0].Details["note"] != "a<b" {
			t.Fatalf("details changed: %v", got[0].Details)
		}
		dedup := msgs[0].Attributes["MessageDeduplicationId"]
		if !strings.HasPrefix(dedup, ev.ID+"#replay-") {
			t.Fatalf("deduplication id %q", dedup)
		}
		if g := msgs[0].Attributes["MessageGroupId"]; g != queue.FIFOID("axs:ref-1") {
			t.Fatalf("group %q", g)
		}
		stored, err := s.st.GetEvent(context.Background(), ev.ID)
		if err != nil || !bytes.Contains(stored.Payload, []byte(`"origin":"webhook"`)) {
			t.Fatalf("the stored event must stay as first received: %s %v", stored.Payload, err)
		}
		// A second replay of the same event is sent too (its own deduplication id).
		time.Sleep(2 * time.Millisecond)
		s.run(t, "--id", ev.ID, "--no-progress")
		if n := len(s.drain(t, s.qs.URL)); n != 1 {
			t.Fatalf("second replay: %d messages", n)
		}
	})

	t.Run("unknown id fails and sends nothing", func(t *testing.T) {
		s := newStack(t)
		ev := s.ingest(t, "axs", "ref-1", time.Now())
		s.drain(t, s.qs.URL)
		args := []string{"replay", "--id", "axs:nope", "--id", ev.ID, "--endpoint", s.dynamo, "--moto", s.moto,
			"--table", s.table, "--queue-url", s.qs.URL, "--no-progress"}
		var out, errOut bytes.Buffer
		if code := runMain(context.Background(), args, &out, &errOut); code == 0 || !strings.Contains(out.String(), "not_found") {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
		}
		if n := len(s.drain(t, s.qs.URL)); n != 1 {
			t.Fatalf("%d messages: the found id is still replayed", n)
		}
	})

	t.Run("dry run publishes nothing", func(t *testing.T) {
		s := newStack(t)
		ev := s.ingest(t, "cxtn", "ref-1", time.Now())
		s.drain(t, s.qs.URL)
		out, errOut := s.run(t, "--provider", "cxtn", "--from", "1h", "--dry-run", "--progress")
		if !strings.Contains(out, "would_send") || !strings.Contains(out, ev.ID) || !strings.Contains(out, "1 would be sent") {
			t.Fatalf("output:\n%s", out)
		}
		if !strings.Contains(errOut, "] 1/1") {
			t.Fatalf("no progress bar on stderr: %q", errOut)
		}
		// Into a pipe or a file (not a terminal) no bar is drawn unless asked for.
		if _, errOut := s.run(t, "--provider", "cxtn", "--from", "1h", "--dry-run"); strings.Contains(errOut, "1/1") {
			t.Fatalf("progress bar drawn into a buffer: %q", errOut)
		}
		if n := len(s.drain(t, s.qs.URL)); n != 0 {
			t.Fatalf("dry run published %d", n)
		}
	})

	t.Run("provider and time range", func(t *testing.T) {
		s := newStack(t)
		now := time.Now().UTC()
		old := s.ingest(t, "cardorders", "old", now.Add(-5*time.Hour))
		in1 := s.ingest(t, "cardorders", "in-1", now.Add(-2*time.Hour))
		in2 := s.ingest(t, "cardorders", "in-2", now.Add(-90*time.Minute))
		recent := s.ingest(t, "cardorders", "recent", now.Add(-10*time.Minute))
		other := s.ingest(t, "cxtn", "other", now.Add(-2*time.Hour))
		s.drain(t, s.qs.URL)
		_ = old
		_ = recent
		_ = other
		out, _ := s.run(t, "--provider", "cardorders", "--from", now.Add(-3*time.Hour).Format(time.RFC3339), "--to", "1h", "--no-progress")
		got := decodeMsgs(t, s.drain(t, s.qs.URL))
		ids := map[string]bool{}
		for _, g := range got {
			ids[g.ID] = true
			if g.Origin != "replay" {
				t.Errorf("%s origin %q", g.ID, g.Origin)
			}
		}
		if len(got) != 2 || !ids[in1.ID] || !ids[in2.ID] {
			t.Fatalf("replayed %v, want %s and %s\n%s", ids, in1.ID, in2.ID, out)
		}
	})

	t.Run("unsupported events are skipped", func(t *testing.T) {
		s := newStack(t)
		ev := event.Event{ID: "axs:odd", Provider: "axs", Type: event.TypeUnsupported, Status: event.Pending, ObjectRef: "odd"}
		ev.Stamp(time.Now(), event.OriginWebhook)
		in := &ingest.Ingester{Store: s.st}
		if _, err := in.Ingest(context.Background(), &ev); err != nil {
			t.Fatal(err)
		}
		out, _ := s.run(t, "--id", ev.ID, "--no-progress")
		if !strings.Contains(out, "skipped 1") {
			t.Fatalf("output:\n%s", out)
		}
		if n := len(s.drain(t, s.qs.URL)); n != 0 {
			t.Fatalf("%d messages", n)
		}
	})

	t.Run("dlq redrive", func(t *testing.T) {
		s := newStack(t)
		const n = 13
		var want []string
		for i := 0; i < n; i++ {
			ev := event.Event{ID: fmt.Sprintf("axpay:dead-%02d", i), Provider: "axpay", Type: "payment.failed",
				Status: event.Failed, ObjectRef: fmt.Sprintf("obj-%d", i%3)}
			ev.Stamp(time.Now(), event.OriginWebhook)
			body, _ := ev.Marshal()
			if err := (&queue.Publisher{Client: s.c.SQS, QueueURL: s.qs.DLQURL}).Publish(context.Background(), dlqMessage(&ev, body)); err != nil {
				t.Fatal(err)
			}
			want = append(want, ev.ID)
		}
		// Dry run: lists, moves nothing, leaves the DLQ as it was.
		out, _ := s.run(t, "--dlq", "--dry-run", "--no-progress")
		if strings.Count(out, "would_send") == 0 {
			t.Fatalf("dry run output:\n%s", out)
		}
		if got := len(s.drain(t, s.qs.URL)); got != 0 {
			t.Fatalf("dry run sent %d", got)
		}
		out, errOut := s.run(t, "--dlq", "--progress")
		if !strings.Contains(out, fmt.Sprintf("replayed %d,", n)) || !strings.Contains(errOut, fmt.Sprintf("%d/%d", n, n)) {
			t.Fatalf("output:\n%s\nstderr %q", out, errOut)
		}
		got := decodeMsgs(t, s.drain(t, s.qs.URL))
		seen := map[string]bool{}
		for _, g := range got {
			seen[g.ID] = true
			if g.Origin != "replay" {
				t.Errorf("%s origin %q", g.ID, g.Origin)
			}
		}
		for _, id := range want {
			if !seen[id] {
				t.Errorf("%s not redriven", id)
			}
		}
		if len(got) != n {
			t.Fatalf("%d messages on the queue, want %d", len(got), n)
		}
		if left := len(s.drain(t, s.qs.DLQURL)); left != 0 {
			t.Fatalf("%d messages left in the DLQ", left)
		}
	})

	t.Run("dlq redrive keeps a message whose send fails", func(t *testing.T) {
		s := newStack(t)
		ev := event.Event{ID: "axpay:stuck", Provider: "axpay", Type: "payment.failed", Status: event.Failed, ObjectRef: "o"}
		ev.Stamp(time.Now(), event.OriginWebhook)
		body, _ := ev.Marshal()
		if err := (&queue.Publisher{Client: s.c.SQS, QueueURL: s.qs.DLQURL}).Publish(context.Background(), dlqMessage(&ev, body)); err != nil {
			t.Fatal(err)
		}
		args := []string{"replay", "--dlq", "--max", "1", "--endpoint", s.dynamo, "--moto", s.moto, "--table", s.table,
			"--queue-url", s.qs.URL + "-missing", "--dlq-url", s.qs.DLQURL, "--no-progress"}
		var out, errOut bytes.Buffer
		if code := runMain(context.Background(), args, &out, &errOut); code == 0 || !strings.Contains(out.String(), "failed") {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
		}
		// Still in the DLQ once its visibility timeout passes: make it visible now.
		res, err := s.c.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(s.qs.DLQURL), AttributeNames: []sqstypes.QueueAttributeName{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		total := res.Attributes["ApproximateNumberOfMessages"] + "+" + res.Attributes["ApproximateNumberOfMessagesNotVisible"]
		if total != "0+1" && total != "1+0" {
			t.Fatalf("DLQ holds %s messages (visible+in flight), want the one that failed", total)
		}
	})
}

func dlqMessage(ev *event.Event, body []byte) queue.Message {
	return queue.Message{EventID: ev.ID, Provider: ev.Provider, ObjectRef: ev.ObjectRef, Type: string(ev.Type), Body: body}
}
