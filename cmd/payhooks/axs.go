package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider/axs"
)

func init() {
	register("axs", "AXS tools: link", runAXS)
}

const axsUsage = "usage: payhooks axs link --ref REF [--amount DOLLARS] [--scheme paynow,credit_card] " +
	"[--success-url URL] [--fail-url URL] [--webhook-url URL] [--terminal ID] [--merchant-link-id ID] " +
	"[--env uat|production] [--base-url URL] [--secrets FILE] [--secret-name NAME]"

func runAXS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "link" {
		return errors.New(axsUsage)
	}
	return axsLink(ctx, args[1:], stdout, stderr)
}

// axsLinkFlags maps the link builder's field names to the flags that set them, so that a
// validation error names what the operator typed.
var axsLinkFlags = map[string]string{
	"amount": "--amount", "merchantRef": "--ref", "scheme": "--scheme", "terminalId": "--terminal",
	"webhookUrl": "--webhook-url", "successUrl": "--success-url", "failUrl": "--fail-url",
	"merchantLinkId": "--merchant-link-id", "baseUrl": "--base-url",
}

func axsLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("axs link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var req axs.LinkRequest
	fs.StringVar(&req.Amount, "amount", "", "amount in dollars, e.g. 10.23 (default: the amount preset in the Merchant Portal)")
	fs.StringVar(&req.MerchantRef, "ref", "", "merchant reference, unique per payment, at most 40 characters (required)")
	scheme := fs.String("scheme", "", "comma list of credit_card, paynow, alipay, wechatpay (default: all)")
	fs.StringVar(&req.TerminalID, "terminal", "", "terminal id shown in the Merchant Portal")
	fs.StringVar(&req.WebhookURL, "webhook-url", "", "webhook URL overriding the Merchant Branding one")
	fs.StringVar(&req.SuccessURL, "success-url", "", "success redirect overriding the Merchant Branding one")
	fs.StringVar(&req.FailURL, "fail-url", "", "fail redirect overriding the Merchant Branding one")
	fs.IntVar(&req.Expiry, "expiry", 0, "seconds the link stays payable, e.g. 300 (default: AXS's)")
	linkID := fs.String("merchant-link-id", "", "payment link id (default: the secret's merchantLinkId)")
	env := fs.String("env", "", "uat or production (default: the secret's linkBaseUrl, else uat)")
	baseURL := fs.String("base-url", "", "checkout base URL, overriding --env")
	file := fs.String("secrets", localSecretsFile, "secrets file mapping names to documents")
	name := fs.String("secret-name", secrets.Name(axs.Name), "name of the AXS secret in the file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), axsUsage)
	}
	if req.MerchantRef == "" {
		return errors.New("--ref is required\n" + axsUsage)
	}
	if *scheme != "" {
		req.Schemes = strings.Split(*scheme, ",")
	}

	doc, err := secrets.Doc[axs.SecretDoc]{Source: secrets.File{Path: *file}, Name: *name}.Load(ctx)
	if err != nil {
		return err
	}
	if len(doc.ClientSecrets) == 0 || doc.ClientSecrets[0] == "" {
		return fmt.Errorf("%s in %s has no clientSecrets", *name, *file)
	}
	base, err := axsBaseURL(*env, *baseURL, doc.LinkBaseURL)
	if err != nil {
		return err
	}
	cfg := axs.LinkConfig{
		ClientID:       doc.ClientID,
		Secret:         doc.ClientSecrets[0],
		BaseURL:        base,
		MerchantLinkID: axsFirstSet(*linkID, doc.MerchantLinkID),
	}
	if cfg.MerchantLinkID == "" {
		return fmt.Errorf("--merchant-link-id is required (or set merchantLinkId in %s)", *name)
	}
	link, err := axs.BuildLink(cfg, req)
	var fe *axs.FieldError
	if errors.As(err, &fe) {
		if f, ok := axsLinkFlags[fe.Field]; ok {
			return fmt.Errorf("%s: %s", f, fe.Problem)
		}
		return fmt.Errorf("%s %s: %s", *name, fe.Field, fe.Problem)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, link)
	return err
}

// axsBaseURL picks the checkout base. AXS's doc gives only the UAT host, so production
// needs the URL from the operator or the secret rather than a guess of ours.
func axsBaseURL(env, flagURL, secretURL string) (string, error) {
	switch {
	case flagURL != "":
		return flagURL, nil
	case env == "uat":
		return axs.UATBaseURL, nil
	case env == "production":
		if secretURL == "" || secretURL == axs.UATBaseURL {
			return "", errors.New("--env production needs --base-url or the secret's linkBaseUrl (the production host is not in AXS's doc)")
		}
		return secretURL, nil
	case env == "":
		return axsFirstSet(secretURL, axs.UATBaseURL), nil
	default:
		return "", fmt.Errorf("--env %q: want uat or production", env)
	}
}

func axsFirstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
