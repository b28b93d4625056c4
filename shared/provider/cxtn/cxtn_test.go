package cxtn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
	secretName = "payhooks/cxtn"
	active     = "testCxtnActiveToken-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	previous   = "testCxtnPreviousToken-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)

var docFixtures = []string{
	"funds-in", "payment-completed", "trade-settled",
	"account-credit", "account-debit", "pot-credit", "pot-debit",
}

func secretDoc(cidrs string) string {
	return `{"webhookTokens":["` + active + `","` + previous + `"],"allowedCidrs":[` + cidrs + `]}`
}

func testProvider(doc string) provider.Provider {
	return New(secrets.Static{secretName: doc}, secretName)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deliver(t testing.TB, p provider.Provider, token, ip string, body []byte) (event.Event, error) {
	t.Helper()
	req := &provider.Request{
		Route:      "POST /webhooks/cxtn/{token}",
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

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

// otherForm re-sends a notification with data in the other form (object <-> string),
// keeping every number's literal text.
func otherForm(t testing.TB, body []byte) []byte {
	t.Helper()
	m := decode(t, body)
	switch d := m["data"].(type) {
	case string:
		m["data"] = decode(t, []byte(d))
	default:
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		m["data"] = string(b)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type want struct {
	id, objectRef      string
	typ                event.Type
	amount, settlement string // "value currency"
	occurredAt         string // RFC 3339 nano; "" = none sent
	details            map[string]any
	pot                bool
}

var wants = map[string]want{
	"funds-in": {
		id: "cxtn:wh_f79f07d55bcd4cb893c41575b7c1b8f6", typ: "account.credited", objectRef: "654254",
		amount: "1000.00 GBP", occurredAt: "2023-12-18T16:28:28.3027309Z",
		details: map[string]any{"userId": "C00081866", "source": "deposit", "origin": "Automatic Allocation", "baseCcyCode": "GBP", "ccyCode": "GBP"},
	},
	"payment-completed": {
		id: "cxtn:wh_4d9373d27e4e4c24bbb39c00b6dcd3e7", typ: "payout.succeeded", objectRef: "162953",
		amount: "10.00 GBP", details: map[string]any{"userId": "C00081866"},
	},
	"trade-settled": {
		id: "cxtn:wh_b5bc5ac1b6734f18b9701db5cd153a4e", typ: "trade.settled", objectRef: "282564",
		amount: "218.70 GBP", settlement: "1000.00 AED",
		details: map[string]any{"userId": "C00084146", "balanceDue": nil, "fundedAmount": nil},
	},
	"account-credit": {
		id: "cxtn:wh_c3f042548b624eb1a0ba9a57be8290f4", typ: "account.credited", objectRef: "661428",
		amount: "10 GBP", occurredAt: "2024-02-21T11:58:01.9953917Z",
		details: map[string]any{"userId": "AP00085025", "source": "account_to_account_transfer", "ccyCode": "GBP"},
	},
	"account-debit": {
		id: "cxtn:wh_61d20530f4d34936a38ac82979d3f5e2", typ: "account.debited", objectRef: "661427",
		amount: "10 GBP", occurredAt: "2024-02-21T11:58:01.9016343Z",
		details: map[string]any{"userId": "C00081866", "ccyCode": "GBP"},
	},
	"pot-credit": {
		id: "cxtn:wh_3d0e35a456274850b59e59411ad37d48", typ: "account.credited", objectRef: "661414",
		amount: "10 GBP", occurredAt: "2024-02-21T11:43:22.2079875Z", pot: true,
		details: map[string]any{"source": "account_internal_transfer", "ccyCode": "CC-GBP", "baseCcyCode": "GBP"},
	},
	"pot-debit": {
		id: "cxtn:wh_71f5a5f7d15544a5a1e70b395e2d7980", typ: "account.debited", objectRef: "661413",
		amount: "10 GBP", occurredAt: "2024-02-21T11:43:21.8642125Z",
		details: map[string]any{"source": "account_internal_transfer", "ccyCode": "GBP"},
	},
}

func check(t *testing.T, ev event.Event, w want) {
	t.Helper()
	if ev.ID != w.id || ev.ProviderEventID != strings.TrimPrefix(w.id, "cxtn:") || ev.Type != w.typ ||
		ev.Status != event.Succeeded || ev.ObjectRef != w.objectRef || ev.Provider != Name {
		t.Fatalf("got id %q type %q status %q objectRef %q", ev.ID, ev.Type, ev.Status, ev.ObjectRef)
	}
	if ev.Amount == nil || ev.Amount.Value+" "+ev.Amount.Currency != w.amount {
		t.Errorf("amount = %+v, want %s", ev.Amount, w.amount)
	}
	if (w.settlement == "") != (ev.Settlement == nil) || ev.Settlement != nil && ev.Settlement.Value+" "+ev.Settlement.Currency != w.settlement {
		t.Errorf("settlement = %+v, want %q", ev.Settlement, w.settlement)
	}
	if w.occurredAt == "" {
		if !ev.OccurredAt.IsZero() {
			t.Errorf("occurredAt = %s, want zero (the pipeline uses receivedAt)", ev.OccurredAt)
		}
	} else if got := ev.OccurredAt.Format(time.RFC3339Nano); got != w.occurredAt || ev.OccurredAt.Location() != time.UTC {
		t.Errorf("occurredAt = %s, want %s", got, w.occurredAt)
	}
	for k, v := range w.details {
		got, ok := ev.Details[k]
		if !ok || !reflect.DeepEqual(got, v) {
			t.Errorf("details[%s] = %#v (present %v), want %#v", k, got, ok, v)
		}
	}
	if pot, _ := ev.Details["pot"].(bool); pot != w.pot {
		t.Errorf("details.pot = %v, want %v", ev.Details["pot"], w.pot)
	}
	receivedAt := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	ev.Stamp(receivedAt, event.OriginWebhook)
	eventtest.ValidateEvent(t, &ev)
	if !ev.Terminal {
		t.Error("not terminal")
	}
	if w.occurredAt == "" && !ev.OccurredAt.Equal(receivedAt) {
		t.Errorf("stamped occurredAt = %s, want receivedAt", ev.OccurredAt)
	}
}

func TestDocSamplesBothForms(t *testing.T) {
	p := testProvider(secretDoc(""))
	for _, name := range docFixtures {
		body := fixture(t, name)
		for form, b := range map[string][]byte{"doc": body, "other": otherForm(t, body)} {
			t.Run(name+"/"+form, func(t *testing.T) {
				ev, err := deliver(t, p, active, "192.0.2.1", b)
				if err != nil {
					t.Fatal(err)
				}
				check(t, ev, wants[name])
			})
		}
	}
}

func TestRawKeepsForm(t *testing.T) {
	p := testProvider(secretDoc(""))
	for _, name := range []string{"account-debit", "payment-completed"} {
		for _, b := range [][]byte{fixture(t, name), otherForm(t, fixture(t, name))} {
			ev, err := p.Normalize(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			sentAsString := reflect.TypeOf(decode(t, b)["data"]).Kind() == reflect.String
			raw := decode(t, ev.Raw)
			if _, isString := raw["data"].(string); isString != sentAsString {
				t.Errorf("%s: raw data form changed: %s", name, ev.Raw)
			}
			if name == "account-debit" && !bytes.Contains(ev.Raw, []byte(`-10`)) {
				t.Errorf("raw lost the signed amount: %s", ev.Raw)
			}
			if name == "payment-completed" && !bytes.Contains(ev.Raw, []byte(`10.00`)) {
				t.Errorf("raw lost the literal amount: %s", ev.Raw)
			}
		}
	}
}

func TestRawMasksInsideStringData(t *testing.T) {
	body := []byte(`{"eventId":"wh_1","event":"account_credit","data":"{\"objectId\":1,\"amount\":5,\"ccyCode\":\"GBP\",\"remitter\":\"jane.roe@example.org\"}"}`)
	ev, err := testProvider(secretDoc("")).Normalize(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ev.Raw, []byte("jane.roe@example.org")) {
		t.Fatalf("email survives in raw: %s", ev.Raw)
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
	names := map[string]bool{}
	ids := map[string]bool{}
	for _, s := range samples {
		names[s.Name] = true
		t.Run(s.Name, func(t *testing.T) {
			prefix := "/webhooks/cxtn/"
			if !strings.HasPrefix(s.Path, prefix) {
				t.Fatalf("path %q", s.Path)
			}
			ev, err := deliver(t, p, strings.TrimPrefix(s.Path, prefix), "198.51.100.1", s.Body)
			if err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(strings.TrimSuffix(s.Name, "-object"), "-string")
			w := wants[base]
			if base != s.Name {
				w.id = "cxtn:" + variantID(strings.TrimPrefix(w.id, "cxtn:"))
			} else if !reflect.DeepEqual(decode(t, s.Body), decode(t, fixture(t, s.Name))) {
				// The doc-form sample is the doc's notification, exactly.
				t.Errorf("sample differs from testdata/%s.json:\n%s", s.Name, s.Body)
			}
			if ids[ev.ID] {
				t.Fatalf("duplicate event id %s", ev.ID)
			}
			ids[ev.ID] = true
			check(t, ev, w)
			_, isString := decode(t, s.Body)["data"].(string)
			if wantString := strings.HasSuffix(s.Name, "-string") || s.Name == base && (base == "funds-in" || base == "payment-completed" || base == "trade-settled"); isString != wantString {
				t.Errorf("data is string = %v, want %v", isString, wantString)
			}
		})
	}
	for _, n := range []string{
		"funds-in", "payment-completed", "trade-settled", "account-credit", "account-debit", "pot-credit", "pot-debit",
		"funds-in-object", "payment-completed-object", "trade-settled-object",
		"account-credit-string", "account-debit-string", "pot-credit-string", "pot-debit-string",
	} {
		if !names[n] {
			t.Errorf("no sample %q", n)
		}
	}
	if len(samples) != 14 {
		t.Errorf("%d samples, want 14", len(samples))
	}
}

func TestVerify(t *testing.T) {
	body := fixture(t, "funds-in")
	tests := []struct {
		name, doc, token, ip string
		reason               provider.Reason
		unavailable          bool
	}{
		{"active token", secretDoc(""), active, "192.0.2.1", "", false},
		{"previous token", secretDoc(""), previous, "192.0.2.1", "", false},
		{"wrong token", secretDoc(""), strings.ToLower(active), "192.0.2.1", provider.ReasonTokenMismatch, false},
		{"missing token", secretDoc(""), "", "192.0.2.1", provider.ReasonMissingToken, false},
		{"allowed ip", secretDoc(`"203.0.113.0/24","2001:db8::/32"`), active, "2001:db8::5", "", false},
		{"disallowed ip", secretDoc(`"203.0.113.0/24"`), active, "192.0.2.1", provider.ReasonSourceIP, false},
		{"unparsable ip", secretDoc(`"203.0.113.0/24"`), active, "203.0.113.x", provider.ReasonSourceIP, false},
		{"short configured token", `{"webhookTokens":["abc"]}`, "abc", "192.0.2.1", "", true},
		{"no secret", "", active, "192.0.2.1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := secrets.Static{}
			if tt.doc != "" {
				src[secretName] = tt.doc
			}
			_, err := deliver(t, New(src, secretName), tt.token, tt.ip, body)
			switch {
			case tt.unavailable:
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
				wantStatus := 401
				if tt.reason == provider.ReasonSourceIP {
					wantStatus = 403
				}
				if r.Kind.Status() != wantStatus {
					t.Fatalf("status %d, want %d", r.Kind.Status(), wantStatus)
				}
			}
			if err != nil && tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Fatalf("error reveals the token: %v", err)
			}
		})
	}
}

func TestBadPayloads(t *testing.T) {
	p := testProvider(secretDoc(""))
	env := func(data string) string { return `{"eventId":"wh_1","event":"account_credit","data":` + data + `}` }
	tests := []struct {
		name, body string
		reason     provider.Reason
	}{
		{"data number", env(`42`), provider.ReasonBadField},
		{"data array", env(`[{"objectId":1}]`), provider.ReasonBadField},
		{"data bool", env(`true`), provider.ReasonBadField},
		{"data null", env(`null`), provider.ReasonMissingField},
		{"data missing", `{"eventId":"wh_1","event":"account_credit"}`, provider.ReasonMissingField},
		{"data string not json", env(`"hello"`), provider.ReasonBadField},
		{"data string array", env(`"[1,2]"`), provider.ReasonBadField},
		{"data string number", env(`"42"`), provider.ReasonBadField},
		{"data string trailing", env(`"{\"objectId\":1} x"`), provider.ReasonBadField},
		{"data string empty", env(`""`), provider.ReasonBadField},
		{"unknown event bad data", `{"eventId":"wh_1","event":"card_frozen","data":7}`, provider.ReasonBadField},
		{"not json", `eventId=wh_1`, provider.ReasonBadJSON},
		{"array body", `[]`, provider.ReasonBadJSON},
		{"trailing body", `{"eventId":"wh_1"}{}`, provider.ReasonBadJSON},
		{"missing eventId", `{"event":"account_credit","data":{"objectId":1,"amount":1,"ccyCode":"GBP"}}`, provider.ReasonMissingField},
		{"missing event", `{"eventId":"wh_1","data":{"objectId":1}}`, provider.ReasonMissingField},
		{"object eventId", `{"eventId":{"id":1},"event":"account_credit","data":{}}`, provider.ReasonBadField},
		{"missing objectId", env(`{"amount":1,"ccyCode":"GBP"}`), provider.ReasonMissingField},
		{"missing amount", env(`{"objectId":1,"ccyCode":"GBP"}`), provider.ReasonMissingField},
		{"missing ccyCode", env(`{"objectId":1,"amount":1}`), provider.ReasonMissingField},
		{"bad amount", env(`{"objectId":1,"amount":"1,5","ccyCode":"GBP"}`), provider.ReasonBadField},
		{"object amount", env(`{"objectId":1,"amount":{"v":1},"ccyCode":"GBP"}`), provider.ReasonBadField},
		{"bad time", env(`{"objectId":1,"amount":1,"ccyCode":"GBP","transactionDateTime":"21/02/2024"}`), provider.ReasonBadField},
		{"trade missing buy", `{"eventId":"wh_1","event":"trade_settled","data":{"objectId":1,"sellAmount":1,"sellCurrency":"GBP"}}`, provider.ReasonMissingField},
		{"payment missing currency", `{"eventId":"wh_1","event":"payment_completed","data":{"objectId":1,"amount":1}}`, provider.ReasonMissingField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := deliver(t, p, active, "", []byte(tt.body))
			r, ok := provider.AsRejection(err)
			if !ok || r.Kind != provider.KindBadRequest || r.Reason != tt.reason {
				t.Fatalf("err = %v, want 400 %s", err, tt.reason)
			}
		})
	}
}

func TestEdgeCases(t *testing.T) {
	p := testProvider(secretDoc(""))
	tests := []struct {
		name, body                    string
		typ                           event.Type
		objectRef, amount, occurredAt string
		pot                           bool
	}{
		{"unknown event with objectId", `{"eventId":"wh_9","event":"wallet_created","data":{"objectId":77,"userId":"C1"}}`,
			event.TypeUnsupported, "77", "", "", false},
		{"unknown event without objectId", `{"eventId":"wh_9","event":"quote_expired","data":"{}"}`,
			event.TypeUnsupported, "wh_9", "", "", false},
		{"pot debit", `{"eventId":"wh_8","event":"account_debit","data":{"objectId":"661413","amount":-10.50,"ccyCode":"CC-GBP"}}`,
			"account.debited", "661413", "10.50 GBP", "", true},
		{"zoned time", `{"eventId":"wh_7","event":"account_credit","data":{"objectId":1,"amount":1e2,"ccyCode":"EUR","transactionDateTime":"2024-02-21T11:43:22.2079875+01:00"}}`,
			"account.credited", "1", "1e2 EUR", "2024-02-21T10:43:22.2079875Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := deliver(t, p, active, "", []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != tt.typ || ev.ObjectRef != tt.objectRef {
				t.Fatalf("type %q objectRef %q", ev.Type, ev.ObjectRef)
			}
			if tt.typ == event.TypeUnsupported && (ev.Status != event.Pending || ev.Amount != nil) {
				t.Fatalf("unsupported: status %q amount %+v", ev.Status, ev.Amount)
			}
			if tt.amount != "" && (ev.Amount == nil || ev.Amount.Value+" "+ev.Amount.Currency != tt.amount) {
				t.Fatalf("amount %+v, want %s", ev.Amount, tt.amount)
			}
			if tt.occurredAt != "" && ev.OccurredAt.Format(time.RFC3339Nano) != tt.occurredAt {
				t.Fatalf("occurredAt %s", ev.OccurredAt.Format(time.RFC3339Nano))
			}
			if pot, _ := ev.Details["pot"].(bool); pot != tt.pot {
				t.Fatalf("pot %v", ev.Details["pot"])
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)
		})
	}
}

func FuzzVerifyNormalize(f *testing.F) {
	for _, name := range docFixtures {
		b := fixture(f, name)
		f.Add(b, active, "192.0.2.1")
		f.Add(otherForm(f, b), previous, "2001:db8::1")
	}
	f.Add([]byte(`{"eventId":"x","event":"account_debit","data":"{\"objectId\":1e999,\"amount\":\"-\",\"ccyCode\":\"CC-\"}"}`), active, "bad")
	p := testProvider(secretDoc(`"192.0.2.0/24","2001:db8::/32"`))
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
	p := New(secrets.NewCached(secrets.Static{secretName: secretDoc(`"192.0.2.0/24"`)}, time.Hour), secretName)
	body := fixture(b, "funds-in")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := deliver(b, p, previous, "192.0.2.1", body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalReference(b *testing.B) {
	body := fixture(b, "funds-in")
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGolden(t *testing.T) {
	golden.Run(t, "testdata/*.json", normalize)
}

// Every CXTN event name, in two letter cases: one type, terminal and state each, and an
// unknown name is stored as event.unsupported (never published).
func TestStatusTable(t *testing.T) {
	if err := kinds.Check(); err != nil {
		t.Fatal(err)
	}
	data := `{"objectId":1,"amount":-5,"ccyCode":"GBP","currency":"GBP","sellAmount":1,"sellCurrency":"GBP","buyAmount":1,"buyCurrency":"EUR"}`
	for _, tt := range []struct {
		name     string
		typ      event.Type
		state    event.Status
		terminal bool
	}{
		{"account_credit", event.TypeAccountCredited, event.Succeeded, true},
		{"account_debit", event.TypeAccountDebited, event.Succeeded, true},
		{"payment_completed", event.TypePayoutSucceeded, event.Succeeded, true},
		{"trade_settled", event.TypeTradeSettled, event.Succeeded, true},
		{"card_frozen", event.TypeUnsupported, event.Pending, false},
	} {
		for _, spelled := range []string{tt.name, strings.ToUpper(tt.name)} {
			ev, err := normalize([]byte(`{"eventId":"wh_1","event":"` + spelled + `","data":` + data + `}`))
			if err != nil {
				t.Fatalf("%s: %v", spelled, err)
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			if ev.Type != tt.typ || ev.Status != tt.state || ev.Terminal != tt.terminal || ev.ID != "cxtn:wh_1" {
				t.Errorf("%s: %s %s %s terminal=%v, want %s %s terminal=%v", spelled, ev.ID, ev.Type, ev.Status, ev.Terminal, tt.typ, tt.state, tt.terminal)
			}
		}
	}
}

// README's table for CXTN says what the code does (golden.READMEStatuses).
func TestREADMEStatusTable(t *testing.T) {
	golden.READMEStatuses(t, "CXTN", kinds, 1)
}
