package axs

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/payhooks/payhooks/shared/provider"
)

// The only JOSE algorithms AXS uses. Everything else is refused before any key is derived.
const (
	KeyAlgorithm      = "PBES2-HS512+A256KW"
	ContentEncryption = "A256GCM"

	// P2C is the PBKDF2 iteration count AXS uses and we use when encrypting.
	P2C = 1000
	// MaxP2C bounds the iteration count an unauthenticated sender may make us run: each
	// secret tried costs p2c HMAC-SHA512 rounds, so the header alone could burn our CPU.
	MaxP2C = 10000
	// minSaltInput is RFC 7518 §4.8.1.1's floor for the PBES2 salt input.
	minSaltInput = 8
	// MaxInflated bounds the plaintext of a "zip":"DEF" token. An AXS notification is a few
	// hundred bytes; anything past this bound is refused before it is held in memory.
	MaxInflated = 64 << 10
)

// The reasons of the JWE envelope, under the names the tests and tools use here.
const (
	ReasonBadJWE               = provider.ReasonBadJWE
	ReasonUnsupportedAlgorithm = provider.ReasonUnsupportedAlgorithm
	ReasonP2CTooLarge          = provider.ReasonP2CTooLarge
	ReasonInvalidP2C           = provider.ReasonInvalidP2C
	ReasonInvalidP2S           = provider.ReasonInvalidP2S
	ReasonDecryptFailed        = provider.ReasonDecryptFailed
	ReasonInflatedTooLarge     = provider.ReasonInflatedTooLarge
)

// sizes of the decoded compact segments for PBES2-HS512+A256KW / A256GCM: a wrapped 256-bit
// CEK (RFC 3394 adds 8 bytes), a 96-bit IV and a 128-bit tag.
const (
	wrappedKeyLen = 40
	gcmIVLen      = 12
	gcmTagLen     = 16
)

// token is a compact JWE whose envelope passed every check that needs no key.
type token struct {
	protected string // the header segment exactly as sent: GCM's additional data
	header    jweHeader
	wrapped   []byte // the encrypted content key
	iv        []byte
	sealed    []byte // ciphertext || tag, as cipher.AEAD opens it
}

type jweHeader struct {
	Kid     string
	P2C     int
	P2S     []byte // salt input, decoded
	Deflate bool   // "zip":"DEF": the plaintext is a raw DEFLATE stream
}

// parseToken checks a compact JWE the way an attacker's input deserves: structure first,
// then the protected header against our one allowed algorithm pair and iteration bound. No
// key derivation happens here, so whatever it refuses costs us microseconds.
func parseToken(compact string) (*token, error) {
	parts := strings.Split(compact, ".")
	if len(parts) != 5 {
		return nil, provider.BadRequest(ReasonBadJWE, fmt.Errorf("compact JWE has %d segments, want 5", len(parts)))
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, provider.BadRequest(ReasonBadJWE, fmt.Errorf("protected header: %w", err))
	}
	fields, err := headerFields(rawHeader)
	if err != nil {
		return nil, provider.BadRequest(ReasonBadJWE, fmt.Errorf("protected header: %w", err))
	}
	h, err := allowedHeader(fields)
	if err != nil {
		return nil, err
	}
	want := [4]int{wrappedKeyLen, gcmIVLen, -1, gcmTagLen}
	names := [4]string{"encrypted key", "iv", "ciphertext", "tag"}
	for i, seg := range parts[1:] {
		n, err := decodedLen(seg)
		if err != nil {
			return nil, provider.BadRequest(ReasonBadJWE, fmt.Errorf("%s: %w", names[i], err))
		}
		if want[i] >= 0 && n != want[i] {
			return nil, provider.BadRequest(ReasonBadJWE, fmt.Errorf("%s is %d bytes, want %d", names[i], n, want[i]))
		}
	}
	// Every segment is valid base64url by now (decodedLen), so decoding cannot fail.
	t := &token{protected: parts[0], header: h}
	t.wrapped, _ = base64.RawURLEncoding.DecodeString(parts[1])
	t.iv, _ = base64.RawURLEncoding.DecodeString(parts[2])
	t.sealed, _ = base64.RawURLEncoding.AppendDecode(nil, []byte(parts[3]))
	t.sealed, _ = base64.RawURLEncoding.AppendDecode(t.sealed, []byte(parts[4]))
	return t, nil
}

// headerNames are the protected-header members a token may carry: the JWE header
// parameters RFC 7516 §4.1 registers (crit is refused above: we implement no extension)
// and PBES2's p2s and p2c (RFC 7518 §4.8.1). AXS's plugin sends alg, enc, kid and p2c and
// its library adds p2s; a JOSE library may add typ, cty or key hints. A member outside
// them is an extension we would silently ignore, so it is refused like crit.
var headerNames = map[string]bool{
	"alg": true, "enc": true, "zip": true, "jku": true, "jwk": true, "kid": true, "x5u": true,
	"x5c": true, "x5t": true, "x5t#S256": true, "typ": true, "cty": true, "crit": true,
	"p2s": true, "p2c": true,
}

// allowedHeader holds the protected header to the one algorithm pair AXS uses, DEFLATE at
// most, and a p2c within MaxP2C: every refusal here comes before any key derivation.
func allowedHeader(fields map[string]json.RawMessage) (jweHeader, error) {
	var h jweHeader
	var err error
	var alg, enc string
	if err := stringField(fields, "alg", &alg); err != nil || alg != KeyAlgorithm {
		return h, provider.Unauthorized(ReasonUnsupportedAlgorithm, fmt.Errorf("alg %.40q", alg))
	}
	if err := stringField(fields, "enc", &enc); err != nil || enc != ContentEncryption {
		return h, provider.Unauthorized(ReasonUnsupportedAlgorithm, fmt.Errorf("enc %.40q", enc))
	}
	// AXS's own decrypter is built with DEFLATE, so "zip":"DEF" is legal (and inflated
	// under MaxInflated); no other compression and no extensions are.
	if _, ok := fields["crit"]; ok {
		return h, provider.Unauthorized(ReasonUnsupportedAlgorithm, errors.New(`header "crit" not supported`))
	}
	for name := range fields {
		if !headerNames[name] {
			// The name is bounded: it is a field name, never a value, but the sender chose it.
			return h, provider.Unauthorized(ReasonUnsupportedAlgorithm, fmt.Errorf("header %.40q not supported", name))
		}
	}
	if _, ok := fields["zip"]; ok {
		var zip string
		if err := stringField(fields, "zip", &zip); err != nil || zip != "DEF" {
			return h, provider.Unauthorized(ReasonUnsupportedAlgorithm, fmt.Errorf("zip %.40q", zip))
		}
		h.Deflate = true
	}
	if h.P2C, err = parseP2C(fields["p2c"]); err != nil {
		return h, err
	}
	var p2s string
	if err := stringField(fields, "p2s", &p2s); err != nil || p2s == "" {
		return h, provider.Unauthorized(ReasonInvalidP2S, errors.New("p2s missing or not a string"))
	}
	if h.P2S, err = base64.RawURLEncoding.DecodeString(p2s); err != nil {
		return h, provider.Unauthorized(ReasonInvalidP2S, fmt.Errorf("p2s: %w", err))
	}
	if len(h.P2S) < minSaltInput {
		return h, provider.Unauthorized(ReasonInvalidP2S, fmt.Errorf("p2s salt input is %d bytes, want >= %d", len(h.P2S), minSaltInput))
	}
	if _, ok := fields["kid"]; ok {
		if err := stringField(fields, "kid", &h.Kid); err != nil {
			return h, provider.BadRequest(ReasonBadJWE, errors.New("kid is not a string"))
		}
	}
	return h, nil
}

// headerFields decodes the protected header as one JSON object and refuses duplicate names:
// with duplicates two readers of one header could differ (say, two p2c values).
func headerFields(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		if _, dup := fields[name]; dup {
			return nil, fmt.Errorf("duplicate member %.40q", name)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		fields[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after header object")
	}
	return fields, nil
}

func stringField(fields map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := fields[name]
	if !ok {
		return fmt.Errorf("%s missing", name)
	}
	return json.Unmarshal(raw, dst)
}

// parseP2C accepts a JSON integer in [1, MaxP2C]. Any number above the bound, however
// written (1e9, 1000000.5, 20 digits), is "too large" rather than "invalid".
func parseP2C(raw json.RawMessage) (int, error) {
	if raw == nil {
		return 0, provider.Unauthorized(ReasonInvalidP2C, errors.New("p2c missing"))
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || n == "" || raw[0] == '"' {
		return 0, provider.Unauthorized(ReasonInvalidP2C, errors.New("p2c is not a number"))
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(n.String(), 64)
		if errors.Is(err, strconv.ErrRange) || (ferr == nil && f > MaxP2C) || errors.Is(ferr, strconv.ErrRange) {
			return 0, provider.Unauthorized(ReasonP2CTooLarge, fmt.Errorf("p2c %.24s exceeds %d", n, MaxP2C))
		}
		return 0, provider.Unauthorized(ReasonInvalidP2C, fmt.Errorf("p2c %.24s is not an integer", n))
	}
	if i > MaxP2C {
		return 0, provider.Unauthorized(ReasonP2CTooLarge, fmt.Errorf("p2c %d exceeds %d", i, MaxP2C))
	}
	if i < 1 {
		return 0, provider.Unauthorized(ReasonInvalidP2C, fmt.Errorf("p2c %d below 1", i))
	}
	return int(i), nil
}

// decodedLen validates unpadded base64url without allocating the decoded bytes.
func decodedLen(seg string) (int, error) {
	if len(seg)%4 == 1 {
		return 0, errors.New("illegal base64url length")
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return 0, fmt.Errorf("illegal base64url byte at %d", i)
		}
	}
	// Trailing bits must be zero, as the standard decoder requires; check the last quantum.
	if rem := len(seg) % 4; rem != 0 {
		if _, err := base64.RawURLEncoding.DecodeString(seg[len(seg)-rem:]); err != nil {
			return 0, err
		}
	}
	return base64.RawURLEncoding.DecodedLen(len(seg)), nil
}

// decrypt tries each secret in order until one opens the token. The kid does not narrow the
// choice: AXS's kid is the client id, not a secret id, so during a rotation either secret may
// have been used whatever the kid says, and a kid we do not know is no reason to give up
// before trying. beforeDerive runs before every key derivation.
//
// The decryption is the standard library's (PBKDF2-SHA512, RFC 3394 unwrap, AES-256-GCM)
// rather than go-jose's: go-jose inflates "zip":"DEF" inside Decrypt under its own bound
// (250 kB or 10x the input) and with an untyped error, and we need MaxInflated, refused as a
// typed 400 before more is allocated. Tokens from npm jose and go-jose prove it (interop).
func (t *token) decrypt(secrets []string, beforeDerive func(p2c int)) ([]byte, error) {
	salt := make([]byte, 0, len(KeyAlgorithm)+1+len(t.header.P2S))
	salt = append(append(append(salt, KeyAlgorithm...), 0), t.header.P2S...)
	tried := 0
	for _, s := range secrets {
		if s == "" {
			continue
		}
		tried++
		if beforeDerive != nil {
			beforeDerive(t.header.P2C)
		}
		pt, ok := t.open(s, salt)
		if !ok {
			continue
		}
		if t.header.Deflate {
			return inflate(pt)
		}
		return pt, nil
	}
	return nil, provider.Unauthorized(ReasonDecryptFailed, fmt.Errorf("no active secret decrypts the token (%d tried)", tried))
}

// open derives the key-encryption key from secret (RFC 7518 §4.8: salt = UTF8(alg) || 0 ||
// p2s), unwraps the content key and opens the GCM ciphertext; false means "not this secret
// or not authentic", which the caller cannot and need not tell apart.
func (t *token) open(secret string, salt []byte) ([]byte, bool) {
	kek, err := pbkdf2.Key(sha512.New, secret, salt, t.header.P2C, 32)
	if err != nil {
		return nil, false
	}
	kw, err := aes.NewCipher(kek)
	if err != nil {
		return nil, false
	}
	cek, ok := aesKeyUnwrap(kw, t.wrapped)
	if !ok {
		return nil, false
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, false
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, false
	}
	pt, err := gcm.Open(nil, t.iv, t.sealed, []byte(t.protected))
	return pt, err == nil
}

var keyWrapIV = [8]byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

// aesKeyUnwrap is RFC 3394 §2.2.2 (index-based unwrap) with the default IV check.
func aesKeyUnwrap(block cipher.Block, in []byte) ([]byte, bool) {
	if len(in)%8 != 0 || len(in) < 24 {
		return nil, false
	}
	n := len(in)/8 - 1
	var a [8]byte
	copy(a[:], in[:8])
	r := bytes.Clone(in[8:])
	var buf [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			binary.BigEndian.PutUint64(buf[:8], binary.BigEndian.Uint64(a[:])^uint64(n*j+i))
			copy(buf[8:], r[(i-1)*8:i*8])
			block.Decrypt(buf[:], buf[:])
			copy(a[:], buf[:8])
			copy(r[(i-1)*8:i*8], buf[8:])
		}
	}
	return r, subtle.ConstantTimeCompare(a[:], keyWrapIV[:]) == 1
}

// inflate expands an authentic DEFLATE plaintext into a buffer of MaxInflated+1 bytes: a
// stream that fills it is refused there, so a bomb costs at most that much memory.
func inflate(compressed []byte) ([]byte, error) {
	buf := make([]byte, MaxInflated+1)
	r := flate.NewReader(bytes.NewReader(compressed))
	n := 0
	for {
		m, err := r.Read(buf[n:])
		n += m
		if n > MaxInflated {
			return nil, provider.BadRequest(ReasonInflatedTooLarge, fmt.Errorf("inflated plaintext exceeds %d bytes", MaxInflated))
		}
		if err == io.EOF {
			return buf[:n:n], nil
		}
		if err != nil {
			// io.ErrUnexpectedEOF here is a truncated stream, not the end of one.
			return nil, provider.BadRequest(ReasonBadJWE, fmt.Errorf("inflate: %w", err))
		}
	}
}

// Decrypt opens a compact JWE made with one of secrets (AXS webhook data, or our own
// payment-link data), applying the same checks as the webhook. Errors are provider
// Rejections.
func Decrypt(compact string, secrets ...string) ([]byte, error) {
	t, err := parseToken(strings.TrimSpace(compact))
	if err != nil {
		return nil, err
	}
	return t.decrypt(secrets, nil)
}

// encrypt produces the JWE AXS expects: PBES2-HS512+A256KW / A256GCM with p2c 1000, a
// fresh UUID as the salt input and the client id as kid.
func encrypt(plaintext []byte, clientID, secret string, rnd io.Reader) (string, error) {
	if secret == "" {
		return "", errors.New("axs: empty secret")
	}
	salt, err := newUUID(rnd)
	if err != nil {
		return "", err
	}
	return encryptWithSalt(plaintext, clientID, secret, []byte(salt))
}

func encryptWithSalt(plaintext []byte, clientID, secret string, salt []byte) (string, error) {
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{
		Algorithm:  jose.PBES2_HS512_A256KW,
		Key:        []byte(secret),
		KeyID:      clientID,
		PBES2Count: P2C,
		PBES2Salt:  salt,
	}, nil)
	if err != nil {
		return "", fmt.Errorf("axs: encrypter: %w", err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", fmt.Errorf("axs: encrypt: %w", err)
	}
	return obj.CompactSerialize()
}

// newUUID returns a random (version 4) UUID string read from rnd (crypto/rand when nil).
func newUUID(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("axs: salt: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out), nil
}
