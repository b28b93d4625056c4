// Package httpapi holds what payhooks' clients of provider HTTP APIs (AXpay's transaction
// list, InstaXchange's blockchain-status and sessions) share: one error type for an answer
// that is not a success, and the reading of Retry-After.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/support/redact"
)

// MaxRetryAfter bounds a server's Retry-After; callers apply their own, smaller caps.
const MaxRetryAfter = 24 * time.Hour

// ErrUnauthorized matches (errors.Is) every *StatusError for a 401 or 403: our credential
// was refused, and retrying with the same one cannot help.
var ErrUnauthorized = errors.New("unauthorized")

// StatusError is a provider API's answer that is not a success.
type StatusError struct {
	API        string        // which API answered, e.g. "axpay" or "blockchain-status"
	StatusCode int           // the HTTP status
	RetryAfter time.Duration // from Retry-After (seconds or HTTP date), 0 when absent
	Message    string        // the start of the server's message, emails masked, for logs
}

func (e *StatusError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s: HTTP %d: %s", e.API, e.StatusCode, e.Message)
	}
	return fmt.Sprintf("%s: HTTP %d", e.API, e.StatusCode)
}

// Is makes errors.Is(err, ErrUnauthorized) true for a 401 or 403.
func (e *StatusError) Is(target error) bool { return target == ErrUnauthorized && e.Unauthorized() }

// Unauthorized reports a 401 or 403.
func (e *StatusError) Unauthorized() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// RateLimited reports a 429: the server asked us to slow down.
func (e *StatusError) RateLimited() bool { return e.StatusCode == http.StatusTooManyRequests }

// Retryable reports whether the same request may succeed later (429 and 5xx).
func (e *StatusError) Retryable() bool { return e.RateLimited() || e.StatusCode >= 500 }

// NewStatusError describes resp, whose body was read into body, at time now (for an HTTP
// date in Retry-After).
func NewStatusError(api string, resp *http.Response, body []byte, now time.Time) *StatusError {
	return &StatusError{
		API: api, StatusCode: resp.StatusCode,
		RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), now),
		Message:    Message(body),
	}
}

// AsStatusError reports whether err is (or wraps) a *StatusError, returning it.
func AsStatusError(err error) (*StatusError, bool) {
	var se *StatusError
	ok := errors.As(err, &se)
	return se, ok
}

// Message keeps a short, email-masked text from an error body for the logs: the JSON
// `message` (or a string `error`) when there is one, else the start of the body.
func Message(body []byte) string {
	var m struct {
		Message any `json:"message"`
		Error   any `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &m) == nil {
		if s, ok := m.Message.(string); ok {
			msg = s
		} else if s, ok := m.Error.(string); ok {
			msg = s
		}
	} else {
		msg = string(body)
	}
	fields := strings.Fields(redact.Snippet(msg, 200))
	for i, f := range fields {
		if strings.Contains(f, "@") {
			fields[i] = redact.Email(f)
		}
	}
	return strings.Join(fields, " ")
}

// RetryAfter reads a Retry-After header as delta-seconds or an HTTP date relative to now;
// 0 when absent, unreadable or in the past.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}
