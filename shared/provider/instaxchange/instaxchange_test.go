package instaxchange

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
	"github.com/payhooks/payhooks/shared/provider/kit"
	"github.com/payhooks/payhooks/shared/provider/kit/golden"
	"github.com/payhooks/payhooks/shared/support/redact"
)

const (
	secretName     = "payhooks/instaxchange"
	activeSecret   = "test-instaxchange-active-NOT-REAL"
	previousSecret = "test-instaxchange-previous-NOT-REAL"
	headerName     = "x-instaxwh-key"
	at             = "@"
)

var testDoc = `{"webhookSecrets":["` + activeSecret + `","` + previousSecret + `"]}`

func newTestProvider() provider.Provider {
	return New(secrets.Static{secretName: testDoc}, secretName)
}

func request(body, sig string) *provider.Request {
	h := map[string]string{"content-type": "application/json"}
	if sig != "" {
		h[headerName] = sig
	}
	return &provider.Request{Route: "POST /webhooks/instaxchange", Headers: h, Body: []byte(body), ReceivedAt: time.Now()}
}

func mustSign(t testing.TB, body, secret string) string {
	t.Helper()
	sig, err := Sign([]byte(body), secret)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func wantRejection(t *testing.T, err error, kind provider.Kind, reason provider.Reason) {
	t.Helper()
	r, ok := provider.AsRejection(err)
	if !ok {
		t.Fatalf("err = %v, want a %s rejection", err, reason)
	}
	if r.Kind != kind || r.Reason != reason {
		t.Fatalf("rejection = %v (kind %d), want %s (kind %d)", r, r.Kind, reason, kind)
	}
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSamples(t *testing.T) {
	samples, err := Samples([]byte(testDoc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		typ, id, merchantRef, withdrawTx string
		status                           event.Status
		amount, currency                 string
		minor                            int64
		settlement, settlementCurrency   string
		failure                          string
		occurredAt                       string
	}{
		"completed": {
			typ: "payment.succeeded", status: event.Succeeded, id: "instaxchange:ixc-tx-7f3a9c21:completed",
			merchantRef: "order-10042", amount: "3.74", currency: "USD", minor: 374,
			settlement: "0.0421399418187522", settlementCurrency: "LTC",
			withdrawTx: "a3f1c9e07b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
			occurredAt: "2024-05-22T19:58:54.097Z",
		},
		"failed": {
			typ: "payment.failed", status: event.Failed, id: "instaxchange:ixc-tx-c5e80b14:failed",
			amount: "5", currency: "USD", minor: 500, settlement: "4.78", settlementCurrency: "USDT-AVALANCHE",
			withdrawTx: "7e0d4c2b9a8f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d",
			failure:    "Do Not Honor", occurredAt: "2024-05-24T06:48:39.279Z",
		},
	}
	if len(samples) != len(want) {
		t.Fatalf("%d samples, want %d", len(samples), len(want))
	}
	p := newTestProvider()
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			w, ok := want[s.Name]
			if !ok {
				t.Fatalf("unexpected sample %q", s.Name)
			}
			if s.Path != "/webhooks/instaxchange" || s.Headers[SignatureHeader] == "" {
				t.Fatalf("path %q headers %v", s.Path, s.Headers)
			}
			// Signed with the first secret only.
			if s.Headers[SignatureHeader] != mustSign(t, string(s.Body), activeSecret) {
				t.Fatal("not signed with the first secret")
			}
			req := request(string(s.Body), "")
			for k, v := range s.Headers {
				req.Headers[strings.ToLower(k)] = v
			}
			payload, err := p.Verify(context.Background(), req)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			ev, err := p.Normalize(context.Background(), payload)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if ev.SchemaVersion != 0 || !ev.ReceivedAt.IsZero() || ev.Terminal {
				t.Fatal("Normalize must leave stamping to the pipeline")
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)

			if ev.ID != w.id || string(ev.Type) != w.typ || ev.Status != w.status || ev.Provider != Name {
				t.Errorf("id/type/status = %s %s %s", ev.ID, ev.Type, ev.Status)
			}
			if ev.ObjectRef != strings.Split(w.id, ":")[1] || ev.MerchantRef != w.merchantRef {
				t.Errorf("objectRef %q merchantRef %q", ev.ObjectRef, ev.MerchantRef)
			}
			if ev.ProviderEventID == "" || !strings.HasPrefix(ev.ProviderEventID, "wh-") {
				t.Errorf("providerEventId %q", ev.ProviderEventID)
			}
			if ev.Amount == nil || ev.Amount.Value != w.amount || ev.Amount.Currency != w.currency ||
				ev.Amount.Minor == nil || *ev.Amount.Minor != w.minor {
				t.Errorf("amount %+v", ev.Amount)
			}
			if ev.Settlement == nil || ev.Settlement.Value != w.settlement || ev.Settlement.Currency != w.settlementCurrency ||
				ev.Settlement.Minor != nil {
				t.Errorf("settlement %+v", ev.Settlement)
			}
			if w.failure == "" && ev.Failure != nil || w.failure != "" && (ev.Failure == nil || ev.Failure.Message != w.failure) {
				t.Errorf("failure %+v", ev.Failure)
			}
			if got := ev.OccurredAt.Format(time.RFC3339Nano); got != w.occurredAt {
				t.Errorf("occurredAt %s", got)
			}
			if ev.Details["withdrawTxId"] != w.withdrawTx || ev.Details["email"] != "j***@example.com" {
				t.Errorf("details %v", ev.Details)
			}
			checkNoPersonalData(t, &ev)
		})
	}
}

// checkNoPersonalData: the marshalled event holds no full email address and no name.
func checkNoPersonalData(t *testing.T, ev *event.Event) {
	t.Helper()
	b, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"john.doe" + at, "jane.roe" + at, "4111111111111111"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("event contains %q:\n%s", s, b)
		}
	}
	if _, ok := ev.Details["name"]; ok {
		t.Error("details carry the customer's name")
	}
}

func TestVerify(t *testing.T) {
	body := readFile(t, "webhook_doc_completed.json")
	valid := mustSign(t, body, activeSecret)
	tests := []struct {
		name, body, sig string
		kind            provider.Kind
		reason          provider.Reason // "" = accepted
	}{
		{name: "active secret", body: body, sig: valid},
		{name: "previous secret", body: body, sig: mustSign(t, body, previousSecret)},
		{name: "upper-case hex", body: body, sig: strings.ToUpper(valid)},
		{name: "surrounding space", body: body, sig: " " + valid + " "},
		{name: "re-serialized body", body: compact(t, body), sig: valid},
		{name: "missing header", body: body, kind: provider.KindUnauthorized, reason: provider.ReasonMissingSignature},
		{name: "blank header", body: body, sig: "   ", kind: provider.KindUnauthorized, reason: provider.ReasonMissingSignature},
		{name: "wrong secret", body: body, sig: mustSign(t, body, "some-other-secret"), kind: provider.KindUnauthorized, reason: provider.ReasonSignatureMismatch},
		{name: "tampered amount", body: strings.Replace(body, "3.74", "3.75", 1), sig: valid, kind: provider.KindUnauthorized, reason: provider.ReasonSignatureMismatch},
		{name: "tampered status", body: strings.Replace(body, `"status": "completed"`, `"status": "failed"`, 1), sig: valid, kind: provider.KindUnauthorized, reason: provider.ReasonSignatureMismatch},
		{name: "added key", body: strings.Replace(body, "{", `{"extra":1,`, 1), sig: valid, kind: provider.KindUnauthorized, reason: provider.ReasonSignatureMismatch},
		{name: "truncated digest", body: body, sig: valid[:31], kind: provider.KindUnauthorized, reason: provider.ReasonSignatureMismatch},
		{name: "not hex", body: body, sig: "zz" + valid[2:], kind: provider.KindUnauthorized, reason: provider.ReasonSignatureMismatch},
		{name: "digest of the raw body", body: body, sig: md5hex(body + ":" + activeSecret), kind: provider.KindUnauthorized, reason: provider.ReasonSignatureMismatch},
		{name: "invalid JSON", body: `{"webhookId":`, sig: valid, kind: provider.KindBadRequest, reason: provider.ReasonBadJSON},
		{name: "array body", body: `[{"webhookId":"x"}]`, sig: valid, kind: provider.KindBadRequest, reason: provider.ReasonBadJSON},
		{name: "empty body", body: ``, sig: valid, kind: provider.KindBadRequest, reason: provider.ReasonBadJSON},
	}
	p := newTestProvider()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Verify(context.Background(), request(tc.body, tc.sig))
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if string(got) != mustCanonical(t, tc.body) {
					t.Fatalf("Verify must return the form the signature covers, got %s", got)
				}
				return
			}
			wantRejection(t, err, tc.kind, tc.reason)
		})
	}
}

// TestVerifyNodeVectors accepts the digests node computed for the webhook fixtures.
func TestVerifyNodeVectors(t *testing.T) {
	vs := loadVectors(t)
	for _, name := range []string{"webhook_doc_completed.json", "webhook_doc_failed.json", "webhook_unknown_status.json"} {
		v := vs[name]
		doc := `{"webhookSecrets":["` + v.Secret + `"]}`
		p := New(secrets.Static{secretName: doc}, secretName)
		if _, err := p.Verify(context.Background(), request(readFile(t, name), v.Signature)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func compact(t *testing.T, body string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(body)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestVerifyPHPForm accepts a digest made the way the doc's PHP example makes it. The
// expected PHP text is derived by hand (see TestCanonicalPHP) and hashed here directly,
// so this does not just compare CanonicalPHP with itself.
func TestVerifyPHPForm(t *testing.T) {
	body := `{"transactionId":"ixc-tx-1","webhookId":"wh-1","data":{"status":"completed","amountInFiat":3.0,` +
		`"fiatCurrency":"EUR","note":"café/ü","additionalData":{}},"reference":"r/1"}`
	php := `{"data":{"status":"completed","amountInFiat":3,"fiatCurrency":"EUR","note":"caf\u00e9/\u00fc","additionalData":[]},` +
		`"reference":"r/1","transactionId":"ixc-tx-1","webhookId":"wh-1"}`
	if got, err := CanonicalPHP([]byte(body)); err != nil || string(got) != php {
		t.Fatalf("CanonicalPHP = %s, %v", got, err)
	}
	p := newTestProvider()
	for _, secret := range []string{activeSecret, previousSecret} {
		sig := md5hex(php + ":" + secret)
		if sig == mustSign(t, body, secret) {
			t.Fatal("test body must have differing JS and PHP forms")
		}
		if _, err := p.Verify(context.Background(), request(body, strings.ToUpper(sig))); err != nil {
			t.Fatalf("PHP-form signature refused: %v", err)
		}
	}
	// A body with no PHP form (lone surrogate) still verifies in its JS form.
	lone := `{"transactionId":"ixc-tx-2","note":"\ud800"}`
	if _, err := p.Verify(context.Background(), request(lone, mustSign(t, lone, activeSecret))); err != nil {
		t.Fatal(err)
	}
}

func TestVerifySecretProblems(t *testing.T) {
	body := readFile(t, "webhook_doc_failed.json")
	sig := mustSign(t, body, activeSecret)
	for name, src := range map[string]secrets.Source{
		"missing":   secrets.Static{},
		"malformed": secrets.Static{secretName: `{"webhookSecrets":`},
		"empty":     secrets.Static{secretName: `{"webhookSecrets":[]}`},
		"blank":     secrets.Static{secretName: `{"webhookSecrets":[""]}`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(src, secretName).Verify(context.Background(), request(body, sig))
			if !errors.Is(err, secrets.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if _, ok := provider.AsRejection(err); ok {
				t.Fatal("a secret problem is ours, not the caller's")
			}
		})
	}
	// An empty entry next to a real one is ignored, never a key that signs "canonical:".
	p := New(secrets.Static{secretName: `{"webhookSecrets":["","` + activeSecret + `"]}`}, secretName)
	_, err := p.Verify(context.Background(), request(body, md5hex(mustCanonical(t, body)+":")))
	wantRejection(t, err, provider.KindUnauthorized, provider.ReasonSignatureMismatch)
}

func mustCanonical(t *testing.T, body string) string {
	c, err := CanonicalJS([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}

func TestNormalizeFixtures(t *testing.T) {
	tests := []struct {
		file                  string
		id, typ               string
		status                event.Status
		merchantRef           string
		amount, currency      string
		settlement, currency2 string
		details               map[string]any
	}{
		{
			file: "webhook_doc_completed.json", id: "instaxchange:*****:completed", typ: "payment.succeeded", status: event.Succeeded,
			merchantRef: "your_reference", amount: "3.74", currency: "USD", settlement: "0.0421399418187522", currency2: "LTC",
			details: map[string]any{
				"sessionId": "*****", "walletAddress": "****", "webhookCreatedAt": "2024-05-22T19:59:05.913Z",
				"additionalData": map[string]any{"wdId": "123"},
				"invoiceId":      "****", "invoiceStatus": "completed",
				"depositTxId": "*****", "depositTxAmount": "3.74 USD", "depositTxStatus": "completed",
				"withdrawTxId": "*****", "withdrawTxAmount": "0.0421399418187522 LTC", "withdrawTxStatus": "completed",
				"email": "j***@example.com", "cardNumber": "4****1111",
			},
		},
		{
			file: "webhook_doc_failed.json", id: "instaxchange:*****:failed", typ: "payment.failed", status: event.Failed,
			amount: "5", currency: "USD", settlement: "4.78", currency2: "USDT-AVALANCHE",
		},
		{
			file: "webhook_unknown_status.json", id: "instaxchange:ixc-tx-0a1b2c3d:processing", typ: "event.unsupported", status: event.Pending,
			merchantRef: "Ünïcødé/ref ✓", amount: "120", currency: "EUR", settlement: "1.5e-8", currency2: "BTC",
		},
	}
	p := newTestProvider()
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body := readFile(t, tc.file)
			ev, err := p.Normalize(context.Background(), []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)
			if ev.ID != tc.id || string(ev.Type) != tc.typ || ev.Status != tc.status || ev.MerchantRef != tc.merchantRef {
				t.Errorf("got %s %s %s %q", ev.ID, ev.Type, ev.Status, ev.MerchantRef)
			}
			if ev.Amount.Value != tc.amount || ev.Amount.Currency != tc.currency ||
				ev.Settlement.Value != tc.settlement || ev.Settlement.Currency != tc.currency2 {
				t.Errorf("amount %+v settlement %+v", ev.Amount, ev.Settlement)
			}
			if tc.details != nil {
				got, _ := json.Marshal(ev.Details)
				want, _ := json.Marshal(tc.details)
				if string(got) != string(want) {
					t.Errorf("details\n got %s\nwant %s", got, want)
				}
			}
			checkNoPersonalData(t, &ev)
			checkRaw(t, body, ev.Raw)
		})
	}
}

// checkRaw: Raw says what redact.JSON would say, in the sender's key order.
func checkRaw(t *testing.T, body string, raw json.RawMessage) {
	t.Helper()
	want, err := redact.JSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(decodeNumbers(t, raw), decodeNumbers(t, want)) {
		t.Errorf("raw differs from redact.JSON\n got %s\nwant %s", raw, want)
	}
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// TestRedactedRaw: Raw is redact.JSON of the payload byte for byte, so in the sender's key
// order. (That redact.JSON says what the old tree-based redaction said is tested in
// shared/redact, with these bodies among its seeds.)
func TestRedactedRaw(t *testing.T) {
	bodies := []string{
		`{"a":"x","card_number":"5554748800912345","cards":["4111 1111 1111 1111"],"PAN":"4111111111111111"}`,
		`{"n":{"contact":"jane.roe` + at + `example.org","list":["john.doe` + at + `example.com",1,null]},"e":"not an @ address"}`,
		`{"esc":"john.doe\u0040example.com","k\u0061rd":"x","Credit_card_number":"4****1111","cardNo":12345678901234}`,
		`{"html":"<b>&amp;</b>","ls":"\u2028","num":1.50e+3,"deep":[[[{"x":"\"q\""}]]]}`,
	}
	for _, b := range loadFixtures(t) {
		bodies = append(bodies, b.Body)
	}
	normalized := 0
	for _, body := range bodies {
		want, err := redact.JSON([]byte(body))
		if err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		checkRaw(t, body, want)
		ev, err := newTestProvider().Normalize(context.Background(), []byte(body))
		if err != nil {
			continue // not an instaxchange event; only redact.JSON applies
		}
		normalized++
		if !bytes.Equal(ev.Raw, want) {
			t.Errorf("raw is not redact.JSON of the payload\n got %s\nwant %s", ev.Raw, want)
		}
	}
	if normalized == 0 {
		t.Fatal("no body normalized")
	}
}

func TestNormalizeRejects(t *testing.T) {
	base := readFile(t, "webhook_doc_completed.json")
	tests := []struct {
		name, body string
		reason     provider.Reason
	}{
		{"not JSON", `{"transactionId":`, provider.ReasonBadJSON},
		{"not an object", `["x"]`, provider.ReasonBadJSON},
		{"no transactionId", strings.Replace(base, `"transactionId": "*****",`, ``, 1), provider.ReasonMissingField},
		{"null transactionId", strings.Replace(base, `"transactionId": "*****"`, `"transactionId": null`, 1), provider.ReasonMissingField},
		{"blank transactionId", strings.Replace(base, `"transactionId": "*****"`, `"transactionId": " "`, 1), provider.ReasonMissingField},
		{"object transactionId", strings.Replace(base, `"transactionId": "*****"`, `"transactionId": {}`, 1), provider.ReasonBadField},
		{"lone surrogate transactionId", strings.Replace(base, `"transactionId": "*****"`, `"transactionId": "t\ud800"`, 1), provider.ReasonBadField},
		{"no data", `{"transactionId":"t"}`, provider.ReasonMissingField},
		{"null data", `{"transactionId":"t","data":null}`, provider.ReasonMissingField},
		{"data not an object", `{"transactionId":"t","data":[1]}`, provider.ReasonBadField},
		{"no status", strings.Replace(base, `"status": "completed",`, ``, 1), provider.ReasonMissingField},
		{"no amount", strings.Replace(base, `"amountInFiat": 3.74,`, ``, 1), provider.ReasonMissingField},
		{"null amount", strings.Replace(base, `"amountInFiat": 3.74`, `"amountInFiat": null`, 1), provider.ReasonMissingField},
		{"no fiat currency", strings.Replace(base, `"fiatCurrency": "USD",`, ``, 1), provider.ReasonMissingField},
		{"bad amount", strings.Replace(base, `"amountInFiat": 3.74`, `"amountInFiat": "3,74"`, 1), provider.ReasonBadField},
		{"boolean amount", strings.Replace(base, `"amountInFiat": 3.74`, `"amountInFiat": true`, 1), provider.ReasonBadField},
		{"bad crypto amount", strings.Replace(base, `"amountInCrypto": 0.0421399418187522`, `"amountInCrypto": {}`, 1), provider.ReasonBadField},
		{"bad time", strings.Replace(base, `"2024-05-22T19:58:54.097Z"`, `"22nd May, 2024"`, 1), provider.ReasonBadField},
		{"object reference", strings.Replace(base, `"reference": "your_reference"`, `"reference": {}`, 1), provider.ReasonBadField},
	}
	p := newTestProvider()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Normalize(context.Background(), []byte(tc.body))
			r, ok := provider.AsRejection(err)
			if !ok || r.Kind != provider.KindBadRequest || r.Reason != tc.reason {
				t.Fatalf("err = %v, want 400 %s", err, tc.reason)
			}
		})
	}
}

func TestNormalizeEdgeCases(t *testing.T) {
	p := newTestProvider()
	tests := []struct {
		name, body string
		check      func(t *testing.T, ev event.Event)
	}{
		{
			// The signed form keeps the last duplicate, as JSON.parse decides; keys match exactly.
			name: "duplicates and case",
			body: `{"transactionId":"a","TransactionId":"b","transactionId":"tx-9","data":{"status":"completed",` +
				`"amountInFiat":"10.50","fiatCurrency":"EUR","Status":"failed"}}`,
			check: func(t *testing.T, ev event.Event) {
				if ev.ID != "instaxchange:tx-9:completed" || ev.Amount.Value != "10.50" || *ev.Amount.Minor != 1050 {
					t.Fatalf("%+v", ev)
				}
				if ev.Settlement != nil || ev.MerchantRef != "" || !ev.OccurredAt.IsZero() {
					t.Fatalf("%+v", ev)
				}
			},
		},
		{
			name: "no data time falls back to the delivery time",
			body: `{"transactionId":"tx-1","createdAt":"2024-05-24T08:53:29.503+02:00","data":{"status":"failed",` +
				`"statusReason":null,"amountInFiat":1e2,"fiatCurrency":"USD","amountInCrypto":1,"cryptoCurrency":""}}`,
			check: func(t *testing.T, ev event.Event) {
				if got := ev.OccurredAt.Format(time.RFC3339Nano); got != "2024-05-24T06:53:29.503Z" {
					t.Fatal(got)
				}
				if ev.Failure == nil || ev.Failure.Message != "" || ev.Amount.Value != "100" || *ev.Amount.Minor != 10000 {
					t.Fatalf("%+v %+v", ev.Failure, ev.Amount)
				}
				if ev.Settlement != nil {
					t.Fatal("settlement without currency")
				}
			},
		},
		{
			name: "escaped keys and values",
			body: `{"transaction\u0049d":"tx\/7","reference":10042,"data":{"status":"COMPLETED","amountInFiat":0.1,"fiatCurrency":"\u0055SD"}}`,
			check: func(t *testing.T, ev event.Event) {
				if ev.ObjectRef != "tx/7" || ev.Status != event.Succeeded || ev.Amount.Currency != "USD" || ev.MerchantRef != "10042" {
					t.Fatalf("%+v", ev)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := p.Normalize(context.Background(), []byte(mustCanonical(t, tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, ev)
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)
		})
	}
}

func TestNoScrapedEmailText(t *testing.T) {
	bad := "[email " + "protected]"
	for _, pattern := range []string{"*.go", "testdata/*"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if st, err := os.Stat(f); err == nil && st.IsDir() {
				continue // testdata/fuzz, the fuzz corpus
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s contains the scraping artefact", f)
			}
		}
	}
}

// FuzzVerifyNormalize: whatever the body, nothing panics; a body we can canonicalize
// verifies under its own signature, and a normalized event is schema-valid.
func FuzzVerifyNormalize(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add([]byte(fx.Body))
	}
	samples, err := Samples([]byte(testDoc))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range samples {
		f.Add(s.Body)
	}
	f.Add([]byte(`{"a":"\ud800","b":[1e400,-0],"0":{}}`))
	p := newTestProvider()
	f.Fuzz(func(t *testing.T, body []byte) {
		sig, signErr := Sign(body, activeSecret)
		if signErr != nil {
			sig = strings.Repeat("0", 32)
		}
		payload, err := p.Verify(context.Background(), request(string(body), sig))
		if signErr == nil && err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if err != nil {
			if _, ok := provider.AsRejection(err); !ok {
				t.Fatalf("untyped error: %v", err)
			}
			payload = body // Normalize must cope with anything too
		} else {
			c, _ := CanonicalJS(body)
			if !json.Valid(c) {
				t.Fatalf("canonical form is not JSON: %q", c)
			}
			if again, err := CanonicalJS(c); err != nil || !bytes.Equal(again, c) {
				t.Fatalf("canonical form not stable: %q -> %q (%v)", c, again, err)
			}
			if php, err := CanonicalPHP(body); err == nil && !json.Valid(php) {
				t.Fatalf("PHP form is not JSON: %q", php)
			}
			checkPHPSame(t, body)
		}
		ev, err := p.Normalize(context.Background(), payload)
		if err != nil {
			if _, ok := provider.AsRejection(err); !ok {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		ev.Stamp(time.Now(), event.OriginWebhook)
		eventtest.ValidateEvent(t, &ev)
	})
}

// checkPHPSame: when the JS pass says the PHP form is the same text, it is.
func checkPHPSame(t *testing.T, body []byte) bool {
	t.Helper()
	c := getCanonicalizer()
	defer putCanonicalizer(c)
	js, err := c.run(body, modeJS)
	if err != nil || !c.phpSame {
		return false
	}
	php, err := CanonicalPHP(body)
	if err != nil || !bytes.Equal(php, js) {
		t.Fatalf("phpSame but PHP form differs:\n js  %s\n php %s (%v)", js, php, err)
	}
	return true
}

func TestPHPSameShortcut(t *testing.T) {
	same := map[string]bool{}
	for _, f := range loadFixtures(t) {
		same[f.Name] = checkPHPSame(t, []byte(f.Body))
	}
	for name, want := range map[string]bool{
		"doc_completed": true, "doc_failed": true, "html_chars": true, "slashes": true, "duplicate_keys": true,
		"unicode": false, "null_empty": false, "floats": false, "large_integers": false, "lone_surrogates": false,
		"top_level_integer_keys": false, "proto_key": false, "mixed_case_keys": false, "nested_key_order": false,
	} {
		if same[name] != want {
			t.Errorf("%s: phpSame = %v, want %v", name, same[name], want)
		}
	}
}

func benchmarkPayload(b *testing.B) []byte {
	samples, err := Samples([]byte(testDoc))
	if err != nil {
		b.Fatal(err)
	}
	return samples[0].Body
}

// BenchmarkVerifyNormalize is one realistic delivery, verified (two secrets, both forms)
// and normalized. Compare with BenchmarkUnmarshalReference.
func BenchmarkVerifyNormalize(b *testing.B) {
	body := benchmarkPayload(b)
	sig := mustSign(b, string(body), previousSecret) // the worst case: no early match anyway
	// Production wraps the source in secrets.Cached, which lets secrets.Doc skip decoding.
	p := New(secrets.NewCached(secrets.Static{secretName: testDoc}, time.Hour), secretName)
	ctx := context.Background()
	req := request(string(body), sig)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		payload, err := p.Verify(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Normalize(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalReference is the yardstick: json.Unmarshal of the same payload.
func BenchmarkUnmarshalReference(b *testing.B) {
	body := benchmarkPayload(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalJS(b *testing.B) {
	body := benchmarkPayload(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CanonicalJS(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalPHP(b *testing.B) {
	body := benchmarkPayload(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CanonicalPHP(body); err != nil {
			b.Fatal(err)
		}
	}
}

// The golden cases are what the pipeline normalizes: the form the signature covers.
func TestGolden(t *testing.T) {
	p := newTestProvider()
	golden.Run(t, "testdata/webhook_*.json", func(body []byte) (event.Event, error) {
		signed, err := CanonicalJS(body)
		if err != nil {
			return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
		}
		return p.Normalize(context.Background(), signed)
	})
}

// verified runs body through Verify (signed as the sender signs it) and Normalize.
func verified(t *testing.T, body string) (event.Event, error) {
	t.Helper()
	p := newTestProvider()
	payload, err := p.Verify(context.Background(), request(body, mustSign(t, body, activeSecret)))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return p.Normalize(context.Background(), payload)
}

// An event records what the signature covers, not what the body spells.
func TestRecordsOnlyWhatWasSigned(t *testing.T) {
	body := readFile(t, "webhook_signed_values.json")
	ev, err := verified(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Amount.Value != "3.74" || *ev.Amount.Minor != 374 || ev.Settlement.Value != "9007199254740992" {
		t.Errorf("amount %+v settlement %+v: not the signed values", ev.Amount, ev.Settlement)
	}
	raw := string(ev.Raw)
	for _, absent := range []string{"3.7400000000000000001", "9007199254740993", "__proto__", "polluted", `"first"`} {
		if strings.Contains(raw, absent) {
			t.Errorf("raw holds %s, which the signature did not cover: %s", absent, raw)
		}
	}
	if ev.MerchantRef != "your_reference" || strings.Count(raw, `"reference"`) != 1 {
		t.Errorf("merchantRef %q, raw %s", ev.MerchantRef, raw)
	}
}

// Transactions whose ids differ only in lone surrogates never become one event: the ids
// that cannot be spelled without loss are refused (400), U+FFFD itself is an id.
func TestLoneSurrogateIDsStayApart(t *testing.T) {
	base := readFile(t, "webhook_doc_completed.json")
	for id, want := range map[string]string{`t\ud800`: "", `t\ud801`: "", `t\ufffd`: "instaxchange:t\uFFFD:completed"} {
		ev, err := verified(t, strings.Replace(base, `"transactionId": "*****"`, `"transactionId": "`+id+`"`, 1))
		if want == "" {
			wantRejection(t, err, provider.KindBadRequest, provider.ReasonBadField)
			continue
		}
		if err != nil || ev.ID != want {
			t.Errorf("%s: id %q, %v", id, ev.ID, err)
		}
	}
}

// Every status InstaXchange sends, in two letter cases: type, terminal and state, and one
// spelling in the id. An unknown status is stored as event.unsupported, never published.
func TestStatusTable(t *testing.T) {
	for _, table := range []kit.Statuses{statuses, deposits} {
		if err := table.Check(); err != nil {
			t.Fatal(err)
		}
	}
	base := readFile(t, "webhook_doc_completed.json")
	for _, tt := range []struct {
		status, deposit string
		typ             event.Type
		state           event.Status
		terminal        bool
		id              string
	}{
		{"completed", "completed", event.TypePaymentSucceeded, event.Succeeded, true, "completed"},
		{"failed", "completed", event.TypePaymentFailed, event.Failed, true, "failed"},
		{"cancelled", "completed", event.TypePaymentCancelled, event.Cancelled, true, "cancelled"},
		{"refunded", "completed", event.TypePaymentRefunded, event.Refunded, true, "refunded"},
		{"processing", "completed", event.TypeUnsupported, event.Pending, false, "processing"},
		// Deposit_tx_status: a completed session is a success only once the deposit is.
		{"completed", "pending", event.TypePaymentPending, event.Pending, false, "completed:deposit_pending"},
		{"completed", "processing", event.TypePaymentPending, event.Pending, false, "completed:deposit_processing"},
		// A deposit status payhooks does not know is never published as pending.
		{"completed", "on_hold", event.TypeUnsupported, event.Pending, false, "completed:deposit_on_hold"},
		{"completed", "failed", event.TypeUnsupported, event.Pending, false, "completed:deposit_failed"},
		{"completed", "", event.TypePaymentSucceeded, event.Succeeded, true, "completed"},
		{"failed", "failed", event.TypePaymentFailed, event.Failed, true, "failed"},
	} {
		for _, spelled := range []string{tt.status, strings.ToUpper(tt.status)} {
			body := strings.Replace(base, `"status": "completed"`, `"status": "`+spelled+`"`, 1)
			deposit := tt.deposit
			if spelled != tt.status {
				deposit = strings.ToUpper(deposit)
			}
			body = strings.Replace(body, `"Deposit_tx_status": "completed"`, `"Deposit_tx_status": "`+deposit+`"`, 1)
			ev, err := verified(t, body)
			if err != nil {
				t.Fatalf("%s/%s: %v", spelled, deposit, err)
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)
			if ev.Type != tt.typ || ev.Status != tt.state || ev.Terminal != tt.terminal || ev.ID != "instaxchange:*****:"+tt.id {
				t.Errorf("%s/%s: %s %s terminal=%v %s", spelled, deposit, ev.Type, ev.Status, ev.Terminal, ev.ID)
			}
			if ev.Publishable() == (tt.typ == event.TypeUnsupported) {
				t.Errorf("%s: publishable %v", spelled, ev.Publishable())
			}
		}
	}
}

// README's table for InstaXchange says what the code does (golden.READMEStatuses).
func TestREADMEStatusTable(t *testing.T) {
	golden.READMEStatuses(t, "InstaXchange", statuses, 1)
}
