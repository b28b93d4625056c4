package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/loadgen"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

func init() {
	register("load", "bounded loopback load run over every provider, with the invariant check (make load)", load)
}

func load(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("requests", 2000, "requests to send (the run stops after them)")
	conc := fs.Int("concurrency", 16, "concurrent senders")
	dup := fs.Float64("duplicates", 0.20, "share of redeliveries")
	forged := fs.Float64("forgeries", 0.05, "share of forged requests")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "plan seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	docs, err := devSecretDocs()
	if err != nil {
		return err
	}
	plan, err := loadgen.Plan(docs, *n, *dup, *forged, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "load: starting a private local stack on free loopback ports...")
	ls, err := startLocal(ctx, localPorts{}, io.Discard)
	if err != nil {
		return err
	}
	defer ls.Close()
	res := loadgen.Run(ctx, ls.addr, plan, *conc)
	stored, published, err := ls.countLoaded(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `requests      %d (fresh %d, duplicates %d, forgeries %d), concurrency %d, seed %d
duration      %s
throughput    %.0f requests/s
latency       p50 %s   p99 %s   max %s
errors        %d unexpected answers
invariant     unique valid events sent %d = stored %d = published %d: %v
`, res.Requests, res.ByKind[loadgen.Fresh], res.ByKind[loadgen.Duplicate], res.ByKind[loadgen.Forged], *conc, *seed,
		res.Duration.Round(time.Millisecond), float64(res.Requests)/res.Duration.Seconds(),
		res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond), res.Max.Round(10*time.Microsecond),
		res.Errors, res.UniqueValid, stored, published, res.UniqueValid == stored && stored == published)
	for _, u := range res.Unexpected {
		fmt.Fprintln(stdout, "  unexpected:", u)
	}
	if res.Errors > 0 || res.UniqueValid != stored || stored != published {
		return fmt.Errorf("load: invariant broken (%d lost or doubled, %d unexpected answers)", abs(res.UniqueValid-published)+abs(stored-published), res.Errors)
	}
	return nil
}

// devSecretDocs reads dev/secrets.json: the fake secret document of every provider by name.
func devSecretDocs() (map[string]json.RawMessage, error) {
	root, err := devstack.FindRoot()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, localSecretsFile))
	if err != nil {
		return nil, err
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		return nil, fmt.Errorf("%s: %w", localSecretsFile, err)
	}
	return docs, nil
}

// countLoaded waits for the publisher to catch up, then counts the load's events stored
// and those on the queue (draining it; an event published twice is an error).
func (ls *localServer) countLoaded(ctx context.Context) (stored, published int, err error) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = ls.stream.Sync(sctx)
	cancel()
	if err != nil {
		return 0, 0, err
	}
	for _, w := range registry.Webhooks {
		evs, err := ls.deps.Store.ListByProvider(ctx, store.ListFilter{Provider: w.Provider})
		if err != nil {
			return 0, 0, err
		}
		for _, e := range evs {
			if strings.Contains(e.ID, "load-") {
				stored++
			}
		}
	}
	bodies, err := drain(ctx, ls.deps.SQS, ls.resources.Queues.URL)
	return stored, len(bodies), err
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// drain empties the queue and returns each published event's body by id; an id seen twice
// is an error, since that is a doubled event.
func drain(ctx context.Context, c *sqs.Client, url string) (map[string][]byte, error) {
	bodies := map[string][]byte{}
	for empty := 0; empty < 2; {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			return nil, err
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		for _, m := range out.Messages {
			var ev struct{ ID string }
			_ = json.Unmarshal([]byte(*m.Body), &ev)
			if _, dup := bodies[ev.ID]; dup {
				return nil, fmt.Errorf("event %s published twice", ev.ID)
			}
			bodies[ev.ID] = []byte(*m.Body)
			_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return bodies, nil
}
