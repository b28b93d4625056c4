package axpay

import (
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
	"github.com/payhooks/payhooks/shared/provider/kit"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Name is the provider's name in routes, secrets and events.
const Name = "axpay"

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
		return nil, provider.Unauthorized(provider.ReasonMissingAPIKey, errors.New("no api-key, x-api-key or bearer authorization header"))
	}
	if !secrets.MatchAny(key, keys) {
		return nil, provider.Unauthorized(provider.ReasonAPIKeyMismatch, nil)
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

// webhookKey takes the first header present, in the order docs/providers.md#axpay gives;
// a wrong key in an earlier header is not rescued by a later one.
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

// statuses maps an explicit transaction `status`. AXpay documents none: it calls the
// webhook, and lists transactions, once they are completed, so no status (the key "") is
// a completed payment. The other spellings are those a transaction API commonly uses;
// anything else is stored as event.unsupported rather than guessed.
var statuses = kit.Statuses{
	"":            {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"COMPLETED":   {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"COMPLETE":    {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"SUCCESS":     {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"SUCCEEDED":   {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"SUCCESSFUL":  {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"PAID":        {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"CONFIRMED":   {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"SETTLED":     {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"FAILED":      {Type: event.TypePaymentFailed, Status: event.Failed},
	"FAILURE":     {Type: event.TypePaymentFailed, Status: event.Failed},
	"FAIL":        {Type: event.TypePaymentFailed, Status: event.Failed},
	"ERROR":       {Type: event.TypePaymentFailed, Status: event.Failed},
	"REJECTED":    {Type: event.TypePaymentFailed, Status: event.Failed},
	"DECLINED":    {Type: event.TypePaymentFailed, Status: event.Failed},
	"CANCELLED":   {Type: event.TypePaymentCancelled, Status: event.Cancelled},
	"CANCELED":    {Type: event.TypePaymentCancelled, Status: event.Cancelled},
	"VOIDED":      {Type: event.TypePaymentCancelled, Status: event.Cancelled},
	"EXPIRED":     {Type: event.TypePaymentExpired, Status: event.Expired},
	"PENDING":     {Type: event.TypePaymentPending, Status: event.Pending},
	"PROCESSING":  {Type: event.TypePaymentPending, Status: event.Pending},
	"CREATED":     {Type: event.TypePaymentPending, Status: event.Pending},
	"INITIATED":   {Type: event.TypePaymentPending, Status: event.Pending},
	"IN_PROGRESS": {Type: event.TypePaymentPending, Status: event.Pending},
	"WAITING":     {Type: event.TypePaymentPending, Status: event.Pending},
}

// statusSeparators makes `in-progress` and `in progress` the canonical IN_PROGRESS.
var statusSeparators = strings.NewReplacer("-", "_", " ", "_")

// idKeys name the transaction id, first present wins: the list API's shape is unpublished.
var idKeys = []string{"id", "_id", "transactionId"}

// NormalizeTransaction turns one AXpay transaction object, from a webhook or from the list
// API, into an event. Both paths share it so that they produce the same event id.
func NormalizeTransaction(raw json.RawMessage) (event.Event, error) {
	o, err := kit.Parse(raw)
	if err != nil {
		return event.Event{}, err
	}
	txID := transactionID(o)
	sent := strings.TrimSpace(o.String("status", kit.Optional))
	status, out, _ := statuses.Lookup(statusSeparators.Replace(sent))
	ev := event.Event{
		Provider:    Name,
		ObjectRef:   txID,
		Type:        out.Type,
		Status:      out.Status,
		Amount:      o.Money("amount", o.Currency("currency", kit.Required), kit.Required),
		MerchantRef: o.Ref("orderId", kit.Optional),
		OccurredAt:  createdAt(o),
		Details:     details(o),
	}
	switch {
	case ev.Type == event.TypeUnsupported:
		ev.ID = event.JoinID(Name, txID, strings.ToLower(status))
	case ev.Status != event.Succeeded:
		// A completed transaction keeps the plain id that webhook and poll share; any other
		// outcome carries its state, so that a pending row seen by the poller can never
		// swallow the later completion as a duplicate.
		ev.ID = event.JoinID(Name, txID, string(ev.Status))
	default:
		ev.ID = event.JoinID(Name, txID)
	}
	if ev.Status == event.Failed {
		ev.Failure = &event.Failure{Code: status}
	}
	if sent != "" {
		ev.Details["status"] = sent
	}
	if err := o.Err(); err != nil {
		return event.Event{}, err
	}
	if len(ev.Details) == 0 {
		ev.Details = nil
	}
	if ev.Raw, err = redact.JSON(raw); err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	return ev, nil
}

// transactionID reads the first id present; a Mongo-backed API may leak extended JSON
// ({"$oid": "..."}).
func transactionID(o *kit.Object) string {
	for _, k := range idKeys {
		switch v := o.Raw(k); {
		case v == nil:
			continue
		case v[0] == '{':
			return o.Object(k, kit.Required).Ref("$oid", kit.Required)
		default:
			return o.Ref(k, kit.Required)
		}
	}
	o.Missing("id")
	return ""
}

func details(o *kit.Object) map[string]any {
	d := map[string]any{}
	for _, k := range []string{"rewardType", "webhookStatus"} {
		if v := strings.TrimSpace(o.String(k, kit.Optional)); v != "" {
			d[k] = v
		}
	}
	if v := o.Decimal("rewardRate", kit.Optional); v != "" {
		d["rewardRate"] = v
	}
	if v := o.Value("webhookStatusCode"); v != nil {
		d["webhookStatusCode"] = redact.Value("webhookStatusCode", v)
	}
	if v := strings.TrimSpace(o.String("fromEmail", kit.Optional)); v != "" {
		d["fromEmail"] = redact.Email(v)
	}
	return d
}

// createdAt is Unix milliseconds, as a number or a numeric string; an RFC 3339 string is
// accepted too, since the list API's exact shape is unpublished.
func createdAt(o *kit.Object) time.Time {
	text := strings.TrimSpace(o.Text("createdAt", kit.Required))
	if text == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
		return t.UTC()
	}
	ms, err := strconv.ParseInt(text, 10, 64)
	// Before 2001-09-09 in ms is far more likely seconds or garbage than an AXpay payment;
	// the upper bound keeps the time inside what RFC 3339 can print.
	if err != nil || ms < 1e12 || ms > 253402300799999 {
		o.Invalid("createdAt", "Unix milliseconds")
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
