package instaxchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/support/httpapi"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Session API: POST <base>/api/session creates a payment session; the user pays in the
// iframe at <embed base>/<session id>, and the outcome arrives as a webhook carrying the
// session's webhookRef as `reference`.
//
// What the doc leaves open, and what we decided:
//   - The answer's shape: the doc only says "use the returned session ID". We accept the id
//     under `id`, `sessionId` or `_id` (a string, or a number kept as written), at the top
//     level or under `data`, and fail with ErrNoSessionID otherwise rather than guess.
//   - Authentication: not documented. An API key is optional; when the secret has `apiKey`
//     it is sent in the header named by `apiKeyHeader`, default `x-api-key`. TO BE CONFIRMED
//     with InstaXchange before production use.
//   - The amount not chosen by amountDirection is calculated by InstaXchange: we refuse a
//     request that sets it, so that the merchant never believes it was honoured.
const (
	DefaultAPIBaseURL   = "https://instaxchange.com"
	DefaultEmbedBaseURL = "https://instaxchange.com/embed"
	SessionPath         = "/api/session"
	DefaultAPIKeyHeader = "x-api-key"
)

// Amount directions.
const (
	Sending   = "sending"   // fromAmount is fixed; toAmount is calculated
	Receiving = "receiving" // toAmount is fixed; fromAmount is calculated
)

// ToCurrencies are the documented target currencies.
var ToCurrencies = []string{"USDT", "USDT-TRON", "USDT-AVALANCHE"}

// SessionRequest is a session to create. Amounts are decimal strings (e.g. "10.50"), sent
// as JSON numbers with exactly these digits.
type SessionRequest struct {
	AccountRefID    string
	FromAmount      string
	ToAmount        string
	ToCurrency      string
	FromCurrency    string
	Address         string // blockchain address to receive the funds
	AmountDirection string // Sending or Receiving
	WebhookRef      string
	ReturnURL       string
}

// Session is a created session.
type Session struct {
	ID        string
	IframeURL string
	Raw       json.RawMessage // the API's answer
}

// ErrInvalidSession is wrapped by every *FieldError.
var ErrInvalidSession = errors.New("invalid session request")

// FieldError names the request field (by its JSON name) that breaks a documented rule.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string {
	return "instaxchange session: " + e.Field + ": " + e.Problem
}

func (e *FieldError) Unwrap() error { return ErrInvalidSession }

// ErrNoSessionID reports a 2xx answer in which no session id was found.
var ErrNoSessionID = errors.New("instaxchange session: no session id in the answer")

var (
	positiveDecimal = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?$`)
	currencyCode    = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,19}$`)
)

func fieldErr(field, problem string) error { return &FieldError{Field: field, Problem: problem} }

// normalized checks r against the documented rules and returns it trimmed, with currencies
// and the direction in their canonical case. The first broken rule is returned.
func (r SessionRequest) normalized() (SessionRequest, error) {
	n := SessionRequest{
		AccountRefID:    strings.TrimSpace(r.AccountRefID),
		FromAmount:      strings.TrimSpace(r.FromAmount),
		ToAmount:        strings.TrimSpace(r.ToAmount),
		ToCurrency:      strings.ToUpper(strings.TrimSpace(r.ToCurrency)),
		FromCurrency:    strings.ToUpper(strings.TrimSpace(r.FromCurrency)),
		Address:         strings.TrimSpace(r.Address),
		AmountDirection: strings.ToLower(strings.TrimSpace(r.AmountDirection)),
		WebhookRef:      strings.TrimSpace(r.WebhookRef),
		ReturnURL:       strings.TrimSpace(r.ReturnURL),
	}
	if err := n.checkAmounts(r.AmountDirection); err != nil {
		return n, err
	}
	if n.ToCurrency == "" {
		return n, fieldErr("toCurrency", "required: one of "+strings.Join(ToCurrencies, ", "))
	}
	known := false
	for _, c := range ToCurrencies {
		known = known || n.ToCurrency == c
	}
	if !known {
		return n, fieldErr("toCurrency", fmt.Sprintf("%q is not one of %s", redact.Snippet(r.ToCurrency, 40), strings.Join(ToCurrencies, ", ")))
	}
	if n.FromCurrency == "" {
		return n, fieldErr("fromCurrency", "required (e.g. USD)")
	}
	if !currencyCode.MatchString(n.FromCurrency) {
		return n, fieldErr("fromCurrency", fmt.Sprintf("%q is not a currency code", redact.Snippet(r.FromCurrency, 40)))
	}
	if strings.ContainsAny(n.Address, " \t\r\n") {
		return n, fieldErr("address", "must not contain spaces")
	}
	if n.ReturnURL != "" {
		u, err := url.Parse(n.ReturnURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return n, fieldErr("returnUrl", "must be an absolute http(s) URL")
		}
	}
	for _, f := range []struct{ name, v string }{{"accountRefId", n.AccountRefID}, {"webhookRef", n.WebhookRef}, {"address", n.Address}} {
		if len(f.v) > 1024 {
			return n, fieldErr(f.name, "longer than 1024 bytes")
		}
	}
	return n, nil
}

// checkAmounts holds the amounts to the direction's rule: the fixed one given and positive,
// the one InstaXchange calculates left empty. raw is the direction as the caller wrote it.
func (n SessionRequest) checkAmounts(raw string) error {
	var fixed, calculated string
	switch n.AmountDirection {
	case Sending:
		fixed, calculated = "fromAmount", "toAmount"
	case Receiving:
		fixed, calculated = "toAmount", "fromAmount"
	case "":
		return fieldErr("amountDirection", "required: sending or receiving")
	default:
		return fieldErr("amountDirection", fmt.Sprintf("%q is not sending or receiving", raw))
	}
	amounts := map[string]string{"fromAmount": n.FromAmount, "toAmount": n.ToAmount}
	switch v := amounts[fixed]; {
	case v == "":
		return fieldErr(fixed, "required when amountDirection is "+n.AmountDirection)
	case !positiveDecimal.MatchString(v):
		return fieldErr(fixed, fmt.Sprintf("%q is not a decimal number such as 10 or 10.50", redact.Snippet(v, 40)))
	case strings.Trim(v, "0.") == "":
		return fieldErr(fixed, "must be greater than zero")
	}
	if amounts[calculated] != "" {
		return fieldErr(calculated, "is calculated by InstaXchange when amountDirection is "+n.AmountDirection+"; leave it empty")
	}
	return nil
}

// Validate checks the documented rules; the error is a *FieldError.
func (r SessionRequest) Validate() error {
	_, err := r.normalized()
	return err
}

// sessionBody is the documented payload, in the doc's key order; optional fields are left
// out when empty.
type sessionBody struct {
	AccountRefID    string      `json:"accountRefId,omitempty"`
	FromAmount      json.Number `json:"fromAmount,omitempty"`
	ToAmount        json.Number `json:"toAmount,omitempty"`
	ToCurrency      string      `json:"toCurrency"`
	FromCurrency    string      `json:"fromCurrency"`
	Address         string      `json:"address,omitempty"`
	AmountDirection string      `json:"amountDirection"`
	WebhookRef      string      `json:"webhookRef,omitempty"`
	ReturnURL       string      `json:"returnUrl,omitempty"`
}

// Body validates r and returns the JSON payload; amounts are JSON numbers with the exact
// digits given, never through a float.
func (r SessionRequest) Body() ([]byte, error) {
	n, err := r.normalized()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sessionBody{
		AccountRefID: n.AccountRefID, FromAmount: json.Number(n.FromAmount), ToAmount: json.Number(n.ToAmount),
		ToCurrency: n.ToCurrency, FromCurrency: n.FromCurrency, Address: n.Address,
		AmountDirection: n.AmountDirection, WebhookRef: n.WebhookRef, ReturnURL: n.ReturnURL,
	}); err != nil {
		return nil, fmt.Errorf("instaxchange session: encode: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// SessionSecretDoc holds the session API settings that may live in the provider's secret
// (payhooks/instaxchange), next to webhookSecrets. Every field is optional.
type SessionSecretDoc struct {
	APIKey       string `json:"apiKey"`       // to be confirmed: the doc shows no authentication
	APIKeyHeader string `json:"apiKeyHeader"` // default x-api-key
	APIBaseURL   string `json:"apiBaseUrl"`   // default DefaultAPIBaseURL
	EmbedBaseURL string `json:"embedBaseUrl"` // default DefaultEmbedBaseURL
}

// SessionClient calls the session API.
type SessionClient struct {
	BaseURL      string // default DefaultAPIBaseURL
	EmbedBaseURL string // default DefaultEmbedBaseURL
	APIKey       string // optional; sent in APIKeyHeader when set
	APIKeyHeader string // default DefaultAPIKeyHeader
	HTTP         *http.Client
}

// LoadSessionClient builds a client from the secret named name in src.
func LoadSessionClient(ctx context.Context, src secrets.Source, name string) (*SessionClient, error) {
	doc, err := secrets.Doc[SessionSecretDoc]{Source: src, Name: name}.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("instaxchange session: secret: %w", err)
	}
	return &SessionClient{BaseURL: doc.APIBaseURL, EmbedBaseURL: doc.EmbedBaseURL, APIKey: doc.APIKey, APIKeyHeader: doc.APIKeyHeader}, nil
}

// IframeLink is the page the user pays on.
func (c *SessionClient) IframeLink(sessionID string) string {
	base := DefaultEmbedBaseURL
	if c != nil && c.EmbedBaseURL != "" {
		base = c.EmbedBaseURL
	}
	return strings.TrimRight(base, "/") + "/" + url.PathEscape(sessionID)
}

// CreateSession validates req, creates the session and returns its id and iframe link. A
// request breaking a documented rule fails with a *FieldError before any call.
func (c *SessionClient) CreateSession(ctx context.Context, req SessionRequest) (Session, error) {
	body, err := req.Body()
	if err != nil {
		return Session{}, err
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultAPIBaseURL
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, base+SessionPath, bytes.NewReader(body))
	if err != nil {
		return Session{}, fmt.Errorf("instaxchange session: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	if c.APIKey != "" {
		h := c.APIKeyHeader
		if h == "" {
			h = DefaultAPIKeyHeader
		}
		hreq.Header.Set(h, c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return Session{}, fmt.Errorf("instaxchange session: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Session{}, fmt.Errorf("instaxchange session: read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Session{}, httpapi.NewStatusError("instaxchange session", resp, raw, time.Now())
	}
	id := sessionID(raw)
	if id == "" {
		return Session{}, fmt.Errorf("%w: %s", ErrNoSessionID, redact.Snippet(string(raw), 200))
	}
	return Session{ID: id, IframeURL: c.IframeLink(id), Raw: json.RawMessage(raw)}, nil
}

// sessionID finds the id in an answer (see the package comment on the session API).
func sessionID(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var top map[string]any
	if dec.Decode(&top) != nil {
		return ""
	}
	levels := []map[string]any{top}
	if inner, ok := top["data"].(map[string]any); ok {
		levels = append(levels, inner)
	}
	for _, m := range levels {
		for _, k := range []string{"id", "sessionId", "_id"} {
			switch v := m[k].(type) {
			case string:
				if s := strings.TrimSpace(v); s != "" && len(s) <= 256 {
					return s
				}
			case json.Number:
				if _, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
					return v.String()
				}
			}
		}
	}
	return ""
}
