// Package provider is the plug-in contract: a provider authenticates a raw webhook request
// and turns the payload it vouched for into one normalized event. Everything after that
// (storage, publishing, HTTP answers) belongs to the pipeline, never to a provider.
package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
)

// Request is an inbound webhook as the pipeline hands it to a provider: the exact body
// bytes (already base64-decoded when API Gateway flagged them) and lower-cased header names.
type Request struct {
	Route      string            // route template, e.g. "POST /webhooks/cxtn/{token}"; safe to log
	Headers    map[string]string // lower-case names
	PathParams map[string]string // may hold secrets (URL tokens): never log
	Query      string            // raw query string, still URL-encoded (AXS puts its JWE there): never log
	SourceIP   string
	Body       []byte
	RequestID  string
	ReceivedAt time.Time
}

// Header returns a header by case-insensitive name.
func (r *Request) Header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	return r.Headers[http.CanonicalHeaderKey(name)]
}

// Verifier authenticates a request and returns the payload it proves authentic: the body
// itself for signed or token-protected providers, the plaintext for encrypted ones.
type Verifier interface {
	Verify(ctx context.Context, req *Request) ([]byte, error)
}

// Normalizer turns an authentic payload into the normalized event. It is also what
// reconciliation pollers call, so that a polled object gets the same event id.
type Normalizer interface {
	Normalize(ctx context.Context, payload []byte) (event.Event, error)
}

// Provider is one payment provider's webhook plug-in.
type Provider interface {
	Name() string
	Verifier
	Normalizer
}

// Kind classifies a rejected request; the pipeline maps it to an HTTP status.
type Kind int

const (
	KindBadRequest   Kind = iota + 1 // 400: malformed body or missing fields
	KindUnauthorized                 // 401: signature, token or decryption failed
	KindForbidden                    // 403: authentic-looking but not allowed (source IP)
	KindTooLarge                     // 413
)

// Status is the HTTP status of a rejection kind.
func (k Kind) Status() int {
	switch k {
	case KindUnauthorized:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusBadRequest
	}
}

// Rejection is a typed refusal of bad input. Reason is returned to the caller and logged;
// Err carries detail for logs (field names, never values) and must hold no secret.
type Rejection struct {
	Kind   Kind
	Reason Reason
	Err    error
}

func (r *Rejection) Error() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: %v", r.Reason, r.Err)
	}
	return string(r.Reason)
}

func (r *Rejection) Unwrap() error { return r.Err }

// BadRequest rejects a malformed payload (400).
func BadRequest(reason Reason, err error) error {
	return &Rejection{Kind: KindBadRequest, Reason: reason, Err: err}
}

// Unauthorized rejects an unauthenticated request (401).
func Unauthorized(reason Reason, err error) error {
	return &Rejection{Kind: KindUnauthorized, Reason: reason, Err: err}
}

// Forbidden rejects a request from where it may not come (403).
func Forbidden(reason Reason, err error) error {
	return &Rejection{Kind: KindForbidden, Reason: reason, Err: err}
}

// AsRejection extracts a Rejection from an error chain.
func AsRejection(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}

// Sample is a realistic, correctly authenticated delivery made with a given secret document
// (locally, the fake development secrets). `payhooks send` posts samples to the local
// gateway and the files in events/ are generated from them, so both stay in step with the
// provider's verification code.
type Sample struct {
	Name    string            // variant, matched case-insensitively by `payhooks send --status`
	Method  string            // HTTP method; empty means POST
	Path    string            // request path, e.g. /webhooks/cxtn/<token>; may end in ?<query>
	Headers map[string]string // e.g. the signature header; content-type is added by the sender
	Body    []byte
}

// HTTPMethod is the method the sample is sent with.
func (s Sample) HTTPMethod() string {
	if s.Method == "" {
		return http.MethodPost
	}
	return s.Method
}

// SplitPath returns the sample's path without its query, and the raw query string.
func (s Sample) SplitPath() (path, rawQuery string) {
	path, rawQuery, _ = strings.Cut(s.Path, "?")
	return path, rawQuery
}

// SampleFunc builds a provider's samples from its secret document.
type SampleFunc func(secretDoc []byte) ([]Sample, error)

// Factory builds a provider that reads its secret document, named secretName, from src.
type Factory func(src secrets.Source, secretName string) Provider
