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

// replayFlags are replay's flags, parsed.
type replayFlags struct {
	ids                   idList
	prov, fromS, toS      *string
	dlq, dry, noBar, bar  *bool
	maxN                  *int
	endpoint, moto, table *string
	queueURL, dlqURL      *string
	from, to              time.Time // the window, once validated
}

func newReplayFlags(fs *flag.FlagSet) *replayFlags {
	f := &replayFlags{}
	fs.Var(&f.ids, "id", "event id to replay (repeatable)")
	f.prov = fs.String("provider", "", "replay this provider's events received in --from..--to")
	f.fromS = fs.String("from", "", "start of the receivedAt window: "+replayTimeFl)
	f.toS = fs.String("to", "", "end of the receivedAt window (default now): "+replayTimeFl)
	f.dlq = fs.Bool("dlq", false, "redrive: move every message of the dead-letter queue back to the queue")
	f.maxN = fs.Int("max", 0, "with --dlq: at most this many messages (0: all)")
	f.dry = fs.Bool("dry-run", false, "list what would be sent, send nothing")
	f.noBar = fs.Bool("no-progress", false, "no progress bar on stderr")
	f.bar = fs.Bool("progress", false, "a progress bar on stderr even when it is no terminal (by default only on one)")
	f.endpoint = fs.String("endpoint", dynamoEndpoint(), "DynamoDB endpoint")
	f.moto = fs.String("moto", motoEndpoint(), "moto endpoint (SQS)")
	f.table = fs.String("table", localTable, "table name")
	f.queueURL = fs.String("queue-url", "", "queue URL (default: the URL of "+localQueue+")")
	f.dlqURL = fs.String("dlq-url", "", "dead-letter queue URL (default: the URL of "+localDLQ+")")
	return f
}

// validate checks that exactly one mode is chosen with the flags it takes, and reads the
// window.
func (f *replayFlags) validate(now time.Time) error {
	modes := 0
	for _, on := range []bool{len(f.ids) > 0, *f.prov != "", *f.dlq} {
		if on {
			modes++
		}
	}
	switch {
	case modes != 1:
		return errors.New("choose one of --id, --provider or --dlq\n" + replayUsage)
	case *f.prov == "" && (*f.fromS != "" || *f.toS != ""):
		return errors.New("--from and --to need --provider\n" + replayUsage)
	case *f.prov != "" && *f.fromS == "":
		return errors.New("--provider needs --from (replaying a provider's whole history is rarely meant)\n" + replayUsage)
	case *f.maxN < 0 || (*f.maxN > 0 && !*f.dlq):
		return errors.New("--max is a positive count and goes with --dlq")
	}
	var err error
	if f.from, err = replay.ParseTime(*f.fromS, now); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if f.to, err = replay.ParseTime(*f.toS, now); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if *f.prov != "" && f.to.IsZero() {
		f.to = now
	}
	return nil
}

// queue fills *url, unless a flag set it, with the URL of the named queue on the stack.
func (f *replayFlags) queue(ctx context.Context, c devstack.Clients, url *string, name string) error {
	if *url != "" {
		return nil
	}
	var err error
	*url, err = queueURL(ctx, c, *f.moto, name)
	return err
}

// runReplay re-publishes stored events with origin "replay", or redrives the dead-letter
// queue. Like the other commands it talks to the local stack by default; the flags name
// another table, queue or endpoint.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := newReplayFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), replayUsage)
	}
	if err := f.validate(time.Now()); err != nil {
		return err
	}
	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		return err
	}
	c := devstack.NewClients(cfg, *f.endpoint, *f.moto)
	if !*f.dry || *f.dlq {
		if err := f.queue(ctx, c, f.queueURL, localQueue); err != nil {
			return err
		}
	}
	var progress func(done, total int)
	if !*f.noBar && (*f.bar || isTerminal(stderr)) {
		progress = replay.Bar(stderr)
	}
	if *f.dlq {
		return f.redrive(ctx, c, progress, stdout)
	}
	return f.replayStored(ctx, c, progress, stdout)
}

// redrive moves the dead-letter queue's messages back to the queue.
// What was moved before a failure is still listed.
func (f *replayFlags) redrive(ctx context.Context, c devstack.Clients, progress func(done, total int), stdout io.Writer) error {
	if err := f.queue(ctx, c, f.dlqURL, localDLQ); err != nil {
		return err
	}
	r := &replay.Redriver{Client: c.SQS, DLQURL: *f.dlqURL, QueueURL: *f.queueURL, DryRun: *f.dry, Max: *f.maxN, Progress: progress}
	res, err := r.Run(ctx)
	printReplay(stdout, res, *f.dry)
	if err != nil {
		return err
	}
	return res.Err()
}

// replayStored re-publishes the stored events named by --id, or the provider's in the window.
func (f *replayFlags) replayStored(ctx context.Context, c devstack.Clients, progress func(done, total int), stdout io.Writer) error {
	st := &store.Store{Client: c.DynamoDB, Table: *f.table}
	pub := &queue.Replayer{Publisher: &queue.Publisher{Client: c.SQS, QueueURL: *f.queueURL}}
	r := &replay.Replayer{Store: st, Publisher: &publisher.Publisher{Store: st, Queue: pub, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}, DryRun: *f.dry, Progress: progress}
	var evs []store.StoredEvent
	var missing []replay.Item
	var err error
	if len(f.ids) > 0 {
		evs, missing, err = r.Select(ctx, f.ids)
	} else {
		evs, err = r.SelectRange(ctx, *f.prov, f.from, f.to)
	}
	if err != nil {
		return err
	}
	res := r.Replay(ctx, evs, missing)
	printReplay(stdout, res, *f.dry)
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
