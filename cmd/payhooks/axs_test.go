package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/provider/axs"
)

func writeAXSSecrets(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(p, []byte(`{"payhooks/axs":`+doc+`}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAXSLink(t *testing.T) {
	const secret = "cli-test-secret-NOT-REAL"
	file := writeAXSSecrets(t, `{"clientId":"cli-client","clientSecrets":["`+secret+`","cli-previous-NOT-REAL"],"merchantLinkId":"from-secret"}`)
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"axs", "link", "--amount", "10.23", "--ref", "Ref123",
		"--scheme", "paynow,credit_card", "--success-url", "https://example.com/ok", "--terminal", "Terminal-1",
		"--merchant-link-id", "abc123", "--secrets", file}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	link := strings.TrimSpace(out.String())
	if !strings.HasPrefix(link, axs.UATBaseURL+"abc123?data=") {
		t.Fatalf("link %s", link)
	}
	p, err := axs.ParseLink(link, secret)
	if err != nil {
		t.Fatal(err)
	}
	want := axs.LinkParams{ClientID: "cli-client", Amount: "1023", Currency: "SGD", MerchantRef: "Ref123",
		Scheme: "paynow,credit_card", TerminalID: "Terminal-1", SuccessURL: "https://example.com/ok"}
	if p != want {
		t.Errorf("params %+v, want %+v", p, want)
	}

	// The merchant link id and base URL may come from the secret.
	out.Reset()
	file2 := writeAXSSecrets(t, `{"clientId":"c","clientSecrets":["`+secret+`"],"merchantLinkId":"ml","linkBaseUrl":"https://checkout.example.com/hpp/checkout/"}`)
	if code := runMain(context.Background(), []string{"axs", "link", "--ref", "R", "--env", "production", "--secrets", file2}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "https://checkout.example.com/hpp/checkout/ml?data=") {
		t.Errorf("link %s", out.String())
	}
}

func TestAXSLinkErrors(t *testing.T) {
	file := writeAXSSecrets(t, `{"clientId":"c","clientSecrets":["s-NOT-REAL"]}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"axs"}, "usage"},
		{"missing ref", []string{"axs", "link", "--amount", "1", "--merchant-link-id", "m", "--secrets", file}, "--ref"},
		{"bad amount", []string{"axs", "link", "--amount", "1.234", "--ref", "r", "--merchant-link-id", "m", "--secrets", file}, "--amount"},
		{"bad scheme", []string{"axs", "link", "--ref", "r", "--scheme", "visa", "--merchant-link-id", "m", "--secrets", file}, "--scheme"},
		{"http url", []string{"axs", "link", "--ref", "r", "--fail-url", "http://example.com", "--merchant-link-id", "m", "--secrets", file}, "--fail-url"},
		{"no link id", []string{"axs", "link", "--ref", "r", "--secrets", file}, "--merchant-link-id"},
		{"production without base", []string{"axs", "link", "--ref", "r", "--merchant-link-id", "m", "--env", "production", "--secrets", file}, "production"},
		{"bad env", []string{"axs", "link", "--ref", "r", "--merchant-link-id", "m", "--env", "staging", "--secrets", file}, "--env"},
		{"missing secret", []string{"axs", "link", "--ref", "r", "--merchant-link-id", "m", "--secrets", file, "--secret-name", "payhooks/none"}, "payhooks/none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := runMain(context.Background(), tt.args, &out, &errOut); code == 0 {
				t.Fatalf("exit 0, output %s", out.String())
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("stderr %q does not mention %q", errOut.String(), tt.want)
			}
		})
	}
}
