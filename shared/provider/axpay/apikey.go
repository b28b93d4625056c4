package axpay

import (
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"
)

// Scheme says how the API-key message is hashed before it is signed. AXpay does not publish
// its scheme (docs/providers.md#axpay), so it is configuration: the portal's scheme can be
// plugged in without a code change.
type Scheme string

const (
	// SchemeEIP191 is Ethereum's personal_sign: keccak-256 of
	// "\x19Ethereum Signed Message:\n" + decimal byte length + message. Default.
	SchemeEIP191 Scheme = "eip191"
	// SchemeRawKeccak signs keccak-256 of the message bytes with no prefix.
	SchemeRawKeccak Scheme = "raw-keccak"
)

// DefaultMessageTemplate is what is signed unless apiKeyMessage says otherwise.
const DefaultMessageTemplate = "{clientId}"

// ErrBadAPIKey reports an API key that is malformed or was not made by the expected key.
var ErrBadAPIKey = errors.New("axpay: bad api key")

var placeholder = regexp.MustCompile(`\{[A-Za-z][A-Za-z0-9_]*\}`)

// ParseScheme accepts the configured scheme name; empty means the default.
func ParseScheme(s string) (Scheme, error) {
	switch Scheme(strings.ToLower(strings.TrimSpace(s))) {
	case "", SchemeEIP191, "eip-191", "personal_sign":
		return SchemeEIP191, nil
	case SchemeRawKeccak, "keccak", "raw_keccak":
		return SchemeRawKeccak, nil
	}
	return "", fmt.Errorf("axpay: unknown apiKeyScheme %q (want %q or %q)", s, SchemeEIP191, SchemeRawKeccak)
}

// Signer makes AXpay's dynamic API keys from the app's private key. It never prints,
// logs or returns the key: its String, GoString and Format show only the public address,
// and the key itself lives only inside a closure, which fmt prints as an address even when
// it reaches a Signer through an unexported field (where those methods cannot be called).
type Signer struct {
	clientID string
	scheme   Scheme
	template string
	sign     func(digest []byte) []byte
	pub      *secp256k1.PublicKey
	address  string
}

// NewSigner parses a 32-byte hex private key (with or without 0x). scheme and
// messageTemplate may be empty for the defaults; the template may contain {clientId} and
// {timestampMs}, and any other {name} is refused as a likely typo.
func NewSigner(clientID, privateKeyHex string, scheme Scheme, messageTemplate string) (*Signer, error) {
	sc, err := ParseScheme(string(scheme))
	if err != nil {
		return nil, err
	}
	if messageTemplate == "" {
		messageTemplate = DefaultMessageTemplate
	}
	for _, p := range placeholder.FindAllString(messageTemplate, -1) {
		if p != "{clientId}" && p != "{timestampMs}" {
			return nil, fmt.Errorf("axpay: apiKeyMessage has unknown placeholder %s", p)
		}
	}
	if strings.Contains(messageTemplate, "{clientId}") && clientID == "" {
		return nil, errors.New("axpay: clientId is empty")
	}
	key, err := parsePrivateKey(privateKeyHex)
	if err != nil {
		return nil, err
	}
	return &Signer{
		clientID: clientID,
		scheme:   sc,
		template: messageTemplate,
		sign:     func(digest []byte) []byte { return signDigest(key, digest) },
		pub:      key.PubKey(),
		address:  Address(key.PubKey()),
	}, nil
}

// parsePrivateKey reports what is wrong without quoting any of the key: even the offending
// character from hex.InvalidByteError would be one hex digit of a secret.
func parsePrivateKey(s string) (*secp256k1.PrivateKey, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s) != 64 {
		return nil, fmt.Errorf("axpay: privateKey must be 64 hex digits, got %d characters", len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("axpay: privateKey is not hex")
	}
	var k secp256k1.ModNScalar
	overflow := k.SetByteSlice(b)
	clear(b)
	if overflow || k.IsZero() {
		return nil, errors.New("axpay: privateKey is not a valid secp256k1 scalar")
	}
	return secp256k1.NewPrivateKey(&k), nil
}

// Message is the text signed at now.
func (s *Signer) Message(now time.Time) string {
	return RenderMessage(s.template, s.clientID, now)
}

// RenderMessage fills a message template.
func RenderMessage(template, clientID string, now time.Time) string {
	if !strings.Contains(template, "{") {
		return template
	}
	return strings.NewReplacer(
		"{clientId}", clientID,
		"{timestampMs}", strconv.FormatInt(now.UnixMilli(), 10),
	).Replace(template)
}

// APIKey signs the message for now and returns the 65-byte r||s||v signature as 0x hex.
func (s *Signer) APIKey(now time.Time) (string, error) {
	if s == nil || s.sign == nil {
		return "", errors.New("axpay: signer has no key")
	}
	return "0x" + hex.EncodeToString(s.sign(Digest(s.scheme, []byte(s.Message(now))))), nil
}

// Address is the signer's Ethereum-style address (EIP-55 checksummed).
func (s *Signer) Address() string { return s.address }

// PublicKey is the signer's public key.
func (s *Signer) PublicKey() *secp256k1.PublicKey { return s.pub }

// Scheme is the signer's hashing scheme.
func (s *Signer) Scheme() Scheme { return s.scheme }

// ClientID is the AXpay app the keys are for.
func (s *Signer) ClientID() string { return s.clientID }

// String, GoString and Format have value receivers so that a Signer value printed
// inside another struct is redacted too.
func (s Signer) String() string {
	return fmt.Sprintf("axpay.Signer{clientId: %q, scheme: %s, address: %s, privateKey: REDACTED}", s.clientID, s.scheme, s.address)
}

func (s Signer) GoString() string { return s.String() }

// Format covers every verb (%x, %d, %+v...), so no formatting path reaches the key.
func (s Signer) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// Digest is the 32-byte hash signed under scheme.
func Digest(scheme Scheme, message []byte) []byte {
	h := sha3.NewLegacyKeccak256()
	if scheme != SchemeRawKeccak {
		h.Write([]byte("\x19Ethereum Signed Message:\n" + strconv.Itoa(len(message))))
	}
	h.Write(message)
	return h.Sum(nil)
}

// signDigest returns the Ethereum-style 65-byte signature r||s||v (v = 27 + recovery id)
// of a digest. RFC 6979 nonces make it deterministic and s is always low.
func signDigest(key *secp256k1.PrivateKey, digest []byte) []byte {
	// SignCompact gives (27 + recovery id) || r || s for an uncompressed key: exactly the
	// Ethereum v, just at the front.
	c := ecdsa.SignCompact(key, digest, false)
	out := make([]byte, 65)
	copy(out, c[1:])
	out[64] = c[0]
	return out
}

// RecoverPublicKey returns the key that made apiKey over message. It accepts v as 27/28
// or as the bare recovery id 0/1, and hex with or without 0x.
func RecoverPublicKey(scheme Scheme, apiKey, message string) (*secp256k1.PublicKey, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(apiKey), "0x"), "0X")
	if len(s) != 130 {
		return nil, fmt.Errorf("%w: want 65 bytes of hex, got %d characters", ErrBadAPIKey, len(s))
	}
	sig, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not hex", ErrBadAPIKey)
	}
	v := sig[64]
	if v >= 27 {
		v -= 27
	}
	if v > 3 {
		return nil, fmt.Errorf("%w: recovery byte out of range", ErrBadAPIKey)
	}
	compact := make([]byte, 65)
	compact[0] = 27 + v
	copy(compact[1:], sig[:64])
	pub, _, err := ecdsa.RecoverCompact(compact, Digest(scheme, []byte(message)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadAPIKey, err)
	}
	return pub, nil
}

// RecoverAddress returns the EIP-55 address that made apiKey over message.
func RecoverAddress(scheme Scheme, apiKey, message string) (string, error) {
	pub, err := RecoverPublicKey(scheme, apiKey, message)
	if err != nil {
		return "", err
	}
	return Address(pub), nil
}

// VerifyAPIKey checks that apiKey is pub's signature of message; the fake server uses it
// so that a signing bug fails tests instead of passing a lenient check.
func VerifyAPIKey(scheme Scheme, apiKey, message string, pub *secp256k1.PublicKey) error {
	got, err := RecoverPublicKey(scheme, apiKey, message)
	if err != nil {
		return err
	}
	if pub == nil || !got.IsEqual(pub) {
		return fmt.Errorf("%w: signed by %s, want %s", ErrBadAPIKey, Address(got), addressOrNone(pub))
	}
	return nil
}

func addressOrNone(pub *secp256k1.PublicKey) string {
	if pub == nil {
		return "no key"
	}
	return Address(pub)
}

// Address is the EIP-55 checksummed address of pub: the last 20 bytes of keccak-256 of
// the uncompressed point without its 0x04 prefix.
func Address(pub *secp256k1.PublicKey) string {
	h := sha3.NewLegacyKeccak256()
	h.Write(pub.SerializeUncompressed()[1:])
	lower := hex.EncodeToString(h.Sum(nil)[12:])
	return checksum(lower)
}

func checksum(lowerHex string) string {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(lowerHex))
	sum := h.Sum(nil)
	out := []byte(lowerHex)
	for i, c := range out {
		nibble := sum[i/2] >> 4
		if i%2 == 1 {
			nibble = sum[i/2] & 0x0f
		}
		if c >= 'a' && c <= 'f' && nibble >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(out)
}
