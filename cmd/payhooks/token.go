package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/payhooks/payhooks/shared/provider/cardorders"
	"github.com/payhooks/payhooks/shared/provider/cxtn"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
)

func init() {
	register("token", "new URL token for an unsigned provider: token <cardorders|cxtn> [--base-url URL]", runToken)
}

const tokenUsage = "usage: payhooks token <cardorders|cxtn> [--base-url https://<api-id>.execute-api.<region>.amazonaws.com] " +
	"[--previous OLD_TOKEN] [--allowed-cidrs CIDR,...] [--order-time-zone ZONE (cardorders)] [--json]"

// tokenPlaceholderBase stands in for the API's URL until the operator passes the real one.
const tokenPlaceholderBase = "https://<api-id>.execute-api.<region>.amazonaws.com"

// runToken makes a fresh token, the URL to give the provider and the secret document to
// store. With --previous the old token stays active, so the provider can be moved to the
// new URL without losing deliveries; store the document again without it afterwards.
func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New(tokenUsage)
	}
	name := args[0]
	if name != cardorders.Name && name != cxtn.Name {
		return fmt.Errorf("provider %q does not use URL tokens (cardorders, cxtn do)\n%s", name, tokenUsage)
	}
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base-url", "", "API base URL, e.g. "+tokenPlaceholderBase+" (default: that placeholder)")
	previous := fs.String("previous", "", "token to keep active while the provider moves to the new URL")
	cidrs := fs.String("allowed-cidrs", "", "comma list of source CIDRs the provider sends from (default: any)")
	zone := fs.String("order-time-zone", "", "cardorders: IANA zone of orderTime (default UTC)")
	asJSON := fs.Bool("json", false, "print {url, secretName, secret} as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), tokenUsage)
	}

	tok, err := urltoken.GenerateToken()
	if err != nil {
		return err
	}
	secret, err := tokenSecret(tok, *previous, *cidrs)
	if err != nil {
		return err
	}
	doc, err := tokenDoc(name, secret, *zone)
	if err != nil {
		return err
	}
	baseURL, err := tokenBaseURL(*base, stderr)
	if err != nil {
		return err
	}
	secretJSON, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	out := issuedToken{Provider: name, URL: baseURL + urltoken.Path(name, tok), SecretName: secrets.Name(name), Secret: secretJSON, KeepsPrevious: *previous != ""}
	if *asJSON {
		return out.writeJSON(stdout)
	}
	out.writeText(stdout)
	return nil
}

// tokenSecret is the URL-token part of the secret: the new token, then the previous one
// if it is kept active, and the allowed source CIDRs (comma-separated).
func tokenSecret(tok, previous, cidrs string) (urltoken.Secret, error) {
	secret := urltoken.Secret{WebhookTokens: []string{tok}, AllowedCIDRs: []string{}}
	if previous != "" {
		if err := urltoken.ValidateToken(previous); err != nil {
			// The provider would answer 503 to everything with this document stored.
			return secret, fmt.Errorf("--previous: %w", err)
		}
		secret.WebhookTokens = append(secret.WebhookTokens, previous)
	}
	for _, c := range strings.Split(cidrs, ",") {
		if c = strings.TrimSpace(c); c != "" {
			secret.AllowedCIDRs = append(secret.AllowedCIDRs, c)
		}
	}
	if err := secret.Validate(); err != nil {
		return secret, fmt.Errorf("--allowed-cidrs: %w", err)
	}
	return secret, nil
}

// tokenDoc is the provider's whole secret document around the URL-token part.
func tokenDoc(name string, secret urltoken.Secret, zone string) (any, error) {
	if name == cxtn.Name {
		if zone != "" {
			return nil, errors.New("--order-time-zone applies to cardorders only")
		}
		return cxtn.Secret{Secret: secret}, nil
	}
	if zone == "" {
		zone = "UTC"
	}
	if _, err := time.LoadLocation(zone); err != nil || zone == "Local" {
		return nil, fmt.Errorf("--order-time-zone %q is not an IANA time zone", zone)
	}
	return cardorders.Secret{Secret: secret, OrderTimeZone: zone}, nil
}

// issuedToken is what the operator gets: the URL for the provider and the secret to store.
type issuedToken struct {
	Provider      string          `json:"-"`
	URL           string          `json:"url"`
	SecretName    string          `json:"secretName"`
	Secret        json.RawMessage `json:"secret"`
	KeepsPrevious bool            `json:"-"`
}

func (t issuedToken) writeJSON(w io.Writer) error {
	out, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

func (t issuedToken) writeText(w io.Writer) {
	fmt.Fprintf(w, "URL to register with %s (the token in it is the credential: share it only with the provider):\n%s\n\n", t.Provider, t.URL)
	fmt.Fprintf(w, "Secret document to store as %s:\n%s\n", t.SecretName, t.Secret)
	if t.KeepsPrevious {
		fmt.Fprintf(w, "\nThe previous token stays valid. Once %s delivers to the new URL, store the document again without it.\n", t.Provider)
	}
}

func tokenBaseURL(base string, stderr io.Writer) (string, error) {
	if base == "" {
		fmt.Fprintln(stderr, "note: no --base-url; replace the placeholder in the URL below with the API's URL")
		return tokenPlaceholderBase, nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--base-url %q is not an absolute http(s) URL without query\n%s", base, tokenUsage)
	}
	if u.Scheme != "https" {
		fmt.Fprintln(stderr, "warning: --base-url is not HTTPS; providers require HTTPS, and the token would travel in clear")
	}
	return strings.TrimRight(base, "/"), nil
}
