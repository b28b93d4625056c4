// Package urltoken authenticates webhooks from providers that sign nothing (cardorders,
// CXTN): the delivery URL carries a long random token we generated and gave the provider,
// optionally narrowed by a source-IP allowlist. The token is a bearer secret, so it is
// compared in constant time against every active value and never written into an error.
package urltoken

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
)

// PathParam is the route parameter holding the token: POST /webhooks/<provider>/{token}.
const PathParam = "token"

// TokenBytes is how much randomness GenerateToken draws: 256 bits, beyond guessing even at
// the request rates an attacker could push through API Gateway.
const TokenBytes = 32

// MinTokenLength is the shortest configured token accepted: 32 bytes in unpadded base64url.
// Length is all we can check; GenerateToken is how tokens should be made.
const MinTokenLength = 43

// Secret is the part of a provider's secret document that this package reads. Providers
// embed it in their own secret type so that extra fields sit beside it in one document:
//
//	{"webhookTokens": ["<active>", "<previous>"], "allowedCidrs": ["203.0.113.0/24"]}
//
// Two tokens allow rotation: give the provider the new URL, keep the old token until its
// deliveries stop, then drop it. Empty entries are ignored, so "" can stand for "no
// previous token". An empty allowedCidrs accepts any source address.
type Secret struct {
	WebhookTokens []string `json:"webhookTokens"`
	AllowedCIDRs  []string `json:"allowedCidrs"`
}

// ErrMisconfigured marks a secret document that cannot be used as it stands. It always
// comes wrapped together with secrets.ErrUnavailable: the fault is ours, so the pipeline
// answers 503 and the provider retries once the secret is fixed.
var ErrMisconfigured = errors.New("url-token secret misconfigured")

func misconfigured(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", secrets.ErrUnavailable, ErrMisconfigured, fmt.Sprintf(format, args...))
}

// ValidateToken reports why tok may not be used as a URL token. The error names the rule,
// never the token.
func ValidateToken(tok string) error {
	if len(tok) < MinTokenLength {
		return fmt.Errorf("token is %d characters long, shorter than the %d of 32 random bytes in base64url (make one with `payhooks token`)", len(tok), MinTokenLength)
	}
	for i := 0; i < len(tok); i++ {
		if !unreserved(tok[i]) {
			// Anything else would be percent-encoded in the URL and could never match
			// the decoded path parameter reliably.
			return fmt.Errorf("token has a character at offset %d outside A-Z a-z 0-9 - _ . ~", i)
		}
	}
	return nil
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// Validate checks the document before any request is judged against it. A short token is
// refused outright rather than skipped: silently running on a guessable token (or on one
// fewer than the operator thinks) is worse than failing loudly.
func (s Secret) Validate() error {
	if err := s.checkTokens(); err != nil {
		return err
	}
	_, err := s.nets()
	return err
}

// Tokens returns the non-empty configured tokens, active first.
func (s Secret) Tokens() []string {
	out := make([]string, 0, len(s.WebhookTokens))
	for _, t := range s.WebhookTokens {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Active returns the token new deliveries should use: the first configured one.
func (s Secret) Active() (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	return s.Tokens()[0], nil
}

// checkTokens validates the configured tokens without copying them: MatchAny skips empty
// entries by itself.
func (s Secret) checkTokens() error {
	n := 0
	for i, t := range s.WebhookTokens {
		if t == "" {
			continue
		}
		if err := ValidateToken(t); err != nil {
			return misconfigured("webhookTokens[%d]: %v", i, err)
		}
		n++
	}
	if n == 0 {
		return misconfigured("webhookTokens holds no token")
	}
	return nil
}

// nets returns the parsed allowlist. secrets.Doc hands every request the same document
// for minutes, so parsed lists are remembered by their text (not by the identity of the
// slice, which a caller may reuse), a few at a time for the providers of one process.
// Documents that do not parse are not remembered: that path is rare and reports an error.
func (s Secret) nets() ([]netip.Prefix, error) {
	if len(s.AllowedCIDRs) == 0 {
		return nil, nil
	}
	cache := parsedCIDRs.Load()
	if cache != nil {
		for _, e := range *cache {
			if slices.Equal(e.text, s.AllowedCIDRs) {
				return e.nets, nil
			}
		}
	}
	nets := make([]netip.Prefix, 0, len(s.AllowedCIDRs))
	for i, c := range s.AllowedCIDRs {
		p, err := parsePrefix(c)
		if err != nil {
			return nil, misconfigured("allowedCidrs[%d] %q is not a CIDR or an IP address", i, c)
		}
		nets = append(nets, p)
	}
	// Copy on write; a racing store may drop an entry, which costs one more parse.
	var next []cidrEntry
	if cache != nil {
		next = append(next, *cache...)
	}
	if len(next) >= maxCachedLists {
		next = next[1:]
	}
	next = append(next, cidrEntry{text: slices.Clone(s.AllowedCIDRs), nets: nets})
	parsedCIDRs.Store(&next)
	return nets, nil
}

// maxCachedLists bounds the cache: one list per provider secret, and a rotation briefly
// makes two.
const maxCachedLists = 8

type cidrEntry struct {
	text []string // the list as configured; never modified once stored
	nets []netip.Prefix
}

var parsedCIDRs atomic.Pointer[[]cidrEntry]

// parsePrefix also takes a bare address as a single-host network, the way operators tend
// to write one allowed server.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Check authenticates req: the token first (401), then the source address when an
// allowlist is configured (403). The token goes first so that an outsider learns nothing
// about the allowlist without the token.
func (s Secret) Check(req *provider.Request) error {
	if err := s.checkTokens(); err != nil {
		return err
	}
	nets, err := s.nets()
	if err != nil {
		return err
	}
	tok := req.PathParams[PathParam]
	if tok == "" {
		return provider.Unauthorized(provider.ReasonMissingToken, errors.New("no token in the request path"))
	}
	if !secrets.MatchAny(tok, s.WebhookTokens) {
		return provider.Unauthorized(provider.ReasonTokenMismatch, errors.New("path token matches no configured webhook token"))
	}
	if len(nets) == 0 {
		return nil
	}
	// The address is API Gateway's sourceIp (the TCP peer, never a forwarding header), but
	// the error says only what kind it is: a log line names reasons, never values.
	ip, err := netip.ParseAddr(strings.TrimSpace(req.SourceIP))
	if err != nil {
		return provider.Forbidden(provider.ReasonSourceIP, errors.New("source IP is not an address"))
	}
	ip = ip.Unmap().WithZone("")
	for _, n := range nets {
		if n.Contains(ip) {
			return nil
		}
	}
	family := "IPv4"
	if ip.Is6() {
		family = "IPv6"
	}
	return provider.Forbidden(provider.ReasonSourceIP, fmt.Errorf("source IP (%s) is in none of the %d allowed CIDRs", family, len(nets)))
}

// GenerateToken returns 32 random bytes as unpadded base64url (43 characters), safe in a
// URL path as it stands.
func GenerateToken() (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Path is the delivery path for provider with token: /webhooks/<provider>/<token>.
func Path(providerName, token string) string {
	return "/webhooks/" + providerName + "/" + token
}

// Checker is a provider's secret document that embeds Secret (or otherwise checks requests).
type Checker interface {
	Check(req *provider.Request) error
}

// Verify is the whole Verify of a token-authenticated provider: load the secret, check
// the token and source IP, and vouch for the body as received.
func Verify[T Checker](ctx context.Context, doc secrets.Doc[T], req *provider.Request) ([]byte, error) {
	s, err := doc.Load(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Check(req); err != nil {
		if _, ok := provider.AsRejection(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", doc.Name, err)
	}
	return req.Body, nil
}
