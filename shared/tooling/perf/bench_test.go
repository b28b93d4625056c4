package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/app/publishing"
	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/platform/metrics"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/gateway"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// The sample's ids, replaced per delivery so that every event is new to the store.
const (
	sampleWebhookID = `"webhookId":"wh-3f9d2c7e81a64b05"`
	sampleTxID      = `"transactionId":"ixc-tx-7f3a9c21"`
)

var (
	run = fmt.Sprintf("%x", time.Now().UnixNano()) // keeps ids unique across runs sharing a stack
	seq atomic.Int64
)

// pipeline is one function's dependencies on a private table and queue, assembled by the
// composition root the Lambda functions use, with logs and metrics formatted as in
// production but discarded.
type pipeline struct {
	env  *stacktest.Env
	deps *publishing.Deps
	h    *webhook.Handler
}

const warmup = 100

var (
	pipelinesMu sync.Mutex
	pipelines   = map[string]*pipeline{}
)

// pipelineFor returns the pipeline of a benchmark, created once: the benchmark function
// runs several times with growing b.N and need not provision a table every time.
func pipelineFor(b *testing.B) *pipeline {
	b.Helper()
	pipelinesMu.Lock()
	defer pipelinesMu.Unlock()
	if p, ok := pipelines[b.Name()]; ok {
		return p
	}
	env := stacktest.New(b)
	env.Detach()
	dynamo, moto := stacktest.Endpoints()
	s := app.Settings{Table: env.Table, QueueURL: env.Queues.URL, SecretsFile: secretsPath(b),
		SecretTTL: 5 * time.Minute, Retention: 400 * 24 * time.Hour, DynamoDBEndpoint: dynamo, SQSEndpoint: moto}
	ad := app.New(env.Clients.Config, s, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	ad.Metrics = metrics.New(io.Discard)
	d := publishing.New(ad)
	w, _ := registry.Lookup("instaxchange")
	p := &pipeline{env: env, deps: d, h: d.Webhook(w.Provider, w.New)}
	// Warm connections, the secret cache and DynamoDB Local's JIT, so the order in which
	// benchmarks run does not decide their figures.
	for _, dl := range deliveries(b, warmup) {
		if resp, err := p.h.Lambda(context.Background(), apiEvent(dl)); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("warm-up: %d %s %v", resp.StatusCode, resp.Body, err)
		}
	}
	pipelines[b.Name()] = p
	return p
}

// delivery is one signed InstaXchange delivery with fresh ids.
type delivery struct {
	body []byte
	sig  string
}

// deliveries makes n "completed" deliveries, each a new transaction, signed as the sender
// signs them (JS canonical form + md5 with the dev secret). Signing is the sender's work,
// so it happens before the timer starts.
func deliveries(b *testing.B, n int) []delivery {
	b.Helper()
	var doc instaxchange.SecretDoc
	if err := json.Unmarshal(devDocs(b)["payhooks/instaxchange"], &doc); err != nil {
		b.Fatal(err)
	}
	ss, err := instaxchange.Samples(devDocs(b)["payhooks/instaxchange"])
	if err != nil {
		b.Fatal(err)
	}
	var base []byte
	for _, s := range ss {
		if s.Name == "completed" {
			base = s.Body
		}
	}
	if !bytes.Contains(base, []byte(sampleWebhookID)) || !bytes.Contains(base, []byte(sampleTxID)) {
		b.Fatal("the completed sample no longer has the expected ids")
	}
	out := make([]delivery, n)
	for i := range out {
		k := seq.Add(1)
		body := bytes.Replace(base, []byte(sampleWebhookID), fmt.Appendf(nil, `"webhookId":"wh-%s-%d"`, run, k), 1)
		body = bytes.Replace(body, []byte(sampleTxID), fmt.Appendf(nil, `"transactionId":"ixc-tx-%s-%d"`, run, k), 1)
		sig, err := instaxchange.Sign(body, doc.WebhookSecrets[0])
		if err != nil {
			b.Fatal(err)
		}
		out[i] = delivery{body: body, sig: sig}
	}
	return out
}

// apiEvent is the API Gateway HTTP API event the route hands the function.
func apiEvent(d delivery) events.APIGatewayV2HTTPRequest {
	now := time.Now()
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + instaxchange.SamplePath, RawPath: instaxchange.SamplePath,
		Headers: map[string]string{"content-type": "application/json", "x-instaxwh-key": d.sig},
		Body:    string(d.body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: fmt.Sprintf("bench-%d", now.UnixNano()), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: instaxchange.SamplePath, SourceIP: "203.0.113.10"},
		},
	}
}

// report adds throughput and latency percentiles; lat holds one duration per event.
func report(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "events/s")
	b.ReportMetric(percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
}

// percentile of sorted durations, in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

// BenchmarkE2E: one delivery at a time (one Lambda instance serves one request at a time)
// through the handler value instaxchange-webhook runs: verify, normalize, one conditional
// PutItem, answer. Meanwhile the stream poller feeds the publisher from DynamoDB Local's
// real stream, on the same machine and emulators, as the publisher function would.
func BenchmarkE2E(b *testing.B) {
	p := pipelineFor(b)
	ds := deliveries(b, b.N)
	evs := make([]events.APIGatewayV2HTTPRequest, len(ds))
	for i, d := range ds {
		evs[i] = apiEvent(d)
	}
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	p.env.Messages(b) // what the warm-up published
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		resp, err := p.h.Lambda(ctx, evs[i])
		lat = append(lat, time.Since(t0))
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "accepted") {
			b.Fatalf("delivery %d: %d %s %v", i, resp.StatusCode, resp.Body, err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
}

// reportStoredToQueue waits for every acknowledged event's message and reports the time
// from the webhook's answer (the event is stored) to SQS accepting the message.
func reportStoredToQueue(b *testing.B, p *pipeline, acked map[string]time.Time) {
	b.Helper()
	var s2q []time.Duration
	for _, m := range p.env.Messages(b) {
		var ev struct{ ID string }
		_ = json.Unmarshal([]byte(*m.Body), &ev)
		at, ok := acked[ev.ID]
		if !ok {
			continue
		}
		delete(acked, ev.ID)
		ms, err := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64)
		if err != nil {
			b.Fatalf("SentTimestamp %q", m.Attributes["SentTimestamp"])
		}
		s2q = append(s2q, max(0, time.UnixMilli(ms).Sub(at)))
	}
	if len(acked) > 0 {
		b.Fatalf("%d acknowledged events never reached the queue (%d did)", len(acked), len(s2q))
	}
	slices.Sort(s2q)
	b.ReportMetric(percentile(s2q, 0.50), "s2q-p50-ms")
	b.ReportMetric(percentile(s2q, 0.99), "s2q-p99-ms")
}

// BenchmarkE2EGateway is BenchmarkE2E through the local HTTP gateway (`make run`): adds an
// HTTP round trip on loopback and the request → API Gateway event conversion.
func BenchmarkE2EGateway(b *testing.B) {
	p := pipelineFor(b)
	g := gateway.New([]gateway.Route{{Method: "POST", Path: instaxchange.SamplePath, Handler: p.h.Lambda}}, 1<<20,
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	srv := httptest.NewServer(g)
	defer srv.Close()
	client := srv.Client()
	ds := deliveries(b, b.N)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+instaxchange.SamplePath, bytes.NewReader(ds[i].body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-InstaXWH-KEY", ds[i].sig)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(t0))
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("delivery %d: %d %s", i, resp.StatusCode, body)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
}

// floorEvent is the event BenchmarkE2E stores, prepared once: the floors time I/O only.
func floorEvent(b *testing.B, p *pipeline) (event.Event, []byte) {
	b.Helper()
	ds := deliveries(b, 1)
	resp, err := p.h.Lambda(context.Background(), apiEvent(ds[0]))
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("seed delivery: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	var ev event.Event
	// The stored payload is the exact published JSON, so the floor moves the same bytes.
	k := seq.Load()
	stored, err := p.env.Store.GetEvent(context.Background(), fmt.Sprintf("instaxchange:ixc-tx-%s-%d:completed", run, k))
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(stored.Payload, &ev); err != nil {
		b.Fatal(err)
	}
	return ev, stored.Payload
}

// BenchmarkFloor is the floor of the design this one replaced, and of any design that
// publishes before answering: per event only the conditional PutItem and the SendMessage,
// with the same clients, item shape and payload as BenchmarkE2E. Its stream poller is
// stopped, so nothing else competes for the machine.
func BenchmarkFloor(b *testing.B) {
	p := pipelineFor(b)
	p.env.StopStream()
	tmpl, payload := floorEvent(b, p)
	st, q := p.deps.Store, p.deps.Queue
	ctx := context.Background()
	evs := make([]event.Event, b.N)
	for i := range evs {
		k := seq.Add(1)
		evs[i] = tmpl
		evs[i].ObjectRef = fmt.Sprintf("ixc-tx-%s-%d", run, k)
		evs[i].ID = "instaxchange:" + evs[i].ObjectRef + ":completed"
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		ev := &evs[i]
		ev.ReceivedAt = t0.UTC()
		res, err := st.PutEvent(ctx, ev, payload)
		if err != nil || !res.Created {
			b.Fatalf("put %d: %+v %v", i, res, err)
		}
		m := queue.Message{EventID: ev.ID, Provider: ev.Provider, ObjectRef: ev.ObjectRef, Type: string(ev.Type), Body: payload}
		if err := q.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
}
