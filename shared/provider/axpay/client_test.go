package axpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/provider/axpay/axpaytest"
	"github.com/payhooks/payhooks/shared/support/httpapi"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newClient(t *testing.T) (*axpay.Client, *axpaytest.Server, *sleeps) {
	t.Helper()
	signer, err := axpay.NewSigner(testClient, testPrivKey, "", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := axpaytest.New(t, signer.PublicKey(), testClient)
	sl := &sleeps{}
	c := &axpay.Client{
		BaseURL: srv.URL,
		Signer:  signer,
		Timeout: 2 * time.Second,
		Now:     func() time.Time { return t0 },
		Sleep:   sl.sleep,
		Rand:    func() float64 { return 0.5 },
	}
	return c, srv, sl
}

func ids(t *testing.T, txs []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, raw := range txs {
		var v struct{ ID string }
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v.ID)
	}
	return out
}

func TestEveryFilterReachesServer(t *testing.T) {
	c, srv, _ := newClient(t)
	f := axpay.Filter{
		Limit: 25, Offset: 50,
		OrderID: "order-1001", RewardType: "CASH_BACK", WebhookStatus: "FAILED",
		AmountGte: "10.50", AmountLte: "1000", RewardRateGte: "0.01", RewardRateLte: "0.1",
		CreatedAtGte: t0, CreatedAtLte: t0.Add(90 * time.Minute),
		FromEmail: email, OrderBy: "amount", Order: "asc",
	}
	if _, err := c.ListTransactions(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"limit": {"25"}, "offset": {"50"}, "orderId": {"order-1001"}, "rewardType": {"CASH_BACK"},
		"webhookStatus": {"FAILED"}, "amountGte": {"10.50"}, "amountLte": {"1000"},
		"rewardRateGte": {"0.01"}, "rewardRateLte": {"0.1"},
		"createdAtGte": {"1767225600000"}, "createdAtLte": {"1767231000000"},
		"fromEmail": {email}, "orderBy": {"amount"}, "order": {"asc"},
	}
	if got := srv.LastQuery(); !reflect.DeepEqual(got, want) {
		t.Fatalf("query\n got %v\nwant %v", got, want)
	}
	// The zero filter sends nothing.
	if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.LastQuery(); len(got) != 0 {
		t.Fatalf("zero filter sent %v", got)
	}
}

func TestFilterValidation(t *testing.T) {
	for name, f := range map[string]axpay.Filter{
		"negative limit": {Limit: -1},
		"amount words":   {AmountGte: "ten"},
		"order":          {Order: "up"},
		"orderBy":        {OrderBy: "id"},
	} {
		if _, err := f.Query(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestListFiltersResults(t *testing.T) {
	c, srv, _ := newClient(t)
	srv.Seed(axpaytest.MakeTransactions(12, t0)...)
	page, err := c.ListTransactions(context.Background(), axpay.Filter{
		RewardType: "CASH_BACK", CreatedAtGte: t0.Add(2 * time.Minute), OrderBy: "createdAt", Order: "asc", Limit: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, page.Transactions); !reflect.DeepEqual(got, []string{"tx-000004", "tx-000005", "tx-000007"}) {
		t.Fatalf("ids %v", got)
	}
	if page.Total == nil || *page.Total != 6 {
		t.Fatalf("total %v", page.Total)
	}
	// Each listed transaction normalizes like a webhook.
	for _, raw := range page.Transactions {
		ev, err := axpay.NormalizeTransaction(raw)
		if err != nil || ev.Type != "payment.succeeded" {
			t.Fatalf("%s: %v %s", raw, err, ev.Type)
		}
	}
}

// A null total is no total: read as 0 it would end the list after the first page.
func TestNullTotalIsNoTotal(t *testing.T) {
	c, srv, _ := newClient(t)
	srv.NoTotal = true
	srv.Seed(axpaytest.MakeTransactions(3, t0)...)
	page, err := c.ListTransactions(context.Background(), axpay.Filter{Limit: 2})
	if err != nil || len(page.Transactions) != 2 || page.Total != nil {
		t.Fatalf("page %d rows, total %v, %v", len(page.Transactions), page.Total, err)
	}
}

func TestResponseShapes(t *testing.T) {
	for _, shape := range []axpaytest.Shape{axpaytest.ShapeData, axpaytest.ShapeArray, axpaytest.ShapeTransactions, axpaytest.ShapeItems, axpaytest.ShapeDocs} {
		t.Run(string(shape), func(t *testing.T) {
			c, srv, _ := newClient(t)
			srv.Shape = shape
			srv.Seed(axpaytest.MakeTransactions(5, t0)...)
			page, err := c.ListTransactions(context.Background(), axpay.Filter{Limit: 2, Offset: 1, Order: "asc"})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, page.Transactions); !reflect.DeepEqual(got, []string{"tx-000002", "tx-000003"}) {
				t.Fatalf("ids %v", got)
			}
			wantTotal := shape != axpaytest.ShapeArray && shape != axpaytest.ShapeItems
			if (page.Total != nil) != wantTotal || (wantTotal && *page.Total != 5) {
				t.Fatalf("total %v", page.Total)
			}
		})
	}
}

func TestUnexpectedResponse(t *testing.T) {
	for _, body := range []string{`{"message":"ok"}`, `"x"`, ``, `{"data":"x"}`, `[1,`} {
		srv := httpServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })
		c := plainClient(t, srv)
		if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); !errors.Is(err, axpay.ErrUnexpectedResponse) {
			t.Errorf("%q: err = %v", body, err)
		}
	}
}

func TestRetries500ThenSucceeds(t *testing.T) {
	c, srv, sl := newClient(t)
	c.BaseDelay = 100 * time.Millisecond
	srv.Seed(axpaytest.MakeTransactions(1, t0)...)
	srv.FailNext(2, http.StatusInternalServerError, "")
	page, err := c.ListTransactions(context.Background(), axpay.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Transactions) != 1 || srv.Requests() != 3 {
		t.Fatalf("%d transactions in %d requests", len(page.Transactions), srv.Requests())
	}
	// Full jitter with Rand = 0.5: half of 100ms, then half of 200ms.
	if got := sl.get(); !reflect.DeepEqual(got, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}) {
		t.Fatalf("sleeps %v", got)
	}
}

func TestBackoffIsCapped(t *testing.T) {
	c, srv, sl := newClient(t)
	c.BaseDelay, c.MaxDelay, c.MaxAttempts = time.Second, 3*time.Second, 5
	c.Rand = func() float64 { return 0.999999 }
	srv.FailNext(10, http.StatusBadGateway, "")
	_, err := c.ListTransactions(context.Background(), axpay.Filter{})
	var se *httpapi.StatusError
	if !errors.As(err, &se) || se.StatusCode != 502 || srv.Requests() != 5 {
		t.Fatalf("err %v after %d requests", err, srv.Requests())
	}
	for _, d := range sl.get() {
		if d > 3*time.Second {
			t.Fatalf("sleep %v above MaxDelay", d)
		}
	}
	if len(sl.get()) != 4 {
		t.Fatalf("sleeps %v", sl.get())
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name, header string
		want         time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", t0.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{"unreadable falls back to backoff", "soon", 125 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, sl := newClient(t)
			srv.FailNext(1, http.StatusTooManyRequests, tt.header)
			if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); err != nil {
				t.Fatal(err)
			}
			if got := sl.get(); !reflect.DeepEqual(got, []time.Duration{tt.want}) || srv.Requests() != 2 {
				t.Fatalf("sleeps %v requests %d", got, srv.Requests())
			}
		})
	}
}

func TestRetryAfterTooLongGivesUp(t *testing.T) {
	c, srv, sl := newClient(t)
	srv.FailNext(1, http.StatusServiceUnavailable, "3600")
	_, err := c.ListTransactions(context.Background(), axpay.Filter{})
	var se *httpapi.StatusError
	if !errors.As(err, &se) || se.RetryAfter != time.Hour || len(sl.get()) != 0 || srv.Requests() != 1 {
		t.Fatalf("err %v sleeps %v", err, sl.get())
	}
}

func TestDeadlineStopsRetries(t *testing.T) {
	c, srv, sl := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.FailNext(1, http.StatusTooManyRequests, "30")
	_, err := c.ListTransactions(ctx, axpay.Filter{})
	var se *httpapi.StatusError
	if !errors.As(err, &se) || se.StatusCode != 429 {
		t.Fatalf("err %v, want the last 429", err)
	}
	if srv.Requests() != 1 || len(sl.get()) != 0 {
		t.Fatalf("requests %d sleeps %v: slept towards a wait past the deadline", srv.Requests(), sl.get())
	}

	// Backoff without Retry-After is bounded the same way.
	c.BaseDelay = 20 * time.Second
	c.Rand = func() float64 { return 0.9 }
	srv.FailNext(5, http.StatusInternalServerError, "")
	if _, err := c.ListTransactions(ctx, axpay.Filter{}); !errors.As(err, &se) || se.StatusCode != 500 {
		t.Fatalf("err %v", err)
	}
	if srv.Requests() != 2 || len(sl.get()) != 0 {
		t.Fatalf("requests %d sleeps %v", srv.Requests(), sl.get())
	}
}

func TestCancelledContextStopsRetries(t *testing.T) {
	c, srv, _ := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	c.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	srv.FailNext(5, http.StatusInternalServerError, "")
	_, err := c.ListTransactions(ctx, axpay.Filter{})
	if !errors.Is(err, context.Canceled) || srv.Requests() != 1 {
		t.Fatalf("err %v requests %d", err, srv.Requests())
	}
}

func TestUnauthorizedIsTypedAndNotRetried(t *testing.T) {
	other, err := axpay.NewSigner(testClient, "0x"+strings.Repeat("11", 32), "", "")
	if err != nil {
		t.Fatal(err)
	}
	c, srv, sl := newClient(t)
	c.Signer = other
	_, err = c.ListTransactions(context.Background(), axpay.Filter{})
	var ae *httpapi.StatusError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !errors.Is(err, axpay.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	if srv.Requests() != 1 || len(sl.get()) != 0 {
		t.Fatalf("retried: %d requests", srv.Requests())
	}
	srv.FailNext(1, http.StatusForbidden, "")
	if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); !errors.Is(err, axpay.ErrUnauthorized) {
		t.Fatalf("403: %v", err)
	}
}

func TestOtherClientErrorsNotRetried(t *testing.T) {
	c, srv, _ := newClient(t)
	srv.FailNext(1, http.StatusBadRequest, "")
	_, err := c.ListTransactions(context.Background(), axpay.Filter{})
	var se *httpapi.StatusError
	if !errors.As(err, &se) || se.StatusCode != 400 || srv.Requests() != 1 {
		t.Fatalf("err %v requests %d", err, srv.Requests())
	}
}

func TestNetworkErrorsRetriedWithoutURLInError(t *testing.T) {
	c, srv, sl := newClient(t)
	srv.Close()
	_, err := c.ListTransactions(context.Background(), axpay.Filter{FromEmail: email})
	if err == nil || len(sl.get()) != axpay.DefaultMaxAttempts-1 {
		t.Fatalf("err %v sleeps %v", err, sl.get())
	}
	if strings.Contains(err.Error(), "example.com") || strings.Contains(err.Error(), "fromEmail") {
		t.Fatalf("error leaks the query: %v", err)
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.Write([]byte(`[]`))
	})
	c := plainClient(t, srv)
	c.Timeout = 50 * time.Millisecond
	if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("calls %d", calls)
	}
}

func TestTimestampedKeysAgainstFake(t *testing.T) {
	signer, err := axpay.NewSigner(testClient, testPrivKey, axpay.SchemeRawKeccak, "{clientId}:{timestampMs}")
	if err != nil {
		t.Fatal(err)
	}
	srv := axpaytest.New(t, signer.PublicKey(), testClient)
	srv.Scheme = axpay.SchemeRawKeccak
	srv.Messages = func() []string { return []string{axpay.RenderMessage("{clientId}:{timestampMs}", testClient, t0)} }
	c := &axpay.Client{BaseURL: srv.URL, Signer: signer, Now: func() time.Time { return t0 }}
	if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); err != nil {
		t.Fatal(err)
	}
	c.Now = func() time.Time { return t0.Add(time.Millisecond) }
	if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); !errors.Is(err, axpay.ErrUnauthorized) {
		t.Fatalf("stale message accepted: %v", err)
	}
}

func TestBadClientConfig(t *testing.T) {
	signer, _ := axpay.NewSigner(testClient, testPrivKey, "", "")
	for name, c := range map[string]*axpay.Client{
		"no signer":  {BaseURL: "http://127.0.0.1:1"},
		"bad scheme": {BaseURL: "ftp://x", Signer: signer},
	} {
		if _, err := c.ListTransactions(context.Background(), axpay.Filter{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
