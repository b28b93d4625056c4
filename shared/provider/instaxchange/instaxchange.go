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
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/support/jsonscan"
	"github.com/payhooks/payhooks/shared/support/money"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Name is the provider name used in event ids and routes.
const Name = "instaxchange"

// SignatureHeader carries the md5 digest (the doc spells it X-Instaxwh-Key as well).
const SignatureHeader = "X-InstaXWH-KEY"

// Limits that keep the event id inside the schema's 1024 characters.
const (
	maxTransactionIDLen = 256
	maxStatusLen        = 64
)

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

// Verify checks X-InstaXWH-KEY against both canonical forms under every active secret.
func (w *webhook) Verify(ctx context.Context, req *provider.Request) ([]byte, error) {
	sig := strings.TrimSpace(req.Header(strings.ToLower(SignatureHeader)))
	if sig == "" {
		return nil, provider.Unauthorized(provider.ReasonMissingSignature, errors.New("no "+SignatureHeader+" header"))
	}
	js := getCanonicalizer()
	defer putCanonicalizer(js)
	jsForm, err := js.run(req.Body, modeJS)
	if err != nil {
		return nil, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	// Most payloads (ASCII, no empty objects, plain numbers) have one text for both forms;
	// the JS pass knows when, and then one digest per secret covers both.
	var php *canonicalizer
	if !js.phpSame {
		php = getCanonicalizer()
		defer putCanonicalizer(php)
		if phpForm, err := php.run(req.Body, modePHP); err != nil || bytes.Equal(phpForm, jsForm) {
			php = nil // no PHP form (ErrNoPHPForm), or nothing new to try
		}
	}

	doc, err := w.doc.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("instaxchange: webhook secret: %w", err)
	}
	candidates := make([]string, 0, 2*len(doc.WebhookSecrets))
	for _, secret := range doc.WebhookSecrets {
		if secret == "" {
			continue // an empty entry must never make "canonical:" a valid key
		}
		candidates = append(candidates, js.digest(secret))
		if php != nil {
			candidates = append(candidates, php.digest(secret))
		}
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%w: %s lists no webhookSecrets", secrets.ErrUnavailable, w.doc.Name)
	}
	if !secrets.MatchAny(strings.ToLower(sig), candidates) {
		return nil, provider.Unauthorized(provider.ReasonSignatureMismatch, nil)
	}
	return req.Body, nil
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

// raw member spans of the payload; nil means absent.
type payloadFields struct {
	webhookID, transactionID, reference, data, invoiceData, createdAt []byte
}

type dataFields struct {
	amountInFiat, fiatCurrency, amountInCrypto, cryptoCurrency, status, statusReason,
	walletAddress, additionalData, sessionID, createdAt []byte
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

// Normalize turns an authentic webhook payload into the normalized event.
func (w *webhook) Normalize(ctx context.Context, payload []byte) (event.Event, error) {
	// Verify has canonicalized the payload, which refuses invalid UTF-8; redact.JSON would
	// repair it instead, so refuse it here too rather than normalize what was not verified.
	if !utf8.Valid(payload) {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, fmt.Errorf("%w: invalid UTF-8", ErrSyntax))
	}
	// Redacting validates the whole payload; the field walks below then skip, not check.
	raw, err := redact.JSON(payload)
	if err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	var p payloadFields
	isObject := eachMember(payload, func(k, v []byte) {
		switch {
		case keyIs(k, "webhookId"):
			p.webhookID = v
		case keyIs(k, "transactionId"):
			p.transactionID = v
		case keyIs(k, "reference"):
			p.reference = v
		case keyIs(k, "data"):
			p.data = v
		case keyIs(k, "invoiceData"):
			p.invoiceData = v
		case keyIs(k, "createdAt"):
			p.createdAt = v
		}
	})
	if !isObject {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, errors.New("payload is not a JSON object"))
	}

	txID, err := requiredString("transactionId", p.transactionID)
	if err != nil {
		return event.Event{}, err
	}
	if len(txID) > maxTransactionIDLen {
		return event.Event{}, provider.BadRequest(provider.ReasonBadField, errors.New("transactionId is too long"))
	}
	if isNull(p.data) {
		return event.Event{}, provider.BadRequest(provider.ReasonMissingField, errors.New("data is missing"))
	}
	var d dataFields
	isObject = eachMember(p.data, func(k, v []byte) {
		switch {
		case keyIs(k, "amountInFiat"):
			d.amountInFiat = v
		case keyIs(k, "fiatCurrency"):
			d.fiatCurrency = v
		case keyIs(k, "amountInCrypto"):
			d.amountInCrypto = v
		case keyIs(k, "cryptoCurrency"):
			d.cryptoCurrency = v
		case keyIs(k, "status"):
			d.status = v
		case keyIs(k, "statusReason"):
			d.statusReason = v
		case keyIs(k, "walletAddress"):
			d.walletAddress = v
		case keyIs(k, "additionalData"):
			d.additionalData = v
		case keyIs(k, "sessionId"):
			d.sessionID = v
		case keyIs(k, "createdAt"):
			d.createdAt = v
		}
	})
	if !isObject {
		return event.Event{}, provider.BadRequest(provider.ReasonBadField, errors.New("data is not an object"))
	}

	status, err := requiredString("data.status", d.status)
	if err != nil {
		return event.Event{}, err
	}
	if len(status) > maxStatusLen {
		return event.Event{}, provider.BadRequest(provider.ReasonBadField, errors.New("data.status is too long"))
	}
	amount, err := amountField("data.amountInFiat", d.amountInFiat, "data.fiatCurrency", d.fiatCurrency, true)
	if err != nil {
		return event.Event{}, err
	}
	settlement, err := amountField("data.amountInCrypto", d.amountInCrypto, "data.cryptoCurrency", d.cryptoCurrency, false)
	if err != nil {
		return event.Event{}, err
	}
	merchantRef, err := referenceField(p.reference)
	if err != nil {
		return event.Event{}, err
	}
	webhookID, _, err := optionalString("webhookId", p.webhookID)
	if err != nil {
		return event.Event{}, err
	}
	occurredAt, err := timeField("data.createdAt", d.createdAt)
	if err != nil {
		return event.Event{}, err
	}
	if occurredAt.IsZero() {
		// Without the transaction's time the delivery time is the best we have.
		if occurredAt, err = timeField("createdAt", p.createdAt); err != nil {
			return event.Event{}, err
		}
	}

	ev := event.Event{
		ID:              Name + ":" + txID + ":" + status,
		Provider:        Name,
		ProviderEventID: webhookID,
		ObjectRef:       txID,
		MerchantRef:     merchantRef,
		Amount:          amount,
		Settlement:      settlement,
		OccurredAt:      occurredAt,
		Raw:             raw,
	}
	switch strings.ToLower(status) {
	case "completed":
		ev.Type, ev.Status = "payment.succeeded", event.Succeeded
	case "failed":
		reason, _, err := optionalString("data.statusReason", d.statusReason)
		if err != nil {
			return event.Event{}, err
		}
		ev.Type, ev.Status = "payment.failed", event.Failed
		ev.Failure = &event.Failure{Message: reason}
	default:
		// Only completed and failed have been seen; anything else is not final yet.
		ev.Type, ev.Status = "payment.pending", event.Pending
	}

	details, err := buildDetails(&p, &d, ev.Status)
	if err != nil {
		return event.Event{}, err
	}
	ev.Details = details
	return ev, nil
}

func buildDetails(p *payloadFields, d *dataFields, st event.Status) (map[string]any, error) {
	details := make(map[string]any, 16)
	strs := []struct {
		name, key string
		v         []byte
	}{
		{"data.sessionId", "sessionId", d.sessionID},
		{"data.walletAddress", "walletAddress", d.walletAddress},
		{"createdAt", "webhookCreatedAt", p.createdAt},
	}
	if st != event.Failed {
		strs = append(strs, struct {
			name, key string
			v         []byte
		}{"data.statusReason", "statusReason", d.statusReason})
	}
	for _, f := range strs {
		s, ok, err := optionalString(f.name, f.v)
		if err != nil {
			return nil, err
		}
		if ok && s != "" {
			details[f.key] = s
		}
	}
	if !isNull(d.additionalData) {
		// Merchant data passed through the session: opaque to us, but masked like Raw.
		dec := json.NewDecoder(bytes.NewReader(d.additionalData))
		dec.UseNumber()
		var m any
		if err := dec.Decode(&m); err != nil {
			return nil, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("data.additionalData: %w", err))
		}
		details["additionalData"] = redact.Value("additionalData", m)
	}
	if isNull(p.invoiceData) {
		return details, nil
	}
	var inv [len(invoiceDetails)][]byte
	isObject := eachMember(p.invoiceData, func(k, v []byte) {
		for i, f := range invoiceDetails {
			if keyIs(k, f.from) {
				inv[i] = v
				break
			}
		}
	})
	if !isObject {
		return nil, provider.BadRequest(provider.ReasonBadField, errors.New("invoiceData is not an object"))
	}
	for i, f := range invoiceDetails {
		s, ok, err := optionalString("invoiceData."+f.from, inv[i])
		if err != nil {
			return nil, err
		}
		if !ok || s == "" {
			continue
		}
		switch f.to {
		case "email":
			s = redact.Email(s)
		case "cardNumber":
			s = redact.PAN(s)
		}
		details[f.to] = s
	}
	return details, nil
}

func isNull(v []byte) bool { return v == nil || string(v) == "null" }

func requiredString(name string, v []byte) (string, error) {
	s, ok, err := optionalString(name, v)
	if err != nil {
		return "", err
	}
	if !ok || strings.TrimSpace(s) == "" {
		return "", provider.BadRequest(provider.ReasonMissingField, fmt.Errorf("%s is missing", name))
	}
	return s, nil
}

// optionalString reads a string member; absent and null are "not present".
func optionalString(name string, v []byte) (string, bool, error) {
	if isNull(v) {
		return "", false, nil
	}
	if v[0] != '"' {
		return "", false, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("%s is not a string", name))
	}
	return jsonscan.UnquoteString(v), true, nil
}

// referenceField reads the merchant's webhookRef. It is documented as a string, but a
// numeric one is kept as written rather than refusing an authentic delivery.
func referenceField(v []byte) (string, error) {
	if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return string(v), nil
	}
	s, _, err := optionalString("reference", v)
	return s, err
}

// amountField takes the number's literal text (a numeric string is tolerated) so that no
// float ever touches the amount.
func amountField(name string, v []byte, curName string, cur []byte, required bool) (*money.Money, error) {
	if isNull(v) {
		if required {
			return nil, provider.BadRequest(provider.ReasonMissingField, fmt.Errorf("%s is missing", name))
		}
		return nil, nil
	}
	text := string(v)
	if v[0] == '"' {
		text = jsonscan.UnquoteString(v)
	}
	currency, ok, err := optionalString(curName, cur)
	if err != nil {
		return nil, err
	}
	if !ok || strings.TrimSpace(currency) == "" {
		if required {
			return nil, provider.BadRequest(provider.ReasonMissingField, fmt.Errorf("%s is missing", curName))
		}
		return nil, nil
	}
	m, err := money.New(text, currency)
	if err != nil {
		return nil, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("%s: %w", name, err))
	}
	return &m, nil
}

func timeField(name string, v []byte) (time.Time, error) {
	s, ok, err := optionalString(name, v)
	if err != nil || !ok || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, provider.BadRequest(provider.ReasonBadField, fmt.Errorf("%s is not an RFC 3339 time", name))
	}
	return t.UTC(), nil
}
