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
	secret := urltoken.Secret{WebhookTokens: []string{tok}, AllowedCIDRs: []string{}}
	if *previous != "" {
		if err := urltoken.ValidateToken(*previous); err != nil {
			// The provider would answer 503 to everything with this document stored.
			return fmt.Errorf("--previous: %w", err)
		}
		secret.WebhookTokens = append(secret.WebhookTokens, *previous)
	}
	for _, c := range strings.Split(*cidrs, ",") {
		if c = strings.TrimSpace(c); c != "" {
			secret.AllowedCIDRs = append(secret.AllowedCIDRs, c)
		}
	}
	if err := secret.Validate(); err != nil {
		return fmt.Errorf("--allowed-cidrs: %w", err)
	}

	var doc any
	switch name {
	case cardorders.Name:
		z := *zone
		if z == "" {
			z = "UTC"
		}
		if _, err := time.LoadLocation(z); err != nil || z == "Local" {
			return fmt.Errorf("--order-time-zone %q is not an IANA time zone", z)
		}
		doc = cardorders.Secret{Secret: secret, OrderTimeZone: z}
	case cxtn.Name:
		if *zone != "" {
			return errors.New("--order-time-zone applies to cardorders only")
		}
		doc = cxtn.Secret{Secret: secret}
	}
	baseURL, err := tokenBaseURL(*base, stderr)
	if err != nil {
		return err
	}
	secretJSON, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	hookURL := baseURL + urltoken.Path(name, tok)
	secretName := secrets.Name(name)

	if *asJSON {
		out, err := json.MarshalIndent(struct {
			URL        string          `json:"url"`
			SecretName string          `json:"secretName"`
			Secret     json.RawMessage `json:"secret"`
		}{hookURL, secretName, secretJSON}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", out)
		return err
	}
	fmt.Fprintf(stdout, "URL to register with %s (the token in it is the credential: share it only with the provider):\n%s\n\n", name, hookURL)
	fmt.Fprintf(stdout, "Secret document to store as %s:\n%s\n", secretName, secretJSON)
	if *previous != "" {
		fmt.Fprintf(stdout, "\nThe previous token stays valid. Once %s delivers to the new URL, store the document again without it.\n", name)
	}
	return nil
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
