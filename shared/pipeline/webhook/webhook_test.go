package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
)

// fakeProvider accepts bodies starting with "ok" and rejects the rest by their first word.
type fakeProvider struct{}

func (fakeProvider) Name() string { return "fake" }
func (fakeProvider) Verify(_ context.Context, r *provider.Request) ([]byte, error) {
	switch {
	case strings.HasPrefix(string(r.Body), "ok"), strings.HasPrefix(string(r.Body), "panic"),
		strings.HasPrefix(string(r.Body), "unsupported"):
		return r.Body, nil
	case strings.HasPrefix(string(r.Body), "nosecret"):
		return nil, fmt.Errorf("load: %w", secrets.ErrUnavailable)
	case strings.HasPrefix(string(r.Body), "forbidden"):
		return nil, provider.Forbidden(provider.ReasonSourceIP, nil)
	}
	return nil, provider.Unauthorized(provider.ReasonSignatureMismatch, errors.New("digest differs"))
}
func (fakeProvider) Normalize(_ context.Context, p []byte) (event.Event, error) {
	if strings.HasPrefix(string(p), "panic") {
		panic("boom")
	}
	ev := event.Event{ID: "fake:" + string(p), Provider: "fake", Type: "payment.succeeded", Status: event.Succeeded, ObjectRef: "o"}
	if strings.HasPrefix(string(p), "unsupported") {
		ev.Type, ev.Status = event.TypeUnsupported, event.Pending
	}
	return ev, nil
}

type fakeIngester struct {
	err  error
	seen map[string]bool
}

func (f *fakeIngester) Ingest(_ context.Context, ev *event.Event) (ingest.Outcome, error) {
	if f.err != nil {
		return "", f.err
	}
	if !ev.Publishable() {
		return ingest.Unsupported, nil
	}
	if f.seen[ev.ID] {
		return ingest.Duplicate, nil
	}
	f.seen[ev.ID] = true
	return ingest.Stored, nil
}

func TestLambdaAdapter(t *testing.T) {
	big := strings.Repeat("a", MaxBody+1)
	tests := []struct {
		name    string
		body    string
		b64     bool
		ingErr  error
		status  int
		reason  provider.Reason
		outcome string
	}{
		{"accepted", "ok1", false, nil, 200, "", "accepted"},
		{"base64 body decoded", base64.StdEncoding.EncodeToString([]byte("ok2")), true, nil, 200, "", "accepted"},
		{"bad base64", "!!!", true, nil, 400, "bad_base64", ""},
		{"too large", big, false, nil, 413, "too_large", ""},
		{"too large base64", base64.StdEncoding.EncodeToString([]byte(big)), true, nil, 413, "too_large", ""},
		{"signature", "bad", false, nil, 401, "signature_mismatch", ""},
		{"forbidden", "forbidden", false, nil, 403, "source_ip_not_allowed", ""},
		{"secret unavailable", "nosecret", false, nil, 503, "unavailable", ""},
		{"store down", "ok3", false, fmt.Errorf("%w: x", ingest.ErrStore), 503, "unavailable", ""},
		{"panic", "panic", false, nil, 500, "internal", ""},
		{"item refused by DynamoDB", "ok5", false, fmt.Errorf("%w: %w: ValidationException", ingest.ErrStore, store.ErrItemInvalid), 500, "internal", ""},
		{"event unfit", "ok6", false, fmt.Errorf("x: %w", event.ErrUnfit), 500, "internal", ""},
		{"unexpected error", "ok7", false, errors.New("nil map"), 500, "internal", ""},
		{"deadline", "ok8", false, fmt.Errorf("%w: %w", ingest.ErrStore, context.DeadlineExceeded), 503, "unavailable", ""},
		{"unsupported", "unsupported", false, nil, 200, "", "ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{Provider: fakeProvider{}, Ingester: &fakeIngester{err: tt.ingErr, seen: map[string]bool{}},
				Log: slog.New(slog.DiscardHandler)}
			resp, err := h.Lambda(context.Background(), events.APIGatewayV2HTTPRequest{
				RouteKey: "POST /webhooks/fake", Body: tt.body, IsBase64Encoded: tt.b64,
			})
			if err != nil {
				t.Fatalf("adapter returned error %v", err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d want %d (%s)", resp.StatusCode, tt.status, resp.Body)
			}
			var body map[string]string
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body is not JSON: %q", resp.Body)
			}
			if body["error"] != string(tt.reason) || (tt.outcome != "" && body["status"] != tt.outcome) {
				t.Fatalf("body %v", body)
			}
			if resp.Headers["content-type"] != "application/json" {
				t.Fatal("content-type")
			}
		})
	}
}

func TestDuplicateAnswer(t *testing.T) {
	h := &Handler{Provider: fakeProvider{}, Ingester: &fakeIngester{seen: map[string]bool{}}, Log: slog.New(slog.DiscardHandler)}
	req := &provider.Request{Route: "POST /webhooks/fake", Body: []byte("ok")}
	h.Handle(context.Background(), req)
	resp := h.Handle(context.Background(), &provider.Request{Route: "POST /webhooks/fake", Body: []byte("ok")})
	if resp.Status != 200 || string(resp.Body) != `{"status":"duplicate"}` {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
}
