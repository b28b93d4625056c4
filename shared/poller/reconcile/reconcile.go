// Package reconcile polls AXpay's transaction list and feeds every transaction through the
// same Ingester as the webhook, so that a webhook AXpay failed to deliver (or we failed to
// accept) still becomes exactly one event. Event ids are `axpay:<transaction id>` on both
// paths, so a transaction seen twice is a Duplicate, never a second event.
//
// State lives in the events table next to the events (see shared/store):
//   - CURSOR#axpay  a lease.Cursor: the createdAt of the newest transaction of the last page
//     whose events are durably stored. It only moves forward.
//   - LEASE#axpay   a lease.Lease: who is polling, and until when at most.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

// Defaults for the zero values of Poller's tuning fields.
const (
	DefaultOverlap  = 10 * time.Minute
	DefaultLookback = 24 * time.Hour
	DefaultLeaseTTL = 15 * time.Minute // Lambda's longest timeout
	DefaultMargin   = 10 * time.Second
)

// Ingester is the pipeline's single entry point (*ingest.Ingester).
type Ingester interface {
	Ingest(ctx context.Context, ev *event.Event) (ingest.Outcome, error)
}

// Metrics records counts (*metrics.EMF; a nil *EMF is a no-op).
type Metrics interface {
	Add(metric string, value float64, dims map[string]string)
}

// Poller reconciles AXpay. Client is called once per run, after the lease is taken, so a
// rotated secret is picked up and a run that cannot poll never reads it.
type Poller struct {
	Client   func(ctx context.Context) (*axpay.Client, error)
	Ingester Ingester
	DB       DB
	Table    string
	Log      *slog.Logger
	Metrics  Metrics
	Now      func() time.Time // stamps, cursor arithmetic and lease expiry; default time.Now
	Owner    string           // lease owner; default host name plus a random id per run

	Overlap  time.Duration // re-read this much before the cursor (late or out-of-order writes)
	Lookback time.Duration // where a first run (no cursor) starts
	Since    time.Duration // when > 0, start at now − Since whatever the cursor says
	LeaseTTL time.Duration // longest a run may hold the lease; also caps the run itself
	Margin   time.Duration // stop this long before the context deadline
	PageSize int           // default axpay.DefaultPageSize
}

// Result counts one run.
type Result struct {
	LeaseHeld         bool   // another run holds the lease: nothing was done
	Stopped           string // "" when the list was read to its end, else why the run stopped early
	From              time.Time
	Cursor            time.Time // cursor after the run (zero if none)
	Pages             int
	Fetched           int
	AlreadyKnown      int // Duplicate: delivered by webhook (or an earlier poll)
	ReconciledMissing int // Stored: the webhook never reached us
	Recovered         int // stored before but never published: published now
	Unsupported       int
	WebhookFailed     int            // listed with webhookStatus FAILED (counted on every read, overlap included)
	Invalid           map[string]int // transactions that failed to normalize, by reason
	Duration          time.Duration
}

// InvalidTotal is the number of transactions skipped because they did not normalize.
func (r Result) InvalidTotal() int {
	n := 0
	for _, v := range r.Invalid {
		n += v
	}
	return n
}

// Stop reasons.
const (
	StoppedDeadline = "deadline"
)

// ErrUnauthorized is returned (wrapping axpay.ErrUnauthorized and the *axpay.AuthError) when
// AXpay rejects our API key: retrying cannot help until the secret is fixed.
var ErrUnauthorized = errors.New("reconcile: AXpay rejected the API key; check clientId, privateKey and apiKeyScheme in the axpay secret")

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func durOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run polls once: take the lease, read from the cursor (minus the overlap) to the end of the
// list or until the deadline, ingest every transaction, move the cursor after each page,
// release the lease. It logs a summary and records metrics whatever happens.
func (p *Poller) Run(ctx context.Context) (res Result, err error) {
	start := time.Now()
	defer func() {
		res.Duration = time.Since(start)
		p.report(res, err)
	}()
	run, err := p.lease().Begin(ctx, start, p.Owner, durOr(p.LeaseTTL, DefaultLeaseTTL), durOr(p.Margin, DefaultMargin))
	switch {
	case err != nil:
		return res, err
	case run.Late:
		return stopped(res)
	case run.Held:
		res.LeaseHeld = true
		return res, nil
	}
	defer run.End(p.log(), "provider", axpay.Name)

	return p.poll(ctx, run.StopAt, res)
}

func (p *Poller) poll(ctx context.Context, stopAt time.Time, res Result) (Result, error) {
	cursor, hasCursor, err := p.Cursor(ctx)
	if err != nil {
		return res, err
	}
	if hasCursor {
		res.Cursor = cursor
	}
	now := p.now()
	switch {
	case p.Since > 0:
		res.From = now.Add(-p.Since)
	case hasCursor:
		res.From = cursor.Add(-durOr(p.Overlap, DefaultOverlap))
	default:
		res.From = now.Add(-durOr(p.Lookback, DefaultLookback))
	}

	client, err := p.Client(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: axpay client: %w", err)
	}
	// Work (API calls, ingestion) ends at stopAt; the cursor write below uses ctx, so a page
	// that did finish is still recorded.
	wctx, cancel := context.WithDeadline(ctx, stopAt)
	defer cancel()
	// Ascending createdAt with a fixed lower bound: transactions created during the run land
	// after the current offset, so offsets do not shift under us; a late write before the
	// cursor is caught by the next run's overlap.
	pager := client.Pager(axpay.Filter{
		Limit: p.PageSize, CreatedAtGte: res.From, OrderBy: "createdAt", Order: "asc",
	})
	for pager.More() {
		if wctx.Err() != nil {
			return stopped(res)
		}
		txs, err := pager.Next(wctx)
		if err != nil {
			if ctx.Err() == nil && wctx.Err() != nil {
				return stopped(res)
			}
			if errors.Is(err, axpay.ErrUnauthorized) {
				return res, fmt.Errorf("%w: %w", ErrUnauthorized, err)
			}
			return res, fmt.Errorf("reconcile: list transactions at offset %d: %w", pager.Offset(), err)
		}
		if len(txs) == 0 {
			break
		}
		res.Pages++
		var newest time.Time
		for _, raw := range txs {
			res.Fetched++
			ev, err := axpay.NormalizeTransaction(raw)
			if err != nil {
				reason := "invalid"
				var rej *provider.Rejection
				if errors.As(err, &rej) {
					reason = string(rej.Reason)
				}
				if res.Invalid == nil {
					res.Invalid = map[string]int{}
				}
				res.Invalid[reason]++
				// The error names the field, never its value; the raw transaction may hold an email.
				p.log().Warn("reconcile skipped a transaction that does not normalize",
					"provider", axpay.Name, "reason", reason, "error", err.Error(), "offset", pager.Offset())
				continue
			}
			if ws, _ := ev.Details["webhookStatus"].(string); strings.EqualFold(ws, "FAILED") {
				res.WebhookFailed++
			}
			ev.Origin = event.OriginReconciliation
			ev.Stamp(p.now(), event.OriginReconciliation)
			out, err := p.Ingester.Ingest(wctx, &ev)
			if err != nil {
				if ctx.Err() == nil && wctx.Err() != nil {
					return stopped(res)
				}
				return res, fmt.Errorf("reconcile: ingest %s: %w", ev.ID, err)
			}
			switch out {
			case ingest.Stored:
				res.ReconciledMissing++
				p.log().Info("reconciled a missing transaction", "provider", axpay.Name, "event_id", ev.ID,
					"webhook_status", ev.Details["webhookStatus"])
			case ingest.Duplicate:
				res.AlreadyKnown++
			case ingest.Recovered:
				res.Recovered++
			case ingest.Unsupported:
				res.Unsupported++
			}
			if ev.OccurredAt.After(newest) {
				newest = ev.OccurredAt
			}
		}
		// Every event of the page is stored (Ingest returned no error for any), so the
		// cursor may pass them.
		if !newest.IsZero() && newest.After(res.Cursor) {
			if err := p.cursor().Advance(ctx, newest); err != nil {
				return res, err
			}
			res.Cursor = newest
		}
	}
	return res, nil
}

func stopped(res Result) (Result, error) {
	res.Stopped = StoppedDeadline
	return res, nil
}

func (p *Poller) report(res Result, err error) {
	dims := map[string]string{"provider": axpay.Name}
	if p.Metrics != nil && !res.LeaseHeld {
		for _, m := range []struct {
			name string
			v    int
		}{
			{"reconcile_fetched", res.Fetched}, {"reconcile_already_known", res.AlreadyKnown},
			{"reconcile_reconciled_missing", res.ReconciledMissing}, {"reconcile_webhook_failed", res.WebhookFailed},
			{"reconcile_invalid", res.InvalidTotal()}, {"reconcile_pages", res.Pages},
		} {
			p.Metrics.Add(m.name, float64(m.v), dims)
		}
		p.Metrics.Add("reconcile_duration_ms", float64(res.Duration.Milliseconds()), dims)
		if err != nil {
			p.Metrics.Add("reconcile_errors", 1, dims)
		}
	}
	attrs := []any{"provider", axpay.Name, "lease_held", res.LeaseHeld, "stopped", res.Stopped,
		"fetched", res.Fetched, "already_known", res.AlreadyKnown, "reconciled_missing", res.ReconciledMissing,
		"recovered", res.Recovered, "unsupported", res.Unsupported, "webhook_failed", res.WebhookFailed,
		"invalid", res.InvalidTotal(), "pages", res.Pages, "duration_ms", res.Duration.Milliseconds()}
	if !res.From.IsZero() {
		attrs = append(attrs, "from", res.From.UTC().Format(time.RFC3339))
	}
	if !res.Cursor.IsZero() {
		attrs = append(attrs, "cursor", res.Cursor.UTC().Format(time.RFC3339Nano))
	}
	if err != nil {
		p.log().Error("reconcile run", append(attrs, "error", err.Error())...)
		return
	}
	p.log().Info("reconcile run", attrs...)
}
