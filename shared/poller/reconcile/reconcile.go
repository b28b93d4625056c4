// Package reconcile polls AXpay's transaction list and feeds every transaction through the
// same Ingester as the webhook, so that a webhook AXpay failed to deliver (or we failed to
// accept) still becomes exactly one event. Event ids are `axpay:<transaction id>` on both
// paths, so a transaction seen twice is a Duplicate, never a second event.
//
// Each run makes up to two passes over the list, ordered by createdAt ascending:
//   - the tail pass, every run: from the cursor minus Overlap to the end of the list. It
//     catches a missed webhook within minutes.
//   - the sweep, every SweepEvery: the whole horizon again. AXpay lists a transaction only
//     once it completed, under its createdAt, so one that completed late appears behind the
//     cursor; the sweep still finds it if it was listed within Horizon of its creation.
//
// State lives in the events table next to the events (see shared/pipeline/store):
//   - CURSOR#axpay  a lease.Cursor: where the tail pass got to, never past now − Skew.
//   - SWEEP#axpay   when the current sweep started and where it got to.
//   - LEASE#axpay   a lease.Lease: who is polling, and until when at most.
package reconcile

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/poller"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

// Defaults for the zero values of Poller's tuning fields.
const (
	DefaultOverlap    = 10 * time.Minute
	DefaultLookback   = 24 * time.Hour
	DefaultHorizon    = 24 * time.Hour
	DefaultSweepEvery = time.Hour
	DefaultSkew       = time.Minute
	DefaultLeaseTTL   = 15 * time.Minute // Lambda's longest timeout
	DefaultMargin     = 10 * time.Second
)

// Poller reconciles AXpay. Client is called once per run, after the lease is taken, so a
// rotated secret is picked up and a run that cannot poll never reads it.
type Poller struct {
	Client   func(ctx context.Context) (*axpay.Client, error)
	Ingester poller.Ingester
	DB       DB
	Table    string
	Log      *slog.Logger
	Metrics  poller.Metrics
	Now      func() time.Time // stamps, cursor arithmetic and lease expiry; default time.Now
	Owner    string           // lease owner; default host name plus a random id per run

	Overlap    time.Duration // the tail pass re-reads this much before the cursor
	Lookback   time.Duration // where a first tail pass (no cursor) starts
	Horizon    time.Duration // a transaction listed up to this long after its creation is reconciled
	SweepEvery time.Duration // a sweep of the whole horizon starts this often
	Skew       time.Duration // the cursor never passes now − Skew, whatever a row claims
	Since      time.Duration // when > 0, the tail pass starts at now − Since whatever the cursor says
	LeaseTTL   time.Duration // longest a run may hold the lease; also caps the run itself
	Margin     time.Duration // stop this long before the context deadline
	PageSize   int           // default axpay.DefaultPageSize
}

// Result counts one run.
type Result struct {
	Stopped           poller.Stop // Done when every pass read the list to its end
	From              time.Time   // where the tail pass started
	Cursor            time.Time   // cursor after the run (zero if none)
	SweepFrom         time.Time   // where this run's sweep started reading; zero when none ran
	SweepDone         bool        // the sweep reached the end of the list
	Pages             int
	Fetched           int            // rows read, repeats included
	Repeated          int            // rows already handled earlier in the run (a page overlap, the sweep)
	AlreadyKnown      int            // Duplicate: delivered by webhook (or an earlier poll)
	ReconciledMissing int            // Stored: the webhook never reached us
	Unsupported       int            // stored for inspection, never published
	WebhookFailed     int            // listed with webhookStatus FAILED
	Invalid           map[string]int // rows skipped (refused, or unstorable), by typed reason
	Duration          time.Duration
}

// InvalidTotal is the number of rows skipped because they did not normalize.
func (r Result) InvalidTotal() int {
	n := 0
	for _, v := range r.Invalid {
		n += v
	}
	return n
}

// ErrUnauthorized is returned (wrapping axpay.ErrUnauthorized and the *httpapi.StatusError)
// when AXpay rejects our API key: retrying cannot help until the secret is fixed.
var ErrUnauthorized = errors.New("reconcile: AXpay rejected the API key; check clientId, privateKey and apiKeyScheme in the axpay secret")

// Run polls once under the lease: the tail pass, then the sweep when one is due. It logs a
// summary and records metrics whatever happens.
func (p *Poller) Run(ctx context.Context) (res Result, err error) {
	start := time.Now()
	defer func() {
		res.Duration = time.Since(start)
		p.report(res, err)
	}()
	run := poller.Run{
		Lease: p.lease(), Owner: p.Owner, Log: p.Log,
		TTL: poller.Or(p.LeaseTTL, DefaultLeaseTTL), Margin: poller.Or(p.Margin, DefaultMargin),
	}
	res.Stopped, err = run.Do(ctx, func(ctx context.Context) (poller.Stop, error) { return p.poll(ctx, &res) })
	return res, err
}

func (p *Poller) poll(ctx context.Context, res *Result) (poller.Stop, error) {
	now := poller.Clock(p.Now)
	cursor, hasCursor, err := p.Cursor(ctx)
	if err != nil {
		return poller.Done, err
	}
	if hasCursor {
		res.Cursor = cursor
	}
	res.From = p.tailFrom(now, cursor, hasCursor)
	client, err := p.Client(ctx)
	if err != nil {
		return poller.Done, fmt.Errorf("reconcile: axpay client: %w", err)
	}
	w := &walker{p: p, client: client, res: res, handled: map[string]bool{}}
	stop, err := w.pass(ctx, res.From, func(ctx context.Context, at time.Time) error {
		at = p.bound(at)
		if !at.After(res.Cursor) {
			return nil
		}
		if err := p.cursor().Advance(ctx, at); err != nil {
			return err
		}
		res.Cursor = at
		return nil
	})
	if stop != poller.Done || err != nil {
		return stop, err
	}
	return p.sweep(ctx, w, now)
}

// tailFrom is where the tail pass starts. A cursor past now − Skew (written by an older
// version that trusted a future-dated row) is read as now − Skew, so it cannot blind us.
func (p *Poller) tailFrom(now, cursor time.Time, hasCursor bool) time.Time {
	switch {
	case p.Since > 0:
		return now.Add(-p.Since)
	case hasCursor:
		if lim := p.bound(now); cursor.After(lim) {
			p.log().Warn("reconcile cursor is in the future; reading from now instead", "provider", axpay.Name)
			cursor = lim
		}
		return cursor.Add(-poller.Or(p.Overlap, DefaultOverlap))
	default:
		return now.Add(-poller.Or(p.Lookback, DefaultLookback))
	}
}

// bound is t, but never later than now − Skew.
func (p *Poller) bound(t time.Time) time.Time {
	lim := poller.Clock(p.Now).Add(-poller.Or(p.Skew, DefaultSkew))
	if t.After(lim) {
		return lim
	}
	return t
}

// sweep runs the sweep when one is in progress or due, and records where it got to.
func (p *Poller) sweep(ctx context.Context, w *walker, now time.Time) (poller.Stop, error) {
	sw, err := p.loadSweep(ctx)
	if err != nil {
		return poller.Done, err
	}
	if !sw.Active {
		if !sw.StartedAt.IsZero() && now.Sub(sw.StartedAt) < poller.Or(p.SweepEvery, DefaultSweepEvery) {
			return poller.Done, nil
		}
		// Twice SweepEvery on top of the horizon: a sweep starts up to one schedule period
		// after it is due, and a transaction listed just after a sweep began waits for the next.
		window := poller.Or(p.Horizon, DefaultHorizon) + 2*poller.Or(p.SweepEvery, DefaultSweepEvery)
		sw = sweepState{StartedAt: now, Pos: now.Add(-window), Active: true}
		if err := p.saveSweep(ctx, sw); err != nil {
			return poller.Done, err
		}
	}
	w.res.SweepFrom = sw.Pos
	stop, err := w.pass(ctx, sw.Pos, func(ctx context.Context, at time.Time) error {
		sw.Pos = p.bound(at)
		return p.saveSweep(ctx, sw)
	})
	if stop != poller.Done || err != nil {
		return stop, err
	}
	sw.Active, w.res.SweepDone = false, true
	return poller.Done, p.saveSweep(ctx, sw)
}

// walker reads the list for one run.
type walker struct {
	p       *Poller
	client  *axpay.Client
	res     *Result
	handled map[string]bool // event ids (or refused rows' digests) already handled this run
}

// position is where a pass stands in the list ordered by createdAt ascending: after skip
// rows of the answer to createdAtGte = at. Asking from the newest createdAt seen rather than
// from an ever-growing offset means rows inserted before it cannot shift the pages; the
// skip steps over the rows that share that createdAt (ties at a page boundary). A row whose
// createdAt is unknown (a refused row) is counted under the current time, which is right
// whether it really ties with it or lies between it and the next known one.
type position struct {
	at   time.Time
	skip int
}

func (q *position) step(createdAt time.Time, known bool) {
	if known && createdAt.After(q.at) {
		q.at, q.skip = createdAt, 1
		return
	}
	q.skip++
}

// pass reads the list from `from` to its end, ingests every row, and calls save with the
// position after each page, once every row of that page is durably handled. A short page
// ends the list only when the API says so: an empty page, or a total that is reached.
func (w *walker) pass(ctx context.Context, from time.Time, save func(ctx context.Context, at time.Time) error) (poller.Stop, error) {
	pos := position{at: from}
	seen := map[string]bool{}
	for {
		f := axpay.Filter{Limit: poller.Or(w.p.PageSize, axpay.DefaultPageSize), Offset: pos.skip, CreatedAtGte: pos.at, OrderBy: "createdAt", Order: "asc"}
		page, err := w.client.ListTransactions(ctx, f)
		if err != nil {
			if errors.Is(err, axpay.ErrUnauthorized) {
				return poller.Done, fmt.Errorf("%w: %w", ErrUnauthorized, err)
			}
			return poller.Done, fmt.Errorf("reconcile: list transactions from %s (+%d): %w", pos.at.Format(time.RFC3339), pos.skip, err)
		}
		w.res.Pages++
		fresh := 0
		for _, raw := range page.Transactions {
			key, createdAt, known, err := w.row(ctx, raw, pos)
			if err != nil {
				return poller.Done, err
			}
			// A row this pass already read does not move the position: if it took a slot
			// of the page (rows shifted under us) the next page re-reads one row; if the
			// API sent it on top of the page, counting it would skip one.
			if !seen[key] {
				seen[key] = true
				fresh++
				pos.step(createdAt, known)
			}
		}
		if err := save(ctx, pos.at); err != nil {
			return poller.Done, err
		}
		switch {
		case len(page.Transactions) == 0, page.Total != nil && int64(f.Offset+fresh) >= *page.Total:
			return poller.Done, nil
		case fresh == 0:
			// Every row was already read in this pass: the API ignores our paging, and
			// asking again would loop. What was read is ingested; the next run starts over.
			w.p.log().Warn("reconcile stopped: the API repeated a whole page", "provider", axpay.Name, "offset", f.Offset)
			return poller.NoProgress, nil
		}
	}
}

// row handles one listed row: it returns a key naming it within the run and its createdAt
// (known false when the row was refused). Only an ingestion failure is an error: a row that
// does not normalize is counted, logged by its typed reason and skipped.
func (w *walker) row(ctx context.Context, raw []byte, pos position) (string, time.Time, bool, error) {
	w.res.Fetched++
	ev, err := axpay.NormalizeTransaction(raw)
	if err != nil {
		return w.skip(raw, err, pos), time.Time{}, false, nil
	}
	if w.handled[ev.ID] {
		w.res.Repeated++
		return ev.ID, ev.OccurredAt, true, nil
	}
	if ws, _ := ev.Details["webhookStatus"].(string); strings.EqualFold(ws, "FAILED") {
		w.res.WebhookFailed++
	}
	ev.Stamp(poller.Clock(w.p.Now), event.OriginReconciliation)
	out, err := w.p.Ingester.Ingest(ctx, &ev)
	if errors.Is(err, event.ErrUnfit) || errors.Is(err, store.ErrItemInvalid) {
		// No retry can store this event (our bug, not an outage): skipped like a refused
		// row, so it cannot hold up the rows after it; the sweep tries it again.
		return w.skip(raw, err, pos), ev.OccurredAt, true, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("reconcile: ingest %s: %w", ev.ID, err)
	}
	w.handled[ev.ID] = true
	w.count(out, &ev)
	return ev.ID, ev.OccurredAt, true, nil
}

// skip counts and logs, once per run, a row that cannot become a stored event, and returns
// the key naming it. The log holds the typed reason and where the row was, never its
// values: the row may hold an email.
func (w *walker) skip(raw []byte, err error, pos position) string {
	key := fmt.Sprintf("skipped:%x", sha256.Sum256(raw))
	if w.handled[key] {
		return key
	}
	w.handled[key] = true
	reason := string(provider.ReasonEventUnfit)
	var rej *provider.Rejection
	switch {
	case errors.As(err, &rej):
		reason = string(rej.Reason)
	case errors.Is(err, store.ErrItemInvalid):
		reason = string(provider.ReasonItemInvalid)
	}
	if w.res.Invalid == nil {
		w.res.Invalid = map[string]int{}
	}
	w.res.Invalid[reason]++
	w.p.log().Warn("reconcile skipped a transaction that does not normalize", "provider", axpay.Name,
		"reason", reason, "after", pos.at.UTC().Format(time.RFC3339Nano), "skip", pos.skip)
	return key
}

func (w *walker) count(out ingest.Outcome, ev *event.Event) {
	switch out {
	case ingest.Stored:
		w.res.ReconciledMissing++
		w.p.log().Info("reconciled a missing transaction", "provider", axpay.Name, "event_id", ev.ID,
			"webhook_status", ev.Details["webhookStatus"])
	case ingest.Duplicate:
		w.res.AlreadyKnown++
	case ingest.Unsupported:
		w.res.Unsupported++
	}
}

func (p *Poller) log() *slog.Logger { return poller.Logger(p.Log) }

func (p *Poller) report(res Result, err error) {
	attrs := []any{"from", res.From.UTC().Format(time.RFC3339), "sweep_done", res.SweepDone}
	if !res.Cursor.IsZero() {
		attrs = append(attrs, "cursor", res.Cursor.UTC().Format(time.RFC3339Nano))
	}
	if !res.SweepFrom.IsZero() {
		attrs = append(attrs, "sweep_from", res.SweepFrom.UTC().Format(time.RFC3339))
	}
	poller.Report(p.Log, p.Metrics, "reconcile", axpay.Name, res.Stopped, res.Duration, err, []poller.Count{
		{Name: "pages", Value: res.Pages}, {Name: "fetched", Value: res.Fetched}, {Name: "repeated", Value: res.Repeated},
		{Name: "already_known", Value: res.AlreadyKnown}, {Name: "reconciled_missing", Value: res.ReconciledMissing},
		{Name: "unsupported", Value: res.Unsupported},
		{Name: "webhook_failed", Value: res.WebhookFailed}, {Name: "invalid", Value: res.InvalidTotal()},
	}, attrs...)
}
