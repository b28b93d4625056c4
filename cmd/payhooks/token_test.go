package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/cardorders"
	"github.com/payhooks/payhooks/shared/provider/cxtn"
)

const tokenTestPrevious = "oldTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"

type tokenOutput struct {
	URL        string `json:"url"`
	SecretName string `json:"secretName"`
	Secret     struct {
		WebhookTokens []string `json:"webhookTokens"`
		AllowedCIDRs  []string `json:"allowedCidrs"`
		OrderTimeZone *string  `json:"orderTimeZone"`
	} `json:"secret"`
	raw json.RawMessage
}

func runTokenJSON(t *testing.T, args ...string) tokenOutput {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), append([]string{"token"}, append(args, "--json")...), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got tokenOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	var all map[string]json.RawMessage
	_ = json.Unmarshal(out.Bytes(), &all)
	got.raw = all["secret"]
	return got
}

func TestTokenCommand(t *testing.T) {
	const base = "https://abc123.execute-api.eu-west-1.amazonaws.com"
	tests := []struct {
		name     string
		args     []string
		provider string
		tokens   int
		cidrs    []string
		zone     string // "" = no orderTimeZone field
	}{
		{"cardorders", []string{"cardorders", "--base-url", base + "/"}, "cardorders", 1, nil, "UTC"},
		{"cardorders rotation", []string{"cardorders", "--base-url", base, "--previous", tokenTestPrevious, "--order-time-zone", "Asia/Shanghai"}, "cardorders", 2, nil, "Asia/Shanghai"},
		{"cxtn", []string{"cxtn", "--base-url", base, "--allowed-cidrs", "203.0.113.0/24, 198.51.100.7"}, "cxtn", 1, []string{"203.0.113.0/24", "198.51.100.7"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runTokenJSON(t, tt.args...)
			prefix := base + "/webhooks/" + tt.provider + "/"
			if !strings.HasPrefix(got.URL, prefix) {
				t.Fatalf("url %q, want prefix %q", got.URL, prefix)
			}
			tok := strings.TrimPrefix(got.URL, prefix)
			if len(tok) != 43 || len(got.Secret.WebhookTokens) != tt.tokens || got.Secret.WebhookTokens[0] != tok {
				t.Fatalf("token %q, secret tokens %q", tok, got.Secret.WebhookTokens)
			}
			if tt.tokens == 2 && got.Secret.WebhookTokens[1] != tokenTestPrevious {
				t.Fatalf("previous token not kept: %q", got.Secret.WebhookTokens)
			}
			if got.SecretName != secrets.Name(tt.provider) {
				t.Fatalf("secret name %q", got.SecretName)
			}
			if got.Secret.AllowedCIDRs == nil || strings.Join(got.Secret.AllowedCIDRs, ",") != strings.Join(tt.cidrs, ",") {
				t.Fatalf("allowedCidrs %q (raw %s)", got.Secret.AllowedCIDRs, got.raw)
			}
			if (got.Secret.OrderTimeZone == nil) != (tt.zone == "") || got.Secret.OrderTimeZone != nil && *got.Secret.OrderTimeZone != tt.zone {
				t.Fatalf("orderTimeZone in %s", got.raw)
			}

			// The printed document and URL work together in the provider itself.
			var p provider.Provider
			src := secrets.Static{got.SecretName: string(got.raw)}
			if tt.provider == "cardorders" {
				p = cardorders.New(src, got.SecretName)
			} else {
				p = cxtn.New(src, got.SecretName)
			}
			for _, tk := range got.Secret.WebhookTokens {
				req := &provider.Request{PathParams: map[string]string{"token": tk}, SourceIP: "203.0.113.5", Body: []byte(`{}`)}
				if _, err := p.Verify(context.Background(), req); err != nil {
					t.Fatalf("provider refuses the printed token: %v", err)
				}
			}
		})
	}
}

func TestTokenCommandText(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), []string{"token", "cxtn"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	s := out.String()
	if !strings.Contains(s, "https://<api-id>.execute-api.<region>.amazonaws.com/webhooks/cxtn/") ||
		!strings.Contains(s, `{"webhookTokens":["`) || !strings.Contains(s, `"allowedCidrs":[]}`) ||
		!strings.Contains(s, "payhooks/cxtn") || !strings.Contains(errOut.String(), "placeholder") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", s, errOut.String())
	}

	a, b := runTokenJSON(t, "cxtn"), runTokenJSON(t, "cxtn")
	if a.URL == b.URL {
		t.Fatal("two runs printed the same token")
	}
}

func TestTokenCommandErrors(t *testing.T) {
	tests := [][]string{
		{"token"},
		{"token", "--base-url", "https://x.example"},
		{"token", "axs"},
		{"token", "cardorders", "--previous", "tinyTok9"},
		{"token", "cardorders", "--base-url", "abc123.execute-api.eu-west-1.amazonaws.com"},
		{"token", "cardorders", "--order-time-zone", "Mars/Base"},
		{"token", "cxtn", "--order-time-zone", "UTC"},
		{"token", "cxtn", "--allowed-cidrs", "203.0.113.0/33"},
		{"token", "cxtn", "extra"},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		if code := runMain(context.Background(), args, &out, &errOut); code == 0 {
			t.Errorf("%q: exit 0, want failure (stdout %s)", args, out.String())
		}
		if strings.Contains(errOut.String(), "tinyTok9") {
			t.Errorf("%q: error reveals the token: %s", args, errOut.String())
		}
	}
}
