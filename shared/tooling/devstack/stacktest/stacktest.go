// Package stacktest gives integration tests their own table and queue on a shared local
// stack of real services (DynamoDB Local and moto).
package stacktest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/streampoller"
)

// Environment variables that point tests at an already running stack instead of starting one.
const (
	EnvDynamoDB = "PAYHOOKS_TEST_DYNAMODB"
	EnvMoto     = "PAYHOOKS_TEST_MOTO"
)

var endpoints struct{ dynamo, moto string }

// stack is the stack Main started itself; nil when the environment named one.
var stack *devstack.Stack

// Main runs a package's tests against a local stack: the one named by the environment, or
// one it starts and stops itself. Use it as `func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }`.
//
// Under -short it starts nothing and New skips, so `go test -short ./...` runs every unit
// test with no Java and no moto.
func Main(m *testing.M) int {
	flag.Parse()
	if listingOnly() || testing.Short() {
		return m.Run()
	}
	endpoints.dynamo, endpoints.moto = os.Getenv(EnvDynamoDB), os.Getenv(EnvMoto)
	if endpoints.dynamo == "" || endpoints.moto == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		st, err := devstack.Start(ctx, devstack.Options{})
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "stacktest: cannot start DynamoDB Local and moto:", err)
			return 1
		}
		defer st.Stop()
		stack = st
		endpoints.dynamo, endpoints.moto = st.DynamoDBEndpoint, st.MotoEndpoint
	}
	return m.Run()
}

// Env is one test's private slice of the stack. Its stream poller runs the publisher
// against the table's real stream from the start, as Lambda would; Messages waits for it
// to catch up.
type Env struct {
	Clients   devstack.Clients
	Table     string
	StreamARN string
	Queues    queue.Queues
	Store     *store.Store
	Queue     *queue.Publisher
	Publisher *publisher.Publisher
	Stream    *streampoller.Poller

	stop     func()
	detached bool
}

var seq atomic.Int64

// New creates a fresh table and queue for t.
func New(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("stacktest: integration test; needs DynamoDB Local and moto (run without -short)")
	}
	if endpoints.dynamo == "" {
		t.Fatal("stacktest: no stack; call stacktest.Main from TestMain")
	}
	ctx := context.Background()
	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := devstack.NewClients(cfg, endpoints.dynamo, endpoints.moto)
	name := fmt.Sprintf("t%d-%d-%s", os.Getpid(), seq.Add(1), sanitize(t.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	res, err := devstack.Provision(ctx, c, name, name+".fifo", "")
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Clients: c, Table: res.Table, StreamARN: res.StreamARN, Queues: res.Queues,
		Store: &store.Store{Client: c.DynamoDB, Table: res.Table},
		Queue: &queue.Publisher{Client: c.SQS, QueueURL: res.Queues.URL},
	}
	e.Publisher = &publisher.Publisher{Store: e.Store, Queue: e.Queue, Log: quiet}
	e.Stream = streampoller.ForPublisher(c.Streams, res.StreamARN, e.Publisher, c.SQS, res.Queues.StreamFailuresURL, quiet)
	e.stop = e.Stream.Start()
	t.Cleanup(func() {
		if !e.detached {
			e.StopStream()
		}
	})
	return e
}

// Detach keeps the stream poller running after the test or benchmark that made e ends
// (benchmarks reuse one Env across their runs with growing b.N).
func (e *Env) Detach() { e.detached = true }

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// Ingester stores into the test's table.
func (e *Env) Ingester() *ingest.Ingester { return &ingest.Ingester{Store: e.Store} }

// StopStream stops the test's stream poller (a test that runs its own, with faults, calls it).
func (e *Env) StopStream() {
	if e.stop != nil {
		e.stop()
		e.stop = nil
	}
}

// Sync waits until the stream poller has handed every event stored so far to the
// publisher and its batch settled.
func (e *Env) Sync(t testing.TB) {
	t.Helper()
	if e.stop == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Stream.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// Endpoints returns the stack's endpoints.
func Endpoints() (dynamo, moto string) { return endpoints.dynamo, endpoints.moto }

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// Messages waits for the publisher to catch up (Sync), then drains the queue and returns
// every message (deleting them).
func (e *Env) Messages(t testing.TB) []sqstypes.Message {
	t.Helper()
	e.Sync(t)
	var out []sqstypes.Message
	for empty := 0; empty < 2; {
		res, err := e.Clients.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.Queues.URL), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
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
			_, _ = e.Clients.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(e.Queues.URL), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return out
}

// Items returns every item of the test's table.
func (e *Env) Items(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	p := dynamodb.NewScanPaginator(e.Clients.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(e.Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			m := map[string]any{}
			for k, v := range it {
				m[k] = v
			}
			out = append(out, m)
		}
	}
	return out
}

// Unreachable returns a config whose clients fail fast: an endpoint nothing listens on and
// a single attempt, to test how the pipeline answers when a dependency is down.
func Unreachable(cfg aws.Config) (aws.Config, string) {
	cfg = cfg.Copy()
	cfg.Retryer = func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }
	port, _ := devstack.FreePort()
	return cfg, fmt.Sprintf("http://127.0.0.1:%d", port)
}

// listingOnly reports a run that executes no test and no benchmark (go test -list, or
// -run '^$' as fuzzing uses), which needs no services. A benchmark-only run (-run '^$'
// -bench X) needs them.
func listingOnly() bool {
	noTests, bench := false, false
	for _, a := range os.Args[1:] {
		switch {
		case strings.HasPrefix(a, "-test.list"):
			return true
		case a == "-test.run=^$":
			noTests = true
		case strings.HasPrefix(a, "-test.bench=") && a != "-test.bench=":
			bench = true
		}
	}
	return noTests && !bench
}

// Pause stops a service's process (SIGSTOP) until the returned resume is called (also on
// cleanup). It skips the test when the stack was not started by this process.
func Pause(t testing.TB, service int) (resume func()) {
	t.Helper()
	if stack == nil {
		t.Skip("stacktest: the stack was started elsewhere; cannot pause it")
	}
	if err := stack.Signal(service, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	resume = func() { once.Do(func() { _ = stack.Signal(service, syscall.SIGCONT) }) }
	t.Cleanup(resume)
	return resume
}
