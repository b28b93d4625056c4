package axpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/support/money"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Name is the provider's name in routes, secrets and events.
const Name = "axpay"

// Rejection reasons specific to AXpay's API-key authentication.
const (
	ReasonMissingAPIKey  = "missing_api_key"
	ReasonAPIKeyMismatch = "api_key_mismatch"
)

// Config is the secret document payhooks/axpay. String, GoString and Format redact the
// private key and the webhook keys; the private key is a Secret, so it stays hidden even
// when fmt reaches a Config through an unexported field, where those methods are not called.
type Config struct {
	ClientID       string     `json:"clientId"`
	PrivateKey     Secret     `json:"privateKey"`
	WebhookAPIKeys SecretList `json:"webhookApiKeys"`
	APIBaseURL     string     `json:"apiBaseUrl,omitempty"`
	APIKeyScheme   string     `json:"apiKeyScheme,omitempty"`
	APIKeyMessage  string     `json:"apiKeyMessage,omitempty"`
}

func (c Config) String() string {
	return fmt.Sprintf("axpay.Config{clientId: %q, privateKey: REDACTED, webhookApiKeys: %d REDACTED, apiBaseUrl: %q, apiKeyScheme: %q, apiKeyMessage: %q}",
		c.ClientID, len(c.WebhookAPIKeys.Reveal()), c.APIBaseURL, c.APIKeyScheme, c.APIKeyMessage)
}

func (c Config) GoString() string { return c.String() }

func (c Config) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// Secret holds a secret string where fmt cannot reach it: inside a closure, which fmt
// prints as an address whatever the verb or path. It marshals to JSON as "REDACTED".
type Secret struct{ get func() string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{get: func() string { return s }} }

// Reveal returns the secret; call it only where the value is used.
func (s Secret) Reveal() string {
	if s.get == nil {
		return ""
	}
	return s.get()
}

func (s Secret) String() string {
	if s.get == nil {
		return ""
	}
	return "REDACTED"
}

func (s Secret) GoString() string { return s.String() }

func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("axpay: secret is not a JSON string")
	}
	*s = NewSecret(v)
	return nil
}

func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// SecretList is a list of secrets (active and previous keys), hidden like Secret.
type SecretList struct{ get func() []string }

// NewSecretList wraps values.
func NewSecretList(values ...string) SecretList {
	return SecretList{get: func() []string { return values }}
}

// Reveal returns the values; do not modify the slice.
func (s SecretList) Reveal() []string {
	if s.get == nil {
		return nil
	}
	return s.get()
}

func (s SecretList) String() string { return fmt.Sprintf("[%d REDACTED]", len(s.Reveal())) }

func (s SecretList) GoString() string { return s.String() }

func (s SecretList) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

func (s *SecretList) UnmarshalJSON(b []byte) error {
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("axpay: secret list is not a JSON array of strings")
	}
	*s = NewSecretList(v...)
	return nil
}

func (s SecretList) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// ParseConfig decodes a secret document. Errors never quote the document.
func ParseConfig(doc []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(doc, &c); err != nil {
		return Config{}, errors.New("axpay: secret document is not a valid JSON object")
	}
	return c, nil
}

// Signer builds the API-key signer the configuration describes.
func (c Config) Signer() (*Signer, error) {
	sc, err := ParseScheme(c.APIKeyScheme)
	if err != nil {
		return nil, err
	}
	return NewSigner(c.ClientID, c.PrivateKey.Reveal(), sc, c.APIKeyMessage)
}

// Client builds an API client for the configured app; hc may be nil.
func (c Config) Client(hc *http.Client) (*Client, error) {
	s, err := c.Signer()
	if err != nil {
		return nil, err
	}
	return &Client{BaseURL: c.APIBaseURL, ClientID: c.ClientID, Signer: s, HTTP: hc}, nil
}

// Provider verifies and normalizes AXpay webhooks.
type Provider struct {
	doc secrets.Doc[Config]
}

// New returns the AXpay provider reading its secret document secretName from src.
func New(src secrets.Source, secretName string) provider.Provider {
	return &Provider{doc: secrets.NewDoc[Config](src, secretName)}
}

func (p *Provider) Name() string { return Name }

// Config loads the secret document (the Source caches it); errors wrap
// secrets.ErrUnavailable.
func (p *Provider) Config(ctx context.Context) (Config, error) {
	return p.doc.Load(ctx)
}

// Client loads the secret document and builds an API client, for reconciliation.
func (p *Provider) Client(ctx context.Context, hc *http.Client) (*Client, error) {
	cfg, err := p.Config(ctx)
	if err != nil {
		return nil, err
	}
	c, err := cfg.Client(hc)
	if err != nil {
		// A broken key in the secret is our configuration, not a transient failure of the
		// caller, but the caller can do nothing but retry after it is fixed.
		return nil, fmt.Errorf("%w: %s: %w", secrets.ErrUnavailable, p.doc.Name, err)
	}
	return c, nil
}

// Verify authenticates the webhook API key and returns the body unchanged.
func (p *Provider) Verify(ctx context.Context, req *provider.Request) ([]byte, error) {
	cfg, err := p.doc.Load(ctx)
	if err != nil {
		return nil, err
	}
	keys := cfg.WebhookAPIKeys.Reveal()
	if !hasKey(keys) {
		return nil, fmt.Errorf("%w: %s has no webhookApiKeys", secrets.ErrUnavailable, p.doc.Name)
	}
	key, ok := webhookKey(req)
	if !ok {
		return nil, provider.Unauthorized(ReasonMissingAPIKey, errors.New("no api-key, x-api-key or bearer authorization header"))
	}
	if !secrets.MatchAny(key, keys) {
		return nil, provider.Unauthorized(ReasonAPIKeyMismatch, nil)
	}
	return req.Body, nil
}

func hasKey(keys []string) bool {
	for _, k := range keys {
		if k != "" {
			return true
		}
	}
	return false
}

// webhookKey takes the first header present, in the order of NOTES.md; a wrong key in an
// earlier header is not rescued by a later one.
func webhookKey(req *provider.Request) (string, bool) {
	for _, h := range []string{"api-key", "x-api-key"} {
		if v := strings.TrimSpace(req.Header(h)); v != "" {
			return v, true
		}
	}
	auth := strings.TrimSpace(req.Header("authorization"))
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		if v := strings.TrimSpace(auth[7:]); v != "" {
			return v, true
		}
	}
	return "", false
}

// Normalize turns a verified webhook body (one transaction object) into an event.
func (p *Provider) Normalize(_ context.Context, payload []byte) (event.Event, error) {
	return NormalizeTransaction(payload)
}

// maxIDLen keeps ids well inside the event schema's 1024-character limit.
const maxIDLen = 256

// NormalizeTransaction turns one AXpay transaction object, from a webhook or from the list
// API, into an event. Both paths share it so that they produce the same event id.
func NormalizeTransaction(raw json.RawMessage) (event.Event, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, errors.New("body is not a JSON object"))
	}

	txID, err := transactionID(fields)
	if err != nil {
		return event.Event{}, err
	}
	amountText, err := numberText(fields, "amount", true)
	if err != nil {
		return event.Event{}, err
	}
	currency, err := stringField(fields, "currency")
	if err != nil {
		return event.Event{}, err
	}
	if currency == "" {
		return event.Event{}, missing("currency")
	}
	amount, err := money.New(amountText, currency)
	if err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("amount: %w", err))
	}
	occurred, err := createdAt(fields)
	if err != nil {
		return event.Event{}, err
	}

	ev := event.Event{
		ID:         Name + ":" + txID,
		Provider:   Name,
		ObjectRef:  txID,
		Amount:     &amount,
		OccurredAt: occurred,
		Details:    map[string]any{},
	}
	if ev.MerchantRef, err = scalarText(fields, "orderId"); err != nil {
		return event.Event{}, err
	}

	status, err := stringField(fields, "status")
	if err != nil {
		return event.Event{}, err
	}
	ev.Type, ev.Status = outcome(status)
	if ev.Status != event.Succeeded {
		// A completed transaction keeps the plain id that webhook and poll share; any other
		// outcome carries its status, so that a pending row seen by the poller can never
		// swallow the later completion as a duplicate.
		ev.ID += ":" + strings.ToLower(string(ev.Status))
		if ev.Type == event.TypeUnsupported {
			ev.ID = Name + ":" + txID + ":" + strings.ToLower(status)
		}
	}
	if ev.Status == event.Failed {
		ev.Failure = &event.Failure{Code: status}
	}
	if status != "" {
		ev.Details["status"] = status
	}

	for _, k := range []string{"rewardType", "webhookStatus"} {
		v, err := stringField(fields, k)
		if err != nil {
			return event.Event{}, err
		}
		if v != "" {
			ev.Details[k] = v
		}
	}
	rate, err := numberText(fields, "rewardRate", false)
	if err != nil {
		return event.Event{}, err
	}
	if rate != "" {
		ev.Details["rewardRate"] = rate
	}
	if codes, ok := present(fields, "webhookStatusCode"); ok {
		v, err := decodeAny(codes)
		if err != nil {
			return event.Event{}, provider.BadRequest(provider.ReasonBadField, errors.New("webhookStatusCode"))
		}
		ev.Details["webhookStatusCode"] = redact.Value("webhookStatusCode", v)
	}
	email, err := stringField(fields, "fromEmail")
	if err != nil {
		return event.Event{}, err
	}
	if email != "" {
		ev.Details["fromEmail"] = redact.Email(email)
	}
	if len(ev.Details) == 0 {
		ev.Details = nil
	}

	ev.Raw, err = redact.JSON(raw)
	if err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	return ev, nil
}

// outcome maps an explicit status; no status means completed, because AXpay only calls the
// webhook, and only lists transactions, once they are completed (see doc.go).
var statusSeparators = strings.NewReplacer("-", "_", " ", "_")

func outcome(status string) (event.Type, event.Status) {
	s := strings.ToUpper(strings.TrimSpace(status))
	s = statusSeparators.Replace(s)
	switch s {
	case "", "COMPLETED", "COMPLETE", "SUCCESS", "SUCCEEDED", "SUCCESSFUL", "PAID", "CONFIRMED", "SETTLED":
		return event.TypePaymentSucceeded, event.Succeeded
	case "FAILED", "FAILURE", "FAIL", "ERROR", "REJECTED", "DECLINED":
		return event.TypePaymentFailed, event.Failed
	case "CANCELLED", "CANCELED", "VOIDED":
		return event.TypePaymentCancelled, event.Cancelled
	case "EXPIRED":
		return event.TypePaymentExpired, event.Expired
	case "PENDING", "PROCESSING", "CREATED", "INITIATED", "IN_PROGRESS", "WAITING":
		return event.TypePaymentPending, event.Pending
	}
	return event.TypeUnsupported, event.Pending
}

func missing(field string) error {
	return provider.BadRequest(provider.ReasonMissingField, errors.New(field))
}

func badField(field, want string) error {
	return provider.BadRequest(provider.ReasonBadField, fmt.Errorf("%s: want %s", field, want))
}

// present treats JSON null as absent.
func present(fields map[string]json.RawMessage, k string) (json.RawMessage, bool) {
	v, ok := fields[k]
	if !ok {
		return nil, false
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return nil, false
	}
	return v, true
}

func transactionID(fields map[string]json.RawMessage) (string, error) {
	for _, k := range []string{"id", "_id", "transactionId"} {
		v, ok := present(fields, k)
		if !ok {
			continue
		}
		var id string
		switch v[0] {
		case '"':
			if err := json.Unmarshal(v, &id); err != nil {
				return "", badField(k, "a string or number")
			}
		case '{':
			// A Mongo-backed API may leak extended JSON: {"$oid": "..."}.
			var oid struct {
				OID string `json:"$oid"`
			}
			if err := json.Unmarshal(v, &oid); err != nil || oid.OID == "" {
				return "", badField(k, "a string or number")
			}
			id = oid.OID
		default:
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return "", badField(k, "a string or number")
			}
			id = n.String()
		}
		id = strings.TrimSpace(id)
		if id == "" {
			return "", missing(k)
		}
		if len(id) > maxIDLen {
			return "", badField(k, fmt.Sprintf("at most %d characters", maxIDLen))
		}
		return id, nil
	}
	return "", missing("id")
}

// stringField returns "" when absent; a non-string is a bad field.
func stringField(fields map[string]json.RawMessage, k string) (string, error) {
	v, ok := present(fields, k)
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", badField(k, "a string")
	}
	return strings.TrimSpace(s), nil
}

// scalarText accepts a string or a number literal, for references that may be numeric.
func scalarText(fields map[string]json.RawMessage, k string) (string, error) {
	v, ok := present(fields, k)
	if !ok {
		return "", nil
	}
	if v[0] == '"' {
		return stringField(fields, k)
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return "", badField(k, "a string or number")
	}
	return n.String(), nil
}

// numberText returns a number's literal text, from a JSON number or a string holding one,
// so that no amount ever passes through a float.
func numberText(fields map[string]json.RawMessage, k string, required bool) (string, error) {
	v, ok := present(fields, k)
	if !ok {
		if required {
			return "", missing(k)
		}
		return "", nil
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", badField(k, "a number or numeric string")
		}
		s = strings.TrimSpace(s)
		if s == "" {
			if required {
				return "", missing(k)
			}
			return "", nil
		}
		if _, err := money.New(s, "XXX"); err != nil {
			return "", badField(k, "a number or numeric string")
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return "", badField(k, "a number or numeric string")
	}
	return n.String(), nil
}

func createdAt(fields map[string]json.RawMessage) (time.Time, error) {
	v, ok := present(fields, "createdAt")
	if !ok {
		return time.Time{}, missing("createdAt")
	}
	text := string(v)
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return time.Time{}, badField("createdAt", "Unix milliseconds")
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, missing("createdAt")
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), nil
		}
		text = s
	}
	ms, err := strconv.ParseInt(text, 10, 64)
	// Before 2001-09-09 in ms is far more likely seconds or garbage than an AXpay payment;
	// the upper bound keeps the time inside what RFC 3339 can print.
	if err != nil || ms < 1e12 || ms > 253402300799999 {
		return time.Time{}, badField("createdAt", "Unix milliseconds")
	}
	return time.UnixMilli(ms).UTC(), nil
}

func decodeAny(v json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}
