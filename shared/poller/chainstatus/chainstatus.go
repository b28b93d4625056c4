// Package chainstatus follows InstaXchange payouts on chain: for every completed payment
// whose webhook named a withdraw transaction, it asks InstaXchange's blockchain-status
// endpoint for the hash until one appears, then publishes one `payout.confirmed` event; if
// none appears within a horizon (72 h by default) it publishes one `payout.unconfirmed`.
//
// How payouts are found, without touching the webhook pipeline of any provider: the poller
// reads the provider's own events from the `by-provider` index (provider = instaxchange,
// receivedAt after its cursor minus an overlap) and, for each `payment.succeeded` carrying
// details.withdrawTxId, writes a tracking item with a conditional PutItem. The tracking item
// carries the keys of the sparse `payouts` index (payoutShard, payoutNextCheck) until the
// payout is settled one way or the other; then they are removed and the item drops out of the
// index. So: no table Scan, only Queries; discovery is idempotent (a known payout is never
// reset); the state item STATE#instaxchange#<tx>, already terminal, is left alone.
//
// Items in the events table (see shared/store):
//   - PAYOUT#instaxchange#<transactionId>  the tracking item (in `payouts` while tracked)
//   - CURSOR#chainstatus#instaxchange      a lease.Cursor: receivedAt of the newest payment
//     event examined
//   - LEASE#chainstatus#instaxchange       a lease.Lease: who is polling, until when at most
//
// Events are published through the Ingester with ids that are idempotency keys
// (`instaxchange:<transactionId>:payout_confirmed` / `…:payout_unconfirmed`), so a crash
// between publishing and recording only leads to a Duplicate on the next run.
package chainstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
)

// Provider is the provider whose payouts are followed.
const Provider = instaxchange.Name

// Event types published.
const (
	TypeConfirmed   = event.TypePayoutConfirmed
	TypeUnconfirmed = event.TypePayoutUnconfirmed
)

// Defaults for the zero values of Poller's tuning fields.
const (
	DefaultHorizon        = 72 * time.Hour
	DefaultErrorGrace     = 24 * time.Hour
	DefaultOverlap        = 10 * time.Minute
	DefaultMinInterval    = time.Minute
	DefaultMaxInterval    = 10 * time.Minute
	DefaultMaxRetryAfter  = time.Hour
	DefaultConcurrency    = 4
	DefaultRequestTimeout = 10 * time.Second
	DefaultLeaseTTL       = 15 * time.Minute
	DefaultMargin         = 5 * time.Second
	DefaultPageSize       = 100
)

// Ingester is the pipeline's single entry point (*ingest.Ingester).
type Ingester interface {
	Ingest(ctx context.Context, ev *event.Event) (ingest.Outcome, error)
}

// Metrics records counts (*metrics.EMF; a nil *EMF is a no-op).
type Metrics interface {
	Add(metric string, value float64, dims map[string]string)
}

// Poller follows payouts. One Run discovers new payouts, then checks every due one.
type Poller struct {
	Client    *Client
	Ingester  Ingester
	DB        DB
	Table     string
	Log       *slog.Logger
	Metrics   Metrics
	Now       func() time.Time // event stamps, schedules and the horizon; default time.Now
	Owner     string           // lease owner; default host name plus a random id per run
	Retention time.Duration    // finished tracking items expire this long after (0: never)

	Horizon        time.Duration // publish payout.unconfirmed when no hash this long after the payment
	ErrorGrace     time.Duration // after the horizon, how long failing answers (5xx, 429, …) may keep a payout open
	Lookback       time.Duration // where the first discovery (no cursor) starts; default Horizon
	Overlap        time.Duration // re-read this much before the cursor (index lag, late writes)
	Since          time.Duration // when > 0, discover from now − Since whatever the cursor says
	MinInterval    time.Duration // first re-check delay; doubles per attempt…
	MaxInterval    time.Duration // …up to this
	MaxRetryAfter  time.Duration // cap on a Retry-After we honour
	Concurrency    int           // checks in flight
	RequestTimeout time.Duration // per blockchain-status call
	LeaseTTL       time.Duration // longest a run may hold the lease; also caps the run
	Margin         time.Duration // stop this long before the context deadline
	PageSize       int           // items per Query page
}

// Result counts one run.
type Result struct {
	LeaseHeld   bool
	Stopped     string // "" when every due payout was looked at, else why the run stopped early
	Discovered  int    // new tracking items
	Checked     int    // answers read (2xx or 404)
	Confirmed   int    // payout.confirmed events published by this run
	Unconfirmed int    // payout.unconfirmed events published by this run
	StillOpen   int    // checked, no hash yet, rescheduled
	Errors      int    // failed checks (transport, 429, 5xx, other 4xx) and failed publications
	Duration    time.Duration
}

// Stop reasons.
const (
	StoppedDeadline    = "deadline"
	StoppedRateLimited = "rate_limited"
)

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func durOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func intOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run polls once: take the lease, discover new payouts, check the due ones until done or
// the deadline, release the lease. A held lease or an early stop is not an error: the next
// schedule carries on. Errors are returned only for DynamoDB failures that stop the run.
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
		res.Stopped = StoppedDeadline
		return res, nil
	case run.Held:
		res.LeaseHeld = true
		return res, nil
	}
	defer run.End(p.log(), "provider", Provider)

	wctx, cancel := context.WithDeadline(ctx, run.StopAt)
	defer cancel()
	if err := p.discover(wctx, &res); err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			res.Stopped = StoppedDeadline
			return res, nil
		}
		return res, err
	}
	err = p.checkDue(ctx, wctx, &res)
	return res, err
}

// discover tracks every completed payment with a withdraw transaction received since the
// cursor (minus the overlap), page by page, moving the cursor after each page.
func (p *Poller) discover(ctx context.Context, res *Result) error {
	now := p.now()
	cursor, hasCursor, err := p.Cursor(ctx)
	if err != nil {
		return err
	}
	var from time.Time
	switch {
	case p.Since > 0:
		from = now.Add(-p.Since)
	case hasCursor:
		from = cursor.Add(-durOr(p.Overlap, DefaultOverlap))
	default:
		from = now.Add(-durOr(p.Lookback, durOr(p.Horizon, DefaultHorizon)))
	}
	var startKey map[string]types.AttributeValue
	for {
		out, err := p.DB.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(p.Table),
			IndexName:              aws.String(store.IndexByProvider),
			KeyConditionExpression: aws.String("provider = :p AND receivedAt BETWEEN :f AND :t"),
			// The filter only trims what is sent back; DynamoDB still reads the range, which
			// is the provider's own events since the cursor.
			FilterExpression:         aws.String("#ty = :ty"),
			ExpressionAttributeNames: map[string]string{"#ty": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p": str(Provider), ":f": str(store.FormatTime(from)), ":t": str(store.FormatTime(now)),
				":ty": str(string(event.TypePaymentSucceeded)),
			},
			ExclusiveStartKey: startKey,
			Limit:             aws.Int32(int32(intOr(p.PageSize, DefaultPageSize))),
		})
		if err != nil {
			return unavailable("query payments", err)
		}
		newest := ""
		for _, it := range out.Items {
			if ra := getS(it, "receivedAt"); ra > newest {
				newest = ra
			}
			po, ok := candidate(it)
			if !ok {
				continue
			}
			po.DiscoveredAt = now
			po.NextCheck = store.FormatTime(now)
			created, err := p.track(ctx, po)
			if err != nil {
				return err
			}
			if created {
				res.Discovered++
				p.log().Info("tracking payout", "provider", Provider, "object_ref", po.TransactionID,
					"withdraw_tx_id", po.WithdrawTxID, "payment_event_id", po.PaymentEventID)
			}
		}
		// LastEvaluatedKey holds the position even when the filter dropped the whole page.
		if lk := getS(out.LastEvaluatedKey, "receivedAt"); lk > newest {
			newest = lk
		}
		// receivedAt is store.FormatTime's fixed-width text, so the greatest string above is
		// the latest time, and parsing it back is exact.
		if newest != "" {
			at, err := time.Parse(time.RFC3339Nano, newest)
			if err != nil {
				return fmt.Errorf("chainstatus: receivedAt %q is not a time", newest)
			}
			if err := p.cursor().Advance(ctx, at); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		startKey = out.LastEvaluatedKey
	}
}

// candidate reads a stored payment event; only a succeeded payment naming a withdraw
// transaction has a payout to follow.
func candidate(item map[string]types.AttributeValue) (Payout, bool) {
	if getS(item, "type") != string(event.TypePaymentSucceeded) || getS(item, "status") != string(event.Succeeded) {
		return Payout{}, false
	}
	var ev event.Event
	if err := json.Unmarshal([]byte(getS(item, "payload")), &ev); err != nil || ev.ObjectRef == "" {
		return Payout{}, false
	}
	wd, _ := ev.Details["withdrawTxId"].(string)
	if wd == "" {
		return Payout{}, false
	}
	return Payout{
		TransactionID: ev.ObjectRef, WithdrawTxID: wd, PaymentEventID: ev.ID, MerchantRef: ev.MerchantRef,
		Settlement: ev.Settlement, PaidAt: ev.OccurredAt,
	}, true
}

// checkDue pages through due payouts, checking each page with bounded concurrency. A page
// is read only when the previous one is done, so an early stop leaves the rest due for the
// next run, untouched.
func (p *Poller) checkDue(ctx, wctx context.Context, res *Result) error {
	client := p.Client
	if client == nil {
		client = &Client{}
	}
	runNow := p.now()
	var (
		mu       sync.Mutex
		stopped  string // why to stop dispatching; set once
		firstErr error
	)
	stopReason := func() string { mu.Lock(); defer mu.Unlock(); return stopped }
	var startKey map[string]types.AttributeValue
	for {
		if r := stopReason(); r != "" {
			res.Stopped = r
			return firstErr
		}
		if wctx.Err() != nil {
			res.Stopped = StoppedDeadline
			return nil
		}
		page, next, err := p.due(wctx, runNow, startKey, int32(intOr(p.PageSize, DefaultPageSize)))
		if err != nil {
			if ctx.Err() == nil && wctx.Err() != nil {
				res.Stopped = StoppedDeadline
				return nil
			}
			return err
		}
		work := make(chan Payout)
		var wg sync.WaitGroup
		for range intOr(p.Concurrency, DefaultConcurrency) {
			wg.Go(func() {
				for po := range work {
					if stopReason() != "" {
						continue // handed over before the stop: leave it due
					}
					o, err := p.check(ctx, wctx, client, po)
					mu.Lock()
					res.add(o)
					if err != nil && firstErr == nil {
						firstErr = err
					}
					if stopped == "" {
						switch {
						case err != nil:
							stopped = "error"
						case o.rateLimited:
							stopped = StoppedRateLimited
						case o.deadline:
							stopped = StoppedDeadline
						}
					}
					mu.Unlock()
				}
			})
		}
	dispatch:
		for _, po := range page {
			if stopReason() != "" {
				break
			}
			select {
			case work <- po:
			case <-wctx.Done():
				break dispatch
			}
		}
		close(work)
		wg.Wait()
		if next == nil || firstErr != nil {
			res.Stopped = stopReason()
			if res.Stopped == "" && wctx.Err() != nil {
				res.Stopped = StoppedDeadline
			}
			return firstErr
		}
		startKey = next
	}
}

// outcome of one check.
type outcome struct {
	checked, confirmed, unconfirmed, stillOpen, failed bool
	rateLimited, deadline                              bool
}

func (r *Result) add(o outcome) {
	if o.checked {
		r.Checked++
	}
	if o.confirmed {
		r.Confirmed++
	}
	if o.unconfirmed {
		r.Unconfirmed++
	}
	if o.stillOpen {
		r.StillOpen++
	}
	if o.failed {
		r.Errors++
	}
}

// check asks about one payout and acts on the answer. Its error is only a DynamoDB failure
// recording the result; an answer that cannot be read is a failed check, rescheduled.
func (p *Poller) check(ctx, wctx context.Context, client *Client, po Payout) (outcome, error) {
	var o outcome
	rctx, cancel := context.WithTimeout(wctx, durOr(p.RequestTimeout, DefaultRequestTimeout))
	st, cerr := client.Check(rctx, po.WithdrawTxID)
	cancel()
	if cerr != nil && ctx.Err() == nil && wctx.Err() != nil {
		// Cut by our own deadline, not an answer: leave the payout due for the next run.
		o.deadline = true
		return o, nil
	}
	now := p.now()
	rec := checkRecord{at: now, attempts: po.Attempts + 1, state: st.State}
	if st.Response != nil {
		if b, err := json.Marshal(st.Response); err == nil {
			rec.response = string(b)
		}
	}
	horizonAt := po.PaidAt.Add(durOr(p.Horizon, DefaultHorizon))
	log := p.log().With("provider", Provider, "object_ref", po.TransactionID, "withdraw_tx_id", po.WithdrawTxID, "attempt", rec.attempts)

	if cerr != nil {
		o.failed = true
		rec.errText = cerr.Error()
		wait := p.backoff(rec.attempts)
		if he, ok := isHTTPError(cerr); ok && he.RateLimited() {
			o.rateLimited = true
			if ra := min(he.RetryAfter, durOr(p.MaxRetryAfter, DefaultMaxRetryAfter)); ra > wait {
				wait = ra
			}
		}
		log.Warn("blockchain-status check failed", "error", cerr.Error())
		// A failing endpoint must not turn into a false "unconfirmed" the moment the horizon
		// passes; it gets ErrorGrace more before we give up.
		if !now.Before(horizonAt.Add(durOr(p.ErrorGrace, DefaultErrorGrace))) {
			return p.conclude(ctx, po, rec, Status{}, o)
		}
		rec.nextCheck = now.Add(wait)
		_, err := p.record(ctx, po, rec)
		return o, err
	}

	o.checked = true
	if st.Malformed {
		rec.errText = st.Note
		log.Warn("blockchain-status answer not understood; treated as not yet known", "note", st.Note)
	}
	if st.Hash != "" {
		rec.outcome, rec.hash, rec.conf = OutcomeConfirmed, st.Hash, st.Confirmations
		ev := p.confirmedEvent(po, st, rec.attempts, now)
		out, err := p.Ingester.Ingest(ctx, &ev)
		if err != nil {
			// Nothing recorded: the payout stays due and the next run publishes it.
			o.failed = true
			log.Error("publishing payout.confirmed failed", "event_id", ev.ID, "error", err.Error())
			return o, nil
		}
		o.confirmed = out == ingest.Stored || out == ingest.Recovered
		log.Info("payout confirmed on chain", "event_id", ev.ID, "blockchain_hash", st.Hash, "ingest", string(out))
		_, err = p.record(ctx, po, rec)
		return o, err
	}
	if !now.Before(horizonAt) {
		return p.conclude(ctx, po, rec, st, o)
	}
	o.stillOpen = true
	rec.nextCheck = now.Add(p.backoff(rec.attempts))
	// The last check falls on the horizon itself, so the verdict is never late by a backoff.
	if rec.nextCheck.After(horizonAt) {
		rec.nextCheck = horizonAt
	}
	_, err := p.record(ctx, po, rec)
	return o, err
}

// conclude publishes payout.unconfirmed and stops tracking.
func (p *Poller) conclude(ctx context.Context, po Payout, rec checkRecord, st Status, o outcome) (outcome, error) {
	rec.outcome = OutcomeUnconfirmed
	ev := p.unconfirmedEvent(po, rec, st)
	out, err := p.Ingester.Ingest(ctx, &ev)
	if err != nil {
		o.failed = true
		p.log().Error("publishing payout.unconfirmed failed", "provider", Provider, "event_id", ev.ID, "error", err.Error())
		return o, nil
	}
	o.unconfirmed = out == ingest.Stored || out == ingest.Recovered
	p.log().Warn("payout not confirmed on chain within the horizon", "provider", Provider, "event_id", ev.ID,
		"withdraw_tx_id", po.WithdrawTxID, "attempts", rec.attempts, "ingest", string(out))
	_, err = p.record(ctx, po, rec)
	return o, err
}

// backoff is the wait after the attempt-th check without a hash: MinInterval doubling, capped.
func (p *Poller) backoff(attempt int) time.Duration {
	d, maxD := durOr(p.MinInterval, DefaultMinInterval), durOr(p.MaxInterval, DefaultMaxInterval)
	for i := 1; i < attempt && d < maxD; i++ {
		d *= 2
	}
	return min(d, maxD)
}

func (p *Poller) baseEvent(po Payout, suffix string, now time.Time) event.Event {
	return event.Event{
		ID:          Provider + ":" + po.TransactionID + ":" + suffix,
		Provider:    Provider,
		ObjectRef:   po.TransactionID,
		MerchantRef: po.MerchantRef,
		Amount:      po.Settlement, // what went out on chain: the payment's crypto amount
		OccurredAt:  now,
		Origin:      event.OriginReconciliation,
	}
}

func (p *Poller) confirmedEvent(po Payout, st Status, attempts int, now time.Time) event.Event {
	ev := p.baseEvent(po, "payout_confirmed", now)
	ev.Type, ev.Status = TypeConfirmed, event.Succeeded
	ev.Details = map[string]any{
		"withdrawTxId":   po.WithdrawTxID,
		"blockchainHash": st.Hash,
		"paymentEventId": po.PaymentEventID,
		"checks":         attempts,
	}
	if st.Confirmations != nil {
		ev.Details["confirmations"] = *st.Confirmations
	}
	if st.State != "" {
		ev.Details["chainStatus"] = st.State
	}
	if st.Response != nil {
		ev.Details["blockchainStatus"] = st.Response
	}
	ev.Stamp(now, event.OriginReconciliation)
	return ev
}

func (p *Poller) unconfirmedEvent(po Payout, rec checkRecord, st Status) event.Event {
	horizon := durOr(p.Horizon, DefaultHorizon)
	ev := p.baseEvent(po, "payout_unconfirmed", rec.at)
	ev.Type, ev.Status = TypeUnconfirmed, event.Failed
	ev.Failure = &event.Failure{Code: "no_blockchain_hash",
		Message: fmt.Sprintf("InstaXchange reported no blockchain hash within %s of the payment", horizon)}
	ev.Details = map[string]any{
		"withdrawTxId":   po.WithdrawTxID,
		"paymentEventId": po.PaymentEventID,
		"checks":         rec.attempts,
		"horizonHours":   horizon.Hours(),
	}
	if rec.state != "" {
		ev.Details["chainStatus"] = rec.state
	}
	if rec.errText != "" {
		ev.Details["lastError"] = rec.errText
	}
	if st.Response != nil {
		ev.Details["blockchainStatus"] = st.Response
	} else if po.LastResponse != "" {
		var v any
		if json.Unmarshal([]byte(po.LastResponse), &v) == nil {
			ev.Details["blockchainStatus"] = v
		}
	}
	ev.Stamp(rec.at, event.OriginReconciliation)
	return ev
}

func (p *Poller) report(res Result, err error) {
	dims := map[string]string{"provider": Provider}
	if p.Metrics != nil && !res.LeaseHeld {
		for _, m := range []struct {
			name string
			v    int
		}{
			{"chainstatus_discovered", res.Discovered}, {"chainstatus_checked", res.Checked},
			{"chainstatus_confirmed", res.Confirmed}, {"chainstatus_unconfirmed", res.Unconfirmed},
			{"chainstatus_errors", res.Errors},
		} {
			v := float64(m.v)
			if m.name == "chainstatus_errors" && err != nil {
				v++
			}
			p.Metrics.Add(m.name, v, dims)
		}
	}
	attrs := []any{"provider", Provider, "lease_held", res.LeaseHeld, "stopped", res.Stopped,
		"discovered", res.Discovered, "checked", res.Checked, "confirmed", res.Confirmed,
		"unconfirmed", res.Unconfirmed, "still_open", res.StillOpen, "errors", res.Errors,
		"duration_ms", res.Duration.Milliseconds()}
	if err != nil {
		p.log().Error("chainstatus run", append(attrs, "error", err.Error())...)
		return
	}
	p.log().Info("chainstatus run", attrs...)
}
