// Package cxtn ingests CXTN (Caxton) webhooks (account credits and debits, completed
// payments, settled trades; see docs/providers.md#cxtn) and wraps CXTN's webhook-endpoint
// API.
//
// CXTN signs nothing, so deliveries are authenticated by a secret token in the URL path
// plus an optional source-IP allowlist (package urltoken). The envelope is
// {"eventId", "event", "data"}, where data is sometimes an object and sometimes a JSON
// string holding the object; both are accepted.
package cxtn

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
	"github.com/payhooks/payhooks/shared/support/jsonscan"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Name is the provider's name in routes, event ids and the secret name payhooks/cxtn.
const Name = "cxtn"

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

// kinds maps CXTN's event names to outcomes; each event is final when sent.
var kinds = kit.Statuses{
	"account_credit":    {Type: event.TypeAccountCredited, Status: event.Succeeded},
	"account_debit":     {Type: event.TypeAccountDebited, Status: event.Succeeded},
	"payment_completed": {Type: event.TypePayoutSucceeded, Status: event.Succeeded},
	"trade_settled":     {Type: event.TypeTradeSettled, Status: event.Succeeded},
}

// amounts reads each known event's amounts from data.
var amounts = map[string]func(data *kit.Object, ev *event.Event, details map[string]any){
	"account_credit": accountAmount,
	"account_debit":  accountAmount,
	"payment_completed": func(d *kit.Object, ev *event.Event, _ map[string]any) {
		ev.Amount = d.Money("amount", d.Currency("currency", kit.Required), kit.Required)
	},
	"trade_settled": func(d *kit.Object, ev *event.Event, details map[string]any) {
		ev.Amount = d.Money("sellAmount", d.Currency("sellCurrency", kit.Required), kit.Required)
		ev.Settlement = d.Money("buyAmount", d.Currency("buyCurrency", kit.Required), kit.Required)
		for _, k := range []string{"balanceDue", "fundedAmount"} {
			if v := d.Sent(k); v != nil {
				details[k] = literal(v)
			}
		}
	},
}

// The envelope is {"eventId", "event", "data"}; data is an object or a JSON string holding
// one. Text fields are read as strings or numbers (objectId is a number in every sample).
func normalize(payload []byte) (event.Event, error) {
	o, err := kit.Parse(payload)
	if err != nil {
		return event.Event{}, err
	}
	eventID := o.Ref("eventId", kit.Required)
	name, out, known := kinds.Lookup(o.Text("event", kit.Required))
	data, inner := o.ObjectOrString("data", kit.Required)
	ev := event.Event{
		ID:              event.JoinID(Name, eventID),
		Provider:        Name,
		ProviderEventID: eventID,
		ObjectRef:       data.Ref("objectId", kit.Need(known)), // a known event names its object
		Type:            out.Type,
		Status:          out.Status,
	}
	if ev.ObjectRef == "" {
		ev.ObjectRef = eventID
	}
	details := map[string]any{}
	for _, k := range []string{"userId", "source", "origin"} {
		if v := data.Text(k, kit.Optional); v != "" {
			details[k] = v
		}
	}
	for _, k := range []string{"baseCcyCode", "ccyCode"} {
		if v := data.Currency(k, kit.Optional); v != "" {
			details[k] = v
		}
	}
	if read := amounts[name]; known && read != nil {
		read(data, &ev, details)
	}
	ev.OccurredAt = transactionTime(data)
	if err := o.Err(); err != nil {
		return event.Event{}, err
	}
	if len(details) > 0 {
		ev.Details = details
	}
	if ev.Raw, err = rawCopy(payload, inner); err != nil {
		return event.Event{}, err
	}
	return ev, nil
}

// accountAmount reads a credit's or debit's amount; a pot's ccyCode names its currency
// after the prefix. A debit's amount is kept positive (the direction is in the type; raw
// keeps the signed amount as sent).
func accountAmount(d *kit.Object, ev *event.Event, details map[string]any) {
	ccy := d.Currency("ccyCode", kit.Required)
	if len(ccy) > len(potPrefix) && strings.EqualFold(ccy[:len(potPrefix)], potPrefix) {
		ccy = ccy[len(potPrefix):]
		details["pot"] = true
	}
	if ev.Amount = d.Money("amount", ccy, kit.Required); ev.Amount != nil && ev.Type == event.TypeAccountDebited {
		a := ev.Amount.Abs()
		ev.Amount = &a
	}
}

// rawCopy keeps data in the form it came in, masked inside the string form too, where
// pattern-based redaction of the envelope cannot see.
func rawCopy(payload, inner []byte) (json.RawMessage, error) {
	if inner == nil {
		raw, err := redact.JSON(payload)
		if err != nil {
			return nil, provider.BadRequest(provider.ReasonBadJSON, err)
		}
		return raw, nil
	}
	masked, err := redact.JSON(inner)
	if err == nil {
		var raw json.RawMessage
		if raw, err = redact.JSONReplacing(payload, redact.Member{Key: "data", Value: string(masked)}); err == nil {
			return raw, nil
		}
	}
	return nil, provider.BadRequest(provider.ReasonBadJSON, err)
}

// transactionDateTime is "2023-12-18T16:28:28.3027309": 7 fractional digits, no zone,
// taken as UTC. A zone written into the value, should CXTN start sending one, wins.
func transactionTime(d *kit.Object) time.Time {
	v := strings.TrimSpace(d.Text("transactionDateTime", kit.Optional))
	if v == "" {
		return time.Time{}
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", v, time.UTC); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC()
	}
	d.Invalid("transactionDateTime", "an ISO 8601 date-time")
	return time.Time{}
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
		return jsonscan.UnquoteString(v)
	case '{', '[':
		if m, err := redact.JSON(v); err == nil {
			return string(m)
		}
		return nil // not reached: v was validated with the envelope
	}
	return json.Number(v)
}
