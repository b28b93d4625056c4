package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/replay"
)

func init() {
	register("replay", "re-publish events: replay --id ID... | --provider P --from T [--to T] | --dlq  [--dry-run]", runReplay)
}

const (
	localDLQ     = "payhooks-events-dlq.fifo"
	replayUsage  = "usage: payhooks replay (--id ID [--id ID...] | --provider P --from T [--to T] | --dlq [--max N]) [--dry-run]"
	replayTimeFl = "RFC 3339 (2026-01-16T01:22:46Z), a date, or a duration ago (2h)"
)

// idList is a repeatable flag; a value may also list ids separated by commas.
type idList []string

func (l *idList) String() string { return strings.Join(*l, ",") }
func (l *idList) Set(v string) error {
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			*l = append(*l, id)
		}
	}
	return nil
}

// runReplay re-publishes stored events with origin "replay", or redrives the dead-letter
// queue. Like the other commands it talks to the local stack by default; the flags name
// another table, queue or endpoint.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ids idList
	fs.Var(&ids, "id", "event id to replay (repeatable)")
	prov := fs.String("provider", "", "replay this provider's events received in --from..--to")
	fromS := fs.String("from", "", "start of the receivedAt window: "+replayTimeFl)
	toS := fs.String("to", "", "end of the receivedAt window (default now): "+replayTimeFl)
	dlq := fs.Bool("dlq", false, "redrive: move every message of the dead-letter queue back to the queue")
	maxN := fs.Int("max", 0, "with --dlq: at most this many messages (0: all)")
	dry := fs.Bool("dry-run", false, "list what would be sent, send nothing")
	noBar := fs.Bool("no-progress", false, "no progress bar on stderr")
	bar := fs.Bool("progress", false, "a progress bar on stderr even when it is no terminal (by default only on one)")
	endpoint := fs.String("endpoint", dynamoEndpoint(), "DynamoDB endpoint")
	moto := fs.String("moto", motoEndpoint(), "moto endpoint (SQS)")
	table := fs.String("table", localTable, "table name")
	queueURL := fs.String("queue-url", "", "queue URL (default: the URL of "+localQueue+")")
	dlqURL := fs.String("dlq-url", "", "dead-letter queue URL (default: the URL of "+localDLQ+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), replayUsage)
	}
	modes := 0
	for _, on := range []bool{len(ids) > 0, *prov != "", *dlq} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return errors.New("choose one of --id, --provider or --dlq\n" + replayUsage)
	}
	if *prov == "" && (*fromS != "" || *toS != "") {
		return errors.New("--from and --to need --provider\n" + replayUsage)
	}
	if *prov != "" && *fromS == "" {
		return errors.New("--provider needs --from (replaying a provider's whole history is rarely meant)\n" + replayUsage)
	}
	if *maxN < 0 || (*maxN > 0 && !*dlq) {
		return errors.New("--max is a positive count and goes with --dlq")
	}
	now := time.Now()
	from, err := replay.ParseTime(*fromS, now)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := replay.ParseTime(*toS, now)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if *prov != "" && to.IsZero() {
		to = now
	}

	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		return err
	}
	c := devstack.NewClients(cfg, *endpoint, *moto)
	lookup := func(flagVal *string, name string) error {
		if *flagVal != "" {
			return nil
		}
		out, err := c.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("queue %s on %s (is `payhooks run` up?): %w", name, *moto, err)
		}
		*flagVal = aws.ToString(out.QueueUrl)
		return nil
	}
	if !*dry || *dlq {
		if err := lookup(queueURL, localQueue); err != nil {
			return err
		}
	}
	var progress func(done, total int)
	if !*noBar && (*bar || isTerminal(stderr)) {
		progress = replay.Bar(stderr)
	}

	var res replay.Result
	if *dlq {
		if err := lookup(dlqURL, localDLQ); err != nil {
			return err
		}
		r := &replay.Redriver{Client: c.SQS, DLQURL: *dlqURL, QueueURL: *queueURL, DryRun: *dry, Max: *maxN, Progress: progress}
		res, err = r.Run(ctx)
		printReplay(stdout, res, *dry)
		if err != nil {
			return err
		}
		return res.Err()
	}

	st := &store.Store{Client: c.DynamoDB, Table: *table}
	pub := &queue.Replayer{Publisher: &queue.Publisher{Client: c.SQS, QueueURL: *queueURL}}
	r := &replay.Replayer{Store: st, Publisher: &publisher.Publisher{Store: st, Queue: pub, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}, DryRun: *dry, Progress: progress}
	var evs []store.StoredEvent
	var missing []replay.Item
	if len(ids) > 0 {
		evs, missing, err = r.Select(ctx, ids)
	} else {
		evs, err = r.SelectRange(ctx, *prov, from, to)
	}
	if err != nil {
		return err
	}
	res = r.Replay(ctx, evs, missing)
	printReplay(stdout, res, *dry)
	return res.Err()
}

func printReplay(w io.Writer, r replay.Result, dry bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTCOME\tRECEIVED\tPROVIDER\tTYPE\tID\tERROR")
	for _, it := range r.Items {
		received := it.ReceivedAt
		if len(received) > 19 {
			received = received[:19]
		}
		errText := ""
		if it.Err != nil {
			errText = it.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.Outcome, received, it.Provider, it.Type, it.ID, errText)
	}
	_ = tw.Flush()
	if dry {
		fmt.Fprintf(w, "dry run: %d would be sent, %d skipped (unsupported), %d not found\n", r.WouldSend, r.Skipped, r.NotFound)
		return
	}
	fmt.Fprintf(w, "replayed %d, skipped %d (unsupported), not found %d, failed %d\n", r.Sent, r.Skipped, r.NotFound, r.Failed)
}
