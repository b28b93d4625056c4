package chainstatus

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/poller"
	"github.com/payhooks/payhooks/shared/poller/chainstatus/chainstatustest"
	"github.com/payhooks/payhooks/shared/poller/pollertest"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

const secretsFile = "../../../dev/secrets.json"

// t0 is when the test payments are made; the clock starts a minute later.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type fixture struct {
	env     *stacktest.Env
	fake    *chainstatustest.Server
	clock   *pollertest.Clock
	in      *ingest.Ingester
	secret  string
	logs    *bytes.Buffer
	metrics *pollertest.Metrics
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	b, err := os.ReadFile(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]instaxchange.SecretDoc
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		env: stacktest.New(t), fake: chainstatustest.New(t), clock: pollertest.NewClock(t0.Add(time.Minute)),
		secret: docs["payhooks/instaxchange"].WebhookSecrets[0], logs: &bytes.Buffer{},
		metrics: &pollertest.Metrics{Provider: Provider},
	}
	f.in = &ingest.Ingester{Store: f.env.Store, Now: f.clock.Now}
	return f
}

func (f *fixture) poller() *Poller {
	return &Poller{
		Client:   &Client{BaseURL: f.fake.URL},
		Ingester: f.in,
		DB:       f.env.Clients.DynamoDB,
		Table:    f.env.Table,
		Log:      slog.New(slog.NewJSONHandler(f.logs, nil)),
		Metrics:  f.metrics,
		Now:      f.clock.Now,
	}
}

// deliver sends a payment through the real webhook handler, signed as InstaXchange signs.
func (f *fixture) deliver(t *testing.T, txID, status, withdraw string) string {
	t.Helper()
	body := chainstatustest.Webhook(txID, status, withdraw, t0)
	sig, err := instaxchange.Sign(body, f.secret)
	if err != nil {
		t.Fatal(err)
	}
	h := &webhook.Handler{
		Provider: instaxchange.New(secrets.File{Path: secretsFile}, "payhooks/instaxchange"),
		Ingester: f.in, Log: slog.New(slog.DiscardHandler), Now: f.clock.Now,
	}
	resp, err := h.Lambda(context.Background(), events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + instaxchange.SamplePath, RawPath: instaxchange.SamplePath,
		Headers: map[string]string{"content-type": "application/json", strings.ToLower(instaxchange.SignatureHeader): sig},
		Body:    string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-" + txID, TimeEpoch: f.clock.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: instaxchange.SamplePath, SourceIP: "203.0.113.10"},
		},
	})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook %s: %d %s %v", txID, resp.StatusCode, resp.Body, err)
	}
	var out map[string]string
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return out["status"]
}

// published drains the queue and returns the events by type, each validated.
func (f *fixture) published(t *testing.T) map[event.Type][]event.Event {
	t.Helper()
	out := map[event.Type][]event.Event{}
	for _, m := range f.env.Messages(t) {
		eventtest.Validate(t, []byte(*m.Body))
		var ev event.Event
		if err := json.Unmarshal([]byte(*m.Body), &ev); err != nil {
			t.Fatal(err)
		}
		out[ev.Type] = append(out[ev.Type], ev)
	}
	return out
}

func (f *fixture) run(t *testing.T, p *Poller) Result {
	t.Helper()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v\n%s", err, f.logs)
	}
	return res
}

func (f *fixture) payout(t *testing.T, p *Poller, tx string) Payout {
	t.Helper()
	po, err := p.GetPayout(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	return po
}

const (
	hashA = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e4f6a8b0d2f4e6a8c0e"
	hashB = "0x5d1e3f7a9b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"
	hashC = "4UrkfyUDAn3dWkBW7d5XQ5iJbxvxVc6AabX6pWKd7nDLcF9UXxVi3RAgFZp6yYZxQQ"
)

func TestConfirmsEachPayoutExactlyOnce(t *testing.T) {
	f := newFixture(t)
	for _, tx := range []string{"ixc-a", "ixc-b", "ixc-c"} {
		if got := f.deliver(t, tx, "completed", "wd-"+tx); got != "accepted" {
			t.Fatalf("%s: %s", tx, got)
		}
	}
	f.deliver(t, "ixc-failed", "failed", "wd-ixc-failed")
	f.deliver(t, "ixc-nowd", "completed", "")
	// Three shapes the undocumented answer may take, each after a few "not yet".
	f.fake.Script("wd-ixc-a", chainstatustest.Pending(), chainstatustest.Pending(), chainstatustest.Hash(hashA))
	f.fake.Script("wd-ixc-b", chainstatustest.Answer{Status: 404, Body: `{"message":"not found"}`},
		chainstatustest.Answer{Body: `{"data":{"txHash":"` + hashB + `","confirmations":"12","status":"confirmed"}}`})
	f.fake.Script("wd-ixc-c", chainstatustest.Pending(), chainstatustest.Answer{Body: `{"result":{"status":"broadcasting"}}`},
		chainstatustest.Pending(),
		chainstatustest.Answer{Body: `{"result":{"transactionHash":"` + hashC + `","status":"success","confirmations":6}}`})
	payments := f.published(t)
	if len(payments["payment.succeeded"]) != 4 || len(payments["payment.failed"]) != 1 {
		t.Fatalf("payments published: %v", payments)
	}

	p := f.poller()
	res := f.run(t, p)
	if res.Discovered != 3 || res.Checked != 3 || res.StillOpen != 3 || res.Confirmed != 0 || res.Errors != 0 || res.Stopped != "" {
		t.Fatalf("first run %+v", res)
	}
	if po := f.payout(t, p, "ixc-a"); po.Attempts != 1 || po.LastState != "pending" || po.WithdrawTxID != "wd-ixc-a" ||
		po.NextCheck != store.FormatTime(f.clock.Now().Add(DefaultMinInterval)) || po.PaymentEventID != "instaxchange:ixc-a:completed" {
		t.Fatalf("tracking item after one check: %+v", po)
	}
	if got := f.published(t); len(got) != 0 {
		t.Fatalf("published while pending: %v", got)
	}

	confirmed := 0
	for i := 0; i < 10 && confirmed < 3; i++ {
		f.clock.Add(2 * time.Minute)
		res := f.run(t, p)
		if res.Errors != 0 || res.Discovered != 0 {
			t.Fatalf("run %d: %+v", i, res)
		}
		confirmed += res.Confirmed
	}
	if confirmed != 3 {
		t.Fatalf("confirmed %d, want 3\n%s", confirmed, f.logs)
	}
	got := f.published(t)
	if len(got) != 1 || len(got[TypeConfirmed]) != 3 {
		t.Fatalf("published %v", got)
	}
	want := map[string]struct {
		hash string
		conf any
		st   string
	}{
		"ixc-a": {hashA, nil, "confirmed"}, "ixc-b": {hashB, float64(12), "confirmed"}, "ixc-c": {hashC, float64(6), "success"},
	}
	for _, ev := range got[TypeConfirmed] {
		w, ok := want[ev.ObjectRef]
		if !ok {
			t.Fatalf("unexpected %s", ev.ID)
		}
		delete(want, ev.ObjectRef)
		if ev.ID != "instaxchange:"+ev.ObjectRef+":payout" || ev.Provider != "instaxchange" ||
			ev.Status != event.Succeeded || !ev.Terminal || ev.Origin != event.OriginReconciliation ||
			ev.Details["blockchainHash"] != w.hash || ev.Details["withdrawTxId"] != "wd-"+ev.ObjectRef ||
			ev.Details["confirmations"] != w.conf || ev.Details["chainStatus"] != w.st ||
			ev.Details["blockchainStatus"] == nil || ev.MerchantRef != "order-"+ev.ObjectRef ||
			ev.Amount == nil || ev.Amount.Value != "0.0421399418187522" || ev.Amount.Currency != "LTC" {
			t.Errorf("event %s: %+v", ev.ID, ev)
		}
		if po := f.payout(t, p, ev.ObjectRef); po.Outcome != OutcomeConfirmed || po.BlockchainHash != w.hash || po.NextCheck != "" {
			t.Errorf("tracking item %s after confirmation: %+v", ev.ObjectRef, po)
		}
	}
	// The payment's state item is untouched: still the payment's terminal status.
	st, err := f.env.Store.GetState(context.Background(), "instaxchange", "ixc-a")
	if err != nil || st.EventID != "instaxchange:ixc-a:completed" || st.Status != "succeeded" {
		t.Errorf("state item %+v %v", st, err)
	}

	// Nothing more, whatever happens next: more runs, a redelivered webhook, a re-discovery.
	calls := f.fake.TotalCalls()
	if got := f.deliver(t, "ixc-a", "completed", "wd-ixc-a"); got != "duplicate" {
		t.Fatalf("redelivery: %s", got)
	}
	f.clock.Add(80 * time.Hour)
	p.Since = 100 * time.Hour
	res = f.run(t, p)
	if res.Discovered != 0 || res.Checked != 0 || res.Confirmed != 0 || res.Unconfirmed != 0 {
		t.Fatalf("run after confirmation: %+v", res)
	}
	if f.fake.TotalCalls() != calls {
		t.Fatalf("asked again after confirmation")
	}
	if got := f.published(t); len(got) != 0 {
		t.Fatalf("published again: %v", got)
	}
	if f.metrics.Get("chainstatus_confirmed") != 3 || f.metrics.Get("chainstatus_checked") != float64(calls) ||
		f.metrics.Get("chainstatus_errors") != 0 {
		t.Errorf("metrics %v (calls %d)", f.metrics.All(), calls)
	}
}

func TestUnconfirmedAfterHorizon(t *testing.T) {
	f := newFixture(t)
	f.deliver(t, "ixc-lost", "completed", "wd-lost")
	f.published(t)
	p := f.poller()
	if res := f.run(t, p); res.Discovered != 1 || res.StillOpen != 1 {
		t.Fatalf("first run %+v", res)
	}
	// Just before the horizon: still open, and the next check is on the horizon itself, not
	// a full backoff later.
	f.clock.Add(DefaultHorizon - 3*time.Minute)
	if res := f.run(t, p); res.StillOpen != 1 || res.Unconfirmed != 0 {
		t.Fatalf("before the horizon %+v", res)
	}
	horizonAt := t0.Add(DefaultHorizon)
	if po := f.payout(t, p, "ixc-lost"); po.NextCheck != store.FormatTime(horizonAt) {
		t.Fatalf("next check %s, want the horizon %s", po.NextCheck, store.FormatTime(horizonAt))
	}
	f.clock.Add(3 * time.Minute)
	if res := f.run(t, p); res.Unconfirmed != 1 || res.Checked != 1 {
		t.Fatalf("at the horizon %+v", res)
	}
	got := f.published(t)
	if len(got) != 1 || len(got[TypeUnconfirmed]) != 1 {
		t.Fatalf("published %v", got)
	}
	ev := got[TypeUnconfirmed][0]
	if ev.ID != "instaxchange:ixc-lost:payout" || ev.Status != event.Failed || !ev.Terminal ||
		ev.Failure == nil || ev.Failure.Code != "no_blockchain_hash" || ev.Details["withdrawTxId"] != "wd-lost" ||
		ev.Details["checks"] != float64(3) || ev.ObjectRef != "ixc-lost" {
		t.Errorf("event %+v", ev)
	}
	if f.metrics.Get("chainstatus_unconfirmed") != 1 {
		t.Errorf("metrics %v", f.metrics.All())
	}
	if po := f.payout(t, p, "ixc-lost"); po.Outcome != OutcomeUnconfirmed || po.NextCheck != "" {
		t.Errorf("tracking item %+v", po)
	}
	// And never again.
	calls := f.fake.TotalCalls()
	for range 3 {
		f.clock.Add(time.Hour)
		if res := f.run(t, p); res.Checked+res.Unconfirmed+res.Errors != 0 {
			t.Fatalf("after the verdict %+v", res)
		}
	}
	if f.fake.TotalCalls() != calls || len(f.published(t)) != 0 || f.metrics.Get("chainstatus_unconfirmed") != 1 {
		t.Fatal("more after the verdict")
	}
}

func TestBadAnswersNeverStopTheRun(t *testing.T) {
	f := newFixture(t)
	big := `{"status":"pending","padding":"` + strings.Repeat("x", 70<<10) + `"}`
	bad := map[string]chainstatustest.Answer{
		"malformed": {Body: `{"hash":`},
		"html":      {Status: 502, Body: "<html>Bad gateway</html>", Header: map[string]string{"Content-Type": "text/html"}},
		"error500":  {Status: 500, Body: `{"error":"boom"}`},
		"notfound":  {Status: 404},
		"bare":      {Body: `"` + hashA + `"`},
		"array":     {Body: `[{"hash":"` + hashA + `"}]`},
		"huge":      {Body: big},
		"hangup":    {Hangup: true},
		"slow":      {Delay: 2 * time.Second, Body: `{"hash":"` + hashA + `"}`},
		"forbidden": {Status: 403, Body: `{"message":"forbidden"}`},
		"badhash":   {Body: `{"hash":"pending","txHash":"","data":{"hash":null,"confirmations":-1}}`},
	}
	for name, a := range bad {
		f.deliver(t, "ixc-"+name, "completed", "wd-"+name)
		// One answer, repeated: the transport may retry a GET whose connection was reset.
		f.fake.Script("wd-"+name, a)
	}
	f.published(t)
	p := f.poller()
	p.RequestTimeout = 300 * time.Millisecond
	res := f.run(t, p)
	// Answers read: malformed, notfound, bare, array, huge, badhash. Failed: html, error500,
	// hangup, slow, forbidden.
	if res.Discovered != len(bad) || res.Checked != 6 || res.Errors != 5 || res.StillOpen != 6 || res.Confirmed != 0 || res.Stopped != "" {
		t.Fatalf("run %+v\n%s", res, f.logs)
	}
	if got := f.published(t); len(got) != 0 {
		t.Fatalf("published on bad answers: %v", got)
	}
	if po := f.payout(t, p, "ixc-error500"); po.Attempts != 1 || !strings.Contains(po.LastError, "500") {
		t.Errorf("after a 500: %+v", po)
	}
	if po := f.payout(t, p, "ixc-malformed"); po.LastError != "not JSON" {
		t.Errorf("after malformed JSON: %+v", po)
	}
	if f.metrics.Get("chainstatus_errors") != 5 {
		t.Errorf("metrics %v", f.metrics.All())
	}
	for name := range bad {
		f.fake.Script("wd-"+name, chainstatustest.Hash(hashB))
	}
	f.clock.Add(2 * time.Minute)
	if res := f.run(t, p); res.Confirmed != len(bad) || res.Errors != 0 {
		t.Fatalf("second run %+v", res)
	}
	if got := f.published(t); len(got[TypeConfirmed]) != len(bad) {
		t.Fatalf("published %v", got)
	}
}

func TestRateLimitStopsDispatchAndBacksOff(t *testing.T) {
	f := newFixture(t)
	for _, tx := range []string{"ixc-1", "ixc-2", "ixc-3"} {
		f.deliver(t, tx, "completed", "wd-"+tx)
	}
	f.fake.Default = chainstatustest.Answer{Status: 429, Header: map[string]string{"Retry-After": "300"}}
	p := f.poller()
	p.Concurrency = 1
	res := f.run(t, p)
	if res.Stopped != poller.RateLimited || res.Errors != 1 || f.fake.TotalCalls() != 1 {
		t.Fatalf("run %+v, calls %d", res, f.fake.TotalCalls())
	}
	limited := 0
	for _, tx := range []string{"ixc-1", "ixc-2", "ixc-3"} {
		po := f.payout(t, p, tx)
		switch po.Attempts {
		case 0:
			if po.NextCheck != store.FormatTime(f.clock.Now()) {
				t.Errorf("%s: untouched payout moved: %+v", tx, po)
			}
		case 1:
			limited++
			if po.NextCheck != store.FormatTime(f.clock.Now().Add(5*time.Minute)) {
				t.Errorf("%s: Retry-After not honoured: %+v", tx, po)
			}
		}
	}
	if limited != 1 {
		t.Fatalf("%d payouts checked", limited)
	}
	// The endpoint recovers: the two left are checked at once, the limited one when due.
	f.fake.Default = chainstatustest.Pending()
	f.clock.Add(time.Minute)
	if res := f.run(t, p); res.Checked != 2 || res.Stopped != "" {
		t.Fatalf("second run %+v", res)
	}
	f.clock.Add(5 * time.Minute)
	if res := f.run(t, p); res.Checked != 3 {
		t.Fatalf("third run %+v", res)
	}
}

// Failing answers get ErrorGrace past the horizon before the verdict.
func TestErrorsPastTheHorizon(t *testing.T) {
	f := newFixture(t)
	f.deliver(t, "ixc-down", "completed", "wd-down")
	f.published(t)
	f.fake.Default = chainstatustest.Answer{Status: 503}
	p := f.poller()
	f.run(t, p)
	f.clock.Add(DefaultHorizon + time.Hour)
	if res := f.run(t, p); res.Errors != 1 || res.Unconfirmed != 0 {
		t.Fatalf("within the grace %+v", res)
	}
	f.clock.Add(DefaultErrorGrace)
	if res := f.run(t, p); res.Unconfirmed != 1 {
		t.Fatalf("after the grace %+v", res)
	}
	got := f.published(t)[TypeUnconfirmed]
	if len(got) != 1 || !strings.Contains(got[0].Details["lastError"].(string), "503") {
		t.Fatalf("published %v", got)
	}
}

// A run cut by its deadline leaves what it did not finish due, untouched, for the next run.
func TestStopsBeforeTheDeadline(t *testing.T) {
	f := newFixture(t)
	const n = 10
	for i := range n {
		tx := "ixc-" + string(rune('a'+i))
		f.deliver(t, tx, "completed", "wd-"+tx)
	}
	f.fake.Default = chainstatustest.Answer{Delay: 500 * time.Millisecond, Body: `{"status":"pending"}`}
	p := f.poller()
	p.Concurrency = 2
	p.Margin = 100 * time.Millisecond
	// 10 checks of 500 ms, 2 at a time, need 2.5 s: a 2 s budget cuts the run even if discovery is slow.
	ctx, cancel := context.WithTimeout(context.Background(), 2000*time.Millisecond)
	defer cancel()
	res, err := p.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != poller.Deadline || res.Checked == 0 || res.Checked >= n || res.Errors != 0 {
		t.Fatalf("cut run %+v", res)
	}
	first := res.Checked
	res = f.run(t, p) // same clock: only what was not checked is due
	if res.Checked != n-first || res.Stopped != "" {
		t.Fatalf("second run %+v after %d", res, first)
	}
	for i := range n {
		if po := f.payout(t, p, "ixc-"+string(rune('a'+i))); po.Attempts != 1 {
			t.Errorf("%s: %d attempts", po.TransactionID, po.Attempts)
		}
	}

	// A run that starts with no time left does nothing.
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res, err := p.Run(ctx); err != nil || res.Stopped != poller.Deadline || res.Checked != 0 {
		t.Fatalf("no time %+v %v", res, err)
	}
}

func TestLeaseHeld(t *testing.T) {
	f := newFixture(t)
	f.deliver(t, "ixc-l", "completed", "wd-l")
	other := f.poller()
	if ok, err := other.lease().Acquire(context.Background(), "other", time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	p := f.poller()
	if res := f.run(t, p); res.Stopped != poller.LeaseHeld || res.Discovered != 0 {
		t.Fatalf("%+v", res)
	}
	if err := other.lease().Release(context.Background(), "other"); err != nil {
		t.Fatal(err)
	}
	if res := f.run(t, p); res.Stopped != poller.Done || res.Discovered != 1 {
		t.Fatalf("%+v", res)
	}
}

func TestParse(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	for _, c := range []struct {
		name, body  string
		hash, state string
		conf        *int64
		malformed   bool
	}{
		{"hash", `{"hash":"` + hashA + `"}`, hashA, "", nil, false},
		{"txHash", `{"txHash":"` + hashB + `","status":"confirmed","confirmations":7}`, hashB, "confirmed", i64(7), false},
		{"blockchainHash", `{"blockchainHash":"` + hashC + `"}`, hashC, "", nil, false},
		{"transactionHash", `{"TransactionHash":"` + hashA + `","State":"done"}`, hashA, "done", nil, false},
		{"nested data", `{"success":true,"data":{"hash":"` + hashA + `","confirmations":"2"}}`, hashA, "", i64(2), false},
		{"nested result", `{"result":{"txHash":"` + hashA + `"},"status":"ok"}`, hashA, "ok", nil, false},
		{"top level first", `{"hash":"` + hashA + `","data":{"hash":"` + hashB + `"}}`, hashA, "", nil, false},
		{"pending", `{"status":"pending","hash":null}`, "", "pending", nil, false},
		{"placeholder", `{"hash":"N/A","txHash":"pending","transactionHash":"0x"}`, "", "", nil, false},
		{"number hash", `{"hash":12345678901234567890}`, "", "", nil, false},
		{"two levels down", `{"data":{"result":{"hash":"` + hashA + `"}}}`, "", "", nil, false},
		{"fractional confirmations", `{"confirmations":1.5}`, "", "", nil, false},
		{"empty object", `{}`, "", "", nil, false},
		{"array", `[]`, "", "", nil, true},
		{"string", `"` + hashA + `"`, "", "", nil, true},
		{"not json", `<html></html>`, "", "", nil, true},
		{"truncated", `{"hash":"` + hashA, "", "", nil, true},
		{"trailing", `{} {}`, "", "", nil, true},
		{"empty", ``, "", "", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := Parse([]byte(c.body))
			if st.Hash != c.hash || st.State != c.state || st.Malformed != c.malformed ||
				(c.conf == nil) != (st.Confirmations == nil) || (c.conf != nil && *c.conf != *st.Confirmations) {
				t.Fatalf("%+v", st)
			}
		})
	}
	// Emails in an answer are masked before they can reach an event.
	st := Parse([]byte(`{"status":"pending","owner":"john.doe` + "@" + `example.com"}`))
	if b, _ := json.Marshal(st.Response); strings.Contains(string(b), "john.doe@") {
		t.Fatalf("email kept: %s", b)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"hash":"` + hashA + `"}`, `{"data":{"confirmations":"3"}}`, `[]`, `"x"`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st := Parse(b)
		if st.Hash != "" && !plausibleHash(st.Hash) {
			t.Fatalf("implausible hash %q", st.Hash)
		}
	})
}

func TestBackoff(t *testing.T) {
	p := &Poller{}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for i, w := range want {
		if got := p.backoff(i + 1); got != w {
			t.Errorf("attempt %d: %s, want %s", i+1, got, w)
		}
	}
	if got := p.backoff(1000); got != DefaultMaxInterval {
		t.Errorf("attempt 1000: %s", got)
	}
}
