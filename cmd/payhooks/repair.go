package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/payhooks/payhooks/shared/lambda/sweeperfn"
)

func init() {
	register("repair", "publish what the stream could not (pending events older than --min-age); what the scheduled repair run does", runRepair)
}

// runRepair runs the scheduled repair run once, against the local stack by default: it
// walks the sharded pending index (no scan), publishes through the publisher, and
// quarantines an event after its fifth counted failure.
func runRepair(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("repair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := addStackFlags(fs)
	minAge := fs.Duration("min-age", sweeperfn.MinAge, "leave events younger than this to the stream")
	max := fs.Int("max", 1000, "publish at most this many")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := stack.deps(ctx, "", "", stderr)
	if err != nil {
		return err
	}
	sw := sweeperfn.Sweeper(d)
	sw.MinAge, sw.MaxPerRun = *minAge, *max
	res, err := sw.Run(ctx)
	fmt.Fprintf(stdout, "published %d, failed %d, quarantined %d, oldest %s\n", res.Published, res.Failed, res.Quarantined, res.OldestAge.Round(1e9))
	if res.QueueDown {
		fmt.Fprintln(stdout, "the queue refused every send: nothing was counted against the events; run again once SQS answers")
	}
	return err
}
