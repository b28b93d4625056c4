// Package instaxchange verifies and normalizes InstaXchange payment-session webhooks.
//
// The X-InstaXWH-KEY header is md5hex(<canonical JSON> + ":" + secret), where the canonical
// JSON is a re-serialization of the body with sorted top-level keys (see canonical.go).
// Both the provider's TypeScript form and the documented PHP form are accepted, for every
// active secret.
package instaxchange

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Name is the provider name used in event ids and routes.
const Name = "instaxchange"

// SignatureHeader carries the md5 digest (the doc spells it X-Instaxwh-Key as well).
const SignatureHeader = "X-InstaXWH-KEY"

// SecretDoc is the secret document: every listed secret is accepted, the first is the
// one in use (rotation keeps the previous one listed for a while).
type SecretDoc struct {
	WebhookSecrets []string `json:"webhookSecrets"`
}

type webhook struct {
	doc secrets.Doc[SecretDoc]
}

// New returns the InstaXchange provider reading its secrets from secretName in src.
func New(src secrets.Source, secretName string) provider.Provider {
	return &webhook{doc: secrets.NewDoc[SecretDoc](src, secretName)}
}

func (w *webhook) Name() string { return Name }

// Verify checks X-InstaXWH-KEY against both canonical forms under every active secret and
// returns the form the signature covers, not the body: the sender signs its own
// re-serialization, so only that text is authenticated. It differs from the body wherever
// the body says more than the sender's object held: a number written past a double's
// precision (3.7400000000000000001 is signed as 3.74), a repeated key (the last value is
// signed), a top-level __proto__ (the sender's object never had it).
func (w *webhook) Verify(ctx context.Context, req *provider.Request) ([]byte, error) {
	sig := strings.ToLower(strings.TrimSpace(req.Header(strings.ToLower(SignatureHeader))))
	if sig == "" {
		return nil, provider.Unauthorized(provider.ReasonMissingSignature, errors.New("no "+SignatureHeader+" header"))
	}
	js := getCanonicalizer()
	defer putCanonicalizer(js)
	jsForm, err := js.run(req.Body, modeJS)
	if err != nil {
		return nil, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	jsForm = bytes.Clone(jsForm)
	// Most payloads (ASCII, no empty objects, plain numbers) have one text for both forms;
	// the JS pass knows when, and then one digest per secret covers both.
	var php *canonicalizer
	var phpForm []byte
	if !js.phpSame {
		php = getCanonicalizer()
		defer putCanonicalizer(php)
		if phpForm, err = php.run(req.Body, modePHP); err != nil || bytes.Equal(phpForm, jsForm) {
			php = nil // no PHP form (ErrNoPHPForm), or nothing new to try
		}
	}

	doc, err := w.doc.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("instaxchange: webhook secret: %w", err)
	}
	jsDigests := make([]string, 0, len(doc.WebhookSecrets))
	phpDigests := make([]string, 0, len(doc.WebhookSecrets))
	for _, secret := range doc.WebhookSecrets {
		if secret == "" {
			continue // an empty entry must never make "canonical:" a valid key
		}
		jsDigests = append(jsDigests, js.digest(secret))
		if php != nil {
			phpDigests = append(phpDigests, php.digest(secret))
		}
	}
	if len(jsDigests) == 0 {
		return nil, fmt.Errorf("%w: %s lists no webhookSecrets", secrets.ErrUnavailable, w.doc.Name)
	}
	// Both comparisons always run, so timing tells nothing about which form matched.
	jsOK, phpOK := secrets.MatchAny(sig, jsDigests), secrets.MatchAny(sig, phpDigests)
	switch {
	case jsOK:
		return jsForm, nil
	case phpOK:
		return bytes.Clone(php.out), nil
	}
	return nil, provider.Unauthorized(provider.ReasonSignatureMismatch, nil)
}

// digest is md5hex(canonical + ":" + secret) over the canonicalizer's last output, hashed
// in place to avoid a copy.
func (c *canonicalizer) digest(secret string) string {
	n := len(c.out)
	c.out = append(append(c.out, ':'), secret...)
	sum := md5.Sum(c.out)
	clear(c.out[n:]) // do not leave the secret in a pooled buffer
	c.out = c.out[:n]
	return hex.EncodeToString(sum[:])
}

// Sign returns the X-InstaXWH-KEY value the provider sends for body under secret.
func Sign(body []byte, secret string) (string, error) {
	c := getCanonicalizer()
	defer putCanonicalizer(c)
	if _, err := c.run(body, modeJS); err != nil {
		return "", err
	}
	return c.digest(secret), nil
}

// statuses are data.status values seen from InstaXchange and handled by integrations in
// the wild (docs/providers.md). Any other is stored as event.unsupported.
var statuses = kit.Statuses{
	"completed": {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"failed":    {Type: event.TypePaymentFailed, Status: event.Failed},
	"cancelled": {Type: event.TypePaymentCancelled, Status: event.Cancelled},
	"refunded":  {Type: event.TypePaymentRefunded, Status: event.Refunded},
}

// deposits are the invoiceData.Deposit_tx_status values of a completed session. Only a
// completed deposit makes the payment a success; one still under way holds it as pending.
// Its id carries the deposit status, so the completion proper, when it comes, is a new
// event. Any other deposit status (one payhooks does not know, or a failed deposit beside
// a completed session) is stored as event.unsupported, never published as pending.
var deposits = kit.Statuses{
	"completed":  {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	"pending":    {Type: event.TypePaymentPending, Status: event.Pending},
	"processing": {Type: event.TypePaymentPending, Status: event.Pending},
}

// invoiceDetails maps invoiceData keys to details keys. Name is left out on purpose,
// Email and the card number are masked.
var invoiceDetails = [...]struct{ from, to string }{
	{"Invoice_ID", "invoiceId"},
	{"Status", "invoiceStatus"},
	{"Deposit_tx_ID", "depositTxId"},
	{"Deposit_tx_amount", "depositTxAmount"},
	{"Deposit_tx_status", "depositTxStatus"},
	{"Withdraw_tx_ID", "withdrawTxId"},
	{"Withdraw_tx_amount", "withdrawTxAmount"},
	{"Withdraw_tx_status", "withdrawTxStatus"},
	{"Email", "email"},
	{"Credit_card_number", "cardNumber"},
}

// Normalize turns the authenticated reading (Verify's canonical form) into the event.
// Amounts are that form's number text, which is the sender's own double printed as
// JavaScript prints it, so an amount is exactly the value that was signed.
func (w *webhook) Normalize(_ context.Context, payload []byte) (event.Event, error) {
	o, err := kit.Parse(payload)
	if err != nil {
		return event.Event{}, err
	}
	d := o.Object("data", kit.Required)
	inv := o.Object("invoiceData", kit.Optional)
	txID := o.Ref("transactionId", kit.Required)
	status, out := outcome(d.Ref("status", kit.Required), inv.Ref("Deposit_tx_status", kit.Optional))
	ev := event.Event{
		ID:              event.JoinID(append([]string{Name, txID}, status...)...),
		Provider:        Name,
		ProviderEventID: o.String("webhookId", kit.Optional),
		ObjectRef:       txID,
		MerchantRef:     o.Text("reference", kit.Optional),
		Type:            out.Type,
		Status:          out.Status,
		Amount:          d.Money("amountInFiat", d.Currency("fiatCurrency", kit.Required), kit.Required),
		OccurredAt:      timeField(d, "createdAt"),
	}
	if cur := d.Currency("cryptoCurrency", kit.Optional); cur != "" {
		ev.Settlement = d.Money("amountInCrypto", cur, kit.Optional)
	}
	if ev.OccurredAt.IsZero() {
		// Without the transaction's time the delivery time is the best we have.
		ev.OccurredAt = timeField(o, "createdAt")
	}
	if reason := d.String("statusReason", kit.Optional); ev.Status == event.Failed || ev.Status == event.Cancelled {
		ev.Failure = &event.Failure{Message: reason}
	}
	ev.Details = details(o, d, inv, ev.Failure == nil)
	if err := o.Err(); err != nil {
		return event.Event{}, err
	}
	if ev.Raw, err = redact.JSON(payload); err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	return ev, nil
}

// outcome is the canonical status for the id (one component, or two when the deposit
// status enters it) and its outcome. Integrations in the wild mark an order paid only when
// data.status is completed and the card deposit is completed too; a completed session
// whose deposit is still under way is pending, one whose deposit status is unknown is
// unsupported (deposits), and one that does not report its deposit is taken at
// data.status's word.
func outcome(status, deposit string) ([]string, kit.Outcome) {
	canonical, out, _ := statuses.Lookup(status)
	if out.Status != event.Succeeded || deposit == "" {
		return []string{canonical}, out
	}
	d, dout, _ := deposits.Lookup(deposit)
	if d != "completed" {
		return []string{canonical, "deposit_" + d}, dout
	}
	return []string{canonical}, out
}

func details(o, d, inv *kit.Object, withReason bool) map[string]any {
	out := make(map[string]any, 16)
	put := func(key, v string) {
		if v != "" {
			out[key] = v
		}
	}
	put("sessionId", d.String("sessionId", kit.Optional))
	put("walletAddress", d.String("walletAddress", kit.Optional))
	put("webhookCreatedAt", o.String("createdAt", kit.Optional))
	if withReason {
		put("statusReason", d.String("statusReason", kit.Optional))
	}
	if v := d.Value("additionalData"); v != nil {
		// Merchant data passed through the session: opaque to us, but masked like Raw.
		out["additionalData"] = redact.Value("additionalData", v)
	}
	for _, f := range invoiceDetails {
		v := inv.String(f.from, kit.Optional)
		switch f.to {
		case "email":
			v = redact.Email(v)
		case "cardNumber":
			v = redact.PAN(v)
		}
		put(f.to, v)
	}
	return out
}

func timeField(o *kit.Object, key string) time.Time {
	s := o.String(key, kit.Optional)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.Invalid(key, "an RFC 3339 time")
	}
	return t.UTC()
}
