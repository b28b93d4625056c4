package urltoken

import (
	"bytes"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
)

const (
	active   = "testActiveTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	previous = "testPreviousTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)

func req(token, ip string) *provider.Request {
	return &provider.Request{PathParams: map[string]string{"token": token}, SourceIP: ip}
}

func TestCheck(t *testing.T) {
	open := Secret{WebhookTokens: []string{active, previous}}
	fenced := Secret{WebhookTokens: []string{active, ""}, AllowedCIDRs: []string{"203.0.113.0/24", "2001:db8::/32", "198.51.100.7"}}
	tests := []struct {
		name   string
		secret Secret
		req    *provider.Request
		kind   provider.Kind
		reason provider.Reason
	}{
		{"active token", open, req(active, "192.0.2.1"), 0, ""},
		{"previous token", open, req(previous, ""), 0, ""},
		{"missing token", open, req("", "192.0.2.1"), provider.KindUnauthorized, provider.ReasonMissingToken},
		{"no path params", open, &provider.Request{}, provider.KindUnauthorized, provider.ReasonMissingToken},
		{"wrong token", open, req(active+"x", "192.0.2.1"), provider.KindUnauthorized, provider.ReasonTokenMismatch},
		{"token prefix", open, req(active[:20], "192.0.2.1"), provider.KindUnauthorized, provider.ReasonTokenMismatch},
		{"empty entry is not a token", fenced, req("", "203.0.113.9"), provider.KindUnauthorized, provider.ReasonMissingToken},
		{"allowed ip", fenced, req(active, "203.0.113.9"), 0, ""},
		{"allowed single host", fenced, req(active, "198.51.100.7"), 0, ""},
		{"allowed v4-mapped", fenced, req(active, "::ffff:203.0.113.9"), 0, ""},
		{"allowed v6", fenced, req(active, "2001:db8::1"), 0, ""},
		{"disallowed ip", fenced, req(active, "192.0.2.1"), provider.KindForbidden, provider.ReasonSourceIP},
		{"disallowed neighbour", fenced, req(active, "198.51.100.8"), provider.KindForbidden, provider.ReasonSourceIP},
		{"unparsable ip", fenced, req(active, "not-an-ip"), provider.KindForbidden, provider.ReasonSourceIP},
		{"empty ip", fenced, req(active, ""), provider.KindForbidden, provider.ReasonSourceIP},
		{"token before ip", fenced, req("wrong", "192.0.2.1"), provider.KindUnauthorized, provider.ReasonTokenMismatch},
		{"previous removed", Secret{WebhookTokens: []string{active}}, req(previous, ""), provider.KindUnauthorized, provider.ReasonTokenMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.secret.Check(tt.req)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			r, ok := provider.AsRejection(err)
			if !ok {
				t.Fatalf("Check = %v, want a rejection", err)
			}
			if r.Kind != tt.kind || r.Reason != tt.reason {
				t.Fatalf("Check = %v (kind %d), want %s (kind %d)", err, r.Kind, tt.reason, tt.kind)
			}
			noToken(t, err)
		})
	}
}

func TestMisconfigured(t *testing.T) {
	short := "shortButNotEmptyToken-1234567890123456789" // 41 characters
	tests := []struct {
		name   string
		secret Secret
		want   string
	}{
		{"no tokens", Secret{}, "no token"},
		{"only empty", Secret{WebhookTokens: []string{"", ""}}, "no token"},
		{"short active", Secret{WebhookTokens: []string{short}}, "webhookTokens[0]"},
		{"short previous", Secret{WebhookTokens: []string{active, short}}, "webhookTokens[1]"},
		{"bad character", Secret{WebhookTokens: []string{active + "/"}}, "outside"},
		{"bad cidr", Secret{WebhookTokens: []string{active}, AllowedCIDRs: []string{"203.0.113.0/33"}}, "allowedCidrs[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, err := range []error{tt.secret.Validate(), tt.secret.Check(req(active, "203.0.113.1"))} {
				if !errors.Is(err, secrets.ErrUnavailable) || !errors.Is(err, ErrMisconfigured) {
					t.Fatalf("err = %v, want ErrUnavailable and ErrMisconfigured", err)
				}
				if _, ok := provider.AsRejection(err); ok {
					t.Fatalf("misconfiguration reported as a rejection: %v", err)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want it to say %q", err, tt.want)
				}
				noToken(t, err)
				if strings.Contains(err.Error(), short) {
					t.Fatalf("error reveals the short token: %v", err)
				}
			}
		})
	}
}

func TestGenerateToken(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		tok, err := GenerateToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != MinTokenLength || strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q: want 43 base64url characters", tok)
		}
		if err := ValidateToken(tok); err != nil {
			t.Fatalf("generated token fails validation: %v", err)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}

func TestActive(t *testing.T) {
	got, err := Secret{WebhookTokens: []string{"", active, previous}}.Active()
	if err != nil || got != active {
		t.Fatalf("Active = %q, %v", got, err)
	}
	if Path("cxtn", got) != "/webhooks/cxtn/"+active {
		t.Fatal(Path("cxtn", got))
	}
}

func noToken(t *testing.T, err error) {
	t.Helper()
	for _, tok := range []string{active, previous, "wrong"} {
		if strings.Contains(err.Error(), tok) {
			t.Fatalf("error reveals a token: %v", err)
		}
	}
}

// The parsed allowlist is remembered by its text, so a list edited in place, or many
// lists in turn, are still judged by what they say now.
func TestAllowlistCacheFollowsContent(t *testing.T) {
	cidrs := []string{"203.0.113.0/24"}
	s := Secret{WebhookTokens: []string{active}, AllowedCIDRs: cidrs}
	if err := s.Check(req(active, "203.0.113.9")); err != nil {
		t.Fatal(err)
	}
	cidrs[0] = "198.51.100.0/24"
	if r, ok := provider.AsRejection(s.Check(req(active, "203.0.113.9"))); !ok || r.Reason != provider.ReasonSourceIP {
		t.Fatal("an allowlist edited in place still admits its old network")
	}
	if err := s.Check(req(active, "198.51.100.9")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 * maxCachedLists {
		net := "192.0.2." + strconv.Itoa(i)
		other := Secret{WebhookTokens: []string{active}, AllowedCIDRs: []string{net}}
		if err := other.Check(req(active, net)); err != nil {
			t.Fatalf("%s: %v", net, err)
		}
		if err := other.Check(req(active, "192.0.2.200")); err == nil {
			t.Fatalf("%s admits 192.0.2.200", net)
		}
	}
}

func TestAllowlistCacheConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				net := "192.0.2." + strconv.Itoa((g*200+i)%20)
				s := Secret{WebhookTokens: []string{active}, AllowedCIDRs: []string{"2001:db8::/32", net}}
				if err := s.Check(req(active, net)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// What a sender controls of the source address never reaches the error, which is all a
// log line keeps of a refusal: a crafted sourceIp (an email, a card number, a forged log
// line, an address with a zone) and a real one outside the allowlist are both logged as
// their reason and the address family only.
func TestSourceIPNeverLogged(t *testing.T) {
	fenced := Secret{WebhookTokens: []string{active}, AllowedCIDRs: []string{"203.0.113.0/24"}}
	at := "@"
	for _, ip := range []string{
		"john.doe" + at + "example.com", "5555555555554444", "192.0.2.1\n{\"level\":\"INFO\",\"msg\":\"forged\"}",
		"fe80::1%john.doe" + at + "example.com", "192.0.2.77", "2001:db8::77", " 192.0.2.78 ",
	} {
		err := fenced.Check(req(active, ip))
		if r, ok := provider.AsRejection(err); !ok || r.Reason != provider.ReasonSourceIP {
			t.Fatalf("%q: %v, want %s", ip, err, provider.ReasonSourceIP)
		}
		var line bytes.Buffer
		slog.New(slog.NewJSONHandler(&line, nil)).Info("rejected", "reason", provider.ReasonSourceIP, "error", err.Error())
		for _, part := range []string{"john", "5555", "forged", "192.0.2", "db8", "fe80"} {
			if strings.Contains(line.String(), part) {
				t.Errorf("%q: the log line holds %q: %s", ip, part, line.String())
			}
		}
	}
}
