package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/poller"
	"github.com/payhooks/payhooks/shared/poller/pollertest"
	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/provider/axpay/axpaytest"
	"github.com/payhooks/payhooks/shared/support/httpapi"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

const secretsFile = "../../../dev/secrets.json"

// t0 is when the first seeded transaction was created; the clock starts an hour later.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type fixture struct {
	env   *stacktest.Env
	srv   *axpaytest.Server
	cfg   axpay.Config
	clock *pollertest.Clock
	in    *ingest.Ingester
	logs  *bytes.Buffer
	txs   []axpaytest.Transaction
}

func devConfig(t testing.TB) axpay.Config {
	t.Helper()
	b, err := os.ReadFile(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	cfg, err := axpay.ParseConfig(docs["payhooks/axpay"])
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newFixture gives a test its own table and queue, and a fake AXpay holding n transactions
// that accepts keys signed by pub (the dev key when nil).
func newFixture(t *testing.T, n int, pub *secp256k1.PublicKey) *fixture {
	t.Helper()
	cfg := devConfig(t)
	if pub == nil {
		s, err := cfg.Signer()
		if err != nil {
			t.Fatal(err)
		}
		pub = s.PublicKey()
	}
	f := &fixture{env: stacktest.New(t), cfg: cfg, clock: pollertest.NewClock(t0.Add(time.Hour)), logs: &bytes.Buffer{}}
	f.srv = axpaytest.New(t, pub, cfg.ClientID)
	f.txs = axpaytest.MakeTransactions(n, t0)
	f.srv.Seed(f.txs...)
	f.in = &ingest.Ingester{Store: f.env.Store, Now: f.clock.Now}
	return f
}

func (f *fixture) poller(in poller.Ingester) *Poller {
	if in == nil {
		in = f.in
	}
	return &Poller{
		Client: func(context.Context) (*axpay.Client, error) {
			c, err := f.cfg.Client(nil)
			if err != nil {
				return nil, err
			}
			c.BaseURL = f.srv.URL
			c.MaxAttempts = 1
			return c, nil
		},
		Ingester: in,
		DB:       f.env.Clients.DynamoDB,
		Table:    f.env.Table,
		Log:      slog.New(slog.NewJSONHandler(f.logs, nil)),
		Now:      f.clock.Now,
	}
}

// deliver sends a transaction through the real webhook handler, as AXpay would.
func (f *fixture) deliver(t *testing.T, tx axpaytest.Transaction) string {
	t.Helper()
	h := &webhook.Handler{
		Provider: axpay.New(secrets.File{Path: secretsFile}, "payhooks/axpay"),
		Ingester: f.in, Log: slog.New(slog.DiscardHandler), Now: f.clock.Now,
	}
	resp, err := h.Lambda(context.Background(), events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + axpay.WebhookPath, RawPath: axpay.WebhookPath,
		Headers: map[string]string{"content-type": "application/json", "api-key": f.cfg.WebhookAPIKeys.Reveal()[0]},
		Body:    string(tx.JSON()),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-" + tx.ID, TimeEpoch: f.clock.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: axpay.WebhookPath, SourceIP: "203.0.113.10"},
		},
	})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook %s: %d %s %v", tx.ID, resp.StatusCode, resp.Body, err)
	}
	var body map[string]string
	_ = json.Unmarshal([]byte(resp.Body), &body)
	return body["status"]
}

// events returns the stored events by id, each validated against the schema.
func (f *fixture) events(t *testing.T) map[string]event.Event {
	t.Helper()
	out := map[string]event.Event{}
	for _, it := range f.env.Items(t) {
		pk, _ := it["pk"].(*types.AttributeValueMemberS)
		id, ok := strings.CutPrefix(pk.Value, "EVENT#")
		if !ok {
			continue
		}
		se, err := f.env.Store.GetEvent(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var ev event.Event
		if err := json.Unmarshal(se.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		eventtest.ValidateEvent(t, &ev)
		out[ev.ID] = ev
	}
	return out
}

func (f *fixture) cursor(t *testing.T, p *Poller) time.Time {
	t.Helper()
	c, ok, err := p.Cursor(context.Background())
	if err != nil || !ok {
		t.Fatalf("cursor: %v %v", ok, err)
	}
	return c
}

func TestReconcileFillsWebhookGaps(t *testing.T) {
	f := newFixture(t, 10, nil)
	// 7 of 10 delivered by webhook, the third one twice.
	for i, tx := range f.txs[:7] {
		if got := f.deliver(t, tx); got != "accepted" {
			t.Fatalf("delivery %d: %s", i, got)
		}
	}
	if got := f.deliver(t, f.txs[2]); got != "duplicate" {
		t.Fatalf("redelivery: %s", got)
	}

	p := f.poller(nil)
	p.PageSize = 4
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The tail pass reads the 10 in 3 pages; the first run's sweep reads them again.
	if res.Fetched != 20 || res.Repeated != 10 || res.AlreadyKnown != 7 || res.ReconciledMissing != 3 || res.WebhookFailed != 2 ||
		res.Pages != 6 || res.InvalidTotal() != 0 || res.Stopped != poller.Done || !res.SweepDone {
		t.Fatalf("first poll %+v", res)
	}
	if !res.From.Equal(f.clock.Now().Add(-DefaultLookback)) {
		t.Errorf("first run from %s, want now - lookback", res.From)
	}
	if got, want := f.cursor(t, p), f.txs[9].CreatedTime(); !got.Equal(want) {
		t.Errorf("cursor %s, want %s", got, want)
	}
	q := f.srv.Queries()[1]
	if q.Get("orderBy") != "createdAt" || q.Get("order") != "asc" || q.Get("limit") != "4" ||
		q.Get("createdAtGte") != strconv.FormatInt(f.txs[3].CreatedAt, 10) || q.Get("offset") != "1" {
		t.Errorf("second page asked with %v; want from the 4th row's createdAt, past that one row", q)
	}

	evs := f.events(t)
	if len(evs) != 10 {
		t.Fatalf("%d events, want 10", len(evs))
	}
	for i, tx := range f.txs {
		ev, ok := evs["axpay:"+tx.ID]
		if !ok {
			t.Fatalf("no event for %s", tx.ID)
		}
		want := event.OriginWebhook
		if i >= 7 {
			want = event.OriginReconciliation
		}
		if ev.Origin != want {
			t.Errorf("%s origin %s, want %s", tx.ID, ev.Origin, want)
		}
	}
	if msgs := f.env.Messages(t); len(msgs) != 10 {
		t.Fatalf("%d messages, want 10", len(msgs))
	}

	// A second poll, later, finds nothing new and re-reads only the overlap.
	f.clock.Add(5 * time.Minute)
	before := len(f.srv.Queries())
	res, err = p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.ReconciledMissing != 0 || res.AlreadyKnown != res.Fetched {
		t.Fatalf("second poll %+v", res)
	}
	if gte := f.srv.Queries()[before].Get("createdAtGte"); gte != strconv.FormatInt(f.txs[9].CreatedTime().Add(-DefaultOverlap).UnixMilli(), 10) {
		t.Errorf("second poll createdAtGte %s", gte)
	}
	if msgs := f.env.Messages(t); len(msgs) != 0 {
		t.Fatalf("%d new messages after the second poll", len(msgs))
	}
	if len(f.events(t)) != 10 {
		t.Fatal("second poll changed the events")
	}
	if !strings.Contains(f.logs.String(), `"msg":"reconcile run"`) {
		t.Errorf("no summary log line: %s", f.logs.String())
	}
}

// failAfter ingests normally, and once n events went through makes the fake API fail the
// next request: a run that dies after its first page.
type failAfter struct {
	in    poller.Ingester
	n     int
	calls int
	fail  func()
}

func (w *failAfter) Ingest(ctx context.Context, ev *event.Event) (ingest.Outcome, error) {
	out, err := w.in.Ingest(ctx, ev)
	w.calls++
	if w.calls == w.n {
		w.fail()
	}
	return out, err
}

func TestReconcileInterruptedThenResumed(t *testing.T) {
	f := newFixture(t, 10, nil)
	w := &failAfter{in: f.in, n: 4, fail: func() { f.srv.FailNext(1, http.StatusServiceUnavailable, "") }}
	p := f.poller(w)
	p.PageSize = 4
	p.Overlap = 2 * time.Minute
	res, err := p.Run(context.Background())
	var se *httpapi.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("err %v, want the injected 503", err)
	}
	if res.Pages != 1 || res.ReconciledMissing != 4 {
		t.Fatalf("interrupted run %+v", res)
	}
	if got, want := f.cursor(t, p), f.txs[3].CreatedTime(); !got.Equal(want) {
		t.Fatalf("cursor %s after page 1, want %s", got, want)
	}

	// The rerun starts at the cursor minus the overlap (tx 2), and the lease of the failed
	// run was released.
	f.clock.Add(time.Minute)
	p = f.poller(nil)
	p.PageSize = 4
	p.Overlap = 2 * time.Minute
	before := len(f.srv.Queries())
	res, err = p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Tail: tx 2..10 (3 known, 6 missing); then the sweep, never run yet, reads all 10.
	if res.Stopped != poller.Done || res.Fetched != 19 || res.Repeated != 9 || res.AlreadyKnown != 4 || res.ReconciledMissing != 6 {
		t.Fatalf("rerun %+v", res)
	}
	if gte := f.srv.Queries()[before].Get("createdAtGte"); gte != strconv.FormatInt(f.txs[1].CreatedAt, 10) {
		t.Errorf("rerun createdAtGte %s, want tx 2's createdAt", gte)
	}
	if n := len(f.events(t)); n != 10 {
		t.Fatalf("%d events, want 10", n)
	}
	if n := len(f.env.Messages(t)); n != 10 {
		t.Fatalf("%d messages, want 10", n)
	}
	if got, want := f.cursor(t, p), f.txs[9].CreatedTime(); !got.Equal(want) {
		t.Errorf("cursor %s, want %s", got, want)
	}
}

func TestReconcileCursorNeverMovesBack(t *testing.T) {
	f := newFixture(t, 3, nil)
	p := f.poller(nil)
	ctx := context.Background()
	if err := p.cursor().Advance(ctx, f.txs[2].CreatedTime()); err != nil {
		t.Fatal(err)
	}
	if err := p.cursor().Advance(ctx, f.txs[0].CreatedTime()); err != nil {
		t.Fatal(err)
	}
	if got := f.cursor(t, p); !got.Equal(f.txs[2].CreatedTime()) {
		t.Fatalf("cursor moved back to %s", got)
	}
	// --since re-reads older history without moving the cursor back either.
	p.Since = 2 * time.Hour
	res, err := p.Run(ctx)
	if err != nil || res.Fetched != 6 || !res.From.Equal(f.clock.Now().Add(-2*time.Hour)) {
		t.Fatalf("since run %+v %v", res, err)
	}
	if got := f.cursor(t, p); !got.Equal(f.txs[2].CreatedTime()) {
		t.Fatalf("cursor %s", got)
	}
}

func TestReconcileUnauthorized(t *testing.T) {
	other, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, 3, other.PubKey())
	p := f.poller(nil)
	_, err = p.Run(context.Background())
	var ae *httpapi.StatusError
	if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, axpay.ErrUnauthorized) || !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err %v, want a typed auth error", err)
	}
	if f.srv.Requests() != 1 {
		t.Errorf("%d requests; an auth error must not be retried", f.srv.Requests())
	}
	if _, ok, _ := p.Cursor(context.Background()); ok {
		t.Error("cursor written by a failed run")
	}
	// The lease was released: an immediate run is not blocked.
	if ok, err := p.lease().Acquire(context.Background(), "next", time.Minute); err != nil || !ok {
		t.Fatalf("lease not released: %v %v", ok, err)
	}
}

func TestReconcileLeaseHeld(t *testing.T) {
	f := newFixture(t, 3, nil)
	holder := f.poller(nil)
	if ok, err := holder.lease().Acquire(context.Background(), "other-run", 5*time.Minute); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	p := f.poller(nil)
	res, err := p.Run(context.Background())
	if err != nil || res.Stopped != poller.LeaseHeld || res.Fetched != 0 {
		t.Fatalf("run under a held lease: %+v %v", res, err)
	}
	if f.srv.Requests() != 0 {
		t.Fatalf("%d API requests under a held lease", f.srv.Requests())
	}
	// Nobody else may release it either.
	if err := p.lease().Release(context.Background(), "me"); err != nil {
		t.Fatal(err)
	}
	if res, _ := p.Run(context.Background()); res.Stopped != poller.LeaseHeld {
		t.Fatal("lease released by a non-owner")
	}
	// Once it expires (its holder crashed), the next run takes it over.
	f.clock.Add(5*time.Minute + time.Millisecond)
	res, err = p.Run(context.Background())
	if err != nil || res.Stopped != poller.Done || res.ReconciledMissing != 3 {
		t.Fatalf("run after expiry: %+v %v", res, err)
	}
}

func TestReconcileStopsBeforeDeadline(t *testing.T) {
	f := newFixture(t, 3, nil)
	p := f.poller(nil)
	p.Margin = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := p.Run(ctx)
	if err != nil || res.Stopped != poller.Deadline || f.srv.Requests() != 0 {
		t.Fatalf("%+v %v, %d requests", res, err, f.srv.Requests())
	}
}

func TestReconcileSkipsInvalidTransactions(t *testing.T) {
	f := newFixture(t, 2, nil)
	bad := f.txs[1]
	bad.ID, bad.Currency = "tx-bad", ""
	bad.CreatedAt++
	f.srv.Seed(bad)
	res, err := f.poller(nil).Run(context.Background())
	if err != nil || res.ReconciledMissing != 2 || res.Invalid["missing_field"]+res.Invalid["bad_field"] != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if strings.Contains(f.logs.String(), "example.com") {
		t.Error("an email address reached the log")
	}
}
