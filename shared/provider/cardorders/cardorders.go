// Package cardorders ingests the card-order webhooks (card issue and card recharge paid in
// crypto) of the card provider whose documentation is shared/providers/cardorders.txt.
//
// The provider signs nothing, so deliveries are authenticated by a secret token in the URL
// path plus an optional source-IP allowlist (package urltoken). Payloads carry the full
// card number and the cardholder's email: both are masked before anything leaves
// Normalize, in the event's details and in its raw copy alike.
package cardorders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // orderTimeZone must resolve even where the OS has no zoneinfo (Lambda)

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
	"github.com/payhooks/payhooks/shared/support/money"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Name is the provider's name in routes, event ids and the secret name payhooks/cardorders.
const Name = "cardorders"

// OrderCurrency is the currency of orderAmount: the doc counts it "as USDT".
const OrderCurrency = "USDT"

// Secret is the document stored as payhooks/cardorders:
//
//	{"webhookTokens": ["<active>", "<previous>"], "allowedCidrs": [], "orderTimeZone": "UTC"}
//
// orderTimeZone is the IANA zone orderTime is written in; the doc gives no zone, so it
// must be confirmed with the provider (default UTC).
type Secret struct {
	urltoken.Secret
	OrderTimeZone string `json:"orderTimeZone"`
}

// Provider is the cardorders plug-in.
type Provider struct {
	secret secrets.Doc[Secret]
}

// New returns the provider reading its secret document secretName from src.
func New(src secrets.Source, secretName string) provider.Provider {
	return &Provider{secret: secrets.NewDoc[Secret](src, secretName)}
}

func (p *Provider) Name() string { return Name }

// Verify checks the URL token (and source IP); the body itself is the authentic payload.
func (p *Provider) Verify(ctx context.Context, req *provider.Request) ([]byte, error) {
	return urltoken.Verify(ctx, p.secret, req)
}

// Normalize turns an order notification into the normalized event. It reads the secret
// only for orderTimeZone.
func (p *Provider) Normalize(ctx context.Context, payload []byte) (event.Event, error) {
	s, err := p.secret.Load(ctx)
	if err != nil {
		return event.Event{}, err
	}
	loc, err := location(s.OrderTimeZone)
	if err != nil {
		return event.Event{}, fmt.Errorf("%w: %s: %w", secrets.ErrUnavailable, p.secret.Name, err)
	}
	return normalize(payload, loc)
}

var locations sync.Map // zone name -> *time.Location; LoadLocation parses tzdata each call

func location(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil || name == "Local" { // Local would be whatever zone the host happens to run in
		return nil, fmt.Errorf("orderTimeZone %q is not an IANA time zone", name)
	}
	locations.Store(name, l)
	return l, nil
}

// orderTypes maps orderType to the event's object; statuses maps status to its outcome.
var (
	orderTypes = map[string]string{"1": "card_issue", "2": "card_recharge"}
	statuses   = map[string]event.Status{"SUCCESS": event.Succeeded, "FAIL": event.Failed, "CANCEL": event.Cancelled}
	cardTypes  = map[string]string{"1": "virtual", "2": "physical"}
)

// detailFields are copied into details as sent, when not empty.
var detailFields = []string{
	"paymentAmount", "applyFee", "rechargeFee", "rechargeMarkup", "deliveryFee",
	"currencyExchangeRate", "cryptoCurrencyExchangeRate", "cryptoCurrency", "network",
	"cryptoAddress", "cardId", "voucherCode",
}

// maxRefLen bounds what goes into the event id (the schema allows 1024 characters).
const maxRefLen = 256

// orderTimeLayout is the doc's "2024-08-09 15:11:09"; fractional seconds are accepted too.
const orderTimeLayout = "2006-01-02 15:04:05"

func normalize(payload []byte, loc *time.Location) (event.Event, error) {
	m, err := decodeObject(payload)
	if err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	f := fields{m: m}
	orderNo := strings.TrimSpace(f.get("orderNo"))
	rawStatus := strings.ToUpper(strings.TrimSpace(f.get("status")))
	if f.err != nil {
		return event.Event{}, f.err
	}
	switch {
	case orderNo == "":
		return event.Event{}, provider.BadRequest(provider.ReasonMissingField, errors.New("orderNo is missing"))
	case rawStatus == "":
		return event.Event{}, provider.BadRequest(provider.ReasonMissingField, errors.New("status is missing"))
	case len(orderNo) > maxRefLen || len(rawStatus) > maxRefLen:
		// Both go into the event id, which the store and the schema cap.
		return event.Event{}, provider.BadRequest(provider.ReasonBadField, errors.New("orderNo or status is implausibly long"))
	}

	ev := event.Event{
		// The provider re-sends one status for 24 hours and a status never repeats for an
		// order, so order number and status identify the event.
		ID:        Name + ":" + orderNo + ":" + rawStatus,
		Provider:  Name,
		ObjectRef: orderNo,
		Type:      event.TypeUnsupported,
		Status:    event.Pending,
	}
	object, okType := orderTypes[strings.TrimSpace(f.get("orderType"))]
	status, okStatus := statuses[rawStatus]
	if okType && okStatus {
		ev.Status = status
		ev.Type = object + "." + string(status)
	}
	if reason := f.get("failReason"); reason != "" && (ev.Status == event.Failed || ev.Status == event.Cancelled) {
		ev.Failure = &event.Failure{Message: reason}
	}

	if v := f.get("orderAmount"); v != "" {
		a, err := money.New(v, OrderCurrency)
		if err != nil {
			return event.Event{}, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("orderAmount: %w", err))
		}
		ev.Amount = &a
	}
	if v, cur := f.get("cardAmount"), f.get("cardCurrency"); v != "" && cur != "" {
		a, err := money.New(v, cur)
		if err != nil {
			return event.Event{}, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("cardAmount: %w", err))
		}
		ev.Settlement = &a
	}
	if v := strings.TrimSpace(f.get("orderTime")); v != "" {
		t, err := time.ParseInLocation(orderTimeLayout, v, loc)
		if err != nil {
			// A zone written into the value, should the provider start sending one, wins.
			if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return event.Event{}, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("orderTime %q is not %q", redact.Snippet(v, 40), orderTimeLayout))
			}
		}
		ev.OccurredAt = t.UTC()
	}

	details := make(map[string]any, len(detailFields)+3)
	for _, k := range detailFields {
		if v := f.get(k); v != "" {
			details[k] = v
		}
	}
	if v := f.get("cardType"); v != "" {
		if name, ok := cardTypes[v]; ok {
			v = name
		}
		details["cardType"] = v
	}
	// Masked copies replace the originals in raw too, so no later step sees the PAN or
	// the address, whatever key-based or pattern-based redaction would have caught.
	var masked [2]redact.Member
	replace := masked[:0]
	if v := f.get("cardNumber"); v != "" {
		pan := redact.PAN(v)
		details["maskedCardNumber"] = pan
		replace = append(replace, redact.Member{Key: "cardNumber", Value: pan})
	}
	if v := f.get("email"); v != "" {
		email := redact.Email(v)
		details["maskedEmail"] = email
		replace = append(replace, redact.Member{Key: "email", Value: email})
	}
	if f.err != nil {
		return event.Event{}, f.err
	}
	if len(details) > 0 {
		ev.Details = details
	}
	raw, err := redact.JSONReplacing(payload, replace...)
	if err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	ev.Raw = raw
	return ev, nil
}

// fields reads the doc's all-string payload. Numbers are taken by their literal text and
// null as empty, because rejecting an order over a quoting change would only make the
// provider retry the same body for 24 hours; objects, arrays and booleans are refused.
type fields struct {
	m   map[string]any
	err error
}

func (f *fields) get(key string) string {
	switch v := f.m[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		if f.err == nil {
			f.err = provider.BadRequest(provider.ReasonBadField, fmt.Errorf("%s is a %T, not a string", key, v))
		}
		return ""
	}
}

// decodeObject decodes a JSON object keeping numbers' literal text, refusing trailing data.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("body is null, not a JSON object")
	}
	// Only JSON whitespace may follow. Checked on the input rather than with dec.Token,
	// which would grow the decoder's buffer to look for more.
	for _, c := range b[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, errors.New("data after the JSON object")
		}
	}
	return m, nil
}
