package reconcile

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/poller"
	"github.com/payhooks/payhooks/shared/poller/pollertest"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axpay/axpaytest"
)

// countingPublisher counts the messages each event id got, on top of the real queue.
type countingPublisher struct {
	inner publisher.Sender
	mu    sync.Mutex
	n     map[string]int
}

func (c *countingPublisher) SendBatch(ctx context.Context, msgs []queue.Message) []error {
	errs := c.inner.SendBatch(ctx, msgs)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, err := range errs {
		if err == nil {
			c.n[msgs[i].EventID]++
		}
	}
	return errs
}

// countPublishes routes the publisher that the table's stream feeds through a counting
// sender.
func (f *fixture) countPublishes() *countingPublisher {
	cp := &countingPublisher{inner: f.env.Publisher.Queue, n: map[string]int{}}
	f.env.Publisher.Queue = cp
	return cp
}

// runs runs p n times, five minutes apart (the schedule), calling before(i) ahead of run i.
func (f *fixture) runs(t *testing.T, p *Poller, n int, before func(i int)) []Result {
	t.Helper()
	var out []Result
	for i := range n {
		if before != nil {
			before(i)
		}
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("run %d: %v (%+v)", i, err, res)
		}
		out = append(out, res)
		f.clock.Add(5 * time.Minute)
	}
	return out
}

// exactlyOnce checks that the stored AXpay events are exactly want (plus storedOnly, ids of
// events stored but never published), and that each of want got exactly one message:
// counted at the publisher, and found once on the queue.
func (f *fixture) exactlyOnce(t *testing.T, cp *countingPublisher, want []axpaytest.Transaction, storedOnly ...string) {
	t.Helper()
	wantIDs := make([]string, len(want))
	for i, tx := range want {
		wantIDs[i] = "axpay:" + tx.ID
	}
	slices.Sort(wantIDs)
	var got []string
	for id := range f.events(t) {
		if !slices.Contains(storedOnly, id) {
			got = append(got, id)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, wantIDs) || len(f.events(t)) != len(wantIDs)+len(storedOnly) {
		t.Fatalf("stored %d events %v\nwant %d %v + %v", len(got), got, len(wantIDs), wantIDs, storedOnly)
	}
	onQueue := f.messages(t) // waits for the publisher to catch up
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for _, id := range wantIDs {
		if cp.n[id] != 1 || onQueue[id] != 1 {
			t.Errorf("%s published %d times, %d messages on the queue", id, cp.n[id], onQueue[id])
		}
	}
	if len(cp.n) != len(wantIDs) || len(onQueue) != len(wantIDs) {
		t.Errorf("%d ids published, %d on the queue, want %d", len(cp.n), len(onQueue), len(wantIDs))
	}
}

// messages drains the queue and counts messages per event id.
func (f *fixture) messages(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range f.env.Messages(t) {
		body := *m.Body
		i := strings.Index(body, `"id":"`)
		if i < 0 {
			t.Fatalf("message without id: %s", body)
		}
		id := body[i+6:]
		out[id[:strings.IndexByte(id, '"')]]++
	}
	return out
}

// A row dated 30 days ahead is stored, but the cursor stays at now − skew, so the
// transactions created after it are still reconciled.
func TestConvergeFutureDatedRow(t *testing.T) {
	f := newFixture(t, 5, nil)
	cp := f.countPublishes()
	future := axpaytest.MakeTransactions(1, f.clock.Now().Add(30*24*time.Hour))[0]
	future.ID = "tx-future"
	f.srv.Seed(future)
	p := f.poller(nil)
	later := axpaytest.MakeTransactions(8, f.clock.Now().Add(time.Minute))[5:]
	for i := range later {
		later[i].ID = fmt.Sprintf("tx-later-%d", i)
	}
	f.runs(t, p, 3, func(i int) {
		if i == 1 {
			f.srv.Seed(later...) // created after the first run, before the second
		}
		if i > 0 {
			if c := f.cursor(t, p); c.After(f.clock.Now().Add(-DefaultSkew)) {
				t.Fatalf("cursor %s is past now − skew", c)
			}
		}
	})
	f.exactlyOnce(t, cp, append(append(f.txs, future), later...))
}

// A transaction that completes (and so is listed) 20 hours after its creation, long behind
// the cursor, is reconciled by the next sweep; one listed beyond the horizon is not.
func TestConvergeLateListingWithinHorizon(t *testing.T) {
	f := newFixture(t, 3, nil)
	cp := f.countPublishes()
	p := f.poller(nil)
	var late, tooLate axpaytest.Transaction
	res := f.runs(t, p, 15, func(i int) {
		if i == 2 {
			late = axpaytest.MakeTransactions(1, f.clock.Now().Add(-20*time.Hour))[0]
			late.ID = "tx-late"
			tooLate = axpaytest.MakeTransactions(1, f.clock.Now().Add(-40*time.Hour))[0]
			tooLate.ID = "tx-too-late"
			f.srv.Seed(late, tooLate)
		}
	})
	sweeps := 0
	for _, r := range res {
		if r.SweepDone {
			sweeps++
		}
	}
	// Run 0 sweeps (no sweep yet); the next is due an hour later, at run 12.
	if sweeps != 2 || !res[12].SweepDone || res[12].ReconciledMissing != 1 {
		t.Fatalf("%d sweeps; run 12: %+v", sweeps, res[12])
	}
	f.exactlyOnce(t, cp, append(f.txs, late))
}

// An API that silently caps pages at 10 rows and reports no total: a short page is not the
// end, so one run reads all 200 rows.
func TestConvergeCappedPagesWithoutTotal(t *testing.T) {
	f := newFixture(t, 200, nil)
	f.srv.MaxLimit, f.srv.NoTotal = 10, true
	cp := f.countPublishes()
	f.clock.Add(200 * time.Minute) // every row older than now
	p := f.poller(nil)
	res := f.runs(t, p, 1, nil)
	// 20 capped pages and the empty page that ends the list, twice (tail pass, sweep).
	if res[0].ReconciledMissing != 200 || res[0].Pages != 42 || res[0].Stopped != poller.Done {
		t.Fatalf("%+v", res[0])
	}
	f.exactlyOnce(t, cp, f.txs)
}

// Rows the normalizer refuses (a missing currency, an amount that is no plain decimal) are
// counted by their typed reason, logged without their values, surfaced as a metric, and
// skipped: every good row around them is reconciled. A status too long for a key no longer
// poisons anything: its id is bounded, and it is stored as event.unsupported, never published.
func TestConvergePoisonRows(t *testing.T) {
	f := newFixture(t, 10, nil)
	cp := f.countPublishes()
	long := f.txs[3]
	long.ID, long.Status, long.CreatedAt = "tx-long-status", strings.Repeat("SETTLEDX", 400), long.CreatedAt+1
	noCurrency := f.txs[6]
	noCurrency.ID, noCurrency.Currency, noCurrency.CreatedAt = "tx-no-currency", "", noCurrency.CreatedAt+1
	huge := f.txs[8]
	huge.ID, huge.Amount, huge.CreatedAt = "tx-huge-amount", "1e999", huge.CreatedAt+1
	f.srv.Seed(long, noCurrency, huge)
	m := &pollertest.Metrics{Provider: "axpay"}
	p := f.poller(nil)
	p.Metrics, p.PageSize = m, 4
	res := f.runs(t, p, 2, nil)
	if got := res[0].InvalidTotal(); got != 2 || res[0].ReconciledMissing != 10 || res[0].Unsupported != 1 || res[0].Stopped != poller.Done {
		t.Fatalf("first run %+v", res[0])
	}
	if m.Get("reconcile_invalid") < 2 {
		t.Errorf("reconcile_invalid metric %v", m.Get("reconcile_invalid"))
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"reason":"`) || strings.Contains(logs, "SETTLEDX") || strings.Contains(logs, "1e999") ||
		strings.Contains(logs, "example.com") {
		t.Errorf("refused rows must be logged by reason only:\n%s", logs)
	}
	var unsupported string
	for id, ev := range f.events(t) {
		if ev.Type == event.TypeUnsupported {
			unsupported = id
		}
	}
	f.exactlyOnce(t, cp, f.txs, unsupported)
}

// Ties at page boundaries, a row repeated on the next page, and rows inserted while paging
// (behind the position, among the ties, ahead of it): nothing is lost or doubled.
func TestConvergeTiesRepeatsAndInsertions(t *testing.T) {
	f := newFixture(t, 0, nil)
	cp := f.countPublishes()
	var all []axpaytest.Transaction
	for i := range 30 {
		tx := axpaytest.MakeTransactions(1, t0.Add(time.Duration(i/10)*time.Minute))[0] // 3 groups of 10 ties
		tx.ID = fmt.Sprintf("tx-%02d", i)
		all = append(all, tx)
	}
	f.srv.Seed(all...)
	f.srv.RepeatBoundary = true
	var (
		mu       sync.Mutex
		requests int
		inserted []axpaytest.Transaction
	)
	f.srv.Page = func(_ url.Values, page []axpaytest.Transaction) []axpaytest.Transaction {
		mu.Lock()
		defer mu.Unlock()
		if requests++; requests == 3 {
			for i, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(90 * time.Second)} {
				tx := axpaytest.MakeTransactions(1, at)[0]
				tx.ID = fmt.Sprintf("tx-00-inserted-%d", i) // sorts first among its ties
				inserted = append(inserted, tx)
			}
			f.srv.Seed(inserted...)
		}
		return page
	}
	p := f.poller(nil)
	p.PageSize = 4
	f.runs(t, p, 2, nil)
	f.exactlyOnce(t, cp, append(all, inserted...))
}

// The webhook and the poller both deliver the same transactions, in both orders.
func TestConvergeWebhookAndPoll(t *testing.T) {
	f := newFixture(t, 6, nil)
	cp := f.countPublishes()
	for _, tx := range f.txs[:3] {
		if got := f.deliver(t, tx); got != "accepted" {
			t.Fatalf("webhook %s: %s", tx.ID, got)
		}
	}
	p := f.poller(nil)
	res := f.runs(t, p, 1, nil)
	if res[0].AlreadyKnown != 3 || res[0].ReconciledMissing != 3 {
		t.Fatalf("%+v", res[0])
	}
	for _, tx := range f.txs {
		if got := f.deliver(t, tx); got != "duplicate" {
			t.Fatalf("webhook after the poll %s: %s", tx.ID, got)
		}
	}
	f.runs(t, p, 1, nil)
	f.exactlyOnce(t, cp, f.txs)
}

// memIngester stands in for the pipeline where only the API calls are of interest.
type memIngester struct{ seen map[string]bool }

func (m *memIngester) Ingest(_ context.Context, ev *event.Event) (ingest.Outcome, error) {
	if m.seen[ev.ID] {
		return ingest.Duplicate, nil
	}
	m.seen[ev.ID] = true
	return ingest.Stored, nil
}

// TestAPICallsPerDay measures the list requests of one day at the defaults (a run every 5
// minutes, pages of 100, a 24 h horizon swept hourly) for 2,000 transactions a day, one in
// ten listed 3 hours after its creation; README quotes the figures.
func TestAPICallsPerDay(t *testing.T) {
	if testing.Short() {
		t.Skip("288 runs against DynamoDB Local")
	}
	for _, noTotal := range []bool{false, true} {
		t.Run(fmt.Sprintf("noTotal=%v", noTotal), func(t *testing.T) {
			f := newFixture(t, 0, nil)
			f.srv.NoTotal = noTotal
			mem := &memIngester{seen: map[string]bool{}}
			p := f.poller(mem)
			const perDay = 2000
			every := 24 * time.Hour / perDay
			// A day of history first, so the day measured is a steady one.
			start := f.clock.Now()
			created := start.Add(-24 * time.Hour)
			var want []string
			f.runs(t, p, 288, func(int) {
				for ; created.Before(f.clock.Now()); created = created.Add(every) {
					tx := axpaytest.MakeTransactions(1, created)[0]
					tx.ID = fmt.Sprintf("tx-%d", created.UnixMilli())
					if len(want)%10 == 9 && created.After(start) {
						tx.CreatedAt = created.Add(-3 * time.Hour).UnixMilli() // completed 3 h after creation
					}
					want = append(want, "axpay:"+tx.ID)
					f.srv.Seed(tx)
				}
			})
			day := f.srv.Requests()
			f.runs(t, p, 13, nil) // the next sweep finds the last late ones
			for _, id := range want {
				if !mem.seen[id] {
					t.Fatalf("%s never reconciled", id)
				}
			}
			t.Logf("%d transactions a day, %d list requests in 24 h (total reported: %v)", perDay, day, !noTotal)
			if day > 1500 {
				t.Errorf("%d requests", day)
			}
		})
	}
}

// unfitFor refuses one event as the pipeline refuses one it cannot store.
type unfitFor struct {
	poller.Ingester
	id string
}

func (u unfitFor) Ingest(ctx context.Context, ev *event.Event) (ingest.Outcome, error) {
	if ev.ID == u.id {
		return "", fmt.Errorf("ingest %s: %w", ev.ID, event.ErrUnfit)
	}
	return u.Ingester.Ingest(ctx, ev)
}

// An event the pipeline cannot store (no retry would help) is skipped like a refused row:
// the rows after it are reconciled, and the run is not an error.
func TestUnstorableEventDoesNotBlock(t *testing.T) {
	f := newFixture(t, 6, nil)
	p := f.poller(unfitFor{Ingester: f.in, id: "axpay:" + f.txs[2].ID})
	p.PageSize = 2
	res := f.runs(t, p, 1, nil)
	if res[0].Invalid[string(provider.ReasonEventUnfit)] != 1 || res[0].ReconciledMissing != 5 || res[0].Stopped != poller.Done {
		t.Fatalf("%+v", res[0])
	}
}
