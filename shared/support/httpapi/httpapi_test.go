package httpapi

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 30 ", 30 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"999999999999", MaxRetryAfter},
		{"Tue, 24 Nov 2026 12:01:00 GMT", time.Minute},
		{"Tue, 24 Nov 2026 11:59:00 GMT", 0},
		{"soon", 0},
	} {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStatusError(t *testing.T) {
	for _, tt := range []struct {
		code                                int
		unauthorized, rateLimited, retrying bool
	}{
		{401, true, false, false}, {403, true, false, false}, {404, false, false, false},
		{429, false, true, true}, {500, false, false, true}, {503, false, false, true},
	} {
		e := &StatusError{API: "x", StatusCode: tt.code}
		var err error = fmt.Errorf("wrapped: %w", e)
		if errors.Is(err, ErrUnauthorized) != tt.unauthorized || e.RateLimited() != tt.rateLimited || e.Retryable() != tt.retrying {
			t.Errorf("%d: unauthorized %v rate-limited %v retryable %v", tt.code, errors.Is(err, ErrUnauthorized), e.RateLimited(), e.Retryable())
		}
		if got, ok := AsStatusError(err); !ok || got != e {
			t.Errorf("%d: AsStatusError", tt.code)
		}
	}
}

func TestMessage(t *testing.T) {
	for in, want := range map[string]string{
		`{"message":"no such  client for jane@example.com"}`: "no such client for j***@example.com",
		`{"error":"rate limited"}`:                           "rate limited",
		`{"error":{"code":1}}`:                               "",
		"<html>Bad Gateway</html>":                           "<html>Bad Gateway</html>",
	} {
		if got := Message([]byte(in)); got != want {
			t.Errorf("Message(%s) = %q, want %q", in, got, want)
		}
	}
}
