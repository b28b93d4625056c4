// Package webhook is the HTTP edge of the pipeline: it bounds and decodes the request,
// lets the provider verify and normalize it, ingests the event, and maps every outcome to
// the status code that makes the provider do the right thing (2xx: done; 4xx: never send
// this again; 5xx: retry later).
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/platform/trace"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// MaxBody is the largest body accepted, after base64 decoding.
const MaxBody = 256 << 10

// Ingester is the part of the pipeline behind verification.
type Ingester interface {
	Ingest(ctx context.Context, ev *event.Event) (ingest.Outcome, error)
}

// Metrics counts outcomes; nil means none.
type Metrics interface {
	Count(name string, dims map[string]string)
}

// Handler serves one provider's webhook route.
type Handler struct {
	Provider provider.Provider
	Ingester Ingester
	Log      *slog.Logger
	Metrics  Metrics
	Now      func() time.Time
}

// Response is the answer to the provider.
type Response struct {
	Status int
	Body   []byte
}

func jsonBody(kv ...string) []byte {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return b
}

// Reject builds an error answer naming the reason.
func Reject(status int, reason provider.Reason) Response {
	return Response{Status: status, Body: jsonBody("error", string(reason))}
}

// Handle processes one request. It never panics outward and never answers 5xx for bad
// input: 5xx means only "we could not store this now, send it again".
func (h *Handler) Handle(ctx context.Context, req *provider.Request) (resp Response) {
	start := time.Now()
	name := h.Provider.Name()
	log := h.logger().With("provider", name, "route", req.Route, "request_id", req.RequestID)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("lambda_request_id", lc.AwsRequestID)
	}
	ctx, end := trace.Start(ctx, "webhook."+name)
	defer func() {
		if p := recover(); p != nil {
			// A panic is our bug, not the provider's: ask for a retry and keep the process.
			log.Error("webhook panicked", "outcome", "error", "reason", provider.ReasonPanic, "panic", redact.Detail(fmt.Sprint(p)))
			h.count("internal_error", name, provider.ReasonPanic)
			resp = Reject(http.StatusInternalServerError, provider.ReasonInternal)
		}
		end(nil)
	}()
	if req.ReceivedAt.IsZero() {
		req.ReceivedAt = h.now()
	}
	h.count("received", name, "")
	if len(req.Body) > MaxBody {
		log.Warn("webhook rejected", "outcome", "rejected", "reason", provider.ReasonTooLarge, "bytes", len(req.Body))
		h.count("rejected", name, provider.ReasonTooLarge)
		return Reject(http.StatusRequestEntityTooLarge, provider.ReasonTooLarge)
	}

	payload, err := h.Provider.Verify(ctx, req)
	if err == nil && !utf8.Valid(payload) {
		// JSON between systems is UTF-8 (RFC 8259). Decoders would quietly turn bad bytes
		// into U+FFFD, and an id so mangled no longer deduplicates: refuse, loudly.
		err = provider.BadRequest(provider.ReasonBadEncoding, errors.New("payload is not valid UTF-8"))
	}
	if err == nil {
		h.count("verified", name, "")
		var ev event.Event
		ev, err = h.Provider.Normalize(ctx, payload)
		if err == nil {
			return h.ingest(ctx, log, &ev, req.ReceivedAt, start)
		}
	}
	if rej, ok := provider.AsRejection(err); ok {
		log.Warn("webhook rejected", "outcome", "rejected", "reason", rej.Reason, "status", rej.Kind.Status(),
			"detail", redact.Detail(rej.Error()), "duration_ms", ms(start))
		h.count("rejected", name, rej.Reason)
		return Reject(rej.Kind.Status(), rej.Reason)
	}
	f := classify(err)
	log.Error("webhook not verified", "outcome", outcomeOf(f), "reason", f.reason,
		"error", redact.Detail(err.Error()), "duration_ms", ms(start))
	h.count(f.metric, name, f.reason)
	return f.response()
}

func outcomeOf(f failure) string {
	if f.status == http.StatusServiceUnavailable {
		return "unavailable"
	}
	return "error"
}

func (h *Handler) ingest(ctx context.Context, log *slog.Logger, ev *event.Event, receivedAt time.Time, start time.Time) Response {
	ev.Stamp(receivedAt, event.OriginWebhook)
	event.BoundIDs(ev)
	// The id is the provider's text: in a log line it is masked like any other.
	log = log.With("event_id", redact.Ref(ev.ID), "type", ev.Type)
	trace.Annotate(ctx, "event_id", ev.ID)
	outcome, err := h.Ingester.Ingest(ctx, ev)
	if err != nil {
		f := classify(err)
		log.Error("webhook not stored", "outcome", outcomeOf(f), "reason", f.reason,
			"error", redact.Detail(err.Error()), "duration_ms", ms(start))
		if f.status == http.StatusServiceUnavailable {
			h.count(f.metric, ev.Provider, "")
		} else {
			h.count(f.metric, ev.Provider, f.reason)
		}
		return f.response()
	}
	log.Info("webhook accepted", "outcome", string(outcome), "duration_ms", ms(start))
	switch outcome {
	case ingest.Duplicate:
		h.count("duplicate", ev.Provider, "")
		return Response{Status: http.StatusOK, Body: jsonBody("status", "duplicate")}
	case ingest.Unsupported:
		h.count("unsupported", ev.Provider, "")
		return Response{Status: http.StatusOK, Body: jsonBody("status", "ignored", "eventId", ev.ID)}
	default:
		h.count("stored", ev.Provider, "")
		return Response{Status: http.StatusOK, Body: jsonBody("status", "accepted", "eventId", ev.ID)}
	}
}

func (h *Handler) count(metric, providerName string, reason provider.Reason) {
	if h.Metrics == nil {
		return
	}
	dims := map[string]string{"provider": providerName}
	if reason != "" {
		dims["reason"] = string(reason)
	}
	h.Metrics.Count(metric, dims)
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func ms(start time.Time) float64 {
	return float64(time.Since(start).Microseconds()) / 1000
}
