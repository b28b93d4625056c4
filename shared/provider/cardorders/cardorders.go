// Package cardorders ingests Alchemy Pay's card-order webhooks ("Webhook for Orders": card
// issue and card recharge paid in crypto; see docs/providers.md#cardorders).
//
// The provider signs nothing, so deliveries are authenticated by a secret token in the URL
// path plus an optional source-IP allowlist (package urltoken). Payloads carry the full
// card number, the cardholder's email and, for physical cards, a postal address
// (shippingInfo): the card number and email are masked and the address is removed before
// anything leaves Normalize, in the event's details and in its raw copy alike.
package cardorders

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // orderTimeZone must resolve even where the OS has no zoneinfo (Lambda)

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
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

// statuses map each order type (orderType: 1 creates a card, 2 recharges one) and status
// to its outcome. SUCCESS, FAIL and CANCEL are the current doc's; INIT (created, not paid
// yet) and REFUNDING (the payment is being returned) are listed by an older version of it.
var statuses = map[string]kit.Statuses{
	"1": {
		"INIT":      {Type: event.TypeCardIssuePending, Status: event.Pending},
		"SUCCESS":   {Type: event.TypeCardIssueSucceeded, Status: event.Succeeded},
		"FAIL":      {Type: event.TypeCardIssueFailed, Status: event.Failed},
		"CANCEL":    {Type: event.TypeCardIssueCancelled, Status: event.Cancelled},
		"REFUNDING": {Type: event.TypeCardIssueRefundPending, Status: event.Pending},
	},
	"2": {
		"INIT":      {Type: event.TypeCardRechargePending, Status: event.Pending},
		"SUCCESS":   {Type: event.TypeCardRechargeSucceeded, Status: event.Succeeded},
		"FAIL":      {Type: event.TypeCardRechargeFailed, Status: event.Failed},
		"CANCEL":    {Type: event.TypeCardRechargeCancelled, Status: event.Cancelled},
		"REFUNDING": {Type: event.TypeCardRechargeRefundPending, Status: event.Pending},
	},
}

// unknownOrderType marks the id of an order whose orderType is missing or unknown: a fourth
// component, which no id of a known order type has.
const unknownOrderType = "orderType="

// cardTypes names cardType's codes in details.
var cardTypes = map[string]string{"1": "virtual", "2": "physical"}

// detailFields are copied into details as sent, when not empty.
var detailFields = []string{
	"paymentAmount", "applyFee", "rechargeFee", "rechargeMarkup", "deliveryFee",
	"currencyExchangeRate", "cryptoCurrencyExchangeRate", "cryptoCurrency", "network",
	"cryptoAddress", "cardId", "voucherCode",
}

// orderTimeLayout is the doc's "2024-08-09 15:11:09"; fractional seconds are accepted too.
const orderTimeLayout = "2006-01-02 15:04:05"

// shippingRemoved stands in raw for shippingInfo, a postal address: payhooks has no use for
// it and an event store is no place for personal data nobody reads.
const shippingRemoved = "REDACTED"

// Every field is read as Text: the doc sends all of them as strings, and refusing an order
// over a quoting change (a number, or null for empty) would only make the provider retry
// the same body for 24 hours. Objects, arrays and booleans where text is due are refused.
func normalize(payload []byte, loc *time.Location) (event.Event, error) {
	o, err := kit.Parse(payload)
	if err != nil {
		return event.Event{}, err
	}
	orderNo := o.Ref("orderNo", kit.Required)
	orderType := strings.TrimSpace(o.Text("orderType", kit.Optional))
	table, knownType := statuses[orderType]
	status, out, _ := table.Lookup(o.Ref("status", kit.Required))
	ev := event.Event{
		// The provider re-sends one status for 24 hours and a status never repeats for an
		// order, so order number and (canonically spelled) status identify the event.
		ID:        event.JoinID(Name, orderNo, status),
		Provider:  Name,
		ObjectRef: orderNo,
		Type:      out.Type,
		Status:    out.Status,
		Amount:    o.Money("orderAmount", OrderCurrency, kit.Optional),
	}
	if !knownType {
		// Without a known orderType the status means nothing (a nil table knows none, so
		// the event is unsupported). Its id gains the type it came with, so it can never
		// take the id of the correct delivery of this order and have that answered
		// duplicate.
		ev.ID = event.JoinID(Name, orderNo, status, unknownOrderType+orderType)
	}
	if reason := o.Text("failReason", kit.Optional); reason != "" && ev.Status != event.Succeeded {
		ev.Failure = &event.Failure{Message: reason}
	}
	if cur := o.Currency("cardCurrency", kit.Optional); cur != "" {
		ev.Settlement = o.Money("cardAmount", cur, kit.Optional)
	}
	ev.OccurredAt = orderTime(o, loc)
	details, replace := readDetails(o)
	if err := o.Err(); err != nil {
		return event.Event{}, err
	}
	if len(details) > 0 {
		ev.Details = details
	}
	if ev.Raw, err = redact.JSONReplacing(payload, replace...); err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	return ev, nil
}

func orderTime(o *kit.Object, loc *time.Location) time.Time {
	v := strings.TrimSpace(o.Text("orderTime", kit.Optional))
	if v == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(orderTimeLayout, v, loc)
	if err != nil {
		// A zone written into the value, should the provider start sending one, wins.
		if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
			o.Invalid("orderTime", `"`+orderTimeLayout+`"`)
		}
	}
	return t.UTC()
}

// readDetails collects details and the members raw must carry masked: masked copies
// replace the originals in raw too, so no later step sees the card number, the email or
// the address, whatever key-based or pattern-based redaction would have caught.
func readDetails(o *kit.Object) (map[string]any, []redact.Member) {
	details := make(map[string]any, len(detailFields)+3)
	for _, k := range detailFields {
		read := o.Text
		if k == "cryptoCurrency" {
			read = o.Currency
		}
		if v := read(k, kit.Optional); v != "" {
			details[k] = v
		}
	}
	if v := o.Text("cardType", kit.Optional); v != "" {
		if name, ok := cardTypes[v]; ok {
			v = name
		}
		details["cardType"] = v
	}
	replace := make([]redact.Member, 0, 3)
	if v := o.Text("cardNumber", kit.Optional); v != "" {
		pan := redact.PAN(v)
		details["maskedCardNumber"] = pan
		replace = append(replace, redact.Member{Key: "cardNumber", Value: pan})
	}
	if v := o.Text("email", kit.Optional); v != "" {
		email := redact.Email(v)
		details["maskedEmail"] = email
		replace = append(replace, redact.Member{Key: "email", Value: email})
	}
	if o.Raw("shippingInfo") != nil {
		replace = append(replace, redact.Member{Key: "shippingInfo", Value: shippingRemoved})
	}
	return details, replace
}
