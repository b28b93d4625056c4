package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/sweeperfn"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/faultproxy"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

type delivery struct {
	w      registry.Webhook
	s      provider.Sample
	first  int // status of the first attempt
	status int // status of the last attempt
}

// A stream of webhooks from every provider meets DynamoDB and SQS outages, injected 5xx,
// connection resets, and a Lambda timeout between store and publish. After the faults
// end, the providers retry what got a 5xx and the outbox sweeper runs once. Then every
// distinct event is stored and published exactly once, and nothing else is.
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
	p.deps = app.New(cfg, p.deps.Settings, p.deps.Log)
	p.deps.Metrics = nil

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
	}
	ddbProxy.Set(faultproxy.Pass)
	motoProxy.Set(faultproxy.Pass)
	faulted := 0
	for _, d := range stream {
		if d.first == 503 {
			faulted++
		}
	}
	if faulted < len(phases)-2 {
		t.Fatalf("only %d deliveries met a fault; the phases did not bite", faulted)
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
	got := map[string]int{}
	for _, m := range env.Messages(t) {
		var ev struct{ ID string }
		json.Unmarshal([]byte(*m.Body), &ev)
		got[ev.ID]++
	}
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

// The real processes are paused (SIGSTOP) mid-stream: DynamoDB Local, then moto. Requests
// meet a hung server until the Lambda's deadline, answer 503, and after the services resume
// the providers' retries and one sweeper run leave every event stored and published once.
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
	codes := map[int]int{}
	resume := stacktest.Pause(t, devstack.DynamoDB)
	codes[deliver(ss[1])]++
	resume()
	resume = stacktest.Pause(t, devstack.Moto)
	codes[deliver(ss[2])]++
	codes[deliver(ss[3])]++
	resume()
	if codes[503] != 3 {
		t.Fatalf("answers while paused: %v, want three 503", codes)
	}
	for _, s := range ss[1:4] {
		if code := deliver(s); code != 200 {
			t.Fatalf("retry after resume: %d", code)
		}
	}
	sw := sweeperfn.Sweeper(p.deps)
	sw.MinAge = 0
	if _, err := sw.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range env.Messages(t) {
		var ev struct{ ID string }
		json.Unmarshal([]byte(*m.Body), &ev)
		got[ev.ID]++
	}
	if len(got) != 4 {
		t.Fatalf("%d distinct events published, want 4: %v", len(got), got)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
}
