package axs

import (
	"bytes"
	"context"
	"encoding/base64"
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
	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

// Fake credentials for tests; never real ones.
const (
	testClientID   = "5fc53a20-e563-4f45-8dcc-4fd1f20f649c"
	testSecret     = "test-axs-secret-NOT-REAL-active"
	testPrevious   = "test-axs-secret-NOT-REAL-previous"
	testSecretName = "payhooks/axs"
)

func testDoc(secrets ...string) string {
	b, _ := json.Marshal(SecretDoc{ClientID: testClientID, ClientSecrets: secrets})
	return string(b)
}

// newTest returns the provider over a static secret and a counter of key derivations.
func newTest(t testing.TB, active ...string) (*axsProvider, *int) {
	t.Helper()
	if len(active) == 0 {
		active = []string{testSecret, testPrevious}
	}
	p := New(secrets.Static{testSecretName: testDoc(active...)}, testSecretName).(*axsProvider)
	n := new(int)
	p.beforeDerive = func(int) { *n++ }
	return p, n
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

func mustEncrypt(t testing.TB, plaintext []byte, kid, secret string) string {
	t.Helper()
	s, err := encrypt(plaintext, kid, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wrap(compact string) []byte {
	b, _ := json.Marshal(map[string]string{"data": compact})
	return b
}

func req(body []byte) *provider.Request {
	return &provider.Request{Route: "POST /webhooks/axs", Body: body, ReceivedAt: time.Now()}
}

// sampleReq is the request a sample makes: its method, body and query string.
func sampleReq(s provider.Sample) *provider.Request {
	path, query := s.SplitPath()
	return &provider.Request{Route: s.HTTPMethod() + " " + path, Body: s.Body, Query: query, ReceivedAt: time.Now()}
}

func wantRejection(t *testing.T, err error, kind provider.Kind, reason provider.Reason) {
	t.Helper()
	r, ok := provider.AsRejection(err)
	if !ok {
		t.Fatalf("want %s rejection, got %v", reason, err)
	}
	if r.Kind != kind || r.Reason != reason {
		t.Fatalf("got %d %s (%v), want %d %s", r.Kind.Status(), r.Reason, r.Err, kind.Status(), reason)
	}
}

func TestSamplesNormalize(t *testing.T) {
	samples, err := Samples([]byte(testDoc(testSecret, testPrevious)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		fixture, typ string
		status       event.Status
		value        string
		minor        int64
		failure      string
		occurred     string
		merchantRef  string
		scheme       string
	}{
		"SUCCESS":  {"success.json", "payment.succeeded", event.Succeeded, "10.23", 1023, "", "2026-01-16T01:22:46.010508Z", "Ref123", "VISA"},
		"DECLINED": {"declined.json", "payment.failed", event.Failed, "25.50", 2550, "05", "2026-01-16T01:25:03.118204Z", "Ref124", "MASTERCARD"},
		"EXPIRED":  {"expired.json", "payment.expired", event.Expired, "101.01", 10101, "", "2025-12-10T09:14:01.201466Z", "Ref125", "PAYNOW"},
		SampleGET:  {"success_get.json", "payment.succeeded", event.Succeeded, "42.00", 4200, "", "2026-01-16T02:03:11.402917Z", "Ref126", "PAYNOW"},
	}
	if len(samples) != len(want) {
		t.Fatalf("%d samples, want %d", len(samples), len(want))
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			w, ok := want[s.Name]
			if !ok {
				t.Fatalf("unexpected sample %q", s.Name)
			}
			if path, _ := s.SplitPath(); path != "/webhooks/axs" {
				t.Errorf("path %q", s.Path)
			}
			p, derived := newTest(t)
			plaintext, err := p.Verify(context.Background(), sampleReq(s))
			if err != nil {
				t.Fatal(err)
			}
			if *derived != 1 {
				t.Errorf("%d key derivations, want 1 (first secret)", *derived)
			}
			if !bytes.Equal(plaintext, fixture(t, w.fixture)) {
				t.Errorf("plaintext differs from testdata/%s:\n%s", w.fixture, plaintext)
			}
			ev, err := p.Normalize(context.Background(), plaintext)
			if err != nil {
				t.Fatal(err)
			}
			var pl struct{ TransactionRef, Status string }
			json.Unmarshal(plaintext, &pl)
			if ev.ID != "axs:"+pl.TransactionRef+":"+pl.Status || ev.ObjectRef != pl.TransactionRef {
				t.Errorf("id %q objectRef %q", ev.ID, ev.ObjectRef)
			}
			if ev.Provider != "axs" || string(ev.Type) != w.typ || ev.Status != w.status || ev.MerchantRef != w.merchantRef {
				t.Errorf("got %s %s %s %s", ev.Provider, ev.Type, ev.Status, ev.MerchantRef)
			}
			if ev.Amount == nil || ev.Amount.Value != w.value || ev.Amount.Currency != "SGD" ||
				ev.Amount.Minor == nil || *ev.Amount.Minor != w.minor {
				t.Errorf("amount %+v, want %s SGD minor %d", ev.Amount, w.value, w.minor)
			}
			if (w.failure == "") != (ev.Failure == nil) || (ev.Failure != nil && ev.Failure.Code != w.failure) {
				t.Errorf("failure %+v, want code %q", ev.Failure, w.failure)
			}
			if got := ev.OccurredAt.Format(time.RFC3339Nano); got != w.occurred {
				t.Errorf("occurredAt %s, want %s", got, w.occurred)
			}
			if ev.Details["paymentScheme"] != w.scheme {
				t.Errorf("details %v", ev.Details)
			}
			if !ev.ReceivedAt.IsZero() || ev.SchemaVersion != 0 || ev.Terminal {
				t.Error("Normalize must leave stamping to the pipeline")
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)
			if !ev.Terminal {
				t.Error("AXS outcomes are terminal")
			}
		})
	}
}

// The dev secrets file must keep producing samples that the provider accepts.
func TestSamplesFromDevSecrets(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "dev", "secrets.json"))
	if err != nil {
		t.Skipf("dev/secrets.json: %v", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	samples, err := Samples(all[testSecretName])
	if err != nil {
		t.Fatal(err)
	}
	p := New(secrets.File{Path: filepath.Join("..", "..", "..", "dev", "secrets.json")}, testSecretName)
	for _, s := range samples {
		if _, err := p.Verify(context.Background(), sampleReq(s)); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
}

func TestSamplePayloadsMatchFixtures(t *testing.T) {
	files := map[string]string{StatusSuccess: "success.json", StatusDeclined: "declined.json", StatusExpired: "expired.json", SampleGET: "success_get.json"}
	for _, sp := range samplePayloads {
		if got := fixture(t, files[sp.name]); string(got) != sp.body {
			t.Errorf("%s sample differs from testdata/%s", sp.name, files[sp.name])
		}
	}
}

// Every testdata/<case>.json is a decrypted payload; <case>.event.json is what it becomes.
func TestGolden(t *testing.T) {
	p, _ := newTest(t)
	golden.Run(t, "testdata/*.json", func(payload []byte) (event.Event, error) {
		return p.Normalize(context.Background(), payload)
	})
}

func TestNormalizeEdgeCases(t *testing.T) {
	p, _ := newTest(t)
	tests := []struct {
		name, body string
		reason     provider.Reason
		check      func(t *testing.T, ev event.Event)
	}{
		{"not json", `{"status":`, provider.ReasonBadJSON, nil},
		{"bad amount", `{"transactionRef":"1","status":"SUCCESS","amount":"10,23"}`, provider.ReasonBadField, nil},
		{"amount object", `{"transactionRef":"1","status":"SUCCESS","amount":{}}`, provider.ReasonBadField, nil},
		{"success without amount", `{"transactionRef":"1","status":"SUCCESS"}`, provider.ReasonMissingField, nil},
		{"ref wrong type", `{"transactionRef":{},"status":"SUCCESS","amount":"1"}`, provider.ReasonBadField, nil},
		{"ref as a number, kept as written", `{"transactionRef":1428191406936641536,"status":"SUCCESS","amount":"1"}`, "", func(t *testing.T, ev event.Event) {
			if ev.ID != "axs:1428191406936641536:SUCCESS" {
				t.Errorf("id %s", ev.ID)
			}
		}},
		{"expired without amount", `{"transactionRef":"1","status":"expired"}`, "", func(t *testing.T, ev event.Event) {
			if ev.Type != "payment.expired" || ev.Amount != nil || ev.ID != "axs:1:EXPIRED" {
				t.Errorf("%+v", ev)
			}
		}},
		{"unreadable time kept in details", `{"transactionRef":"1","status":"DECLINED","amount":"1.00","paymentDateTime":"16/01/2026 09:22"}`, "", func(t *testing.T, ev event.Event) {
			if !ev.OccurredAt.IsZero() || ev.Details["paymentDateTime"] != "16/01/2026 09:22" {
				t.Errorf("occurredAt %v details %v", ev.OccurredAt, ev.Details)
			}
		}},
		{"email masked in raw", `{"transactionRef":"1","status":"SUCCESS","amount":"1.00","merchantRef":"john.doe` + "@" + `example.com"}`, "", func(t *testing.T, ev event.Event) {
			if strings.Contains(string(ev.Raw), "john.doe") {
				t.Errorf("raw not redacted: %s", ev.Raw)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := p.Normalize(context.Background(), []byte(tt.body))
			if tt.reason != "" {
				wantRejection(t, err, provider.KindBadRequest, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, ev)
			ev.Stamp(time.Now(), event.OriginWebhook)
			eventtest.ValidateEvent(t, &ev)
		})
	}
}

// b64 and the header helpers build hostile tokens around a valid one.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func withHeader(t testing.TB, compact string, header string) string {
	t.Helper()
	parts := strings.Split(compact, ".")
	parts[0] = b64([]byte(header))
	return strings.Join(parts, ".")
}

func mutateHeader(t testing.TB, compact string, mutate func(h map[string]any)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(compact, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]any{}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	mutate(h)
	b, _ := json.Marshal(h)
	return withHeader(t, compact, string(b))
}

// flipAt changes the base64url character at i, keeping the segment well-formed (i must not
// be the last character, whose low bits are padding).
func flipAt(seg string, i int) string {
	c := byte('A')
	if seg[i] == 'A' {
		c = 'B'
	}
	return seg[:i] + string(c) + seg[i+1:]
}

func TestVerifyRejections(t *testing.T) {
	plaintext := fixture(t, "success.json")
	good := mustEncrypt(t, plaintext, testClientID, testSecret)
	parts := strings.Split(good, ".")
	segment := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, ".")
	}

	tests := []struct {
		name    string
		body    []byte
		kind    provider.Kind
		reason  provider.Reason
		derives int // key derivations expected; -1 = don't care
	}{
		{"wrong secret", wrap(mustEncrypt(t, plaintext, testClientID, "some-other-secret-NOT-REAL")), provider.KindUnauthorized, ReasonDecryptFailed, 2},
		{"tampered ciphertext", wrap(segment(3, flipAt(parts[3], 5))), provider.KindUnauthorized, ReasonDecryptFailed, 2},
		{"tampered tag", wrap(segment(4, flipAt(parts[4], 0))), provider.KindUnauthorized, ReasonDecryptFailed, 2},
		{"tampered iv", wrap(segment(2, "AAAAAAAAAAAAAAAA")), provider.KindUnauthorized, ReasonDecryptFailed, 2},
		{"tampered header kid", wrap(mutateHeader(t, good, func(h map[string]any) { h["kid"] = "x" })), provider.KindUnauthorized, ReasonDecryptFailed, 2},
		{"alg dir", wrap(`eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..` + parts[2] + "." + parts[3] + "." + parts[4]), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"alg none", wrap(withHeader(t, good, `{"alg":"none","enc":"A256GCM"}`)), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"alg none bare", wrap(b64([]byte(`{"alg":"none"}`)) + "...."), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"alg missing", wrap(withHeader(t, good, `{"enc":"A256GCM","p2c":1000,"p2s":"c2FsdHNhbHQ"}`)), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"alg other PBES2", wrap(mutateHeader(t, good, func(h map[string]any) { h["alg"] = "PBES2-HS256+A128KW" })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"alg A256KW", wrap(mutateHeader(t, good, func(h map[string]any) { h["alg"] = "A256KW" })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"enc A128CBC-HS256", wrap(mutateHeader(t, good, func(h map[string]any) { h["enc"] = "A128CBC-HS256" })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"zip other than DEF", wrap(mutateHeader(t, good, func(h map[string]any) { h["zip"] = "GZIP" })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"zip not a string", wrap(mutateHeader(t, good, func(h map[string]any) { h["zip"] = 1 })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		// The header is GCM's additional data: a zip added afterwards fails authentication.
		{"zip DEF added to a sealed token", wrap(mutateHeader(t, good, func(h map[string]any) { h["zip"] = "DEF" })), provider.KindUnauthorized, ReasonDecryptFailed, 2},
		{"crit", wrap(mutateHeader(t, good, func(h map[string]any) { h["crit"] = []string{"exp"}; h["exp"] = 1 })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"unknown header member", wrap(mutateHeader(t, good, func(h map[string]any) { h["exp"] = 1 })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"unknown header member in another case", wrap(mutateHeader(t, good, func(h map[string]any) { h["KID"] = "x" })), provider.KindUnauthorized, ReasonUnsupportedAlgorithm, 0},
		{"p2c 1,000,000", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = 1000000 })), provider.KindUnauthorized, ReasonP2CTooLarge, 0},
		{"p2c 10,001", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = 10001 })), provider.KindUnauthorized, ReasonP2CTooLarge, 0},
		{"p2c exponent", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = json.Number("1e9") })), provider.KindUnauthorized, ReasonP2CTooLarge, 0},
		{"p2c huge integer", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = json.Number("123456789012345678901234567890") })), provider.KindUnauthorized, ReasonP2CTooLarge, 0},
		{"p2c zero", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = 0 })), provider.KindUnauthorized, ReasonInvalidP2C, 0},
		{"p2c negative", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = -5 })), provider.KindUnauthorized, ReasonInvalidP2C, 0},
		{"p2c fraction", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = 1000.5 })), provider.KindUnauthorized, ReasonInvalidP2C, 0},
		{"p2c string", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2c"] = "1000" })), provider.KindUnauthorized, ReasonInvalidP2C, 0},
		{"p2c missing", wrap(mutateHeader(t, good, func(h map[string]any) { delete(h, "p2c") })), provider.KindUnauthorized, ReasonInvalidP2C, 0},
		{"p2s missing", wrap(mutateHeader(t, good, func(h map[string]any) { delete(h, "p2s") })), provider.KindUnauthorized, ReasonInvalidP2S, 0},
		{"p2s not base64url", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2s"] = "not base64!" })), provider.KindUnauthorized, ReasonInvalidP2S, 0},
		{"p2s short", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2s"] = "c2FsdA" })), provider.KindUnauthorized, ReasonInvalidP2S, 0},
		{"p2s number", wrap(mutateHeader(t, good, func(h map[string]any) { h["p2s"] = 12345678 })), provider.KindUnauthorized, ReasonInvalidP2S, 0},
		{"duplicate p2c", wrap(withHeader(t, good, `{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":1000,"p2s":"c2FsdHNhbHQ","p2c":1000000}`)), provider.KindBadRequest, ReasonBadJWE, 0},
		{"kid not string", wrap(mutateHeader(t, good, func(h map[string]any) { h["kid"] = 7 })), provider.KindBadRequest, ReasonBadJWE, 0},
		{"header not json", wrap(withHeader(t, good, `{"alg":`)), provider.KindBadRequest, ReasonBadJWE, 0},
		{"header array", wrap(withHeader(t, good, `["alg"]`)), provider.KindBadRequest, ReasonBadJWE, 0},
		{"header trailing", wrap(withHeader(t, good, `{"alg":"none"}{}`)), provider.KindBadRequest, ReasonBadJWE, 0},
		{"header bad base64", wrap("%%%." + strings.Join(parts[1:], ".")), provider.KindBadRequest, ReasonBadJWE, 0},
		{"encrypted key bad base64", wrap(segment(1, "***")), provider.KindBadRequest, ReasonBadJWE, 0},
		{"encrypted key empty", wrap(segment(1, "")), provider.KindBadRequest, ReasonBadJWE, 0},
		{"iv wrong size", wrap(segment(2, "AAAA")), provider.KindBadRequest, ReasonBadJWE, 0},
		{"tag wrong size", wrap(segment(4, "AAAA")), provider.KindBadRequest, ReasonBadJWE, 0},
		{"ciphertext bad length", wrap(segment(3, "A")), provider.KindBadRequest, ReasonBadJWE, 0},
		{"four segments", wrap(strings.Join(parts[:4], ".")), provider.KindBadRequest, ReasonBadJWE, 0},
		{"six segments", wrap(good + ".AAAA"), provider.KindBadRequest, ReasonBadJWE, 0},
		{"jws", wrap("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"), provider.KindBadRequest, ReasonBadJWE, 0},
		{"empty body", nil, provider.KindBadRequest, ReasonBadJWE, 0},
		{"whitespace body", []byte(" \n\t"), provider.KindBadRequest, ReasonBadJWE, 0},
		{"garbage", []byte("hello world"), provider.KindBadRequest, ReasonBadJWE, 0},
		{"wrapper not json", []byte(`{"data":`), provider.KindBadRequest, ReasonBadJWE, 0},
		{"wrapper data number", []byte(`{"data":42}`), provider.KindBadRequest, ReasonBadJWE, 0},
		{"wrapper without data", []byte(`{"jwe":"` + good + `"}`), provider.KindBadRequest, ReasonBadJWE, 0},
		{"wrapper data empty", []byte(`{"data":""}`), provider.KindBadRequest, ReasonBadJWE, 0},
		{"json serialization", []byte(`{"protected":"` + parts[0] + `","ciphertext":"` + parts[3] + `"}`), provider.KindBadRequest, ReasonBadJWE, 0},
		{"plaintext not json", wrap(mustEncrypt(t, []byte("status=SUCCESS"), testClientID, testSecret)), provider.KindBadRequest, provider.ReasonBadJSON, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, derived := newTest(t)
			_, err := p.Verify(context.Background(), req(tt.body))
			wantRejection(t, err, tt.kind, tt.reason)
			if tt.derives >= 0 && *derived != tt.derives {
				t.Errorf("%d key derivations, want %d", *derived, tt.derives)
			}
		})
	}
}

// A p2c of a million must be refused on sight: the hook proves no PBKDF2 ran at all, for a
// token that is otherwise perfectly formed.
func TestHugeP2CRefusedWithoutDerivation(t *testing.T) {
	good := mustEncrypt(t, fixture(t, "success.json"), testClientID, testSecret)
	huge := mutateHeader(t, good, func(h map[string]any) { h["p2c"] = 1000000 })
	p, derived := newTest(t)
	var counts []int
	p.beforeDerive = func(p2c int) { *derived++; counts = append(counts, p2c) }
	for _, body := range [][]byte{wrap(huge), []byte(huge)} {
		_, err := p.Verify(context.Background(), req(body))
		wantRejection(t, err, provider.KindUnauthorized, ReasonP2CTooLarge)
	}
	if *derived != 0 {
		t.Fatalf("%d key derivations (p2c %v) for a refused token", *derived, counts)
	}
	// The same hook does fire on an acceptable token, so the zero above means something.
	if _, err := p.Verify(context.Background(), req(wrap(good))); err != nil {
		t.Fatal(err)
	}
	if *derived != 1 || counts[0] != P2C {
		t.Fatalf("derivations %d %v, want 1 at p2c %d", *derived, counts, P2C)
	}
}

func TestSecretRotationAndKid(t *testing.T) {
	plaintext := fixture(t, "success.json")
	tests := []struct {
		name    string
		kid     string
		secret  string
		derives int
	}{
		{"active secret, kid matches", testClientID, testSecret, 1},
		{"previous secret still decrypts", testClientID, testPrevious, 2},
		{"kid mismatch, active secret", "someone-else", testSecret, 1},
		{"kid mismatch falls back to previous", "someone-else", testPrevious, 2},
		{"no kid", "", testPrevious, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, derived := newTest(t)
			got, err := p.Verify(context.Background(), req(wrap(mustEncrypt(t, plaintext, tt.kid, tt.secret))))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plaintext) {
				t.Fatalf("plaintext %s", got)
			}
			if *derived != tt.derives {
				t.Errorf("%d key derivations, want %d", *derived, tt.derives)
			}
		})
	}
	t.Run("retired secret refused", func(t *testing.T) {
		p, _ := newTest(t, testSecret)
		_, err := p.Verify(context.Background(), req(wrap(mustEncrypt(t, plaintext, testClientID, testPrevious))))
		wantRejection(t, err, provider.KindUnauthorized, ReasonDecryptFailed)
	})
	t.Run("blank secrets are skipped", func(t *testing.T) {
		p, derived := newTest(t, "", testPrevious)
		if _, err := p.Verify(context.Background(), req(wrap(mustEncrypt(t, plaintext, testClientID, testPrevious)))); err != nil {
			t.Fatal(err)
		}
		if *derived != 1 {
			t.Errorf("%d derivations", *derived)
		}
	})
}

func TestRawCompactBody(t *testing.T) {
	plaintext := fixture(t, "success.json")
	compact := mustEncrypt(t, plaintext, testClientID, testSecret)
	for name, body := range map[string]string{
		"raw":             compact,
		"raw with spaces": "\n  " + compact + "\r\n",
		"wrapped":         string(wrap(compact)),
		"wrapped, padded": " {\"data\": \" " + compact + "\\n\"}\n",
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := newTest(t)
			got, err := p.Verify(context.Background(), req([]byte(body)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plaintext) {
				t.Fatalf("plaintext %s", got)
			}
		})
	}
}

// The salt input may also arrive as the bare UUID text in the header (it happens to be
// valid base64url); either way decryption works.
func TestBareUUIDP2S(t *testing.T) {
	plaintext := fixture(t, "success.json")
	uuid := "e955f2bb-f5a4-4c71-990f-5a9030959d5f"
	salt, err := base64.RawURLEncoding.DecodeString(uuid)
	if err != nil {
		t.Fatal(err)
	}
	enc := mustEncryptSalt(t, plaintext, salt)
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(enc, ".")[0])
	if !strings.Contains(string(raw), `"p2s":"`+uuid+`"`) {
		t.Fatalf("header %s", raw)
	}
	p, _ := newTest(t)
	if _, err := p.Verify(context.Background(), req([]byte(enc))); err != nil {
		t.Fatal(err)
	}
}

func TestSecretUnavailable(t *testing.T) {
	good := mustEncrypt(t, fixture(t, "success.json"), testClientID, testSecret)
	for name, src := range map[string]secrets.Source{
		"missing":    secrets.Static{},
		"malformed":  secrets.Static{testSecretName: `{"clientSecrets":"x"}`},
		"no secrets": secrets.Static{testSecretName: `{"clientId":"x","clientSecrets":[""]}`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(src, testSecretName).Verify(context.Background(), req(wrap(good)))
			if !errors.Is(err, secrets.ErrUnavailable) {
				t.Fatalf("want ErrUnavailable, got %v", err)
			}
			if _, ok := provider.AsRejection(err); ok {
				t.Fatal("an unavailable secret is not the caller's fault")
			}
		})
	}
}

func TestDecryptExported(t *testing.T) {
	plaintext := fixture(t, "declined.json")
	got, err := Decrypt(mustEncrypt(t, plaintext, testClientID, testPrevious), testSecret, testPrevious)
	if err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("Decrypt: %v %s", err, got)
	}
}

func FuzzVerifyNormalize(f *testing.F) {
	samples, err := Samples([]byte(testDoc(testSecret, testPrevious)))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range samples {
		f.Add(s.Body)
		var w struct{ Data string }
		json.Unmarshal(s.Body, &w)
		f.Add([]byte(w.Data))
	}
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			b := fixture(f, e.Name())
			f.Add(b)
			f.Add(wrap(mustEncrypt(f, b, testClientID, testSecret)))
		}
	}
	f.Add([]byte(`{"data":"a.b.c.d.e"}`))
	f.Add([]byte(b64([]byte(`{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":1e400,"p2s":"c2FsdHNhbHQ"}`)) + "...."))
	p, _ := newTest(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		if pt, err := p.Verify(ctx, req(body)); err == nil {
			if ev, err := p.Normalize(ctx, pt); err == nil && ev.ID == "" {
				t.Fatal("event without id")
			}
		} else if _, ok := provider.AsRejection(err); !ok {
			t.Fatalf("untyped error: %v", err)
		}
		// Normalize is also reached by pollers with plaintext: it must hold up on its own.
		if ev, err := p.Normalize(ctx, body); err == nil && (ev.ID == "" || ev.ObjectRef == "") {
			t.Fatal("event without id")
		} else if err != nil {
			if _, ok := provider.AsRejection(err); !ok {
				t.Fatalf("untyped error: %v", err)
			}
		}
	})
}

func mustEncryptSalt(t testing.TB, plaintext, salt []byte) string {
	t.Helper()
	s, err := encryptWithSalt(plaintext, testClientID, testSecret, salt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
