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

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
	"github.com/payhooks/payhooks/shared/support/jsonscan"
	"github.com/payhooks/payhooks/shared/support/money"
	"github.com/payhooks/payhooks/shared/support/redact"
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
var kinds = map[string]event.Type{
	"account_credit":    event.TypeAccountCredited,
	"account_debit":     event.TypeAccountDebited,
	"payment_completed": event.TypePayoutSucceeded,
	"trade_settled":     event.TypeTradeSettled,
}

func normalize(payload []byte) (event.Event, error) {
	var env fields
	if err := members(payload, env.member); err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, fmt.Errorf("body: not a JSON object: %w", err))
	}
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
	var f fields
	inner, err := dataObject(env.raw("data"), &f)
	if err != nil {
		return event.Event{}, provider.BadRequest(ReasonBadData, err)
	}

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
			if v := f.raw(k); v != nil {
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
	if inner != nil {
		masked, err := redact.JSON(inner)
		if err != nil {
			return event.Event{}, provider.BadRequest(ReasonBadData, err)
		}
		raw, err = redact.JSONReplacing(payload, redact.Member{Key: "data", Value: string(masked)})
		if err != nil {
			return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
		}
	} else if raw, err = redact.JSON(payload); err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	ev.Raw = raw
	return ev, nil
}

// dataObject reads data, an object or a JSON string holding one, into f. For the string
// form it returns the decoded text, which Raw needs masked in its own right.
func dataObject(v []byte, f *fields) (inner []byte, err error) {
	switch {
	case v == nil || v[0] == 'n':
		return nil, errors.New("data is missing or null")
	case v[0] == '{':
		// Already validated with the envelope; walked again only to collect the members.
		return nil, members(v, f.member)
	case v[0] == '"':
		inner = jsonscan.Unquote(v)
		if err := members(inner, f.member); err != nil {
			return nil, fmt.Errorf("data is a string that does not hold a JSON object: %w", err)
		}
		return inner, nil
	default:
		return nil, fmt.Errorf("data is %s, not an object or a string holding one", jsonKind(v))
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
// what CXTN sent. An object or array is kept as its (masked) JSON text.
func literal(v []byte) any {
	switch v[0] {
	case 'n':
		return nil
	case 't', 'f':
		return v[0] == 't'
	case '"':
		return string(jsonscan.Unquote(v))
	case '{', '[':
		if m, err := redact.JSON(v); err == nil {
			return string(m)
		}
		return nil // not reached: v was validated with the envelope
	}
	return json.Number(v)
}

// slot numbers the members Normalize reads, envelope and data alike; any other key is
// skipped without being decoded.
func slot(key string) int {
	switch key {
	case "eventId":
		return 0
	case "event":
		return 1
	case "data":
		return 2
	case "objectId":
		return 3
	case "userId":
		return 4
	case "source":
		return 5
	case "origin":
		return 6
	case "baseCcyCode":
		return 7
	case "ccyCode":
		return 8
	case "amount":
		return 9
	case "currency":
		return 10
	case "sellAmount":
		return 11
	case "sellCurrency":
		return 12
	case "buyAmount":
		return 13
	case "buyCurrency":
		return 14
	case "balanceDue":
		return 15
	case "fundedAmount":
		return 16
	case "transactionDateTime":
		return 17
	}
	return -1
}

// fields holds the raw values of one object's members named by slot, the last of
// repeated keys winning, and reads them as text where they may come as JSON strings or
// numbers (objectId is a number in every sample); objects, arrays and booleans where text
// is expected are refused.
type fields struct {
	vals [18][]byte // raw value tokens; nil when the key was not sent
	err  error
}

func (f *fields) member(rawKey, val []byte) {
	k := rawKey[1 : len(rawKey)-1]
	i := slot(string(k))
	if i < 0 && bytes.IndexByte(k, '\\') >= 0 {
		i = slot(string(jsonscan.Unquote(rawKey)))
	}
	if i >= 0 {
		f.vals[i] = val
	}
}

// raw returns key's value token, nil when it was not sent.
func (f *fields) raw(key string) []byte { return f.vals[slot(key)] }

func (f *fields) text(key string) string {
	v := f.raw(key)
	switch {
	case v == nil || v[0] == 'n':
		return ""
	case v[0] == '"':
		return string(jsonscan.Unquote(v))
	case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
		return string(v)
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
