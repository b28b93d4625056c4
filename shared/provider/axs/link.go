package axs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UATBaseURL is AXS's UAT checkout base. The production host is not in our copy of the doc:
// it comes from configuration (LinkConfig.BaseURL, the secret's linkBaseUrl).
const UATBaseURL = "https://checkout.svc.uat.pay.axs.com.sg/hpp/checkout/"

// Limits from the Payment Link doc.
const (
	MaxMerchantRef = 40
	MaxAmountCents = 999999900 // $9,999,999.00
	// MaxExpiry bounds the link lifetime we ask for. AXS publishes no maximum (its plugin
	// sends 300): a day keeps a typo from making a link live for years.
	MaxExpiry = 24 * 60 * 60
)

// Schemes AXS accepts in the link's scheme list.
var Schemes = []string{"credit_card", "paynow", "alipay", "wechatpay"}

// LinkConfig is what a link needs besides the payment: credentials and where to send the
// customer.
type LinkConfig struct {
	ClientID       string
	Secret         string    // the active client secret (the first of the secret's clientSecrets)
	BaseURL        string    // checkout base; UATBaseURL when empty
	MerchantLinkID string    // the base payment link's id from the Merchant Portal
	Rand           io.Reader // source of the p2s UUID; crypto/rand when nil
}

// LinkRequest is one payment. Empty optional fields are left out of the link so that the
// Merchant Portal's presets apply.
type LinkRequest struct {
	Amount      string   // dollars, e.g. "10.23"; empty = the amount preset in the portal
	MerchantRef string   // required, unique per payment, at most 40 characters
	Schemes     []string // subset of Schemes; empty = every scheme
	TerminalID  string
	WebhookURL  string
	SuccessURL  string
	FailURL     string
	Expiry      int // seconds the link stays payable; 0 = AXS's default
}

// LinkParams is the JSON AXS decrypts from a link's data parameter, in the doc's order.
type LinkParams struct {
	ClientID    string `json:"clientId"`
	Amount      string `json:"amount,omitempty"` // cents
	Currency    string `json:"currency"`
	MerchantRef string `json:"merchantRef"`
	Scheme      string `json:"scheme,omitempty"`
	TerminalID  string `json:"terminalId,omitempty"`
	WebhookURL  string `json:"webhookUrl,omitempty"`
	SuccessURL  string `json:"successUrl,omitempty"`
	FailURL     string `json:"failUrl,omitempty"`
	Expiry      int    `json:"expiry,omitempty"` // seconds, a JSON integer as AXS's plugin sends it
}

// FieldError names the request or configuration field that is invalid (the doc's
// parameter names: amount, merchantRef, scheme, ...).
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return "axs link: " + e.Field + ": " + e.Problem }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Params validates req and returns the parameters to encrypt.
func (req LinkRequest) Params(clientID string) (LinkParams, error) {
	if clientID == "" {
		return LinkParams{}, fieldErr("clientId", "required")
	}
	p := LinkParams{ClientID: clientID, Currency: DefaultCurrency}
	var err error
	if req.Amount != "" {
		if p.Amount, err = dollarsToCents(req.Amount); err != nil {
			return LinkParams{}, err
		}
	}
	switch n := utf8.RuneCountInString(req.MerchantRef); {
	case strings.TrimSpace(req.MerchantRef) == "":
		return LinkParams{}, fieldErr("merchantRef", "required")
	case !utf8.ValidString(req.MerchantRef) || hasControl(req.MerchantRef):
		return LinkParams{}, fieldErr("merchantRef", "must be printable text")
	case n > MaxMerchantRef:
		return LinkParams{}, fieldErr("merchantRef", "%d characters, at most %d", n, MaxMerchantRef)
	}
	p.MerchantRef = req.MerchantRef
	if p.Scheme, err = schemeList(req.Schemes); err != nil {
		return LinkParams{}, err
	}
	if !utf8.ValidString(req.TerminalID) || hasControl(req.TerminalID) {
		return LinkParams{}, fieldErr("terminalId", "must be printable text")
	}
	p.TerminalID = req.TerminalID
	if req.Expiry < 0 || req.Expiry > MaxExpiry {
		return LinkParams{}, fieldErr("expiry", "%d seconds, want 1 to %d (0 for AXS's default)", req.Expiry, MaxExpiry)
	}
	p.Expiry = req.Expiry
	for _, u := range []struct {
		field, value string
		dst          *string
	}{
		{"webhookUrl", req.WebhookURL, &p.WebhookURL},
		{"successUrl", req.SuccessURL, &p.SuccessURL},
		{"failUrl", req.FailURL, &p.FailURL},
	} {
		if u.value == "" {
			continue
		}
		if err := checkURL(u.field, u.value); err != nil {
			return LinkParams{}, err
		}
		*u.dst = u.value
	}
	return p, nil
}

var dollars = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$`)

// dollarsToCents converts "10.23" to "1023" exactly (no floats).
func dollarsToCents(s string) (string, error) {
	if !dollars.MatchString(s) {
		return "", fieldErr("amount", "%.20q is not a dollar amount with at most 2 decimals", s)
	}
	r, _ := new(big.Rat).SetString(s)
	r.Mul(r, big.NewRat(100, 1))
	cents := r.Num() // dollars has at most 2 decimals, so r is whole
	switch {
	case cents.Sign() <= 0:
		return "", fieldErr("amount", "must be greater than 0")
	case cents.Cmp(big.NewInt(MaxAmountCents)) > 0:
		return "", fieldErr("amount", "above the maximum $9,999,999.00")
	}
	return cents.String(), nil
}

func schemeList(in []string) (string, error) {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		ok := false
		for _, known := range Schemes {
			ok = ok || s == known
		}
		if !ok {
			return "", fieldErr("scheme", "%.20q is not one of %s", s, strings.Join(Schemes, ", "))
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ","), nil
}

// checkURL requires an absolute https URL; plain http only for a local test server.
func checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || hasControl(raw) {
		return fieldErr(field, "not a URL")
	}
	if u.Host == "" || u.User != nil {
		return fieldErr(field, "must be an absolute URL with a host and no credentials")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLocalhost(u.Hostname()) {
			return nil
		}
	}
	return fieldErr(field, "must use https (http only for localhost)")
}

func isLocalhost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// BuildLink validates req and returns the complete payment link:
// <base>/<merchantLinkId>?data=<JWE of the parameters>.
func BuildLink(cfg LinkConfig, req LinkRequest) (string, error) {
	if cfg.Secret == "" {
		return "", fieldErr("secret", "required")
	}
	if cfg.MerchantLinkID == "" || hasControl(cfg.MerchantLinkID) {
		return "", fieldErr("merchantLinkId", "required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = UATBaseURL
	}
	if err := checkURL("baseUrl", base); err != nil {
		return "", err
	}
	if u, _ := url.Parse(base); u.RawQuery != "" || u.Fragment != "" {
		return "", fieldErr("baseUrl", "must have no query or fragment")
	}
	params, err := req.Params(cfg.ClientID)
	if err != nil {
		return "", err
	}
	plaintext, err := marshalParams(params)
	if err != nil {
		return "", err
	}
	jwe, err := encrypt(plaintext, cfg.ClientID, cfg.Secret, cfg.Rand)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(base, "/") + "/" + url.PathEscape(cfg.MerchantLinkID) +
		"?data=" + url.QueryEscape(jwe), nil
}

// marshalParams keeps '&' in the URLs readable: AXS decodes JSON, so \u0026 would work too,
// but what we send should look like what the doc shows.
func marshalParams(p LinkParams) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ParseLink decrypts a payment link's data parameter with one of secrets, for checking a
// link before sending it (and for tests).
func ParseLink(link string, secrets ...string) (LinkParams, error) {
	u, err := url.Parse(link)
	if err != nil {
		return LinkParams{}, fmt.Errorf("axs: link: %w", err)
	}
	data := u.Query().Get("data")
	if data == "" {
		return LinkParams{}, errors.New("axs: link has no data parameter")
	}
	pt, err := Decrypt(data, secrets...)
	if err != nil {
		return LinkParams{}, err
	}
	var p LinkParams
	if err := json.Unmarshal(pt, &p); err != nil {
		return LinkParams{}, fmt.Errorf("axs: link data: %w", err)
	}
	return p, nil
}
