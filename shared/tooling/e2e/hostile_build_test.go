package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-jose/go-jose/v4"

	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axs"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/gateway"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// Builders for the hostile-request table: bodies an attacker (or a broken sender) can
// produce, and the requests that carry them.

// hostileBodies are payloads that must never become an event, whatever credential they
// come with, derived from a, a valid body of the route.
func hostileBodies(a []byte) []struct {
	name string
	body []byte
} {
	return []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"whitespace", []byte(" \r\n\t ")},
		{"json null", []byte("null")},
		{"json array", []byte("[]")},
		{"invalid utf-8 bytes", []byte("\xff\xfe\xfd\x00\x01\x80")},
		{"invalid utf-8 in a key", invalidUTF8In(a)},
		{"invalid utf-8 in a value", invalidUTF8Value(a)},
		{"nested arrays 10000", deepArrays(10000)},
		{"nested objects 10000", deepObjects(10000)},
		{"nested arrays 100000", deepArrays(100000)},
		{"duplicate keys, last invalid", duplicateLastInvalid(a)},
		{"numbers 1e999", hugeNumbers(a)},
		{"currencies holding an email", replaced(a, currencyish, plantedEmail)},
		{"amounts holding a card number", replaced(a, amountish, json.Number("5555555555554444e0"))},
		{"trailing garbage", append(append([]byte{}, a...), []byte(`}{"x":1}`)...)},
		{"truncated", a[:len(a)/2]},
	}
}

// invalidUTF8In puts an invalid byte into the first string of a: the JSON is well formed
// except for its encoding, which the gateway then delivers base64-flagged.
func invalidUTF8In(a []byte) []byte {
	i := bytes.IndexByte(a, '"')
	if i < 0 {
		return append([]byte("\xff"), a...)
	}
	out := append([]byte{}, a[:i+1]...)
	out = append(out, 0xff, 0xfe)
	return append(out, a[i+1:]...)
}

// invalidUTF8Value puts an invalid byte at the start of the first string value of a.
func invalidUTF8Value(a []byte) []byte {
	i := bytes.Index(a, []byte(`":"`))
	if i < 0 {
		return invalidUTF8In(a)
	}
	out := append([]byte{}, a[:i+3]...)
	out = append(out, 0xc3, 0x28)
	return append(out, a[i+3:]...)
}

func deepArrays(n int) []byte {
	return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
}

func deepObjects(n int) []byte {
	return []byte(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))
}

// duplicateLastInvalid repeats every top-level member of a at the end with an object as its
// value. A sender's JSON.parse keeps the last value, so the payload it would have signed is
// invalid; a parser that kept the first value would accept a's fields instead.
func duplicateLastInvalid(a []byte) []byte {
	keys := topKeys(a)
	if len(keys) == 0 {
		return []byte(`{"id":"1","id":{"x":[]}}`)
	}
	var b bytes.Buffer
	b.Write(bytes.TrimRight(bytes.TrimSpace(a), "}"))
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		fmt.Fprintf(&b, `,%s:{"dup":[1e999]}`, kb)
	}
	b.WriteString("}")
	return b.Bytes()
}

func topKeys(a []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(a))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, fmt.Sprint(tok))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

var (
	amountish   = regexp.MustCompile(`(?i)amount|price|value|total|fee|balance`)
	currencyish = regexp.MustCompile(`(?i)currency|ccy`)
)

// hugeNumbers replaces every amount-like value of a (also inside JSON-in-a-string, as CXTN
// sends it) with the number 1e999, which no float can hold.
func hugeNumbers(a []byte) []byte { return replaced(a, amountish, json.Number("1e999")) }

// replaced is a with with in place of every scalar value whose key matches keys (also
// inside JSON-in-a-string); a body of only such members when a has none.
func replaced(a []byte, keys *regexp.Regexp, with any) []byte {
	fallback, _ := json.Marshal(map[string]any{"amount": with, "currency": with, "id": with})
	dec := json.NewDecoder(bytes.NewReader(a))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fallback
	}
	var walk func(v any) (any, bool)
	walk = func(v any) (any, bool) {
		changed := false
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if keys.MatchString(k) {
					if _, nested := e.(map[string]any); !nested {
						x[k] = with
						changed = true
						continue
					}
				}
				if ne, c := walk(e); c {
					x[k], changed = ne, true
				}
			}
		case []any:
			for i, e := range x {
				if ne, c := walk(e); c {
					x[i], changed = ne, true
				}
			}
		case string:
			if strings.HasPrefix(strings.TrimSpace(x), "{") {
				var inner any
				d := json.NewDecoder(strings.NewReader(x))
				d.UseNumber()
				if d.Decode(&inner) == nil {
					if ni, c := walk(inner); c {
						b, _ := json.Marshal(ni)
						return string(b), true
					}
				}
			}
		}
		return v, changed
	}
	out, changed := walk(v)
	if !changed {
		return fallback
	}
	b, _ := json.Marshal(out)
	return b
}

// withBody is the sample's request (path, headers) carrying body, delivered as the gateway
// would: text as is, anything else base64-flagged.
func withBody(w registry.Webhook, s provider.Sample, body []byte) events.APIGatewayV2HTTPRequest {
	s.Body = body
	e := apiEvent(w, s)
	if !utf8.Valid(body) {
		e.Body = base64.StdEncoding.EncodeToString(body)
		e.IsBase64Encoded = true
	}
	return e
}

// devSecret is the union of the providers' development secret documents.
type devSecret struct {
	WebhookSecrets []string `json:"webhookSecrets"`
	ClientID       string   `json:"clientId"`
	ClientSecrets  []string `json:"clientSecrets"`
	WebhookAPIKeys []string `json:"webhookApiKeys"`
	WebhookTokens  []string `json:"webhookTokens"`
}

func secretOf(t testing.TB, doc json.RawMessage) devSecret {
	t.Helper()
	var d devSecret
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// signedAs gives body the credential the real sender would compute for it, for providers
// whose credential is bound to the body (InstaXchange signs it, AXS encrypts it). ok is
// false when no credential exists for it (InstaXchange cannot sign what is not JSON).
func signedAs(t testing.TB, w registry.Webhook, d devSecret, s provider.Sample, body []byte) (provider.Sample, bool) {
	t.Helper()
	switch w.Provider {
	case "instaxchange":
		sig, err := instaxchange.Sign(body, d.WebhookSecrets[0])
		if err != nil {
			return s, false
		}
		s.Headers = map[string]string{instaxchange.SignatureHeader: sig}
		s.Body = body
		return s, true
	case "axs":
		s.Body = axsWrap(axsEncrypt(t, body, d.ClientID, d.ClientSecrets[0], 1000))
		return s, true
	}
	return s, false
}

func axsEncrypt(t testing.TB, plaintext []byte, kid, password string, p2c int) string {
	t.Helper()
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{
		Algorithm: jose.PBES2_HS512_A256KW, Key: []byte(password), KeyID: kid, PBES2Count: p2c,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	c, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func axsWrap(compact string) []byte {
	b, _ := json.Marshal(map[string]string{"data": compact})
	return b
}

func axsCompact(t testing.TB, body []byte) string {
	t.Helper()
	var wrap struct{ Data string }
	if err := json.Unmarshal(body, &wrap); err != nil || wrap.Data == "" {
		t.Fatalf("AXS sample is not {\"data\": JWE}: %s", body)
	}
	return wrap.Data
}

// withHeader replaces the protected header of a compact JWE, keeping the other segments.
func withHeader(compact string, header string) string {
	parts := strings.Split(compact, ".")
	parts[0] = base64.RawURLEncoding.EncodeToString([]byte(header))
	return strings.Join(parts, ".")
}

func jweHeader(t testing.TB, compact string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(compact, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// axsJOSECases are the envelope attacks on AXS: algorithms it never uses, a key it does
// not hold, an iteration count meant to burn CPU, and a valid envelope around another
// delivery's ciphertext.
func axsJOSECases(t testing.TB, d devSecret, a, b provider.Sample) []hostileCase {
	t.Helper()
	ca, cb := axsCompact(t, a.Body), axsCompact(t, b.Body)
	plain, err := axs.Decrypt(ca, d.ClientSecrets...)
	if err != nil {
		t.Fatal(err)
	}
	h := jweHeader(t, ca)
	hdr := func(over map[string]any) string {
		m := map[string]any{}
		for k, v := range h {
			m[k] = v
		}
		for k, v := range over {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		bs, _ := json.Marshal(m)
		return string(bs)
	}
	// alg dir: a real direct-encryption JWE under a key derived from the secret, as an
	// attacker guessing at a misconfigured library would send.
	key := sha256.Sum256([]byte(d.ClientSecrets[0]))
	dirEnc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: key[:]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dirObj, err := dirEnc.Encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := dirObj.CompactSerialize()
	pa, pb := strings.Split(ca, "."), strings.Split(cb, ".")
	spliced := strings.Join([]string{pa[0], pa[1], pa[2], pb[3], pb[4]}, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	body := func(c string) []byte { return axsWrap(c) }
	return []hostileCase{
		{name: "jwe alg none", body: body(withHeader(ca, hdr(map[string]any{"alg": "none"}))), status: 401, reason: axs.ReasonUnsupportedAlgorithm},
		{name: "jws alg none (unsecured JWT)", body: body(none + "." + base64.RawURLEncoding.EncodeToString(plain) + "."), status: 400, reason: axs.ReasonBadJWE},
		{name: "jwe alg dir", body: body(dir), status: 401, reason: axs.ReasonUnsupportedAlgorithm},
		{name: "jwe enc A128GCM", body: body(withHeader(ca, hdr(map[string]any{"enc": "A128GCM"}))), status: 401, reason: axs.ReasonUnsupportedAlgorithm},
		{name: "jwe zip other than DEF", body: body(withHeader(ca, hdr(map[string]any{"zip": "GZIP"}))), status: 401, reason: axs.ReasonUnsupportedAlgorithm},
		{name: "jwe wrong key", body: body(axsEncrypt(t, plain, d.ClientID, "wrong-secret-wrong-secret-wrong", 1000)), status: 401, reason: axs.ReasonDecryptFailed},
		{name: "jwe p2c 1000000", body: body(withHeader(ca, hdr(map[string]any{"p2c": 1000000}))), status: 401, reason: axs.ReasonP2CTooLarge},
		{name: "jwe p2c 1e999", body: body(withHeader(ca, strings.Replace(hdr(map[string]any{"p2c": 1}), `"p2c":1`, `"p2c":1e999`, 1))), status: 401, reason: axs.ReasonP2CTooLarge},
		{name: "jwe duplicate p2c", body: body(withHeader(ca, strings.Replace(hdr(nil), `{`, `{"p2c":1,`, 1))), status: 400, reason: axs.ReasonBadJWE},
		{name: "jwe no p2s", body: body(withHeader(ca, hdr(map[string]any{"p2s": nil}))), status: 401, reason: axs.ReasonInvalidP2S},
		{name: "jwe header changed (authenticated data)", body: body(withHeader(ca, hdr(map[string]any{"kid": "someone-else"}))), status: 401, reason: axs.ReasonDecryptFailed},
		{name: "valid envelope over another delivery's ciphertext", body: body(spliced), status: 401, reason: axs.ReasonDecryptFailed},
		{name: "bare garbage token", body: []byte("a.b.c.d.e"), status: 400},
		{name: "data not a string", body: []byte(`{"data":{"alg":"none"}}`), status: 400},
	}
}

// hostileCase is one request of the table. status 0 accepts any 4xx; reason "" any reason.
type hostileCase struct {
	name   string
	body   []byte
	event  *events.APIGatewayV2HTTPRequest // when set, sent as is instead of body
	status int
	reason provider.Reason
}

var snakeReason = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkTyped asserts the answer is a typed 4xx: JSON, exactly {"error": "<snake_case>"}.
func checkTyped(t *testing.T, name string, c hostileCase, status int, headers map[string]string, body string) {
	t.Helper()
	if status < 400 || status > 499 {
		t.Errorf("%s: status %d, want 4xx (body %s)", name, status, body)
		return
	}
	if c.status != 0 && status != c.status {
		t.Errorf("%s: status %d, want %d (body %s)", name, status, c.status, body)
	}
	if ct := headers["content-type"]; ct != "application/json" {
		t.Errorf("%s: content-type %q", name, ct)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || len(m) != 1 {
		t.Errorf("%s: body %q is not {\"error\": reason}", name, body)
		return
	}
	reason, _ := m["error"].(string)
	if !snakeReason.MatchString(reason) {
		t.Errorf("%s: error %q is not a snake_case reason", name, m["error"])
	}
	if c.reason != "" && reason != string(c.reason) {
		t.Errorf("%s: reason %q, want %q", name, reason, c.reason)
	}
}

// viaGateway sends a request through the local API Gateway stand-in, which bounds the read.
func viaGateway(t *testing.T, w registry.Webhook, h *webhook.Handler, s provider.Sample, body *countingReader) *httptest.ResponseRecorder {
	t.Helper()
	g := gateway.New([]gateway.Route{{Method: w.Method, Path: w.Path, Handler: h.Lambda}}, webhook.MaxBody, h.Log)
	req := httptest.NewRequest(w.Method, s.Path, body)
	req.Header.Set("content-type", "application/json")
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	return rec
}

// countingReader yields n copies of fill without holding them, counting what was read.
type countingReader struct {
	n, read int
	fill    byte
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.read)
	for i := range p[:k] {
		p[i] = r.fill
	}
	r.read += k
	return k, nil
}

func headerMap(h http.Header) map[string]string {
	m := map[string]string{}
	for k := range h {
		m[strings.ToLower(k)] = h.Get(k)
	}
	return m
}

type hostileEvent = events.APIGatewayV2HTTPRequest
