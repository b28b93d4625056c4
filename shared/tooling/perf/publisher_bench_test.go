package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/tooling/streampoller"
)

// BenchmarkPublisher: b.N events are stored with the stream poller stopped; then the
// poller starts and the clock runs until every one is on the queue. What the publisher
// sustains from a backlog (batches of up to 100), on the same emulators.
func BenchmarkPublisher(b *testing.B) {
	p := pipelineFor(b)
	p.env.StopStream()
	tmpl, payload := floorEvent(b, p)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		ev := tmpl
		ev.ObjectRef = fmt.Sprintf("ixc-tx-%s-%d", run, seq.Add(1))
		ev.ID = "instaxchange:" + ev.ObjectRef + ":completed"
		ev.ReceivedAt = time.Now().UTC()
		if _, err := p.deps.Store.PutEvent(ctx, &ev, payload); err != nil {
			b.Fatal(err)
		}
	}
	sp := streampoller.ForPublisher(p.env.Clients.Streams, p.env.StreamARN, p.deps.Publisher, p.env.Clients.SQS, p.env.Queues.StreamFailuresURL, nil)
	b.ResetTimer()
	start := time.Now()
	stop := sp.Start()
	if err := sp.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}

// BenchmarkStoredToQueue: b.N webhooks through the handler at a steady 20 a second (a
// rate the emulators' publisher keeps up with), each timed from the webhook's answer (the
// event is stored) to SQS accepting its message (SentTimestamp, millisecond resolution).
func BenchmarkStoredToQueue(b *testing.B) {
	p := pipelineFor(b)
	ds := deliveries(b, b.N)
	ctx := context.Background()
	acked := make(map[string]time.Time, b.N)
	p.env.Messages(b) // what the warm-up published
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		resp, err := p.h.Lambda(ctx, apiEvent(ds[i]))
		done := time.Now()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("delivery %d: %d %s %v", i, resp.StatusCode, resp.Body, err)
		}
		var ack struct{ EventID string }
		_ = json.Unmarshal([]byte(resp.Body), &ack)
		acked[ack.EventID] = done
	}
	b.StopTimer()
	reportStoredToQueue(b, p, acked)
}
