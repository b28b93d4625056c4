// Package axs is the AXS Payment Link provider: its webhook is a JWE (PBES2-HS512+A256KW /
// A256GCM, the password being the client secret), and the payment links we send customers
// to carry the same kind of JWE (see link.go).
package axs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Name is the provider name used in event ids and routes.
const Name = "axs"

// DefaultCurrency is what AXS means when a payload names none ("Currently only support SGD").
const DefaultCurrency = "SGD"

// SecretDoc is the payhooks/axs secret:
//
//	{"clientId": "...", "clientSecrets": ["<active>", "<previous>"],
//	 "linkBaseUrl": "...", "merchantLinkId": "..."}
//
// The first client secret encrypts payment links; every listed secret is tried on webhooks so
// that a rotation needs no coordinated switch. linkBaseUrl (optional) is the checkout base for
// the environment the credentials belong to (UATBaseURL when empty); merchantLinkId
// (optional) is the default payment link id for `payhooks axs link`.
type SecretDoc struct {
	ClientID       string   `json:"clientId"`
	ClientSecrets  []string `json:"clientSecrets"`
	LinkBaseURL    string   `json:"linkBaseUrl,omitempty"`
	MerchantLinkID string   `json:"merchantLinkId,omitempty"`
}

// activeSecrets drops blank entries, which a half-edited rotation can leave behind.
func (d SecretDoc) activeSecrets() []string {
	out := make([]string, 0, len(d.ClientSecrets))
	for _, s := range d.ClientSecrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

type axsProvider struct {
	secret secrets.Doc[SecretDoc]
	// beforeDerive, when set, is called before every PBKDF2 key derivation; tests use it to
	// prove that refused tokens cost no derivation.
	beforeDerive func(p2c int)
}

// New returns the AXS provider reading its secret document secretName from src.
func New(src secrets.Source, secretName string) provider.Provider {
	return &axsProvider{secret: secrets.NewDoc[SecretDoc](src, secretName)}
}

func (p *axsProvider) Name() string { return Name }

// Verify decrypts the webhook and returns its plaintext. The JWE may come in any form AXS
// or its integrations use (see compactFrom); the event id comes from the plaintext, so one
// token delivered in two forms is one event.
func (p *axsProvider) Verify(ctx context.Context, req *provider.Request) ([]byte, error) {
	compact, err := compactFrom(req)
	if err != nil {
		return nil, err
	}
	tok, err := parseToken(compact)
	if err != nil {
		return nil, err
	}
	doc, err := p.secret.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("axs: load secret: %w", err)
	}
	active := doc.activeSecrets()
	if len(active) == 0 {
		return nil, fmt.Errorf("axs: %w: %s has no clientSecrets", secrets.ErrUnavailable, p.secret.Name)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plaintext, err := tok.decrypt(active, p.beforeDerive)
	if err != nil {
		return nil, err
	}
	if !json.Valid(plaintext) {
		return nil, provider.BadRequest(provider.ReasonBadJSON, errors.New("decrypted payload is not JSON"))
	}
	return plaintext, nil
}

// compactFrom finds the compact JWE. AXS's own plugin reads it from the URL's data
// parameter whatever the method, so that comes first; otherwise the body holds it as
// {"data": "<JWE>"} (the form of AXS's API requests), as a form field data=<JWE>, or bare.
// A compact JWE is base64url and dots, so a body with '=' or '&' can only be a form. When
// the query names data, the body is not read: one request, one token.
func compactFrom(req *provider.Request) (string, error) {
	if tok, ok, err := dataParam(req.Query, "query"); ok || err != nil {
		return tok, err
	}
	body := bytes.TrimSpace(req.Body)
	switch {
	case len(body) == 0:
		return "", provider.BadRequest(ReasonBadJWE, errors.New("no data parameter and an empty body"))
	case body[0] == '{':
		return jsonData(body)
	case bytes.ContainsAny(body, "=&"):
		tok, ok, err := dataParam(string(body), "form body")
		if !ok && err == nil {
			err = provider.BadRequest(ReasonBadJWE, errors.New("form body has no data field"))
		}
		return tok, err
	}
	return string(body), nil
}

// dataParam reads the one data field of a URL-encoded query or form. Other fields, even
// malformed ones, are not ours to judge; a data field given twice is ambiguous and refused.
func dataParam(encoded, where string) (string, bool, error) {
	if encoded == "" {
		return "", false, nil
	}
	values, _ := url.ParseQuery(encoded) // keeps every well-formed pair despite an error
	data, ok := values["data"]
	switch {
	case !ok:
		return "", false, nil
	case len(data) != 1:
		return "", true, provider.BadRequest(ReasonBadJWE, fmt.Errorf("%s names data %d times", where, len(data)))
	case strings.TrimSpace(data[0]) == "":
		return "", true, provider.BadRequest(ReasonBadJWE, fmt.Errorf("%s has an empty data field", where))
	}
	return strings.TrimSpace(data[0]), true, nil
}

// jsonData reads the {"data": "<JWE>"} wrapper, by the kit's rules: a wrapper naming data
// twice is as ambiguous as a query doing so.
func jsonData(body []byte) (string, error) {
	o, err := kit.Parse(body)
	if err != nil {
		return "", provider.BadRequest(ReasonBadJWE, fmt.Errorf("wrapper: %w", err))
	}
	data := strings.TrimSpace(o.String("data", kit.Required))
	if err := o.Err(); err != nil {
		return "", provider.BadRequest(ReasonBadJWE, fmt.Errorf("wrapper: %w", err))
	}
	return data, nil
}

// Statuses AXS sends.
const (
	StatusSuccess  = "SUCCESS"
	StatusDeclined = "DECLINED"
	StatusExpired  = "EXPIRED"
)

// statuses are the Payment Link doc's: SUCCESS, DECLINED (a card payment), EXPIRED (a QR
// code). AXS's own plugin handles exactly these and only notes any other.
var statuses = kit.Statuses{
	StatusSuccess:  {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
	StatusDeclined: {Type: event.TypePaymentFailed, Status: event.Failed},
	StatusExpired:  {Type: event.TypePaymentExpired, Status: event.Expired},
}

// Normalize maps the decrypted webhook to the normalized event.
func (p *axsProvider) Normalize(_ context.Context, payload []byte) (event.Event, error) {
	o, err := kit.Parse(payload)
	if err != nil {
		return event.Event{}, err
	}
	ref := o.Ref("transactionRef", kit.Required)
	status, out, _ := statuses.Lookup(o.Ref("status", kit.Required))
	currency := o.Currency("currency", kit.Optional)
	if currency == "" {
		currency = DefaultCurrency
	}
	// "Mark your order as paid ONLY after the webhook": a success without an amount cannot
	// be reconciled against the order.
	need := kit.Need(out.Status == event.Succeeded)
	ev := event.Event{
		ID:          event.JoinID(Name, ref, status),
		Provider:    Name,
		ObjectRef:   ref,
		MerchantRef: o.Text("merchantRef", kit.Optional),
		Type:        out.Type,
		Status:      out.Status,
		Amount:      o.Money("amount", currency, need),
	}
	code := o.Text("responseCode", kit.Optional)
	if code != "" && out.Status == event.Failed {
		ev.Failure = &event.Failure{Code: code}
	}
	details := map[string]any{}
	// An unreadable time is no reason to refuse an authentic payment: OccurredAt stays zero
	// (the pipeline then uses the receipt time) and the text is kept in details.
	if at := strings.TrimSpace(o.String("paymentDateTime", kit.Optional)); at != "" {
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			ev.OccurredAt = t.UTC()
		} else {
			details["paymentDateTime"] = at
		}
	}
	for key, v := range map[string]string{"paymentScheme": o.String("paymentScheme", kit.Optional), "responseCode": code} {
		if v != "" {
			details[key] = v
		}
	}
	if err := o.Err(); err != nil {
		return event.Event{}, err
	}
	if len(details) > 0 {
		ev.Details = details
	}
	if ev.Raw, err = redact.JSON(payload); err != nil {
		return event.Event{}, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	return ev, nil
}

// SamplePath is where AXS deliveries arrive.
const SamplePath = "/webhooks/axs"

// samplePayloads follow the doc's sample webhook; DECLINED and EXPIRED vary it the way the
// doc describes (a card decline with a non-"00" code, an expired PayNow QR).
var samplePayloads = []struct{ name, body string }{
	{StatusSuccess, `{"amount":"10.23","currency":"SGD","transactionRef":"1428191406936641536","merchantRef":"Ref123","status":"SUCCESS","responseCode":"00","paymentScheme":"VISA","paymentDateTime":"2026-01-16T01:22:46.010508Z"}`},
	{StatusDeclined, `{"amount":"25.50","currency":"SGD","transactionRef":"1428191406936641537","merchantRef":"Ref124","status":"DECLINED","responseCode":"05","paymentScheme":"MASTERCARD","paymentDateTime":"2026-01-16T01:25:03.118204Z"}`},
	{StatusExpired, `{"amount":"101.01","currency":"SGD","transactionRef":"1448241333514969089","merchantRef":"Ref125","status":"EXPIRED","responseCode":"","paymentScheme":"PAYNOW","paymentDateTime":"2025-12-10T09:14:01.201466Z"}`},
	{SampleGET, `{"amount":"42.00","currency":"SGD","transactionRef":"1428191406936641538","merchantRef":"Ref126","status":"SUCCESS","responseCode":"00","paymentScheme":"PAYNOW","paymentDateTime":"2026-01-16T02:03:11.402917Z"}`},
}

// SampleGET is the sample delivered the way AXS's own plugin reads it: a GET whose URL
// carries the token as ?data=<JWE>. The others use the JSON body form.
const SampleGET = "SUCCESS-GET"

// Samples encrypts the sample webhooks with the first client secret, as AXS would.
func Samples(secretDoc []byte) ([]provider.Sample, error) {
	var doc SecretDoc
	if err := json.Unmarshal(secretDoc, &doc); err != nil {
		return nil, fmt.Errorf("axs: secret document: %w", err)
	}
	active := doc.activeSecrets()
	if len(active) == 0 {
		return nil, errors.New("axs: secret document has no clientSecrets")
	}
	out := make([]provider.Sample, 0, len(samplePayloads))
	for _, sp := range samplePayloads {
		jwe, err := sealSample([]byte(sp.body), doc.ClientID, active[0], sp.name)
		if err != nil {
			return nil, err
		}
		if sp.name == SampleGET {
			out = append(out, provider.Sample{Name: sp.name, Method: "GET", Path: SamplePath + "?data=" + url.QueryEscape(jwe)})
			continue
		}
		body, err := json.Marshal(map[string]string{"data": jwe})
		if err != nil {
			return nil, err
		}
		out = append(out, provider.Sample{Name: sp.name, Path: SamplePath, Body: body})
	}
	return out, nil
}
