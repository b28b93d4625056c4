package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// memIngester accepts every event once, like the real ingester without the services, and
// records the first event whose bounded document breaks a bound.
type memIngester struct {
	mu        sync.Mutex
	seen      map[string]bool
	violation string
}

func (m *memIngester) Ingest(_ context.Context, ev *event.Event) (ingest.Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	body, err := event.Fit(ev)
	if err != nil {
		return "", err
	}
	if d := eventtest.Depth(body); len(body) > event.MaxBodyBytes || d > event.MaxDepth || len(ev.ID) > event.MaxIDBytes {
		m.violation = fmt.Sprintf("%d bytes, depth %d, id of %d bytes", len(body), d, len(ev.ID))
	}
	if m.seen[ev.ID] {
		return ingest.Duplicate, nil
	}
	m.seen[ev.ID] = true
	return ingest.Stored, nil
}

// hostileSeeds are authentic deliveries (for the providers whose credential does not bind
// the body) of each class the hostile corpus holds: over-long ids, escaped text over the
// message limit, personal data under unknown keys and in free text, deep nesting.
func hostileSeeds(provider string, sample []byte) []string {
	b := string(sample)
	deep := strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000)
	email := "John Doe <john.doe" + "@" + "example.com>"
	first := func(extra string) string { return "{" + extra + "," + b[1:] }
	switch provider {
	case "axpay":
		return []string{
			strings.Replace(b, `"PENDING"`, `"`+strings.Repeat("S", 3000)+`"`, 1),
			first(`"card_num":"4111111111111111","n":5555555555554444,"meta":` + deep),
			strings.Replace(b, `"john.doe`, `" john.doe`, 1),
			strings.Replace(b, `"USD"`, `"john.doe`+"@"+`example.com"`, 1),
			first(`"ref_num":5555555555554444e0,"other":4111111111111111.0,"q":"\"jane q\"` + "@" + `example.com","ip":"jane` + "@" + `[192.168.0.1]"`),
		}
	case "cardorders":
		return []string{
			strings.Replace(b, `"failReason":""`, `"failReason":"`+strings.Repeat("\u2028", 40000)+`"`, 1),
			strings.Replace(b, `"5554748800912345"`, `"4111111111111111*"`, 1),
			strings.Replace(b, `"voucherCode":""`, `"voucherCode":"`+email+`","x":`+deep, 1),
			strings.Replace(b, `"voucherCode":""`, `"voucherCode":"5555.5555.5555.4444 99`+`5555555555554444`+`7 jane\uff20example.com"`, 1),
			strings.Replace(b, `"EUR"`, `"4111 1111 1111 1111"`, 1),
		}
	case "cxtn":
		return []string{
			strings.Replace(b, `2023-12-18T16:28:28.3027309`, "john.doe"+"@"+"localhost", 1),
			first(`"card_num":"4111 1111 1111 1111","note":"` + strings.ReplaceAll(email, `"`, `\"`) + `"`),
			strings.Replace(b, `1000.00`, `5555555555554444.0`, 1),
		}
	}
	return nil
}

// FuzzFromAPIGateway drives the API Gateway adapter and every real provider behind it with
// arbitrary bodies, base64 flags and headers. Whatever arrives, the answer is 200, a 4xx
// or 503, never a 500 (a panic, or an event that could not be bounded), and every event
// accepted fits its bounds.
func FuzzFromAPIGateway(f *testing.F) {
	const secretsPath = "../../../dev/secrets.json"
	if _, err := os.Stat(secretsPath); err != nil {
		f.Skip("no dev/secrets.json")
	}
	src := secrets.NewCached(secrets.File{Path: secretsPath}, time.Hour)
	doc, _ := os.ReadFile(secretsPath)
	var handlers []*Handler
	for _, w := range registry.Webhooks {
		handlers = append(handlers, &Handler{
			Provider: w.New(src, secrets.Name(w.Provider)), Ingester: &memIngester{seen: map[string]bool{}},
			Log: slog.New(slog.DiscardHandler),
		})
	}
	// Seeds: each provider's real samples (plain and base64), and hostile shapes.
	for i, w := range registry.Webhooks {
		ss, err := w.Samples(secretDoc(f, doc, w.Provider))
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range ss {
			hk, hv := "", ""
			for k, v := range s.Headers {
				hk, hv = k, v
			}
			tok := ""
			if strings.Contains(w.Path, "{token}") {
				tok = filepath.Base(s.Path)
			}
			f.Add(uint8(i), string(s.Body), false, hk, hv, tok)
			f.Add(uint8(i), base64.StdEncoding.EncodeToString(s.Body), true, hk, hv+"\r\nx: 1", tok)
			for _, body := range hostileSeeds(w.Provider, s.Body) {
				f.Add(uint8(i), body, false, hk, hv, tok)
			}
		}
	}
	f.Add(uint8(0), "", false, "", "", "")
	f.Add(uint8(1), "%%%", true, "api-key", "x", "")
	f.Add(uint8(2), strings.Repeat("[", 10001), false, "", "", "")
	f.Add(uint8(3), `{"orderNo":1e999,"orderNo":"1"}`, false, "content-type", "application/json\r\n", "t")
	f.Add(uint8(4), base64.StdEncoding.EncodeToString([]byte("\xff\xfe")), true, "", "", "\x00")

	f.Fuzz(func(t *testing.T, route uint8, body string, b64 bool, hk, hv, token string) {
		h := handlers[int(route)%len(handlers)]
		w := registry.Webhooks[int(route)%len(handlers)]
		e := events.APIGatewayV2HTTPRequest{
			RouteKey: w.Method + " " + w.Path, Body: body, IsBase64Encoded: b64,
			Headers: map[string]string{"content-type": "application/json", hk: hv},
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RequestID: "fuzz", TimeEpoch: 1,
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: w.Method, SourceIP: "203.0.113.10"},
			},
		}
		if strings.Contains(w.Path, "{token}") {
			e.PathParameters = map[string]string{"token": token}
		}
		resp, err := h.Lambda(context.Background(), e)
		if err != nil {
			t.Fatalf("Lambda returned an error: %v", err)
		}
		if s := resp.StatusCode; s != 200 && s != 503 && (s < 400 || s > 499) {
			t.Fatalf("status %d (%s)", s, resp.Body)
		}
		if resp.StatusCode != 200 && !strings.HasPrefix(resp.Body, `{"error":"`) {
			t.Fatalf("untyped answer %d %s", resp.StatusCode, resp.Body)
		}
		if v := h.Ingester.(*memIngester).violation; v != "" {
			t.Fatalf("published event out of bounds: %s", v)
		}
	})
}

func secretDoc(f *testing.F, all []byte, name string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(all, &m); err != nil {
		f.Fatal(err)
	}
	return m[secrets.Name(name)]
}
