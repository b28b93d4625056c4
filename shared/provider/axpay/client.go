package axpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/support/httpapi"
	"github.com/payhooks/payhooks/shared/support/money"
)

// DefaultBaseURL is AXpay's production API.
const DefaultBaseURL = "https://axpay-api.axiacoin.com"

// DefaultPageSize is the limit a Pager asks for when the filter sets none.
const DefaultPageSize = 100

// Defaults for the zero values of Client's tuning fields.
const (
	DefaultTimeout       = 15 * time.Second
	DefaultMaxAttempts   = 4
	DefaultBaseDelay     = 250 * time.Millisecond
	DefaultMaxDelay      = 8 * time.Second
	DefaultMaxRetryAfter = time.Minute
)

const maxResponseBytes = 16 << 20

// ErrUnauthorized matches (errors.Is) the *httpapi.StatusError of a 401 or 403: the API key
// (private key, client id or signing scheme) is wrong. It is never retried; a fresh key
// would be made the same way.
var ErrUnauthorized = httpapi.ErrUnauthorized

// ErrUnexpectedResponse reports a 2xx body that is not a transaction list in any shape we
// accept; retrying would not help.
var ErrUnexpectedResponse = errors.New("axpay: unexpected response")

// apiName names AXpay in an *httpapi.StatusError.
const apiName = "axpay"

// transportError is a failure to get an answer at all; always worth another attempt.
type transportError struct{ err error }

func (e *transportError) Error() string { return "axpay: GET transactions: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// Client calls AXpay's transaction API. The zero values of the tuning fields mean the
// defaults above; Now, Sleep and Rand are injectable so tests need not wait.
type Client struct {
	BaseURL  string // default DefaultBaseURL
	ClientID string // default Signer.ClientID()
	Signer   *Signer
	HTTP     *http.Client

	Timeout       time.Duration // per attempt, including reading the body
	MaxAttempts   int           // attempts per request, including the first
	BaseDelay     time.Duration // first backoff ceiling, doubled per attempt
	MaxDelay      time.Duration // cap of the backoff ceiling
	MaxRetryAfter time.Duration // a longer Retry-After ends retrying instead of waiting

	Now   func() time.Time                                 // API-key timestamps, Retry-After dates
	Sleep func(ctx context.Context, d time.Duration) error // must return early when ctx ends
	Rand  func() float64                                   // in [0, 1), for full jitter
}

// Filter holds every filter the transaction API documents. Zero values are not sent.
// Amounts and rates are decimal strings so that they reach AXpay exactly as written.
type Filter struct {
	Limit         int
	Offset        int
	OrderID       string
	RewardType    string // CASH_BACK or LOYALTY_POINT
	WebhookStatus string
	AmountGte     string
	AmountLte     string
	RewardRateGte string
	RewardRateLte string
	CreatedAtGte  time.Time // sent as Unix milliseconds
	CreatedAtLte  time.Time
	FromEmail     string
	OrderBy       string // createdAt, amount or rewardRate
	Order         string // asc or desc
}

// Query encodes the filter as the API's query parameters.
func (f Filter) Query() (url.Values, error) {
	q := url.Values{}
	if f.Limit < 0 || f.Offset < 0 {
		return nil, errors.New("axpay: limit and offset must not be negative")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("orderId", f.OrderID)
	set("rewardType", f.RewardType)
	set("webhookStatus", f.WebhookStatus)
	set("fromEmail", f.FromEmail)
	for _, n := range []struct{ k, v string }{
		{"amountGte", f.AmountGte}, {"amountLte", f.AmountLte},
		{"rewardRateGte", f.RewardRateGte}, {"rewardRateLte", f.RewardRateLte},
	} {
		if n.v == "" {
			continue
		}
		if _, err := money.New(n.v, "XXX"); err != nil {
			return nil, fmt.Errorf("axpay: filter %s is not a decimal number", n.k)
		}
		q.Set(n.k, strings.TrimSpace(n.v))
	}
	if !f.CreatedAtGte.IsZero() {
		q.Set("createdAtGte", strconv.FormatInt(f.CreatedAtGte.UnixMilli(), 10))
	}
	if !f.CreatedAtLte.IsZero() {
		q.Set("createdAtLte", strconv.FormatInt(f.CreatedAtLte.UnixMilli(), 10))
	}
	switch f.OrderBy {
	case "", "createdAt", "amount", "rewardRate":
		set("orderBy", f.OrderBy)
	default:
		return nil, fmt.Errorf("axpay: orderBy %q is not createdAt, amount or rewardRate", f.OrderBy)
	}
	switch f.Order {
	case "", "asc", "desc":
		set("order", f.Order)
	default:
		return nil, fmt.Errorf("axpay: order %q is not asc or desc", f.Order)
	}
	return q, nil
}

// Page is one answer of the list API. Total is nil when AXpay does not report one.
type Page struct {
	Transactions []json.RawMessage
	Total        *int64
}

// ListTransactions fetches one page. The response shape is not documented, so any of these
// is accepted: a bare array of transactions, or an object holding the array under `data`,
// `transactions`, `items`, `docs` or `results` (also one level deeper, as in
// {"data": {"docs": [...], "totalDocs": 3}}), with an optional total under `total`,
// `count`, `totalDocs` or `totalCount`. Anything else is ErrUnexpectedResponse.
func (c *Client) ListTransactions(ctx context.Context, f Filter) (Page, error) {
	u, err := c.listURL(f)
	if err != nil {
		return Page{}, err
	}
	body, err := c.get(ctx, u)
	if err != nil {
		return Page{}, err
	}
	return decodePage(body)
}

func (c *Client) listURL(f Filter) (string, error) {
	if c.Signer == nil {
		return "", errors.New("axpay: client has no signer")
	}
	clientID := c.ClientID
	if clientID == "" {
		clientID = c.Signer.ClientID()
	}
	if clientID == "" {
		return "", errors.New("axpay: client has no client id")
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	bu, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (bu.Scheme != "https" && bu.Scheme != "http") || bu.Host == "" {
		return "", fmt.Errorf("axpay: base URL %q is not an http(s) URL", base)
	}
	q, err := f.Query()
	if err != nil {
		return "", err
	}
	u := bu.String() + "/api/appClient/" + url.PathEscape(clientID) + "/transaction"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

var listKeys = []string{"data", "transactions", "items", "docs", "results"}
var totalKeys = []string{"total", "count", "totalDocs", "totalCount"}

func decodePage(body []byte) (Page, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return Page{}, fmt.Errorf("%w: empty body", ErrUnexpectedResponse)
	}
	return decodePageDepth(body, 0)
}

func decodePageDepth(body []byte, depth int) (Page, error) {
	switch body[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil {
			return Page{}, fmt.Errorf("%w: malformed array", ErrUnexpectedResponse)
		}
		return Page{Transactions: list}, nil
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return Page{}, fmt.Errorf("%w: malformed object", ErrUnexpectedResponse)
		}
		var p Page
		found := false
		for _, k := range listKeys {
			v, ok := obj[k]
			if !ok {
				continue
			}
			v = bytes.TrimSpace(v)
			switch {
			case string(v) == "null":
				found = true
			case len(v) > 0 && v[0] == '[':
				if err := json.Unmarshal(v, &p.Transactions); err != nil {
					return Page{}, fmt.Errorf("%w: malformed %s", ErrUnexpectedResponse, k)
				}
				found = true
			case len(v) > 0 && v[0] == '{' && depth == 0:
				inner, err := decodePageDepth(v, 1)
				if err != nil {
					continue
				}
				p = inner
				found = true
			}
			if found {
				break
			}
		}
		if !found {
			return Page{}, fmt.Errorf("%w: no transaction list in the object", ErrUnexpectedResponse)
		}
		if p.Total == nil {
			for _, k := range totalKeys {
				// A pointer, so that "total": null is no total rather than a total of 0,
				// which would end the list after one page.
				var n *int64
				if v, ok := obj[k]; ok && json.Unmarshal(v, &n) == nil && n != nil && *n >= 0 {
					p.Total = n
					break
				}
			}
		}
		return p, nil
	}
	return Page{}, fmt.Errorf("%w: neither an array nor an object", ErrUnexpectedResponse)
}

// get makes the request with retries: 429, 5xx and transport errors are retried with
// exponential backoff and full jitter, or after Retry-After when the server sends it, up to
// MaxAttempts. It never sleeps past the context deadline: when the next wait would cross it,
// the last error is returned at once.
func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	maxAttempts := c.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, u)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		}
		wait, retry := c.retryWait(err, attempt)
		if !retry {
			return nil, err
		}
		if attempt >= maxAttempts {
			return nil, fmt.Errorf("axpay: giving up after %d attempts: %w", attempt, err)
		}
		// Context deadlines are wall-clock times, whatever clock Now injects.
		if dl, ok := ctx.Deadline(); ok && wait >= time.Until(dl) {
			return nil, fmt.Errorf("axpay: not retrying, the next attempt in %s would pass the deadline: %w", wait, err)
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%w (last error: %w)", serr, err)
		}
	}
}

func (c *Client) retryWait(err error, attempt int) (time.Duration, bool) {
	se, isStatus := httpapi.AsStatusError(err)
	var te *transportError
	switch {
	case isStatus && se.Retryable():
		if se.RetryAfter > 0 {
			limit := c.MaxRetryAfter
			if limit <= 0 {
				limit = DefaultMaxRetryAfter
			}
			// Retrying sooner than asked would not honour the server; waiting longer than
			// we are willing to is better left to the next scheduled run.
			return se.RetryAfter, se.RetryAfter <= limit
		}
		return c.backoff(attempt), true
	case errors.As(err, &te):
		return c.backoff(attempt), true
	}
	return 0, false
}

// backoff is full jitter: uniform in [0, min(MaxDelay, BaseDelay·2^(attempt-1))).
func (c *Client) backoff(attempt int) time.Duration {
	base, maxd := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxd <= 0 {
		maxd = DefaultMaxDelay
	}
	ceiling := maxd
	if attempt-1 < 32 {
		if d := base << (attempt - 1); d > 0 && d < maxd {
			ceiling = d
		}
	}
	r := rand.Float64
	if c.Rand != nil {
		r = c.Rand
	}
	return time.Duration(r() * float64(ceiling))
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) once(ctx context.Context, u string) ([]byte, error) {
	// A fresh key per attempt: the message may hold a timestamp.
	key, err := c.Signer.APIKey(c.now())
	if err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		return nil, errors.New("axpay: cannot build request")
	}
	req.Header.Set("api-key", key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "payhooks-axpay/1")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &transportError{err: withoutURL(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, &transportError{err: withoutURL(err)}
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("%w: body larger than %d bytes", ErrUnexpectedResponse, maxResponseBytes)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil
	}
	return nil, httpapi.NewStatusError(apiName, resp, body, c.now())
}

// withoutURL drops the request URL from transport errors: its query may hold a filter's
// email address, and errors end up in logs.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
