package instaxchange

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/support/httpapi"
)

func validReceiving() SessionRequest {
	return SessionRequest{ToAmount: "10", ToCurrency: "USDT", FromCurrency: "USD", AmountDirection: Receiving, WebhookRef: "order-123"}
}

func TestSessionValidation(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(r *SessionRequest)
		field string // "" means valid
	}{
		{"receiving ok", func(r *SessionRequest) {}, ""},
		{"sending ok", func(r *SessionRequest) { r.AmountDirection, r.FromAmount, r.ToAmount = Sending, "25.50", "" }, ""},
		{"every optional field", func(r *SessionRequest) {
			r.AccountRefID, r.Address, r.ReturnURL = "acct-9", "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE", "https://shop.example.com/done?o=1"
		}, ""},
		{"case is canonicalized", func(r *SessionRequest) {
			r.ToCurrency, r.FromCurrency, r.AmountDirection = "usdt-tron", "eur", "Receiving"
		}, ""},
		{"USDT-AVALANCHE", func(r *SessionRequest) { r.ToCurrency = "USDT-AVALANCHE" }, ""},
		{"no direction", func(r *SessionRequest) { r.AmountDirection = "" }, "amountDirection"},
		{"bad direction", func(r *SessionRequest) { r.AmountDirection = "both" }, "amountDirection"},
		{"receiving without toAmount", func(r *SessionRequest) { r.ToAmount = "" }, "toAmount"},
		{"sending without fromAmount", func(r *SessionRequest) { r.AmountDirection, r.ToAmount = Sending, "" }, "fromAmount"},
		{"receiving with fromAmount", func(r *SessionRequest) { r.FromAmount = "9" }, "fromAmount"},
		{"sending with toAmount", func(r *SessionRequest) { r.AmountDirection, r.FromAmount = Sending, "9" }, "toAmount"},
		{"negative", func(r *SessionRequest) { r.ToAmount = "-1" }, "toAmount"},
		{"zero", func(r *SessionRequest) { r.ToAmount = "0.00" }, "toAmount"},
		{"exponent", func(r *SessionRequest) { r.ToAmount = "1e3" }, "toAmount"},
		{"comma", func(r *SessionRequest) { r.ToAmount = "10,5" }, "toAmount"},
		{"leading zero", func(r *SessionRequest) { r.ToAmount = "010" }, "toAmount"},
		{"dot only", func(r *SessionRequest) { r.ToAmount = "10." }, "toAmount"},
		{"no toCurrency", func(r *SessionRequest) { r.ToCurrency = "" }, "toCurrency"},
		{"unknown toCurrency", func(r *SessionRequest) { r.ToCurrency = "BTC" }, "toCurrency"},
		{"no fromCurrency", func(r *SessionRequest) { r.FromCurrency = " " }, "fromCurrency"},
		{"odd fromCurrency", func(r *SessionRequest) { r.FromCurrency = "US D" }, "fromCurrency"},
		{"relative returnUrl", func(r *SessionRequest) { r.ReturnURL = "/done" }, "returnUrl"},
		{"ftp returnUrl", func(r *SessionRequest) { r.ReturnURL = "ftp://example.com/x" }, "returnUrl"},
		{"address with space", func(r *SessionRequest) { r.Address = "0xabc def" }, "address"},
		{"huge webhookRef", func(r *SessionRequest) { r.WebhookRef = strings.Repeat("r", 2000) }, "webhookRef"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := validReceiving()
			c.edit(&r)
			err := r.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrInvalidSession) {
				t.Fatalf("error %v, want a FieldError on %s", err, c.field)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("message does not name the field: %v", err)
			}
		})
	}
}

func TestSessionBodyKeepsDigits(t *testing.T) {
	r := validReceiving()
	r.ToAmount = "12345678901234567890.123456789012345678"
	r.ReturnURL = "https://shop.example.com/done?a=1&b=<2>"
	b, err := r.Body()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"toAmount":12345678901234567890.123456789012345678,"toCurrency":"USDT","fromCurrency":"USD",` +
		`"amountDirection":"receiving","webhookRef":"order-123","returnUrl":"https://shop.example.com/done?a=1&b=<2>"}`
	if string(b) != want {
		t.Fatalf("body\n%s\nwant\n%s", b, want)
	}
	s := SessionRequest{FromAmount: " 0.10 ", ToCurrency: "usdt", FromCurrency: "eur", AmountDirection: Sending, AccountRefID: "a-1", Address: "0xab"}
	b, err = s.Body()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"accountRefId":"a-1","fromAmount":0.10,"toCurrency":"USDT","fromCurrency":"EUR","address":"0xab","amountDirection":"sending"}`; string(b) != want {
		t.Fatalf("body %s", b)
	}
}

type sessionFake struct {
	*httptest.Server
	mu      sync.Mutex
	status  int
	answer  string
	bodies  []string
	headers []http.Header
}

func newSessionFake(t *testing.T) *sessionFake {
	f := &sessionFake{status: 200, answer: `{"id":"s-1"}`}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != SessionPath {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		f.headers = append(f.headers, r.Header.Clone())
		st, ans := f.status, f.answer
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		_, _ = io.WriteString(w, ans)
	}))
	t.Cleanup(f.Close)
	return f
}

func TestCreateSession(t *testing.T) {
	f := newSessionFake(t)
	c := &SessionClient{BaseURL: f.URL + "/"}
	ctx := context.Background()

	for _, a := range []struct{ answer, id string }{
		{`{"id":"65f0c0ffee"}`, "65f0c0ffee"},
		{`{"sessionId":"sess_abc"}`, "sess_abc"},
		{`{"_id":"6650a1b2c3d4e5f6a7b8c9d0","status":"created"}`, "6650a1b2c3d4e5f6a7b8c9d0"},
		{`{"data":{"sessionId":"nested-1"}}`, "nested-1"},
		{`{"id":123456}`, "123456"},
	} {
		f.answer = a.answer
		s, err := c.CreateSession(ctx, validReceiving())
		if err != nil {
			t.Fatalf("%s: %v", a.answer, err)
		}
		if s.ID != a.id || s.IframeURL != "https://instaxchange.com/embed/"+a.id || string(s.Raw) != a.answer {
			t.Fatalf("%s: %+v", a.answer, s)
		}
	}
	if got := f.bodies[0]; got != `{"toAmount":10,"toCurrency":"USDT","fromCurrency":"USD","amountDirection":"receiving","webhookRef":"order-123"}` {
		t.Fatalf("sent %s", got)
	}
	if f.headers[0].Get("x-api-key") != "" || f.headers[0].Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", f.headers[0])
	}

	// The embed base and the API key header come from the configuration.
	f.answer = `{"id":"a b/c"}`
	c2 := &SessionClient{BaseURL: f.URL, EmbedBaseURL: "https://pay.example.com/embed/", APIKey: "dev-key-NOT-REAL", APIKeyHeader: "Authorization"}
	s, err := c2.CreateSession(ctx, validReceiving())
	if err != nil || s.IframeURL != "https://pay.example.com/embed/a%20b%2Fc" {
		t.Fatalf("%+v %v", s, err)
	}
	if got := f.headers[len(f.headers)-1].Get("Authorization"); got != "dev-key-NOT-REAL" {
		t.Fatalf("api key header %q", got)
	}

	// Invalid requests never reach the API.
	n := len(f.bodies)
	bad := validReceiving()
	bad.ToCurrency = "BTC"
	var fe *FieldError
	if _, err := c.CreateSession(ctx, bad); !errors.As(err, &fe) || fe.Field != "toCurrency" {
		t.Fatalf("invalid request: %v", err)
	}
	if len(f.bodies) != n {
		t.Fatal("invalid request was sent")
	}

	// API failures and answers without an id.
	for _, a := range []struct {
		status int
		answer string
		check  func(error) bool
	}{
		{400, `{"message":"toAmount too small"}`, func(err error) bool {
			var ae *httpapi.StatusError
			return errors.As(err, &ae) && ae.StatusCode == 400 && ae.Message == "toAmount too small"
		}},
		{401, ``, func(err error) bool {
			var ae *httpapi.StatusError
			return errors.As(err, &ae) && ae.StatusCode == 401 && ae.Message == ""
		}},
		{502, `<html>bad gateway</html>`, func(err error) bool {
			var ae *httpapi.StatusError
			return errors.As(err, &ae) && strings.Contains(ae.Message, "bad gateway")
		}},
		{200, `{"ok":true}`, func(err error) bool { return errors.Is(err, ErrNoSessionID) }},
		{200, `not json`, func(err error) bool { return errors.Is(err, ErrNoSessionID) }},
		{201, `{"id":""}`, func(err error) bool { return errors.Is(err, ErrNoSessionID) }},
	} {
		f.status, f.answer = a.status, a.answer
		if _, err := c.CreateSession(ctx, validReceiving()); !a.check(err) {
			t.Errorf("%d %s: %v", a.status, a.answer, err)
		}
	}
}

type mapSource map[string][]byte

func (m mapSource) Secret(_ context.Context, name string) ([]byte, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	return nil, secrets.ErrUnavailable
}

func TestLoadSessionClient(t *testing.T) {
	src := mapSource{"payhooks/instaxchange": []byte(`{"webhookSecrets":["x"],"apiKey":"k-NOT-REAL","embedBaseUrl":"https://e.example.com/embed"}`)}
	c, err := LoadSessionClient(context.Background(), src, "payhooks/instaxchange")
	if err != nil || c.APIKey != "k-NOT-REAL" || c.IframeLink("s1") != "https://e.example.com/embed/s1" || c.BaseURL != "" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := LoadSessionClient(context.Background(), src, "missing"); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("missing secret: %v", err)
	}
	if got := (*SessionClient)(nil).IframeLink("x"); got != "https://instaxchange.com/embed/x" {
		t.Fatal(got)
	}
}
