package axs

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// floorDecrypt is the least work any PBES2-HS512+A256KW / A256GCM decryption must do, with
// the standard library only: PBKDF2-SHA512 (salt = UTF8(alg) || 0x00 || p2s, RFC 7518
// §4.8.1.1), RFC 3394 key unwrap, AES-256-GCM. It checks nothing else, so the benchmark
// ratio against it shows what our envelope checks and normalization add.
func floorDecrypt(compact, secret string) ([]byte, error) {
	parts := strings.Split(compact, ".")
	if len(parts) != 5 {
		return nil, errors.New("not compact")
	}
	var seg [5][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return nil, err
		}
		seg[i] = b
	}
	var h struct {
		Alg string `json:"alg"`
		P2C int    `json:"p2c"`
		P2S string `json:"p2s"`
	}
	if err := json.Unmarshal(seg[0], &h); err != nil {
		return nil, err
	}
	p2s, err := base64.RawURLEncoding.DecodeString(h.P2S)
	if err != nil {
		return nil, err
	}
	salt := append(append([]byte(h.Alg), 0), p2s...)
	kek, err := pbkdf2.Key(sha512.New, secret, salt, h.P2C, 32)
	if err != nil {
		return nil, err
	}
	kw, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	cek, ok := aesKeyUnwrap(kw, seg[1])
	if !ok {
		return nil, errors.New("key unwrap failed")
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// The AAD is the protected header exactly as it appears in the token (RFC 7516 §5.2).
	return gcm.Open(nil, seg[2], append(seg[3], seg[4]...), []byte(parts[0]))
}

func TestFloorDecryptMatches(t *testing.T) {
	pt := fixture(t, "success.json")
	tok := mustEncrypt(t, pt, testClientID, testSecret)
	got, err := floorDecrypt(tok, testSecret)
	if err != nil || string(got) != string(pt) {
		t.Fatalf("floor: %v %s", err, got)
	}
	if _, err := floorDecrypt(tok, testPrevious); err == nil {
		t.Fatal("floor decrypted with the wrong secret")
	}
}

// benchSample is the SUCCESS delivery, encrypted with the first (active) secret as AXS would.
func benchSample(b *testing.B) []byte {
	samples, err := Samples([]byte(testDoc(testSecret, testPrevious)))
	if err != nil {
		b.Fatal(err)
	}
	return samples[0].Body
}

func BenchmarkVerifyNormalize(b *testing.B) {
	body := benchSample(b)
	p, _ := newTest(b)
	p.beforeDerive = nil
	ctx := context.Background()
	r := req(body)
	b.ReportAllocs()
	for b.Loop() {
		pt, err := p.Verify(ctx, r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Normalize(ctx, pt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalReference decodes the same delivery body, and nothing else.
func BenchmarkUnmarshalReference(b *testing.B) {
	body := benchSample(b)
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptFloor is the cryptographic floor for the same token: PBKDF2 dominates, so
// VerifyNormalize / DecryptFloor is the meaningful ratio for AXS.
func BenchmarkDecryptFloor(b *testing.B) {
	var w struct{ Data string }
	if err := json.Unmarshal(benchSample(b), &w); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := floorDecrypt(w.Data, testSecret); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRejectHugeP2C shows the cost of refusing a p2c of a million: header parsing only.
func BenchmarkRejectHugeP2C(b *testing.B) {
	good := mustEncrypt(b, fixture(b, "success.json"), testClientID, testSecret)
	body := wrap(mutateHeader(b, good, func(h map[string]any) { h["p2c"] = 1000000 }))
	p, _ := newTest(b)
	ctx := context.Background()
	r := req(body)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Verify(ctx, r); err == nil {
			b.Fatal("accepted")
		}
	}
}
