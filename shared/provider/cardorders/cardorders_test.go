package cardorders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

const (
	secretName = "payhooks/cardorders"
	active     = "testCardordersActiveToken-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	previous   = "testCardordersPreviousToken-BBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	docPAN     = "5554748800912345"
	docEmail   = "john.doe@example.com"
)

func testProvider(doc string) provider.Provider {
	return New(secrets.Static{secretName: doc}, secretName)
}

func secretDoc(zone string, cidrs string) string {
	return `{"webhookTokens":["` + active + `","` + previous + `"],"allowedCidrs":[` + cidrs + `],"orderTimeZone":"` + zone + `"}`
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deliver(t testing.TB, p provider.Provider, token, ip string, body []byte) (event.Event, error) {
	t.Helper()
	req := &provider.Request{
		Route:      "POST /webhooks/cardorders/{token}",
		PathParams: map[string]string{"token": token},
		SourceIP:   ip,
		Body:       body,
	}
	payload, err := p.Verify(context.Background(), req)
	if err != nil {
		return event.Event{}, err
	}
	return p.Normalize(context.Background(), payload)
}

func stampAndValidate(t *testing.T, ev *event.Event) []byte {
	t.Helper()
	ev.Stamp(time.Now(), event.OriginWebhook)
	eventtest.ValidateEvent(t, ev)
	b, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNormalizeFixtures(t *testing.T) {
	p := testProvider(secretDoc("UTC", ""))
	tests := []struct {
		file       string
		id         string
		typ        event.Type
		status     event.Status
		amount     string
		settlement string // value currency
		occurredAt string
		details    map[string]any
		hidden     []string // must not appear anywhere in the event
	}{
		{
			file: "recharge-success.json", id: "cardorders:100217231874691123456:SUCCESS",
			typ: "card_recharge.succeeded", status: event.Succeeded,
			amount: "61.91 USDT", settlement: "55 EUR", occurredAt: "2024-08-09T15:11:09Z",
			details: map[string]any{
				"cardType": "physical", "maskedCardNumber": "555474******2345", "maskedEmail": "j***@example.com",
				"paymentAmount": "61.91", "applyFee": "0", "rechargeFee": "0.72122094", "rechargeMarkup": "0.99",
				"deliveryFee": "0", "currencyExchangeRate": "1.092759", "cryptoCurrencyExchangeRate": "1",
				"cryptoCurrency": "USDT", "network": "TRX", "cardId": "1232330814012345678",
			},
			hidden: []string{docPAN, docEmail},
		},
		{
			file: "issue-numbers.json", id: "cardorders:100217231874691999001:SUCCESS",
			typ: "card_issue.succeeded", status: event.Succeeded,
			amount: "111.50 USDT", settlement: "100.00 USD", occurredAt: "2024-08-10T08:00:00Z",
			details: map[string]any{
				"cardType": "virtual", "maskedCardNumber": "411111******1111", "maskedEmail": "j***@example.org",
				"applyFee": "10", "voucherCode": "WELCOME10", "cryptoAddress": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
			},
			hidden: []string{"4111 1111 1111 1111", "4111111111111111", "jane.roe@example.org"},
		},
		{
			file: "unknown-status.json", id: "cardorders:100217231874691123999:PROCESSING",
			typ: event.TypeUnsupported, status: event.Pending,
			amount: "61.91 USDT", settlement: "55 EUR", occurredAt: "2024-08-09T15:11:09Z",
			hidden: []string{docPAN, docEmail},
		},
		{
			file: "unknown-type.json", id: "cardorders:100217231874691124000:SUCCESS:orderType=3",
			typ: event.TypeUnsupported, status: event.Pending,
			amount: "5 USDT", occurredAt: "2024-08-09T15:11:09Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev, err := deliver(t, p, active, "192.0.2.10", fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != tt.id || ev.Type != tt.typ || ev.Status != tt.status || ev.Provider != Name {
				t.Fatalf("got id %q type %q status %q", ev.ID, ev.Type, ev.Status)
			}
			if ev.Amount == nil || ev.Amount.Value+" "+ev.Amount.Currency != tt.amount {
				t.Errorf("amount = %+v, want %s", ev.Amount, tt.amount)
			}
			if tt.settlement == "" && ev.Settlement != nil || tt.settlement != "" && (ev.Settlement == nil || ev.Settlement.Value+" "+ev.Settlement.Currency != tt.settlement) {
				t.Errorf("settlement = %+v, want %q", ev.Settlement, tt.settlement)
			}
			if got := ev.OccurredAt.Format(time.RFC3339); got != tt.occurredAt {
				t.Errorf("occurredAt = %s, want %s", got, tt.occurredAt)
			}
			for k, want := range tt.details {
				if ev.Details[k] != want {
					t.Errorf("details[%s] = %v, want %v", k, ev.Details[k], want)
				}
			}
			if _, ok := ev.Details["cardNumber"]; ok {
				t.Error("details carry cardNumber")
			}
			body := stampAndValidate(t, &ev)
			for _, h := range tt.hidden {
				if strings.Contains(string(body), h) {
					t.Errorf("marshalled event contains %q:\n%s", h, body)
				}
			}
		})
	}
}

func TestSettlementMinorAndFailure(t *testing.T) {
	p := testProvider(secretDoc("UTC", ""))
	samples, err := Samples([]byte(secretDoc("UTC", "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		ev, err := deliver(t, p, active, "", s.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch s.Name {
		case "SUCCESS":
			if ev.Settlement.Minor == nil || *ev.Settlement.Minor != 5500 || ev.Amount.Minor != nil || ev.Failure != nil {
				t.Errorf("SUCCESS: settlement %+v amount %+v failure %+v", ev.Settlement, ev.Amount, ev.Failure)
			}
		case "FAIL", "issue-FAIL":
			if ev.Failure == nil || ev.Failure.Message == "" {
				t.Errorf("%s: failure = %+v, want failReason", s.Name, ev.Failure)
			}
		}
	}
}

func TestSamples(t *testing.T) {
	doc, err := secrets.File{Path: filepath.Join("..", "..", "..", "dev", "secrets.json")}.Secret(context.Background(), secretName)
	if err != nil {
		t.Fatal(err)
	}
	p := New(secrets.Static{secretName: string(doc)}, secretName)
	samples, err := Samples(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]event.Type{
		"SUCCESS": "card_recharge.succeeded", "FAIL": "card_recharge.failed", "CANCEL": "card_recharge.cancelled",
		"INIT": event.TypeCardRechargePending, "REFUNDING": event.TypeCardRechargeRefundPending,
		"issue-SUCCESS": "card_issue.succeeded", "issue-FAIL": "card_issue.failed", "issue-CANCEL": "card_issue.cancelled",
	}
	if len(samples) != len(want) {
		t.Fatalf("%d samples, want %d", len(samples), len(want))
	}
	ids := map[string]bool{}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			prefix := "/webhooks/cardorders/"
			if !strings.HasPrefix(s.Path, prefix) {
				t.Fatalf("path %q", s.Path)
			}
			ev, err := deliver(t, p, strings.TrimPrefix(s.Path, prefix), "198.51.100.1", s.Body)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != want[s.Name] {
				t.Fatalf("type %q, want %q", ev.Type, want[s.Name])
			}
			if ids[ev.ID] {
				t.Fatalf("duplicate event id %s", ev.ID)
			}
			ids[ev.ID] = true
			body := stampAndValidate(t, &ev)
			if strings.Contains(string(body), docEmail) || strings.Contains(string(body), docPAN) {
				t.Fatalf("event leaks PII:\n%s", body)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	body := fixture(t, "recharge-success.json")
	tests := []struct {
		name    string
		doc     string
		token   string
		ip      string
		reason  provider.Reason // "" = accepted
		unavail bool
	}{
		{"active token", secretDoc("UTC", ""), active, "192.0.2.1", "", false},
		{"previous token", secretDoc("UTC", ""), previous, "192.0.2.1", "", false},
		{"wrong token", secretDoc("UTC", ""), active[:len(active)-1] + "B", "192.0.2.1", provider.ReasonTokenMismatch, false},
		{"missing token", secretDoc("UTC", ""), "", "192.0.2.1", provider.ReasonMissingToken, false},
		{"allowed ip", secretDoc("UTC", `"203.0.113.0/24"`), active, "203.0.113.77", "", false},
		{"disallowed ip", secretDoc("UTC", `"203.0.113.0/24"`), active, "192.0.2.1", provider.ReasonSourceIP, false},
		{"wrong token from disallowed ip", secretDoc("UTC", `"203.0.113.0/24"`), "nope", "192.0.2.1", provider.ReasonTokenMismatch, false},
		{"short configured token", `{"webhookTokens":["short-token"]}`, "short-token", "192.0.2.1", "", true},
		{"malformed secret", `{"webhookTokens":"x"}`, active, "192.0.2.1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProvider(tt.doc)
			_, err := deliver(t, p, tt.token, tt.ip, body)
			switch {
			case tt.unavail:
				if !errors.Is(err, secrets.ErrUnavailable) {
					t.Fatalf("err = %v, want ErrUnavailable", err)
				}
			case tt.reason == "":
				if err != nil {
					t.Fatal(err)
				}
			default:
				r, ok := provider.AsRejection(err)
				if !ok || r.Reason != tt.reason {
					t.Fatalf("err = %v, want %s", err, tt.reason)
				}
			}
			if err != nil && tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Fatalf("error reveals the token: %v", err)
			}
		})
	}
	t.Run("no secret", func(t *testing.T) {
		p := New(secrets.Static{}, secretName)
		if _, err := deliver(t, p, active, "", body); !errors.Is(err, secrets.ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestOrderTimeZone(t *testing.T) {
	body := fixture(t, "recharge-success.json") // orderTime 2024-08-09 15:11:09
	tests := []struct{ zone, want string }{
		{"", "2024-08-09T15:11:09Z"},
		{"UTC", "2024-08-09T15:11:09Z"},
		{"Asia/Shanghai", "2024-08-09T07:11:09Z"},
		{"America/New_York", "2024-08-09T19:11:09Z"}, // EDT, UTC-4 in August
		{"Asia/Kolkata", "2024-08-09T09:41:09Z"},
		{"Etc/GMT+5", "2024-08-09T20:11:09Z"}, // POSIX sign: GMT+5 is UTC-5
	}
	for _, tt := range tests {
		ev, err := testProvider(secretDoc(tt.zone, "")).Normalize(context.Background(), body)
		if err != nil {
			t.Fatal(err)
		}
		if ev.OccurredAt.Location() != time.UTC || ev.OccurredAt.Format(time.RFC3339) != tt.want {
			t.Errorf("zone %q: occurredAt %s, want %s", tt.zone, ev.OccurredAt, tt.want)
		}
	}
	for _, zone := range []string{"Mars/Olympus_Mons", "Local"} {
		_, err := testProvider(secretDoc(zone, "")).Normalize(context.Background(), body)
		if !errors.Is(err, secrets.ErrUnavailable) {
			t.Fatalf("zone %q: err = %v, want ErrUnavailable", zone, err)
		}
	}
}

func TestBadPayloads(t *testing.T) {
	p := testProvider(secretDoc("UTC", ""))
	tests := []struct {
		name, body string
		reason     provider.Reason
	}{
		{"not json", `orderNo=1`, provider.ReasonBadJSON},
		{"array", `[{"orderNo":"1"}]`, provider.ReasonBadJSON},
		{"null", `null`, provider.ReasonBadJSON},
		{"trailing", `{"orderNo":"1","status":"SUCCESS"} {}`, provider.ReasonBadJSON},
		{"missing orderNo", `{"status":"SUCCESS","orderType":"2"}`, provider.ReasonMissingField},
		{"empty orderNo", `{"orderNo":" ","status":"SUCCESS"}`, provider.ReasonMissingField},
		{"missing status", `{"orderNo":"1","orderType":"2"}`, provider.ReasonMissingField},
		{"bad orderTime", `{"orderNo":"1","status":"SUCCESS","orderType":"2","orderTime":"09/08/2024 15:11"}`, provider.ReasonBadField},
		{"bad amount", `{"orderNo":"1","status":"SUCCESS","orderType":"2","orderAmount":"61,91"}`, provider.ReasonBadField},
		{"bad card amount", `{"orderNo":"1","status":"SUCCESS","orderType":"2","cardAmount":"abc","cardCurrency":"EUR"}`, provider.ReasonBadField},
		{"object field", `{"orderNo":"1","status":"SUCCESS","orderType":"2","email":{"a":"b"}}`, provider.ReasonBadField},
		{"bool status", `{"orderNo":"1","status":true}`, provider.ReasonBadField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Normalize(context.Background(), []byte(tt.body))
			r, ok := provider.AsRejection(err)
			if !ok || r.Kind != provider.KindBadRequest || r.Reason != tt.reason {
				t.Fatalf("err = %v, want 400 %s", err, tt.reason)
			}
		})
	}
}

func FuzzVerifyNormalize(f *testing.F) {
	for _, name := range []string{"recharge-success.json", "issue-numbers.json", "unknown-status.json", "unknown-type.json"} {
		f.Add(fixture(f, name), active, "192.0.2.1")
	}
	f.Add([]byte(`{"orderNo":1e999,"status":"SUCCESS"}`), previous, "::1")
	f.Add([]byte(`{"orderNo":"1","status":"FAIL","orderTime":"2024-02-30 25:61:61"}`), "", "bad")
	p := testProvider(secretDoc("Asia/Shanghai", `"192.0.2.0/24","2001:db8::/32"`))
	f.Fuzz(func(t *testing.T, body []byte, token, ip string) {
		ev, err := deliver(t, p, token, ip, body)
		if err != nil {
			if _, ok := provider.AsRejection(err); !ok {
				t.Fatalf("non-rejection error: %v", err)
			}
			return
		}
		if ev.ID == "" || ev.ObjectRef == "" || ev.Type == "" {
			t.Fatalf("incomplete event %+v", ev)
		}
	})
}

func BenchmarkVerifyNormalize(b *testing.B) {
	// Production wraps the source in secrets.Cached, which lets secrets.Doc skip decoding.
	p := New(secrets.NewCached(secrets.Static{secretName: secretDoc("Asia/Shanghai", `"192.0.2.0/24"`)}, time.Hour), secretName)
	body := fixture(b, "recharge-success.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := deliver(b, p, previous, "192.0.2.1", body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalReference(b *testing.B) {
	body := fixture(b, "recharge-success.json")
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGolden(t *testing.T) {
	golden.Run(t, "testdata/*.json", func(payload []byte) (event.Event, error) {
		return normalize(payload, time.UTC)
	})
}

func TestStatusTable(t *testing.T) {
	for orderType, table := range statuses {
		if err := table.Check(); err != nil {
			t.Fatalf("orderType %s: %v", orderType, err)
		}
	}
	object := map[string]string{"1": "card_issue", "2": "card_recharge"}
	for _, tt := range []struct {
		status   string
		outcome  string // the type's suffix
		state    event.Status
		terminal bool
	}{
		{"INIT", "pending", event.Pending, false},
		{"SUCCESS", "succeeded", event.Succeeded, true},
		{"FAIL", "failed", event.Failed, true},
		{"CANCEL", "cancelled", event.Cancelled, true},
		{"REFUNDING", "refund_pending", event.Pending, false},
		{"PROCESSING", "", event.Pending, false}, // unknown: stored, never published
	} {
		for orderType, obj := range object {
			want := event.Type(obj + "." + tt.outcome)
			if tt.outcome == "" {
				want = event.TypeUnsupported
			}
			for _, spelled := range []string{tt.status, strings.ToLower(tt.status)} {
				body := docExample()
				body["orderType"], body["status"] = orderType, spelled
				b, _ := json.Marshal(body)
				ev, err := normalize(b, time.UTC)
				if err != nil {
					t.Fatalf("%s %s: %v", orderType, spelled, err)
				}
				ev.Stamp(time.Now(), event.OriginWebhook)
				if ev.Type != want || ev.Status != tt.state || ev.Terminal != tt.terminal {
					t.Errorf("%s %q: %s %s terminal=%v, want %s %s terminal=%v", orderType, spelled, ev.Type, ev.Status, ev.Terminal, want, tt.state, tt.terminal)
				}
				if id := "cardorders:" + body["orderNo"] + ":" + tt.status; ev.ID != id {
					t.Errorf("%s %q: id %s, want %s (one canonical spelling)", orderType, spelled, ev.ID, id)
				}
			}
		}
	}
}

func TestShippingInfoNotStored(t *testing.T) {
	body := docExample()
	b, _ := json.Marshal(body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["shippingInfo"] = map[string]any{"name": "John Doe", "address": "1 Orchard Road", "postcode": "238801", "country": "SG"}
	b, _ = json.Marshal(m)
	ev, err := normalize(b, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := ev.Marshal()
	for _, s := range []string{"Orchard", "238801", "John Doe"} {
		if strings.Contains(string(out), s) {
			t.Fatalf("event keeps the postal address (%q): %s", s, out)
		}
	}
	if !strings.Contains(string(ev.Raw), `"shippingInfo":"REDACTED"`) {
		t.Fatalf("raw does not say the address was removed: %s", ev.Raw)
	}
}

// An order whose orderType is missing or unknown is unsupported under an id of its own: a
// later delivery of the same order and status with its type is a new event, not a
// duplicate of it.
func TestUnknownOrderTypeNeverTakesTheOrdersID(t *testing.T) {
	correct := docExample()
	correct["orderType"] = "2"
	b, _ := json.Marshal(correct)
	want, err := normalize(b, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{want.ID: "orderType 2"}
	for _, orderType := range []any{nil, "3", " 9 ", "2:x", 7} { // absent is read as ""
		body := docExample()
		delete(body, "orderType")
		m := map[string]any{}
		for k, v := range body {
			m[k] = v
		}
		if orderType != nil {
			m["orderType"] = orderType
		}
		b, _ := json.Marshal(m)
		ev, err := normalize(b, time.UTC)
		if err != nil {
			t.Fatalf("orderType %v: %v", orderType, err)
		}
		if ev.Type != event.TypeUnsupported || ev.Publishable() {
			t.Errorf("orderType %v: %s", orderType, ev.Type)
		}
		if other, ok := seen[ev.ID]; ok {
			t.Errorf("orderType %v: id %s is also %s's", orderType, ev.ID, other)
		}
		seen[ev.ID] = fmt.Sprint("orderType ", orderType)
	}
}

// README's table for cardorders says what the code does (golden.READMEStatuses).
func TestREADMEStatusTable(t *testing.T) {
	golden.READMEStatuses(t, "cardorders", statuses["1"], 1)
	golden.READMEStatuses(t, "cardorders", statuses["2"], 2)
}
