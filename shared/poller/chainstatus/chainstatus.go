// Package chainstatus follows InstaXchange payouts on chain: for every completed payment
// whose webhook named a withdraw transaction, it asks InstaXchange's blockchain-status
// endpoint until the answer settles the payout, then publishes exactly one terminal event:
// `payout.confirmed` (a hash with the confirmations its currency requires), `payout.failed`
// (the transfer failed or reverted on chain), or `payout.unconfirmed` (neither within a
// horizon, 72 h by default). Anything else keeps the payout open: no hash yet, too few
// confirmations, a hash that changed since the last check (a reorg or a replacement), an
// answer that cannot be read. An unreadable answer never counts as a confirmation.
//
// How payouts are found, without touching the webhook pipeline of any provider: the poller
// reads the provider's own events (store.EachEvent over the sharded `by-time` index: provider =
// instaxchange, receivedAt after its cursor minus an overlap) and, for each `payment.succeeded` carrying
// details.withdrawTxId, writes a tracking item with a conditional PutItem. The tracking item
// carries the keys of the sparse `payouts` index (payoutShard, `instaxchange#NN` by a hash of
// the transaction id, and payoutNextCheck) until the payout is settled one way or the other;
// then they are removed and the item drops out of the index. So: no table Scan, only Queries; discovery is idempotent (a known payout is never
// reset); the state item STATE#instaxchange#<tx>, already terminal, is left alone.
//
// Items in the events table (see shared/pipeline/store):
//   - PAYOUT#instaxchange#<transactionId>  the tracking item (in `payouts` while tracked)
//   - CURSOR#chainstatus#instaxchange      a lease.Cursor: receivedAt of the newest payment
//     event examined
//   - LEASE#chainstatus#instaxchange       a lease.Lease: who is polling, until when at most
//
// Every terminal event of a payout has the one id `instaxchange:<transactionId>:payout`, so
// the store's conditional write admits exactly one of them, whatever the answers do later;
// a crash between publishing and recording only leads to a Duplicate on the next run.
package chainstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/poller"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/support/httpapi"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Provider is the provider whose payouts are followed.
const Provider = instaxchange.Name

// Event types published, all terminal.
const (
	TypeConfirmed   = event.TypePayoutConfirmed
	TypeFailed      = event.TypePayoutFailed
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

// DefaultConfirmations is how many confirmations a payout needs, by its currency as the
// payment names it (InstaXchange's cryptoCurrency, e.g. USDT-TRON), before it counts as
// confirmed; "*" is for any other currency. The values are common exchange practice.
var DefaultConfirmations = map[string]int64{
	"BTC": 2, "LTC": 6, "ETH": 12, "USDT": 12, "USDC": 12, "USDT-TRON": 20, "USDT-AVALANCHE": 1, "*": 1,
}

// Poller follows payouts. One Run discovers new payouts, then checks every due one.
type Poller struct {
	Client    *Client
	Ingester  poller.Ingester
	DB        DB
	Table     string
	Log       *slog.Logger
	Metrics   poller.Metrics
	Now       func() time.Time // event stamps, schedules and the horizon; default time.Now
	Owner     string           // lease owner; default host name plus a random id per run
	Retention time.Duration    // finished tracking items expire this long after (0: never)

	// Confirmations required by currency (upper case; "*" for the rest); nil means
	// DefaultConfirmations. A currency missing from a non-nil map and no "*" needs 1.
	Confirmations  map[string]int64
	Horizon        time.Duration // publish payout.unconfirmed when not settled this long after the payment
	ErrorGrace     time.Duration // after the horizon, how long failing answers (5xx, 429, …) may keep a payout open
	Lookback       time.Duration // where the first discovery (no cursor) starts; default Horizon
	Overlap        time.Duration // re-read this much before the cursor (index lag, late writes)
	Since          time.Duration // when > 0, discover from now − Since whatever the cursor says
	MinInterval    time.Duration // first re-check delay; doubles per attempt…
	MaxInterval    time.Duration // …up to this
	MaxRetryAfter  time.Duration // cap on a Retry-After we honour
	Concurrency    int           // shards walked at a time, so checks in flight
	RequestTimeout time.Duration // per blockchain-status call
	LeaseTTL       time.Duration // longest a run may hold the lease; also caps the run
	Margin         time.Duration // stop this long before the context deadline
	PageSize       int           // items per Query page
}

// Result counts one run.
type Result struct {
	Stopped     poller.Stop // Done when every due payout was looked at
	Discovered  int         // new tracking items
	Checked     int         // answers read (2xx or 404)
	Confirmed   int         // payout.confirmed events published by this run
	Failed      int         // payout.failed events published by this run
	Unconfirmed int         // payout.unconfirmed events published by this run
	StillOpen   int         // checked, not settled, rescheduled
	HashChanged int         // checks whose hash differed from the one seen before
	Unreadable  int         // 2xx answers that were not a JSON object
	Errors      int         // failed checks (transport, 429, 5xx, other 4xx) and failed publications
	Duration    time.Duration
}

func (p *Poller) now() time.Time { return poller.Clock(p.Now) }

func (p *Poller) log() *slog.Logger { return poller.Logger(p.Log) }

// Run polls once under the lease: discover new payouts, then check the due ones until done
// or the deadline. A held lease or an early stop is not an error: the next schedule carries
// on. Errors are returned only for DynamoDB failures that stop the run.
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
	res.Stopped, err = run.Do(ctx, func(ctx context.Context) (poller.Stop, error) {
		if err := p.discover(ctx, &res); err != nil {
			return poller.Done, err
		}
		return p.checkDue(ctx, &res)
	})
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
		from = cursor.Add(-poller.Or(p.Overlap, DefaultOverlap))
	default:
		from = now.Add(-poller.Or(p.Lookback, poller.Or(p.Horizon, DefaultHorizon)))
	}
	// The store merges its by-time index's shards into one walk in receivedAt order, so the
	// cursor can move after every page of events examined.
	events := &store.Store{Client: p.DB, Table: p.Table}
	page := poller.Or(p.PageSize, DefaultPageSize)
	newest, seen := "", 0
	advance := func() error {
		// receivedAt is store.FormatTime's fixed-width text, so the greatest string is the
		// latest time, and parsing it back is exact.
		if newest == "" {
			return nil
		}
		at, err := time.Parse(time.RFC3339Nano, newest)
		if err != nil {
			return fmt.Errorf("chainstatus: receivedAt %q is not a time", newest)
		}
		return p.cursor().Advance(ctx, at)
	}
	err = events.EachEvent(ctx, store.ListFilter{
		Provider: Provider, From: from, To: now, Type: string(event.TypePaymentSucceeded), PageSize: int32(page), WithPayload: true,
	}, func(se store.StoredEvent) error {
		newest = max(newest, se.ReceivedAt)
		if err := p.trackEvent(ctx, se, now, res); err != nil {
			return err
		}
		if seen++; seen%page == 0 {
			return advance()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return advance()
}

// trackEvent starts following the payout of se, if it has one.
func (p *Poller) trackEvent(ctx context.Context, se store.StoredEvent, now time.Time, res *Result) error {
	po, ok := candidate(se)
	if !ok {
		return nil
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
	return nil
}

// candidate reads a stored payment event; only a succeeded payment naming a withdraw
// transaction has a payout to follow.
func candidate(se store.StoredEvent) (Payout, bool) {
	if event.Type(se.Type) != event.TypePaymentSucceeded || se.Status != string(event.Succeeded) {
		return Payout{}, false
	}
	var ev event.Event
	if err := json.Unmarshal(se.Payload, &ev); err != nil || ev.ObjectRef == "" {
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

// checkDue checks every due payout, walking the index's shards at most Concurrency at a
// time and each shard's payouts one after another, soonest due first. A shard's next page
// is read only when its previous one is done, so an early stop leaves the rest due for the
// next run, untouched; the walk starts at a shard that moves with the clock, so runs that
// keep being cut still reach every shard. A 429 stops dispatching everywhere: the endpoint
// asked us to slow down.
func (p *Poller) checkDue(ctx context.Context, res *Result) (poller.Stop, error) {
	w := &dueWalk{p: p, client: p.Client, now: p.now(), res: res}
	if w.client == nil {
		w.client = &Client{}
	}
	keys := store.PayoutShardKeys(Provider)
	start := int(w.now.Unix()/60) % len(keys)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(poller.Or(p.Concurrency, DefaultConcurrency))
	for i := range keys {
		if w.limited.Load() || gctx.Err() != nil {
			break
		}
		key := keys[(start+i)%len(keys)]
		g.Go(func() error { return w.shard(gctx, key) })
	}
	if err := g.Wait(); err != nil {
		return poller.Done, err
	}
	if w.limited.Load() {
		return poller.RateLimited, nil
	}
	return poller.Done, nil // poller.Run.Do tells a deadline from the end
}

// dueWalk is one run's pass over the due payouts of every shard.
type dueWalk struct {
	p       *Poller
	client  *Client
	now     time.Time
	mu      sync.Mutex // guards res
	res     *Result
	limited atomic.Bool
}

// shard checks one shard's due payouts, page by page, until none is left, a 429, or the
// run's end.
func (w *dueWalk) shard(ctx context.Context, key string) error {
	var startKey map[string]types.AttributeValue
	for {
		page, next, err := w.p.due(ctx, key, w.now, startKey, int32(poller.Or(w.p.PageSize, DefaultPageSize)))
		if err != nil {
			return err
		}
		for _, po := range page {
			if w.limited.Load() || ctx.Err() != nil {
				return nil // left due, untouched
			}
			o, n, err := w.p.check(ctx, w.client, po)
			w.mu.Lock()
			w.res.add(o, n)
			w.mu.Unlock()
			w.limited.CompareAndSwap(false, o == outRateLimited)
			if err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		startKey = next
	}
}

// outcome is what one check came to.
type outcome int

const (
	outCut           outcome = iota // the run's time ran out mid-check: left due, untouched
	outOpen                         // read, not settled: rescheduled
	outErrored                      // no answer (transport, 5xx, other 4xx): rescheduled with backoff
	outRateLimited                  // 429: rescheduled after Retry-After
	outPublishFailed                // settled, but the event could not be ingested: left due
	outConfirmed                    // payout.confirmed published
	outFailed                       // payout.failed published
	outUnconfirmed                  // payout.unconfirmed published
	outAlready                      // settled, its event was already stored: recorded only
)

// note is what a check's answer showed besides its outcome.
type note int

const (
	noteNone        note = iota
	noteUnread           // no answer was read (cut, transport, 429, 5xx, other 4xx)
	noteUnreadable       // a 2xx answer that is not a JSON object
	noteHashChanged      // a hash other than the one seen before
)

func (r *Result) add(o outcome, n note) {
	switch n {
	case noteUnreadable:
		r.Unreadable++
	case noteHashChanged:
		r.HashChanged++
	}
	if n != noteUnread {
		r.Checked++
	}
	switch o {
	case outOpen:
		r.StillOpen++
	case outErrored, outRateLimited, outPublishFailed:
		r.Errors++
	case outConfirmed:
		r.Confirmed++
	case outFailed:
		r.Failed++
	case outUnconfirmed:
		r.Unconfirmed++
	}
}

// check asks about one payout and acts on the answer. Its error is only a DynamoDB failure
// recording the result; an answer that cannot be read is an open check, rescheduled.
func (p *Poller) check(ctx context.Context, client *Client, po Payout) (outcome, note, error) {
	rctx, cancel := context.WithTimeout(ctx, poller.Or(p.RequestTimeout, DefaultRequestTimeout))
	st, cerr := client.Check(rctx, po.WithdrawTxID)
	cancel()
	if cerr != nil && ctx.Err() != nil {
		return outCut, noteUnread, nil // cut by the run's own end, not an answer
	}
	rec := checkRecord{at: p.now(), attempts: po.Attempts + 1, state: st.State, hash: po.LastHash, hashChanges: po.HashChanges}
	if st.Response != nil {
		if b, err := json.Marshal(st.Response); err == nil {
			rec.response = string(b)
		}
	}
	log := p.log().With("provider", Provider, "object_ref", po.TransactionID, "withdraw_tx_id", po.WithdrawTxID, "attempt", rec.attempts)
	if cerr != nil {
		o, err := p.unanswered(ctx, po, rec, cerr, log)
		return o, noteUnread, err
	}
	v, n := p.judge(po, st, &rec, log)
	if v.outcome == outOpen && !rec.at.Before(p.horizonAt(po)) {
		v.outcome = outUnconfirmed
	}
	if v.outcome != outOpen {
		o, err := p.settle(ctx, po, rec, v, st, log)
		return o, n, err
	}
	// The last check falls on the horizon itself, so the verdict is never late by a backoff.
	rec.nextCheck = rec.at.Add(p.backoff(rec.attempts))
	if h := p.horizonAt(po); rec.nextCheck.After(h) {
		rec.nextCheck = h
	}
	_, err := p.record(ctx, po, rec)
	return outOpen, n, err
}

// verdict is what an answer means for a payout.
type verdict struct {
	outcome outcome // outOpen, outConfirmed or outFailed (outUnconfirmed at the horizon)
	code    string  // why: the failure code of a terminal event, the open reason otherwise
	message string
}

// Reasons a payout stays open; at the horizon they become payout.unconfirmed's failure code.
const (
	OpenNoHash         = "no_blockchain_hash"
	OpenTooFew         = "too_few_confirmations"
	OpenHashChanged    = "hash_changed"
	OpenUnverifiedHash = "hash_unverified" // a hash with neither a status nor confirmations
	OpenUnreadable     = "unreadable_answer"
	OpenNoAnswer       = "no_answer" // the endpoint kept failing
)

// Failure codes of payout.failed.
const (
	FailedOnChain = "failed"
	FailedRevert  = "reverted"
)

// confirmedStates are the state words that, with no confirmation count in the answer,
// mean the provider itself considers the transfer final.
var confirmedStates = map[string]bool{
	"confirmed": true, "success": true, "successful": true, "succeeded": true,
	"completed": true, "complete": true, "finalized": true, "finalised": true,
}

// judge reads an answer against what the payout's tracking item remembers, and records the
// hash on rec. Only a readable answer with a hash, no failure, the confirmations the
// currency needs (or, with no count given, a confirmed state), and the same hash as the
// previous check's (when there was one) confirms.
func (p *Poller) judge(po Payout, st Status, rec *checkRecord, log *slog.Logger) (verdict, note) {
	if st.Malformed {
		rec.errText = st.Note
		log.Warn("blockchain-status answer not understood; treated as not yet known", "note", st.Note)
		return verdict{outcome: outOpen, code: OpenUnreadable}, noteUnreadable
	}
	if st.Failure != "" {
		code := FailedOnChain
		if strings.Contains(strings.ToLower(st.Failure), "revert") {
			code = FailedRevert
		}
		if st.Hash != "" {
			rec.hash = st.Hash
		}
		return verdict{outcome: outFailed, code: code, message: st.Failure}, noteNone
	}
	if st.Hash == "" {
		if po.LastHash != "" {
			log.Warn("blockchain hash no longer reported; checking again", "previous_hash", po.LastHash)
		}
		return verdict{outcome: outOpen, code: OpenNoHash}, noteNone
	}
	rec.hash = st.Hash
	if po.LastHash != "" && po.LastHash != st.Hash {
		// The earlier transaction was dropped or replaced (a reorg, a fee bump): the new
		// hash has to be seen again, with its own confirmations, before it counts.
		rec.hashChanges++
		log.Warn("blockchain hash changed since the last check; checking again", "previous_hash", po.LastHash, "blockchain_hash", st.Hash)
		return verdict{outcome: outOpen, code: OpenHashChanged}, noteHashChanged
	}
	need := p.required(po)
	switch {
	case st.Confirmations != nil && *st.Confirmations < need:
		return verdict{outcome: outOpen, code: OpenTooFew}, noteNone
	case st.Confirmations != nil, confirmedStates[strings.ToLower(st.State)]:
		return verdict{outcome: outConfirmed}, noteNone
	}
	return verdict{outcome: outOpen, code: OpenUnverifiedHash}, noteNone
}

// required is the confirmations the payout's currency needs.
func (p *Poller) required(po Payout) int64 {
	table := p.Confirmations
	if table == nil {
		table = DefaultConfirmations
	}
	cur := ""
	if po.Settlement != nil {
		cur = strings.ToUpper(po.Settlement.Currency)
	}
	if n, ok := table[cur]; ok {
		return n
	}
	if n, ok := table["*"]; ok {
		return n
	}
	return 1
}

func (p *Poller) horizonAt(po Payout) time.Time {
	return po.PaidAt.Add(poller.Or(p.Horizon, DefaultHorizon))
}

// unanswered reschedules a check that got no answer, honouring a 429's Retry-After. A
// failing endpoint must not turn into a false "unconfirmed" the moment the horizon passes:
// it gets ErrorGrace more before the verdict.
func (p *Poller) unanswered(ctx context.Context, po Payout, rec checkRecord, cerr error, log *slog.Logger) (outcome, error) {
	rec.errText = cerr.Error()
	o, wait := outErrored, p.backoff(rec.attempts)
	if se, ok := httpapi.AsStatusError(cerr); ok && se.RateLimited() {
		o = outRateLimited
		wait = max(wait, min(se.RetryAfter, poller.Or(p.MaxRetryAfter, DefaultMaxRetryAfter)))
	}
	log.Warn("blockchain-status check failed", "error", redact.Detail(cerr.Error()))
	if !rec.at.Before(p.horizonAt(po).Add(poller.Or(p.ErrorGrace, DefaultErrorGrace))) {
		return p.settle(ctx, po, rec, verdict{outcome: outUnconfirmed, code: OpenNoAnswer}, Status{}, log)
	}
	rec.nextCheck = rec.at.Add(wait)
	_, err := p.record(ctx, po, rec)
	return o, err
}

// settle publishes the payout's one terminal event and stops tracking it.
func (p *Poller) settle(ctx context.Context, po Payout, rec checkRecord, v verdict, st Status, log *slog.Logger) (outcome, error) {
	ev := p.terminalEvent(po, rec, v, st)
	out, err := p.Ingester.Ingest(ctx, &ev)
	if err != nil {
		// Nothing recorded: the payout stays due and the next run publishes it.
		log.Error("publishing the payout's terminal event failed", "event_id", ev.ID, "type", string(ev.Type), "error", redact.Detail(err.Error()))
		return outPublishFailed, nil
	}
	rec.outcome = outcomeNames[v.outcome]
	log.Info("payout settled", "event_id", ev.ID, "type", string(ev.Type), "code", v.code,
		"blockchain_hash", rec.hash, "ingest", string(out))
	if _, err := p.record(ctx, po, rec); err != nil {
		return outCut, err
	}
	if out != ingest.Stored {
		return outAlready, nil
	}
	return v.outcome, nil
}

// backoff is the wait after the attempt-th check without a hash: MinInterval doubling, capped.
func (p *Poller) backoff(attempt int) time.Duration {
	d, maxD := poller.Or(p.MinInterval, DefaultMinInterval), poller.Or(p.MaxInterval, DefaultMaxInterval)
	for i := 1; i < attempt && d < maxD; i++ {
		d *= 2
	}
	return min(d, maxD)
}

// terminalEvent is the payout's one terminal event, as v decides it.
func (p *Poller) terminalEvent(po Payout, rec checkRecord, v verdict, st Status) event.Event {
	ev := event.Event{
		ID:          event.JoinID(Provider, po.TransactionID, "payout"),
		Provider:    Provider,
		ObjectRef:   po.TransactionID,
		MerchantRef: po.MerchantRef,
		Amount:      po.Settlement, // what went out on chain: the payment's crypto amount
		OccurredAt:  rec.at,
		Details: map[string]any{
			"withdrawTxId": po.WithdrawTxID, "paymentEventId": po.PaymentEventID, "checks": rec.attempts,
		},
	}
	switch v.outcome {
	case outConfirmed:
		ev.Type, ev.Status = TypeConfirmed, event.Succeeded
		ev.Details["requiredConfirmations"] = p.required(po)
	case outFailed:
		ev.Type, ev.Status = TypeFailed, event.Failed
		ev.Failure = &event.Failure{Code: v.code, Message: v.message}
	default:
		horizon := poller.Or(p.Horizon, DefaultHorizon)
		ev.Type, ev.Status = TypeUnconfirmed, event.Failed
		ev.Failure = &event.Failure{Code: v.code, Message: fmt.Sprintf("InstaXchange did not confirm the payout within %s of the payment", horizon)}
		ev.Details["horizonHours"] = horizon.Hours()
		if rec.errText != "" {
			ev.Details["lastError"] = rec.errText
		}
	}
	p.answerDetails(ev.Details, po, rec, st)
	ev.Stamp(rec.at, event.OriginReconciliation)
	return ev
}

// answerDetails adds what the chain said: the hash, confirmations, state, hash changes and
// the whole answer (the last one stored when this check got none).
func (p *Poller) answerDetails(d map[string]any, po Payout, rec checkRecord, st Status) {
	if rec.hash != "" {
		d["blockchainHash"] = rec.hash
	}
	if st.Confirmations != nil {
		d["confirmations"] = *st.Confirmations
	}
	if rec.state != "" {
		d["chainStatus"] = rec.state
	}
	if rec.hashChanges > 0 {
		d["hashChanges"] = rec.hashChanges
	}
	if st.Response != nil {
		d["blockchainStatus"] = st.Response
	} else if po.LastResponse != "" {
		var v any
		if json.Unmarshal([]byte(po.LastResponse), &v) == nil {
			d["blockchainStatus"] = v
		}
	}
}

func (p *Poller) report(res Result, err error) {
	poller.Report(p.Log, p.Metrics, "chainstatus", Provider, res.Stopped, res.Duration, err, []poller.Count{
		{Name: "discovered", Value: res.Discovered}, {Name: "checked", Value: res.Checked},
		{Name: "confirmed", Value: res.Confirmed}, {Name: "failed", Value: res.Failed},
		{Name: "unconfirmed", Value: res.Unconfirmed}, {Name: "still_open", Value: res.StillOpen},
		{Name: "hash_changed", Value: res.HashChanged}, {Name: "unreadable", Value: res.Unreadable},
		{Name: "errors", Value: res.Errors},
	})
}
