package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/streampoller"
)

// events/outbox-publisher-insert.json (generated without a stack by `make events`) carries
// exactly the image DynamoDB Local's real stream gives for the same event stored by the
// store: same attributes, same values.
func TestPublisherEventFileIsTheStreamImage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "events/outbox-publisher-insert.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample events.DynamoDBEvent
	if err := json.Unmarshal(b, &sample); err != nil || len(sample.Records) != 1 {
		t.Fatalf("%v (%d records)", err, len(sample.Records))
	}
	var ev event.Event
	if err := json.Unmarshal([]byte(sample.Records[0].Change.NewImage["payload"].String()), &ev); err != nil {
		t.Fatal(err)
	}
	env := stacktest.New(t)
	env.StopStream()
	st := &store.Store{Client: env.Clients.DynamoDB, Table: env.Table, Retention: 400 * 24 * time.Hour}
	if _, err := (&ingest.Ingester{Store: st}).Ingest(context.Background(), &ev); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []events.DynamoDBEventRecord
	p := &streampoller.Poller{Client: env.Clients.Streams, StreamARN: env.StreamARN,
		Handler: func(_ context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			mu.Lock()
			got = append(got, e.Records...)
			mu.Unlock()
			return events.DynamoDBEventResponse{}, nil
		}}
	stop := p.Start()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].EventName != "INSERT" {
		t.Fatalf("stream gave %d records", len(got))
	}
	want, real := sample.Records[0].Change.NewImage, got[0].Change.NewImage
	if !maps.EqualFunc(want, real, func(a, b events.DynamoDBAttributeValue) bool {
		return a.DataType() == b.DataType() && attrText(a) == attrText(b)
	}) {
		t.Fatalf("file image differs from the stream's:\nfile   %v\nstream %v", want, real)
	}
}

func attrText(v events.DynamoDBAttributeValue) string {
	if v.DataType() == events.DataTypeNumber {
		return v.Number()
	}
	return v.String()
}
