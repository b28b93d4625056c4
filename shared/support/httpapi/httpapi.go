// Package httpapi holds what payhooks' clients of provider HTTP APIs (AXpay's transaction
// list, InstaXchange's blockchain-status and sessions) share.
package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter bounds a server's Retry-After; callers apply their own, smaller caps.
const MaxRetryAfter = 24 * time.Hour

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
