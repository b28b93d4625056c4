package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/app/publishing"
	"github.com/payhooks/payhooks/shared/lambda/sweeperfn"
	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/faultproxy"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/registry"
	"github.com/payhooks/payhooks/shared/tooling/streampoller"
)

type delivery struct {
	w      registry.Webhook
	s      provider.Sample
	first  int // status of the first attempt
	status int // status of the last attempt
}

// streamThrough runs the publisher of p.deps from the table's stream, as the publisher
// function's event source mapping would, reading the stream through endpoint (a fault
// proxy in front of DynamoDB Local). It replaces the environment's own poller.
func streamThrough(t *testing.T, env *stacktest.Env, p *pipeline, endpoint string, pub *publisher.Publisher) *streampoller.Poller {
	t.Helper()
	env.StopStream()
	streams := dynamodbstreams.NewFromConfig(p.deps.AWS, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(endpoint) })
	sp := streampoller.ForPublisher(streams, env.StreamARN, pub, p.deps.SQS, env.Queues.StreamFailuresURL, p.deps.Log)
	sp.Backoff = 10 * time.Millisecond
	t.Cleanup(sp.Start())
	return sp
}

func syncStream(t *testing.T, sp *streampoller.Poller) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sp.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// published counts the messages on the queue by event id.
func published(t *testing.T, env *stacktest.Env) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, m := range env.Messages(t) {
		var ev struct{ ID string }
		json.Unmarshal([]byte(*m.Body), &ev)
		got[ev.ID]++
	}
	return got
}

// A stream of webhooks from every provider meets DynamoDB and SQS outages, injected 5xx,
// connection resets and timeouts; the publisher reads the stream and sends through the
// same faults. After the faults end, the providers retry what got a 5xx and the repair
// path runs once. Then every distinct event is stored and published exactly once, and
// nothing else is; and no SQS fault ever reached a provider.
func TestFaultsLoseNothingAndDoubleNothing(t *testing.T) {
	env := stacktest.New(t)
	dynamo, moto := stacktest.Endpoints()
	ddbProxy, err := faultproxy.Start(dynamo)
	if err != nil {
		t.Fatal(err)
	}
	defer ddbProxy.Close()
	motoProxy, err := faultproxy.Start(moto)
	if err != nil {
		t.Fatal(err)
	}
	defer motoProxy.Close()
	motoProxy.Delay = 2 * time.Second

	p := newPipeline(t, env, func(s *app.Settings) {
		s.DynamoDBEndpoint, s.SQSEndpoint, s.SecretsManagerEndpoint = ddbProxy.URL, motoProxy.URL, motoProxy.URL
	})
	// Few, short retries inside the SDK so that faults surface as 503 quickly.
	cfg := p.deps.AWS.Copy()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 2; o.MaxBackoff = 50 * time.Millisecond })
	}
	d := app.New(cfg, p.deps.Settings, p.deps.Log)
	d.Metrics = nil
	p.deps = publishing.New(d)
	sp := streamThrough(t, env, p, ddbProxy.URL, p.deps.Publisher)

	docs := devDocs(t)
	var stream []*delivery
	for _, w := range registry.Webhooks {
		for _, s := range samples(t, w, docs[secrets.Name(w.Provider)]) {
			stream = append(stream, &delivery{w: w, s: s})
		}
	}
	phases := []struct {
		name    string
		ddb     faultproxy.Mode
		moto    faultproxy.Mode
		timeout time.Duration
	}{
		{"healthy", faultproxy.Pass, faultproxy.Pass, 0},
		{"dynamodb killed", faultproxy.Down, faultproxy.Pass, 0},
		{"dynamodb 5xx", faultproxy.Error500, faultproxy.Pass, 0},
		{"sqs resets", faultproxy.Pass, faultproxy.Reset, 0},
		{"lambda times out between store and publish", faultproxy.Pass, faultproxy.Latency, 500 * time.Millisecond},
		{"moto killed", faultproxy.Pass, faultproxy.Down, 0},
		{"dynamodb slow", faultproxy.Latency, faultproxy.Pass, 5 * time.Second},
	}
	// Warm the secret cache while healthy, as a running Lambda would have it.
	for _, w := range registry.Webhooks {
		call(t, p.handler(t, w.Provider), apiEvent(w, samples(t, w, docs[secrets.Name(w.Provider)])[0]))
	}
	per := (len(stream) + len(phases) - 1) / len(phases)
	handlers := map[string]func(context.Context, *delivery) int{}
	for _, w := range registry.Webhooks {
		h := p.handler(t, w.Provider)
		handlers[w.Provider] = func(ctx context.Context, d *delivery) int {
			resp, err := h.Lambda(ctx, apiEvent(d.w, d.s))
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode
		}
	}
	for i, d := range stream {
		ph := phases[min(i/per, len(phases)-1)]
		ddbProxy.Set(ph.ddb)
		motoProxy.Set(ph.moto)
		ctx, cancel := context.Background(), func() {}
		if ph.timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, ph.timeout)
		}
		d.first = handlers[d.w.Provider](ctx, d)
		d.status = d.first
		cancel()
		if d.first != 200 && d.first != 503 {
			t.Errorf("%s/%s during %q: %d, want 200 or 503", d.w.Provider, d.s.Name, ph.name, d.first)
		}
		if d.first != 200 && ph.ddb == faultproxy.Pass {
			t.Errorf("%s/%s during %q: %d; only DynamoDB may cost the provider a retry", d.w.Provider, d.s.Name, ph.name, d.first)
		}
	}
	ddbProxy.Set(faultproxy.Pass)
	motoProxy.Set(faultproxy.Pass)
	faulted := 0
	for _, d := range stream {
		if d.first == 503 {
			faulted++
		}
	}
	if faulted < 3 {
		t.Fatalf("only %d deliveries met a fault; the DynamoDB phases did not bite", faulted)
	}
	// Providers retry what failed (AXpay: up to 5 tries; the others longer).
	for try := 0; try < 5; try++ {
		for _, d := range stream {
			if d.status != 200 {
				d.status = handlers[d.w.Provider](context.Background(), d)
			}
		}
	}
	for _, d := range stream {
		if d.status != 200 {
			t.Fatalf("%s/%s still %d after retries", d.w.Provider, d.s.Name, d.status)
		}
	}
	syncStream(t, sp)
	sw := sweeperfn.Sweeper(p.deps)
	sw.MinAge = 0
	if _, err := sw.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Distinct events sent = stored = published, each exactly once.
	want := map[string]bool{}
	for _, d := range stream {
		ev, err := p.deps.Webhook(d.w.Provider, d.w.New).Provider.Normalize(context.Background(), mustVerify(t, p, d))
		if err != nil {
			t.Fatal(err)
		}
		want[ev.ID] = true
	}
	got := published(t, env)
	for id := range want {
		if got[id] != 1 {
			t.Errorf("event %s published %d times", id, got[id])
		}
		st, err := env.Store.GetEvent(context.Background(), id)
		if err != nil || st.PublishState != "published" {
			t.Errorf("event %s: %v %+v", id, err, st.PublishState)
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("unexpected message %s", id)
		}
	}
	t.Logf("%d deliveries, %d distinct events, %d met a fault first", len(stream), len(want), faulted)
}

func mustVerify(t *testing.T, p *pipeline, d *delivery) []byte {
	t.Helper()
	h := p.deps.Webhook(d.w.Provider, d.w.New)
	e := apiEvent(d.w, d.s)
	req, rej := webhookRequest(e)
	if rej != nil {
		t.Fatal(rej)
	}
	payload, err := h.Provider.Verify(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

// The real processes are paused (SIGSTOP) mid-stream: DynamoDB Local, then moto. While
// DynamoDB hangs, requests meet it until the Lambda's deadline and answer 503; while moto
// hangs, webhooks are still answered 200 (they need only DynamoDB) and the publisher waits.
// After the services resume, the providers' retries and the stream leave every event
// stored and published once.
func TestPausedServicesLoseNothing(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	docs := devDocs(t)
	w, _ := registry.Lookup("cardorders")
	ss := samples(t, w, docs["payhooks/cardorders"])
	h := p.handler(t, w.Provider)
	call(t, h, apiEvent(w, ss[0])) // warm the secret cache, as a running Lambda has it

	deliver := func(s provider.Sample) int {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		resp, err := h.Lambda(ctx, apiEvent(w, s))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	resume := stacktest.Pause(t, devstack.DynamoDB)
	if code := deliver(ss[1]); code != 503 {
		t.Fatalf("DynamoDB paused: %d, want 503", code)
	}
	resume()
	resume = stacktest.Pause(t, devstack.Moto)
	for _, s := range ss[2:4] {
		if code := deliver(s); code != 200 {
			t.Fatalf("moto paused: %d, want 200", code)
		}
	}
	resume()
	if code := deliver(ss[1]); code != 200 {
		t.Fatalf("retry after resume: %d", code)
	}
	got := published(t, env)
	if len(got) != 4 {
		t.Fatalf("%d distinct events published, want 4: %v", len(got), got)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
}

// crashingQueue sends the first half of the first batch it is given, then dies, as a
// publisher killed mid-batch would.
type crashingQueue struct {
	real    publisher.Sender
	crashed atomic.Bool
}

func (c *crashingQueue) SendBatch(ctx context.Context, msgs []queue.Message) []error {
	if len(msgs) > 1 && c.crashed.CompareAndSwap(false, true) {
		c.real.SendBatch(ctx, msgs[:len(msgs)/2])
		panic("publisher killed mid-batch")
	}
	return c.real.SendBatch(ctx, msgs)
}

// The publisher dies in the middle of a batch, after half of it reached SQS and before
// any of it was marked published. Lambda retries the batch (bisected); SQS's
// deduplication drops the re-sends and the recorded sequence numbers repeat, so every
// event is on the queue once, with one sequence each.
func TestPublisherCrashMidBatchLosesNothing(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	pub := *p.deps.Publisher
	pub.Queue = &crashingQueue{real: p.deps.Queue}
	sp := streamThrough(t, env, p, p.deps.Settings.DynamoDBEndpoint, &pub)
	ids := storeBurst(t, env, "crash", 24, 3)
	syncStream(t, sp)
	if !pub.Queue.(*crashingQueue).crashed.Load() {
		t.Fatal("the publisher never crashed: the batch was too small")
	}
	checkOnce(t, env, ids)
}

// storeBurst stores n events over `objects` objects at once (while the stream is busy, so
// that they reach the publisher in shared batches), and returns their ids.
func storeBurst(t *testing.T, env *stacktest.Env, prefix string, n, objects int) []string {
	t.Helper()
	in := env.Ingester()
	var ids []string
	for i := 0; i < n; i++ {
		ref := fmt.Sprintf("%s-%d", prefix, i%objects)
		ev := &event.Event{ID: fmt.Sprintf("cxtn:%s-%02d", prefix, i), Provider: "cxtn", Type: "account.credited",
			Status: event.Succeeded, ObjectRef: ref}
		ev.Stamp(time.Now(), event.OriginWebhook)
		if _, err := in.Ingest(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// checkOnce: each id is on the queue exactly once and published in the table; per object,
// the sequence numbers are 1..n without a gap or a repeat.
func checkOnce(t *testing.T, env *stacktest.Env, ids []string) {
	t.Helper()
	seqs := map[string][]int64{}
	got := map[string]int{}
	for _, m := range env.Messages(t) {
		var ev struct {
			ID, Provider, ObjectRef string
			Sequence                int64
		}
		json.Unmarshal([]byte(*m.Body), &ev)
		got[ev.ID]++
		// A sequence counts per object of one provider (its state item): two providers
		// may use the same reference.
		obj := ev.Provider + ":" + ev.ObjectRef
		seqs[obj] = append(seqs[obj], ev.Sequence)
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("%s on the queue %d times", id, got[id])
		}
		if se, _ := env.Store.GetEvent(context.Background(), id); se.PublishState != store.PublishPublished {
			t.Errorf("%s is %s", id, se.PublishState)
		}
	}
	if len(got) != len(ids) {
		t.Errorf("%d distinct messages for %d events", len(got), len(ids))
	}
	for ref, s := range seqs {
		slices.Sort(s)
		for i, n := range s {
			if n != int64(i+1) {
				t.Errorf("object %s: sequences %v", ref, s)
				break
			}
		}
	}
}

// SQS is down for ten minutes while webhooks keep arriving. Every webhook is answered 200
// (providers never see the outage); the publisher's retries run out and the stream moves
// on; the repair run, every minute on an injected clock, finds SQS down and counts no
// tries against the events (none is quarantined). When SQS is back, one repair run
// publishes everything, once.
func TestSQSDownTenMinutesProvidersNeverSee5xx(t *testing.T) {
	env := stacktest.New(t)
	_, moto := stacktest.Endpoints()
	sqsProxy, err := faultproxy.Start(moto)
	if err != nil {
		t.Fatal(err)
	}
	defer sqsProxy.Close()
	p := newPipeline(t, env, func(s *app.Settings) { s.SQSEndpoint = sqsProxy.URL })
	cfg := p.deps.AWS.Copy()
	cfg.Retryer = func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }
	d := app.New(cfg, p.deps.Settings, p.deps.Log)
	d.Metrics = nil
	p.deps = publishing.New(d)
	sp := streamThrough(t, env, p, p.deps.Settings.DynamoDBEndpoint, p.deps.Publisher)

	docs := devDocs(t)
	var ss []struct {
		w registry.Webhook
		s provider.Sample
	}
	for _, w := range registry.Webhooks {
		for _, s := range samples(t, w, docs["payhooks/"+w.Provider]) {
			ss = append(ss, struct {
				w registry.Webhook
				s provider.Sample
			}{w, s})
		}
	}
	clock := time.Now()
	sw := sweeperfn.Sweeper(p.deps)
	sw.Now = func() time.Time { return clock }
	sqsProxy.Set(faultproxy.Down)
	want := map[string]bool{}
	for minute := 0; minute < 10; minute++ {
		// This minute's webhooks.
		for i := minute; i < len(ss); i += 10 {
			code, body := call(t, p.handler(t, ss[i].w.Provider), apiEvent(ss[i].w, ss[i].s))
			if code != 200 {
				t.Fatalf("minute %d: %s answered %d %v while SQS is down", minute, ss[i].w.Provider, code, body)
			}
			if body["eventId"] != "" {
				want[body["eventId"]] = true
			}
		}
		syncStream(t, sp) // the publisher tried, and gave up after its retries
		clock = clock.Add(time.Minute)
		res, err := sw.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Published != 0 || res.Quarantined != 0 {
			t.Fatalf("minute %d: %+v while SQS is down", minute, res)
		}
	}
	sqsProxy.Set(faultproxy.Pass)
	clock = clock.Add(time.Minute)
	res, err := sw.Run(context.Background())
	if err != nil || res.Quarantined != 0 || res.Failed != 0 {
		t.Fatalf("after the outage: %+v %v", res, err)
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	checkOnce(t, env, ids)
}
