package axpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

const (
	secretName  = "payhooks/axpay"
	activeKey   = "test-axpay-webhook-key-active"
	previousKey = "test-axpay-webhook-key-previous"
	// The web3.js documentation's example key: public, so safe in a test.
	testPrivKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
	testClient  = "test-client-0001"
)

var email = "john.doe" + "@" + "example.com"

func secretDoc(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"clientId":       testClient,
		"privateKey":     testPrivKey,
		"webhookApiKeys": []string{activeKey, previousKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newProvider(t testing.TB) provider.Provider {
	return axpay.New(secrets.Static{secretName: string(secretDoc(t))}, secretName)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func request(body []byte, headers map[string]string) *provider.Request {
	return &provider.Request{
		Route:      "POST /webhooks/axpay",
		Headers:    headers,
		Body:       body,
		ReceivedAt: time.Now(),
	}
}

func verifyNormalize(p provider.Provider, req *provider.Request) (event.Event, error) {
	payload, err := p.Verify(context.Background(), req)
	if err != nil {
		return event.Event{}, err
	}
	return p.Normalize(context.Background(), payload)
}

func wantRejection(t *testing.T, err error, kind provider.Kind, reason provider.Reason) {
	t.Helper()
	r, ok := provider.AsRejection(err)
	if !ok {
		t.Fatalf("error %v is not a rejection, want %s", err, reason)
	}
	if r.Kind != kind || r.Reason != reason {
		t.Fatalf("rejection %v (kind %d), want %s (kind %d)", r, r.Kind, reason, kind)
	}
}

func TestVerifyAuthentication(t *testing.T) {
	body := fixture(t, "completed.json")
	tests := []struct {
		name    string
		headers map[string]string
		reason  provider.Reason // empty: accepted
	}{
		{"api-key active", map[string]string{"api-key": activeKey}, ""},
		{"api-key previous", map[string]string{"api-key": previousKey}, ""},
		{"x-api-key", map[string]string{"x-api-key": activeKey}, ""},
		{"bearer", map[string]string{"authorization": "Bearer " + activeKey}, ""},
		{"bearer lower-case scheme", map[string]string{"authorization": "bearer " + previousKey}, ""},
		{"missing", map[string]string{"content-type": "application/json"}, provider.ReasonMissingAPIKey},
		{"empty api-key", map[string]string{"api-key": "  "}, provider.ReasonMissingAPIKey},
		{"basic auth is not a key", map[string]string{"authorization": "Basic " + activeKey}, provider.ReasonMissingAPIKey},
		{"empty bearer", map[string]string{"authorization": "Bearer "}, provider.ReasonMissingAPIKey},
		{"wrong", map[string]string{"api-key": "not-the-key"}, provider.ReasonAPIKeyMismatch},
		{"prefix of key", map[string]string{"api-key": activeKey[:10]}, provider.ReasonAPIKeyMismatch},
		{"wrong bearer", map[string]string{"authorization": "Bearer nope"}, provider.ReasonAPIKeyMismatch},
		{"wrong api-key not rescued by x-api-key", map[string]string{"api-key": "nope", "x-api-key": activeKey}, provider.ReasonAPIKeyMismatch},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Verify(context.Background(), request(body, tt.headers))
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if string(got) != string(body) {
					t.Fatal("payload is not the body")
				}
				return
			}
			wantRejection(t, err, provider.KindUnauthorized, tt.reason)
			if provider.KindUnauthorized.Status() != 401 {
				t.Fatal("unauthorized is not 401")
			}
		})
	}
}

func TestVerifySecretProblems(t *testing.T) {
	req := request(fixture(t, "completed.json"), map[string]string{"api-key": activeKey})
	for name, src := range map[string]secrets.Source{
		"secret missing": secrets.Static{},
		"not json":       secrets.Static{secretName: `{"clientId":`},
		"no keys":        secrets.Static{secretName: `{"clientId":"c","webhookApiKeys":[""]}`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := axpay.New(src, secretName).Verify(context.Background(), req)
			if !errors.Is(err, secrets.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		file        string
		typ         event.Type
		status      event.Status
		objectRef   string
		merchantRef string
		amount      string
		currency    string
		minor       *int64
		occurred    time.Time
		details     map[string]any
	}{
		{
			file: "completed.json", typ: "payment.succeeded", status: event.Succeeded,
			objectRef: "6650f1c2a9e4b71d2c8e4a01", merchantRef: "order-1001",
			amount: "25.5", currency: "USD", minor: ptr(2550),
			occurred: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			details: map[string]any{
				"rewardType": "CASH_BACK", "rewardRate": "0.02", "webhookStatus": "PENDING",
				"webhookStatusCode": []any{}, "fromEmail": "j***@example.com",
			},
		},
		{
			file: "completed_strings.json", typ: "payment.succeeded", status: event.Succeeded,
			objectRef: "6650f1c2a9e4b71d2c8e4a03", merchantRef: "order-1003",
			amount: "1234.50", currency: "EUR", minor: ptr(123450),
			occurred: time.Date(2026, 1, 1, 0, 0, 0, 123e6, time.UTC),
			details: map[string]any{
				"rewardType": "LOYALTY_POINT", "rewardRate": "0.050", "webhookStatus": "COMPLETED",
				"webhookStatusCode": []any{json.Number("500"), json.Number("200")}, "fromEmail": "j***@example.com",
			},
		},
		{
			// A listed transaction whose webhook delivery failed is still a completed payment;
			// numeric ids and references keep every digit.
			file: "completed_listed.json", typ: "payment.succeeded", status: event.Succeeded,
			objectRef: "9007199254740993", merchantRef: "42",
			amount: "0.10000000000000000001", currency: "AXC",
			occurred: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			file: "mongo_oid.json", typ: "payment.succeeded", status: event.Succeeded,
			objectRef: "6650f1c2a9e4b71d2c8e4a04", merchantRef: "order-1004",
			amount: "5", currency: "JPY", minor: ptr(5),
			occurred: time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC),
		},
		{file: "failed.json", typ: "payment.failed", status: event.Failed, objectRef: "6650f1c2a9e4b71d2c8e4a05", merchantRef: "order-1005", amount: "19.99", currency: "USD", minor: ptr(1999), occurred: time.UnixMilli(1767225600000).UTC()},
		{file: "cancelled.json", typ: "payment.cancelled", status: event.Cancelled, objectRef: "6650f1c2a9e4b71d2c8e4a06", merchantRef: "order-1006", amount: "19.99", currency: "USD", minor: ptr(1999), occurred: time.UnixMilli(1767225600000).UTC()},
		{file: "pending.json", typ: "payment.pending", status: event.Pending, objectRef: "6650f1c2a9e4b71d2c8e4a07", merchantRef: "order-1007", amount: "19.99", currency: "USD", minor: ptr(1999), occurred: time.UnixMilli(1767225600000).UTC()},
		{file: "unknown_status.json", typ: event.TypeUnsupported, status: event.Pending, objectRef: "6650f1c2a9e4b71d2c8e4a08", merchantRef: "order-1008", amount: "19.99", currency: "USD", minor: ptr(1999), occurred: time.UnixMilli(1767225600000).UTC()},
	}
	p := newProvider(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := fixture(t, tt.file)
			ev, err := verifyNormalize(p, request(body, map[string]string{"api-key": activeKey}))
			if err != nil {
				t.Fatal(err)
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)
			// A completed transaction has the id webhook and poll share; other outcomes carry
			// their status so a pending row cannot swallow the later completion.
			wantID := "axpay:" + tt.objectRef + map[string]string{
				"failed.json": ":failed", "cancelled.json": ":cancelled", "pending.json": ":pending",
				"unknown_status.json": ":refund_requested",
			}[tt.file]
			if ev.ID != wantID || ev.Provider != "axpay" || ev.ObjectRef != tt.objectRef || ev.MerchantRef != tt.merchantRef {
				t.Errorf("identity: id %q provider %q objectRef %q merchantRef %q", ev.ID, ev.Provider, ev.ObjectRef, ev.MerchantRef)
			}
			if ev.Type != tt.typ || ev.Status != tt.status {
				t.Errorf("type %q status %q, want %q %q", ev.Type, ev.Status, tt.typ, tt.status)
			}
			if ev.Amount == nil || ev.Amount.Value != tt.amount || ev.Amount.Currency != tt.currency {
				t.Fatalf("amount %+v, want %s %s", ev.Amount, tt.amount, tt.currency)
			}
			if (ev.Amount.Minor == nil) != (tt.minor == nil) || (tt.minor != nil && *ev.Amount.Minor != *tt.minor) {
				t.Errorf("minor %v, want %v", ev.Amount.Minor, tt.minor)
			}
			if !ev.OccurredAt.Equal(tt.occurred) || ev.OccurredAt.Location() != time.UTC {
				t.Errorf("occurredAt %v, want %v", ev.OccurredAt, tt.occurred)
			}
			if tt.status == event.Failed && (ev.Failure == nil || ev.Failure.Code != "FAILED") {
				t.Errorf("failure %+v", ev.Failure)
			}
			for k, want := range tt.details {
				got, _ := json.Marshal(ev.Details[k])
				w, _ := json.Marshal(want)
				if string(got) != string(w) {
					t.Errorf("details[%s] = %s, want %s", k, got, w)
				}
			}
			out, _ := ev.Marshal()
			if strings.Contains(string(out), email) {
				t.Errorf("unmasked email in event: %s", out)
			}
		})
	}
}

func ptr(v int64) *int64 { return &v }

func TestNormalizeRejects(t *testing.T) {
	base := map[string]any{
		"id": "tx-1", "orderId": "order-1", "amount": json.Number("25.5"), "currency": "USD",
		"createdAt": json.Number("1767225600000"),
	}
	with := func(k string, v any) []byte {
		m := map[string]any{}
		for kk, vv := range base {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name   string
		body   []byte
		reason provider.Reason
	}{
		{"not json", []byte(`{"id":`), provider.ReasonBadJSON},
		{"array", []byte(`[{"id":"tx-1"}]`), provider.ReasonBadJSON},
		{"null", []byte(`null`), provider.ReasonBadJSON},
		{"string", []byte(`"tx"`), provider.ReasonBadJSON},
		{"empty", []byte(``), provider.ReasonBadJSON},
		{"no id", with("id", nil), provider.ReasonMissingField},
		{"null id", with("id", json.RawMessage(`null`)), provider.ReasonMissingField},
		{"empty id", with("id", ""), provider.ReasonMissingField},
		{"bool id", with("id", true), provider.ReasonBadField},
		{"no amount", with("amount", nil), provider.ReasonMissingField},
		{"empty amount", with("amount", ""), provider.ReasonMissingField},
		{"word amount", with("amount", "lots"), provider.ReasonBadField},
		{"object amount", with("amount", map[string]any{"v": 1}), provider.ReasonBadField},
		{"no currency", with("currency", nil), provider.ReasonMissingField},
		{"empty currency", with("currency", ""), provider.ReasonMissingField},
		{"numeric currency", with("currency", 840), provider.ReasonBadField},
		{"no createdAt", with("createdAt", nil), provider.ReasonMissingField},
		{"createdAt words", with("createdAt", "yesterday"), provider.ReasonBadField},
		{"createdAt seconds", with("createdAt", 1767225600), provider.ReasonBadField},
		{"createdAt fraction", with("createdAt", json.Number("1767225600000.5")), provider.ReasonBadField},
		{"status not string", with("status", 3), provider.ReasonBadField},
		{"email not string", with("fromEmail", 3), provider.ReasonBadField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := axpay.NormalizeTransaction(tt.body)
			wantRejection(t, err, provider.KindBadRequest, tt.reason)
		})
	}
}

// The poller normalizes listed transactions with the same function: same id as the webhook.
func TestWebhookAndListSameID(t *testing.T) {
	body := fixture(t, "completed.json")
	hook, err := verifyNormalize(newProvider(t), request(body, map[string]string{"api-key": activeKey}))
	if err != nil {
		t.Fatal(err)
	}
	// The same transaction as listed later, after AXpay recorded our 200.
	var m map[string]any
	json.Unmarshal(body, &m)
	m["webhookStatus"], m["webhookStatusCode"] = "COMPLETED", []int{200}
	listed, _ := json.Marshal(m)
	polled, err := axpay.NormalizeTransaction(listed)
	if err != nil {
		t.Fatal(err)
	}
	polled.Stamp(time.Now(), event.OriginReconciliation)
	eventtest.ValidateEvent(t, &polled)
	if hook.ID != polled.ID || hook.Type != polled.Type {
		t.Fatalf("webhook %s %s, poll %s %s", hook.ID, hook.Type, polled.ID, polled.Type)
	}
}

func TestSamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "dev", "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(doc, &all); err != nil {
		t.Fatal(err)
	}
	samples, err := axpay.Samples(all[secretName])
	if err != nil {
		t.Fatal(err)
	}
	p := axpay.New(secrets.Static{secretName: string(all[secretName])}, secretName)
	names := map[string]bool{}
	for _, s := range samples {
		names[s.Name] = true
		if s.Path != "/webhooks/axpay" {
			t.Errorf("%s: path %s", s.Name, s.Path)
		}
		ev, err := verifyNormalize(p, request(s.Body, s.Headers))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		ev.Stamp(time.Now(), event.OriginWebhook)
		eventtest.ValidateEvent(t, &ev)
		if ev.Type != "payment.succeeded" || ev.Amount.Currency != "USD" {
			t.Errorf("%s: %s %+v", s.Name, ev.Type, ev.Amount)
		}
		if !strings.Contains(string(s.Body), email) {
			t.Errorf("%s: the sender sends a real address", s.Name)
		}
	}
	if !names["completed"] || !names["completed-bearer"] || len(samples) != 2 {
		t.Fatalf("variants %v", names)
	}
	if samples[0].Headers["api-key"] == "" || !strings.HasPrefix(samples[1].Headers["authorization"], "Bearer ") {
		t.Fatalf("headers %v %v", samples[0].Headers, samples[1].Headers)
	}
	if _, err := axpay.Samples([]byte(`{"clientId":"c"}`)); err == nil {
		t.Fatal("samples without keys")
	}
}

func FuzzVerifyNormalize(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, activeKey)
	}
	f.Add([]byte(`{"id":{"$oid":""},"amount":"1e400","currency":"X","createdAt":"1e3"}`), "Bearer "+activeKey)
	f.Add([]byte(`{"_id":null,"transactionId":-0,"amount":-0.0,"currency":" ","createdAt":253402300799999}`), previousKey)
	p := newProvider(f)
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		h := map[string]string{"api-key": key}
		if strings.HasPrefix(key, "Bearer ") {
			h = map[string]string{"authorization": key}
		}
		ev, err := verifyNormalize(p, request(body, h))
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

func BenchmarkVerifyNormalize(b *testing.B) {
	body := fixture(b, "completed.json")
	// Production wraps the source in secrets.Cached, which lets secrets.Doc skip decoding.
	p := axpay.New(secrets.NewCached(secrets.Static{secretName: string(secretDoc(b))}, time.Hour), secretName)
	req := request(body, map[string]string{"api-key": activeKey})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verifyNormalize(p, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalReference(b *testing.B) {
	body := fixture(b, "completed.json")
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}
