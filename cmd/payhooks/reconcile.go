package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/payhooks/payhooks/shared/lambda/reconcilefn"
	"github.com/payhooks/payhooks/shared/poller"
	"github.com/payhooks/payhooks/shared/poller/reconcile"
	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
)

func init() {
	register("reconcile", "poll a provider's API: reconcile axpay [--since 2h] (missed webhooks) | reconcile instaxchange (payouts on chain)", runReconcile)
}

const reconcileUsage = "usage: payhooks reconcile axpay [--since 2h] [--base-url URL] [--endpoint DYNAMODB] [--moto URL] " +
	"[--table NAME] [--queue-url URL] [--secrets FILE] [--secret-name NAME] [--overlap 10m] [--lookback 24h] " +
	"[--horizon 24h] [--sweep-every 1h] [--page-size N]"

// runReconcile runs the same poller as the scheduled Lambda, against the local stack by
// default: same cursor, same lease, same ingestion.
func runReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == instaxchange.Name {
		return runChainStatus(ctx, args[1:], stdout, stderr) // instaxchange.go
	}
	if len(args) == 0 || args[0] != axpay.Name {
		return errors.New(reconcileUsage + "\n" + chainStatusUsage)
	}
	fs := flag.NewFlagSet("reconcile axpay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Duration("since", 0, "re-read transactions created within this long, whatever the cursor says (e.g. 2h)")
	baseURL := fs.String("base-url", "", "AXpay API base URL (default: $"+reconcilefn.EnvBaseURL+", else the fake AXpay API of `payhooks run`)")
	stack := addStackFlags(fs)
	secretsPath := fs.String("secrets", "", "secrets file mapping names to documents (default: "+localSecretsFile+" at the repository root)")
	secretName := fs.String("secret-name", secrets.Name(axpay.Name), "name of the AXpay secret in the file")
	overlap := fs.Duration("overlap", reconcile.DefaultOverlap, "re-read this much before the cursor")
	lookback := fs.Duration("lookback", reconcile.DefaultLookback, "where a first run (no cursor) starts")
	horizon := fs.Duration("horizon", reconcile.DefaultHorizon, "reconcile a transaction listed up to this long after its creation")
	sweepEvery := fs.Duration("sweep-every", reconcile.DefaultSweepEvery, "how often a run re-reads the whole horizon")
	pageSize := fs.Int("page-size", axpay.DefaultPageSize, "transactions per API request")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), reconcileUsage)
	}
	if *since < 0 || *overlap <= 0 || *lookback <= 0 || *horizon <= 0 || *sweepEvery <= 0 || *pageSize <= 0 {
		return errors.New("--since must not be negative; --overlap, --lookback, --horizon, --sweep-every and --page-size must be positive")
	}
	if *baseURL == "" {
		*baseURL = cmp.Or(os.Getenv(reconcilefn.EnvBaseURL), axpayURL())
	}
	if *secretsPath == "" {
		*secretsPath = defaultSecretsPath()
	}

	d, err := stack.deps(ctx, *secretsPath, *secretName, stderr)
	if err != nil {
		return err
	}
	p := reconcilefn.Poller(d.Deps)
	p.Metrics = nil
	p.Since, p.Overlap, p.Lookback, p.PageSize = *since, *overlap, *lookback, *pageSize
	p.Horizon, p.SweepEvery = *horizon, *sweepEvery
	reconcilefn.WithBaseURL(p, *baseURL)

	res, err := p.Run(ctx)
	printReconcile(stdout, res)
	return err
}

func printReconcile(w io.Writer, r reconcile.Result) {
	if r.Stopped == poller.LeaseHeld {
		fmt.Fprintln(w, "another reconciliation holds the lease; nothing done")
		return
	}
	if !r.From.IsZero() {
		fmt.Fprintf(w, "from                %s\n", r.From.UTC().Format(time.RFC3339))
	}
	if !r.SweepFrom.IsZero() {
		fmt.Fprintf(w, "sweep_from          %s (done: %v)\n", r.SweepFrom.UTC().Format(time.RFC3339), r.SweepDone)
	}
	fmt.Fprintf(w, "pages               %d\nfetched             %d\nrepeated            %d\nalready_known       %d\nreconciled_missing  %d\n"+
		"unsupported         %d\nwebhook_failed      %d\ninvalid             %d\n",
		r.Pages, r.Fetched, r.Repeated, r.AlreadyKnown, r.ReconciledMissing, r.Unsupported, r.WebhookFailed, r.InvalidTotal())
	if r.WebhookFailed > 0 {
		fmt.Fprintln(w, "                    webhook_failed: AXpay lists these with webhookStatus FAILED (its webhook to us\n"+
			"                    failed; this poll stored them). Check the webhook URL and API key AXpay has.")
	}
	if !r.Cursor.IsZero() {
		fmt.Fprintf(w, "cursor              %s\n", r.Cursor.UTC().Format(time.RFC3339Nano))
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "stopped early       %s (run again to continue)\n", r.Stopped)
	}
	fmt.Fprintf(w, "duration            %s\n", r.Duration.Round(time.Millisecond))
}
