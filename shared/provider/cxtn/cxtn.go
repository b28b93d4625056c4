// Package cxtn ingests CXTN webhooks (account credits and debits, completed payments,
// settled trades; shared/providers/cxtn.txt) and wraps CXTN's webhook-endpoint API.
//
// CXTN signs nothing, so deliveries are authenticated by a secret token in the URL path
// plus an optional source-IP allowlist (package urltoken). The envelope is
// {"eventId", "event", "data"}, where data is sometimes an object and sometimes a JSON
// string holding the object; both are accepted.
package cxtn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/event"
	"github.com/payhooks/payhooks/shared/money"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
	"github.com/payhooks/payhooks/shared/redact"
	"github.com/payhooks/payhooks/shared/secrets"
)

// Name is the provider's name in routes, event ids and the secret name payhooks/cxtn.
const Name = "cxtn"

// ReasonBadData rejects an envelope whose data is neither an object nor a string holding one.
const ReasonBadData = "bad_data"

// Secret is the document stored as payhooks/cxtn:
//
//	{"webhookTokens": ["<active>", "<previous>"], "allowedCidrs": []}
type Secret struct {
	urltoken.Secret
}

// Provider is the CXTN plug-in.
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

// Normalize needs no secret: everything is in the payload.
func (p *Provider) Normalize(_ context.Context, payload []byte) (event.Event, error) {
	return normalize(payload)
}

// potPrefix marks a pot (a ring-fenced sub-balance) in ccyCode: CC-GBP is the GBP pot.
const potPrefix = "CC-"

// maxRefLen bounds what goes into the event id (the schema allows 1024 characters).
const maxRefLen = 256

// kinds maps CXTN's event names to normalized types; each is final when sent.
var kinds = map[string]string{
	"account_credit":    "account.credited",
	"account_debit":     "account.debited",
	"payment_completed": "payout.succeeded",
	"trade_settled":     "trade.settled",
}

func normalize(payload []byte) (event.Event, error) {
	top, err := decodeObject(payload)
	if err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, fmt.Errorf("body: %w", err))
	}
	env := fields{m: top}
	eventID := strings.TrimSpace(env.text("eventId"))
	name := strings.TrimSpace(env.text("event"))
	if env.err != nil {
		return event.Event{}, env.err
	}
	switch {
	case eventID == "":
		return event.Event{}, provider.BadRequest(provider.ReasonMissingField, errors.New("eventId is missing"))
	case len(eventID) > maxRefLen:
		return event.Event{}, provider.BadRequest(provider.ReasonBadField, errors.New("eventId is implausibly long"))
	case name == "":
		return event.Event{}, provider.BadRequest(provider.ReasonMissingField, errors.New("event is missing"))
	}
	data, dataIsString, err := dataObject(top["data"])
	if err != nil {
		return event.Event{}, provider.BadRequest(ReasonBadData, err)
	}

	f := fields{m: data}
	ev := event.Event{
		ID:              Name + ":" + eventID,
		Provider:        Name,
		ProviderEventID: eventID,
		ObjectRef:       strings.TrimSpace(f.text("objectId")),
		Type:            event.TypeUnsupported,
		Status:          event.Pending,
	}
	typ, known := kinds[name]
	if known {
		ev.Type, ev.Status = typ, event.Succeeded
		if ev.ObjectRef == "" && f.err == nil {
			return event.Event{}, provider.BadRequest(provider.ReasonMissingField, fmt.Errorf("data.objectId is missing for %s", name))
		}
	} else if ev.ObjectRef == "" {
		ev.ObjectRef = eventID
	}
	if len(ev.ObjectRef) > maxRefLen {
		return event.Event{}, provider.BadRequest(provider.ReasonBadField, errors.New("data.objectId is implausibly long"))
	}

	details := map[string]any{}
	for _, k := range []string{"userId", "source", "origin", "baseCcyCode", "ccyCode"} {
		if v := f.text(k); v != "" {
			details[k] = v
		}
	}
	switch name {
	case "account_credit", "account_debit":
		ccy := strings.TrimSpace(f.text("ccyCode"))
		if len(ccy) > len(potPrefix) && strings.EqualFold(ccy[:len(potPrefix)], potPrefix) {
			ccy = ccy[len(potPrefix):]
			details["pot"] = true
		}
		a, err := f.money("amount", "ccyCode", ccy)
		if err != nil {
			return event.Event{}, err
		}
		if name == "account_debit" {
			// The direction is in the type; raw keeps the signed amount as sent.
			a = a.Abs()
		}
		ev.Amount = &a
	case "payment_completed":
		a, err := f.money("amount", "currency", f.text("currency"))
		if err != nil {
			return event.Event{}, err
		}
		ev.Amount = &a
	case "trade_settled":
		sell, err := f.money("sellAmount", "sellCurrency", f.text("sellCurrency"))
		if err != nil {
			return event.Event{}, err
		}
		buy, err := f.money("buyAmount", "buyCurrency", f.text("buyCurrency"))
		if err != nil {
			return event.Event{}, err
		}
		ev.Amount, ev.Settlement = &sell, &buy
		for _, k := range []string{"balanceDue", "fundedAmount"} {
			if v, ok := data[k]; ok {
				details[k] = literal(v)
			}
		}
	}
	if v := strings.TrimSpace(f.text("transactionDateTime")); v != "" {
		t, err := parseTime(v)
		if err != nil {
			return event.Event{}, provider.BadRequest(provider.ReasonBadField, err)
		}
		ev.OccurredAt = t
	}
	if f.err != nil {
		return event.Event{}, f.err
	}
	if len(details) > 0 {
		ev.Details = details
	}

	// Raw keeps data in the form it came in, masked inside the string form too, where
	// pattern-based redaction of the envelope cannot see.
	var raw json.RawMessage
	if dataIsString {
		inner, err := redact.JSON([]byte(top["data"].(string)))
		if err != nil {
			return event.Event{}, provider.BadRequest(ReasonBadData, err)
		}
		raw, err = redact.JSONReplacing(payload, redact.Member{Key: "data", Value: string(inner)})
		if err != nil {
			return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
		}
	} else if raw, err = redact.JSON(payload); err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	ev.Raw = raw
	return ev, nil
}

// dataObject accepts data as an object or as a JSON string holding one.
func dataObject(v any) (map[string]any, bool, error) {
	switch d := v.(type) {
	case map[string]any:
		return d, false, nil
	case string:
		m, err := decodeObject([]byte(d))
		if err != nil {
			return nil, true, fmt.Errorf("data is a string that does not hold a JSON object: %w", err)
		}
		return m, true, nil
	case nil:
		return nil, false, errors.New("data is missing or null")
	default:
		return nil, false, fmt.Errorf("data is %s, not an object or a string holding one", jsonKind(v))
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// transactionDateTime is "2023-12-18T16:28:28.3027309": 7 fractional digits, no zone,
// taken as UTC. A zone written into the value, should CXTN start sending one, wins.
func parseTime(v string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", v, time.UTC); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return time.Time{}, fmt.Errorf("transactionDateTime %q is not an ISO 8601 date-time", v)
}

// literal keeps a number's text (or null) for details, so that a consumer sees exactly
// what CXTN sent.
func literal(v any) any {
	switch x := v.(type) {
	case nil, json.Number, string, bool:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// fields reads values that may come as JSON strings or numbers (objectId is a number in
// every sample); objects, arrays and booleans where text is expected are refused.
type fields struct {
	m   map[string]any
	err error
}

func (f *fields) text(key string) string {
	switch v := f.m[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		if f.err == nil {
			f.err = provider.BadRequest(provider.ReasonBadField, fmt.Errorf("%s is %s, not a string or number", key, jsonKind(v)))
		}
		return ""
	}
}

// money reads the amount in key with currency cur (read from curKey) exactly as sent.
func (f *fields) money(key, curKey, cur string) (money.Money, error) {
	v := f.text(key)
	if f.err != nil {
		return money.Money{}, f.err
	}
	switch {
	case v == "":
		return money.Money{}, provider.BadRequest(provider.ReasonMissingField, fmt.Errorf("data.%s is missing", key))
	case strings.TrimSpace(cur) == "":
		return money.Money{}, provider.BadRequest(provider.ReasonMissingField, fmt.Errorf("data.%s is missing", curKey))
	}
	a, err := money.New(v, cur)
	if err != nil {
		return money.Money{}, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("data.%s: %w", key, err))
	}
	return a, nil
}

// decodeObject decodes a JSON object keeping numbers' literal text, refusing trailing data.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("null, not a JSON object")
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
