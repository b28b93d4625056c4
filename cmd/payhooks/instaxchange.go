package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/payhooks/payhooks/shared/lambda/chainstatusfn"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/poller"
	"github.com/payhooks/payhooks/shared/poller/chainstatus"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
)

func init() {
	register("instaxchange", "InstaXchange tools: session (create a payment session, print its iframe link)", runInstaXchange)
}

const instaxchangeUsage = "usage: payhooks instaxchange session (--to-amount N | --from-amount N) --to USDT|USDT-TRON|USDT-AVALANCHE " +
	"--from USD [--direction receiving|sending] [--ref WEBHOOK_REF] [--account-ref ID] [--address ADDR] [--return-url URL] " +
	"[--base-url URL] [--embed-base-url URL] [--secrets FILE] [--secret-name NAME]"

func runInstaXchange(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "session" {
		return errors.New(instaxchangeUsage)
	}
	return instaxchangeSession(ctx, args[1:], stdout, stderr)
}

// instaxchangeSessionFlags maps the session fields to the flags that set them, so that a
// validation error names what the operator typed.
var instaxchangeSessionFlags = map[string]string{
	"toAmount": "--to-amount", "fromAmount": "--from-amount", "toCurrency": "--to", "fromCurrency": "--from",
	"amountDirection": "--direction", "webhookRef": "--ref", "accountRefId": "--account-ref",
	"address": "--address", "returnUrl": "--return-url",
}

func instaxchangeSession(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("instaxchange session", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var req instaxchange.SessionRequest
	fs.StringVar(&req.ToAmount, "to-amount", "", "amount to receive, e.g. 10 (fixes the amount when receiving)")
	fs.StringVar(&req.FromAmount, "from-amount", "", "amount to send, e.g. 25.50 (fixes the amount when sending)")
	fs.StringVar(&req.ToCurrency, "to", "", "target currency: USDT, USDT-TRON or USDT-AVALANCHE (required)")
	fs.StringVar(&req.FromCurrency, "from", "", "currency paid with, e.g. USD (required)")
	fs.StringVar(&req.AmountDirection, "direction", "", "receiving or sending (default: from which amount is given)")
	fs.StringVar(&req.WebhookRef, "ref", "", "reference sent back in the webhook (webhookRef)")
	fs.StringVar(&req.AccountRefID, "account-ref", "", "accountRefId")
	fs.StringVar(&req.Address, "address", "", "blockchain address to receive the funds")
	fs.StringVar(&req.ReturnURL, "return-url", "", "where the user returns after paying")
	baseURL := fs.String("base-url", "", "session API base URL (default: the secret's apiBaseUrl, else "+instaxchange.DefaultAPIBaseURL+")")
	embedURL := fs.String("embed-base-url", "", "iframe base URL (default: the secret's embedBaseUrl, else "+instaxchange.DefaultEmbedBaseURL+")")
	file := fs.String("secrets", defaultSecretsPath(), "secrets file mapping names to documents (optional apiKey, apiKeyHeader); empty: no secret")
	name := fs.String("secret-name", secrets.Name(instaxchange.Name), "name of the InstaXchange secret in the file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), instaxchangeUsage)
	}
	if req.AmountDirection == "" {
		switch {
		case req.ToAmount != "" && req.FromAmount == "":
			req.AmountDirection = instaxchange.Receiving
		case req.FromAmount != "" && req.ToAmount == "":
			req.AmountDirection = instaxchange.Sending
		default:
			return errors.New("give --to-amount (receiving) or --from-amount (sending)\n" + instaxchangeUsage)
		}
	}

	client := &instaxchange.SessionClient{}
	if *file != "" {
		c, err := instaxchange.LoadSessionClient(ctx, secrets.File{Path: *file}, *name)
		if err != nil {
			return err
		}
		client = c
	}
	if *baseURL != "" {
		client.BaseURL = *baseURL
	}
	if *embedURL != "" {
		client.EmbedBaseURL = *embedURL
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := client.CreateSession(cctx, req)
	var fe *instaxchange.FieldError
	if errors.As(err, &fe) {
		if f, ok := instaxchangeSessionFlags[fe.Field]; ok {
			return fmt.Errorf("%s: %s", f, fe.Problem)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "session %s\n", s.ID)
	_, err = fmt.Fprintln(stdout, s.IframeURL)
	return err
}

// defaultSecretsPath is the development secrets file at the repository root, when found.
func defaultSecretsPath() string {
	if root, err := devstack.FindRoot(); err == nil {
		p := filepath.Join(root, localSecretsFile)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return localSecretsFile
}

const chainStatusUsage = "usage: payhooks reconcile instaxchange [--base-url URL] [--since 24h] [--lookback 72h] [--horizon 72h] " +
	"[--concurrency 4] [--endpoint DYNAMODB] [--moto URL] [--table NAME] [--queue-url URL] [-v]"

// runChainStatus runs the payout follower of the scheduled Lambda once, against the local
// stack by default: same tracking items, lease and ingestion.
func runChainStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile instaxchange", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("base-url", "", "InstaXchange base URL for blockchain-status (default: $"+chainstatusfn.EnvBaseURL+", else the fake of `payhooks run`)")
	since := fs.Duration("since", 0, "look for completed payments received within this long, whatever the cursor says")
	lookback := fs.Duration("lookback", 0, "where the first run (no cursor) looks back to (default: the horizon)")
	horizon := fs.Duration("horizon", chainstatus.DefaultHorizon, "publish payout.unconfirmed when no hash this long after the payment")
	concurrency := fs.Int("concurrency", chainstatus.DefaultConcurrency, "checks in flight")
	stack := addStackFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), chainStatusUsage)
	}
	if *since < 0 || *lookback < 0 || *horizon <= 0 || *concurrency <= 0 || *concurrency > 32 {
		return errors.New("--since and --lookback must not be negative, --horizon must be positive, --concurrency 1 to 32\n" + chainStatusUsage)
	}
	d, err := stack.deps(ctx, localSecretsFile, "", stderr)
	if err != nil {
		return err
	}
	p := chainstatusfn.Poller(d.Deps)
	p.Metrics = nil
	p.Client.BaseURL = cmp.Or(*baseURL, os.Getenv(chainstatusfn.EnvBaseURL), chainURL())
	p.Since, p.Lookback, p.Horizon, p.Concurrency = *since, *lookback, *horizon, *concurrency

	res, err := p.Run(ctx)
	printChainStatus(stdout, res)
	return err
}

func printChainStatus(w io.Writer, r chainstatus.Result) {
	if r.Stopped == poller.LeaseHeld {
		fmt.Fprintln(w, "another run holds the lease; nothing done")
		return
	}
	fmt.Fprintf(w, "discovered   %d\nchecked      %d\nconfirmed    %d\nfailed       %d\nunconfirmed  %d\nstill_open   %d\n"+
		"hash_changed %d\nunreadable   %d\nerrors       %d\n",
		r.Discovered, r.Checked, r.Confirmed, r.Failed, r.Unconfirmed, r.StillOpen, r.HashChanged, r.Unreadable, r.Errors)
	if r.Stopped != "" {
		fmt.Fprintf(w, "stopped early  %s (run again to continue)\n", r.Stopped)
	}
	fmt.Fprintf(w, "duration     %s\n", r.Duration.Round(time.Millisecond))
}
