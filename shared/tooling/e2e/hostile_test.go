package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axs"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// The bad-input table: for every route, requests an attacker or a broken sender can make.
// Each must get a typed 4xx ({"error": "<reason>"}, never a 5xx or a panic) and leave
// nothing in the table or on the queue.
func TestHostileRequestsEveryRoute(t *testing.T) {
	docs := devDocs(t)
	for _, w := range registry.Webhooks {
		t.Run(w.Provider, func(t *testing.T) {
			env := stacktest.New(t)
			p := newPipeline(t, env, nil)
			h := p.handler(t, w.Provider)
			d := secretOf(t, docs[secrets.Name(w.Provider)])
			a, b := twoSamples(t, w, docs[secrets.Name(w.Provider)])
			for _, c := range hostileTable(t, w, d, a, b) {
				e := withBody(w, a, c.body)
				if c.event != nil {
					e = *c.event
				}
				start := time.Now()
				resp, err := h.Lambda(context.Background(), e)
				if err != nil {
					t.Fatalf("%s: Lambda returned an error: %v", c.name, err)
				}
				checkTyped(t, c.name, c, resp.StatusCode, resp.Headers, resp.Body)
				if el := time.Since(start); el > 2*time.Second {
					t.Errorf("%s: took %s", c.name, el)
				}
			}

			// 10 MB through the gateway: refused with 413 after reading at most MaxBody+1 bytes.
			for _, fill := range []byte{'a', 0xff} {
				body := &countingReader{n: 10 << 20, fill: fill}
				rec := viaGateway(t, w, h, a, body)
				c := hostileCase{status: http.StatusRequestEntityTooLarge, reason: "too_large"}
				checkTyped(t, "10 MB via gateway", c, rec.Code, headerMap(rec.Header()), rec.Body.String())
				if body.read > webhook.MaxBody+1 {
					t.Errorf("gateway read %d bytes of a 10 MB body", body.read)
				}
			}
			// Invalid UTF-8 through the gateway: it arrives base64-flagged and is still refused.
			rec := viaGateway(t, w, h, a, &countingReader{n: 64, fill: 0xff})
			checkTyped(t, "invalid utf-8 via gateway", hostileCase{}, rec.Code, headerMap(rec.Header()), rec.Body.String())

			if items := env.Items(t); len(items) != 0 {
				t.Errorf("hostile requests stored %d items: %v", len(items), items)
			}
			if msgs := env.Messages(t); len(msgs) != 0 {
				t.Errorf("hostile requests published %d messages", len(msgs))
			}
		})
	}
}

// A replay of an old valid request is a redelivery: 200 "duplicate", nothing published.
func TestReplayedValidRequestPublishesNothing(t *testing.T) {
	docs := devDocs(t)
	for _, w := range registry.Webhooks {
		t.Run(w.Provider, func(t *testing.T) {
			env := stacktest.New(t)
			p := newPipeline(t, env, nil)
			h := p.handler(t, w.Provider)
			a, _ := twoSamples(t, w, docs[secrets.Name(w.Provider)])
			first := apiEvent(w, a)
			first.RequestContext.TimeEpoch = time.Now().Add(-26 * time.Hour).UnixMilli()
			if code, body := call(t, h, first); code != 200 || body["status"] != "accepted" {
				t.Fatalf("original delivery: %d %v", code, body)
			}
			for i := 0; i < 3; i++ {
				e := apiEvent(w, a)
				e.RequestContext.RequestID += "-replay"
				if code, body := call(t, h, e); code != 200 || body["status"] != "duplicate" {
					t.Fatalf("replay %d: %d %v", i, code, body)
				}
			}
			if n := len(env.Messages(t)); n != 1 {
				t.Fatalf("%d messages, want 1", n)
			}
			if evN, _ := countKinds(t, env); evN != 1 {
				t.Fatalf("%d event items, want 1", evN)
			}
		})
	}
}

// InstaXchange signs a canonical form in which a repeated key keeps its first position and
// its last value. Prepending another delivery's values under the same keys therefore keeps
// the original signature valid: the normalizer must read the same (last) values, or refuse.
func TestSignaturePreservingDuplicateKeys(t *testing.T) {
	docs := devDocs(t)
	w, _ := registry.Lookup("instaxchange")
	a, b := twoSamples(t, w, docs["payhooks/instaxchange"])
	var bv map[string]json.RawMessage
	if err := json.Unmarshal(b.Body, &bv); err != nil {
		t.Fatal(err)
	}
	var pre bytes.Buffer
	pre.WriteString("{")
	for _, k := range topKeys(a.Body) {
		v, ok := bv[k]
		if !ok {
			v = json.RawMessage(`"evil"`)
		}
		kb, _ := json.Marshal(k)
		pre.Write(kb)
		pre.WriteString(":")
		pre.Write(v)
		pre.WriteString(",")
	}
	forged := a
	forged.Body = append(pre.Bytes(), bytes.TrimSpace(a.Body)[1:]...)
	ca, _ := instaxchange.CanonicalJS(a.Body)
	cf, err := instaxchange.CanonicalJS(forged.Body)
	if err != nil || !bytes.Equal(ca, cf) {
		t.Fatalf("the forgery does not keep the canonical form (%v)", err)
	}

	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	h := p.handler(t, w.Provider)
	resp, err := h.Lambda(context.Background(), apiEvent(w, forged))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		checkTyped(t, "duplicate keys", hostileCase{}, resp.StatusCode, resp.Headers, resp.Body)
		t.Logf("refused: %d %s", resp.StatusCode, resp.Body)
		if n := len(env.Items(t)); n != 0 {
			t.Fatalf("refused forgery stored %d items", n)
		}
		return
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	t.Logf("accepted as the signed delivery: %s", resp.Body)
	// Accepted: then it must be exactly the signed delivery, so a's own delivery is a duplicate
	// and the published event carries a's values, not b's.
	if code, body := call(t, h, apiEvent(w, a)); code != 200 || body["status"] != "duplicate" {
		t.Fatalf("the signed original after the duplicate-key variant: %d %v", code, body)
	}
	msgs := env.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	want, err := h.Provider.Normalize(context.Background(), a.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID, ObjectRef string
		Amount        json.RawMessage
	}
	json.Unmarshal([]byte(*msgs[0].Body), &got)
	wantAmount, _ := json.Marshal(want.Amount)
	if got.ID != want.ID || got.ObjectRef != want.ObjectRef || !bytes.Equal(got.Amount, wantAmount) {
		t.Fatalf("published %s, want the signed delivery's %s/%s/%s", *msgs[0].Body, want.ID, want.ObjectRef, wantAmount)
	}
}

// Runs after every hostile request: their log lines hold no secret, token or card number.
// twoSamples returns two samples of the route with different bodies.
func twoSamples(t testing.TB, w registry.Webhook, doc json.RawMessage) (provider.Sample, provider.Sample) {
	t.Helper()
	ss := samples(t, w, doc)
	for _, s := range ss[1:] {
		if !bytes.Equal(s.Body, ss[0].Body) {
			return ss[0], s
		}
	}
	t.Fatalf("%s: fewer than two distinct samples", w.Provider)
	return ss[0], ss[0]
}

// hostileTable builds every hostile request for the route. a and b are valid samples.
func hostileTable(t *testing.T, w registry.Webhook, d devSecret, a, b provider.Sample) []hostileCase {
	t.Helper()
	var cases []hostileCase
	base := a.Body
	if w.Provider == "axs" {
		// Derive the hostile bodies from what AXS encrypts, so the authenticated variants
		// reach the normalizer with a 1e999 amount or a duplicated field.
		pt, err := axs.Decrypt(axsCompact(t, a.Body), d.ClientSecrets...)
		if err != nil {
			t.Fatal(err)
		}
		base = pt
	}
	for _, hb := range hostileBodies(base) {
		// With the sample's credential: for providers whose credential does not depend on the
		// body (API key, URL token) the body reaches the parser; for the others it is a forgery.
		cases = append(cases, hostileCase{name: hb.name, body: hb.body})
		// With the credential the real sender would compute for it, so that the parser
		// behind authentication sees it too.
		if s, ok := signedAs(t, w, d, a, hb.body); ok {
			e := withBody(w, s, s.Body)
			cases = append(cases, hostileCase{name: "authenticated " + hb.name, event: &e})
		}
	}

	event := func(s provider.Sample, body []byte, edit func(e *hostileEvent)) *hostileEvent {
		e := withBody(w, s, body)
		if edit != nil {
			edit(&e)
		}
		return &e
	}
	add := func(name string, e *hostileEvent, status int, reason provider.Reason) {
		cases = append(cases, hostileCase{name: name, event: e, status: status, reason: reason})
	}

	// Encoding and size, decided by the adapter before the provider sees anything.
	add("base64 garbage", event(a, nil, func(e *hostileEvent) {
		e.Body, e.IsBase64Encoded = "%%% not base64 \r\n ===", true
	}), 400, "bad_base64")
	add("base64 of random bytes", event(a, nil, func(e *hostileEvent) {
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte("\x00\x9f\x92\x96garbage\xc3\x28")), true
	}), 0, "")
	add("base64 flag on a plain JSON body", event(a, a.Body, func(e *hostileEvent) { e.IsBase64Encoded = true }), 0, "")
	add("10 MB body", event(a, nil, func(e *hostileEvent) { e.Body = strings.Repeat("a", 10<<20) }), 413, "too_large")
	add("10 MB base64 body", event(a, nil, func(e *hostileEvent) {
		e.Body, e.IsBase64Encoded = strings.Repeat("QUFB", (10<<20)/4), true
	}), 413, "too_large")
	add("MaxBody+1 bytes after base64 decoding", event(a, bytes.Repeat([]byte{0xff}, webhook.MaxBody+1), nil), 413, "too_large")

	switch w.Provider {
	case "instaxchange":
		sig := a.Headers[instaxchange.SignatureHeader]
		zero := strings.Repeat("0", len(sig))
		hdr := func(v string) func(e *hostileEvent) {
			return func(e *hostileEvent) { e.Headers[strings.ToLower(instaxchange.SignatureHeader)] = v }
		}
		add("valid signature over another body", event(a, b.Body, nil), 401, provider.ReasonSignatureMismatch)
		add("signature header with CRLF injection", event(a, a.Body, hdr(sig+"\r\nX-Injected: 1")), 401, provider.ReasonSignatureMismatch)
		add("signature header with a bare LF", event(a, a.Body, hdr(sig+"\nx")), 401, provider.ReasonSignatureMismatch)
		add("second signature header (forged first)", event(a, a.Body, hdr(zero+","+sig)), 401, provider.ReasonSignatureMismatch)
		add("second signature header (forged last)", event(a, a.Body, hdr(sig+","+zero)), 401, provider.ReasonSignatureMismatch)
		add("signature header name with CRLF", event(a, a.Body, func(e *hostileEvent) {
			delete(e.Headers, strings.ToLower(instaxchange.SignatureHeader))
			e.Headers["x-instaxwh-key\r\nx-other"] = sig
		}), 401, provider.ReasonMissingSignature)
	case "axpay":
		key := d.WebhookAPIKeys[0]
		hdr := func(name, v string) func(e *hostileEvent) {
			return func(e *hostileEvent) {
				for k := range e.Headers {
					if k == "api-key" || k == "x-api-key" || k == "authorization" {
						delete(e.Headers, k)
					}
				}
				e.Headers[name] = v
			}
		}
		add("api key with CRLF injection", event(a, a.Body, hdr("api-key", key+"\r\nX-Injected: 1")), 401, "")
		add("two api keys (forged first)", event(a, a.Body, hdr("api-key", "wrong-key,"+key)), 401, "")
		add("two api keys (forged last)", event(a, a.Body, hdr("api-key", key+",wrong-key")), 401, "")
		add("forged api-key, valid bearer", event(a, a.Body, func(e *hostileEvent) {
			hdr("api-key", "wrong-key")(e)
			e.Headers["authorization"] = "Bearer " + key
		}), 401, "")
		add("bearer with CRLF injection", event(a, a.Body, hdr("authorization", "Bearer "+key+"\r\nX-Injected: 1")), 401, "")
		t.Log("axpay: the API key does not bind the body, so \"a valid credential over another body\" is a valid delivery")
	case "cardorders", "cxtn":
		tok := d.WebhookTokens[0]
		path := func(v string) func(e *hostileEvent) {
			return func(e *hostileEvent) { e.PathParameters = map[string]string{"token": v} }
		}
		add("token with CRLF injection", event(a, a.Body, path(tok+"\r\nX-Injected: 1")), 401, provider.ReasonTokenMismatch)
		add("token percent-encoded CRLF", event(a, a.Body, path(tok+"%0d%0a")), 401, provider.ReasonTokenMismatch)
		add("two tokens", event(a, a.Body, path(tok+","+tok)), 401, provider.ReasonTokenMismatch)
		add("token prefix", event(a, a.Body, path(tok[:len(tok)-1])), 401, provider.ReasonTokenMismatch)
		add("no token", event(a, a.Body, func(e *hostileEvent) { e.PathParameters = nil }), 401, provider.ReasonMissingToken)
		add("headers with CRLF and a wrong token", event(a, a.Body, func(e *hostileEvent) {
			e.PathParameters = map[string]string{"token": "wrong"}
			e.Headers["x-forwarded-for"] = "127.0.0.1\r\nX-Token: " + tok
		}), 401, provider.ReasonTokenMismatch)
		t.Logf("%s: the URL token does not bind the body, so \"a valid credential over another body\" is a valid delivery", w.Provider)
	case "axs":
		for _, c := range axsJOSECases(t, d, a, b) {
			cases = append(cases, c)
		}
		add("CRLF headers around a forged body", event(a, axsWrap("a.b.c.d.e"), func(e *hostileEvent) {
			e.Headers["content-type"] = "application/json\r\nX-Injected: 1"
			e.Headers["x-axs-signature\r\nx"] = "1"
		}), 400, "")
	}
	return cases
}
