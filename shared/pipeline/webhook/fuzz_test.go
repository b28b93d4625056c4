package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// memIngester accepts every event once, like the real ingester without the services.
type memIngester struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memIngester) Ingest(_ context.Context, ev *event.Event) (ingest.Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[ev.ID] {
		return ingest.Duplicate, nil
	}
	m.seen[ev.ID] = true
	return ingest.Stored, nil
}

// FuzzFromAPIGateway drives the API Gateway adapter and every real provider behind it with
// arbitrary bodies, base64 flags and headers. Whatever arrives, the answer is 200, a 4xx
// or 503, never a panic (which the handler would turn into a 500).
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
	})
}

func secretDoc(f *testing.F, all []byte, name string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(all, &m); err != nil {
		f.Fatal(err)
	}
	return m[secrets.Name(name)]
}
