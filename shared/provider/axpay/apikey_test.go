package axpay_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/provider/axpay"
)

// Known answer from the web3.js documentation (web3.eth.accounts.sign), checked against the
// messageHash, v (0x1c) and signature it publishes:
// https://docs.web3js.org/api/web3-eth-accounts/function/sign
const (
	vectorKey     = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
	vectorMessage = "Some data"
	vectorHash    = "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
	vectorSig     = "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c"
	vectorAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
)

func TestEIP191KnownAnswer(t *testing.T) {
	if got := hex.EncodeToString(axpay.Digest(axpay.SchemeEIP191, []byte(vectorMessage))); got != vectorHash {
		t.Fatalf("digest %s, want %s", got, vectorHash)
	}
	// keccak-256 of "" (not SHA3-256, whose answer is a7ffc6f8...).
	if got := hex.EncodeToString(axpay.Digest(axpay.SchemeRawKeccak, nil)); got != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" {
		t.Fatalf("keccak(\"\") = %s", got)
	}
	// The message is the template itself when it has no placeholder.
	s, err := axpay.NewSigner("unused", vectorKey, "", vectorMessage)
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.APIKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if key != vectorSig {
		t.Fatalf("signature\n got %s\nwant %s", key, vectorSig)
	}
	if s.Address() != vectorAddress {
		t.Fatalf("address %s, want %s", s.Address(), vectorAddress)
	}
	addr, err := axpay.RecoverAddress(axpay.SchemeEIP191, vectorSig, vectorMessage)
	if err != nil || addr != vectorAddress {
		t.Fatalf("recovered %s %v", addr, err)
	}
}

func TestAPIKeyDeterministicAndRecoverable(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		scheme   axpay.Scheme
		template string
		message  string
	}{
		{"", "", testClient},
		{axpay.SchemeEIP191, "{clientId}", testClient},
		{axpay.SchemeRawKeccak, "", testClient},
		{axpay.SchemeEIP191, "{clientId}:{timestampMs}", testClient + ":1767225600000"},
		{"raw-keccak", `{"clientId":"{clientId}","ts":{timestampMs}}`, `{"clientId":"` + testClient + `","ts":1767225600000}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.scheme)+" "+tt.template, func(t *testing.T) {
			s, err := axpay.NewSigner(testClient, testPrivKey, tt.scheme, tt.template)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Message(now); got != tt.message {
				t.Fatalf("message %q, want %q", got, tt.message)
			}
			k1, err := s.APIKey(now)
			if err != nil {
				t.Fatal(err)
			}
			k2, _ := s.APIKey(now)
			if k1 != k2 {
				t.Fatal("not deterministic")
			}
			if len(k1) != 132 || !strings.HasPrefix(k1, "0x") || (k1[130:] != "1b" && k1[130:] != "1c") {
				t.Fatalf("key shape %s", k1)
			}
			if err := axpay.VerifyAPIKey(s.Scheme(), k1, tt.message, s.PublicKey()); err != nil {
				t.Fatal(err)
			}
			addr, err := axpay.RecoverAddress(s.Scheme(), k1, tt.message)
			if err != nil || addr != vectorAddress {
				t.Fatalf("recovered %s %v", addr, err)
			}
			// The other scheme, or another message, recovers someone else.
			other := axpay.SchemeRawKeccak
			if s.Scheme() == axpay.SchemeRawKeccak {
				other = axpay.SchemeEIP191
			}
			if axpay.VerifyAPIKey(other, k1, tt.message, s.PublicKey()) == nil {
				t.Fatal("verified under the wrong scheme")
			}
			if axpay.VerifyAPIKey(s.Scheme(), k1, tt.message+"x", s.PublicKey()) == nil {
				t.Fatal("verified another message")
			}
		})
	}
}

func TestRecoverAcceptsBareRecoveryID(t *testing.T) {
	raw, _ := hex.DecodeString(vectorSig[2:])
	raw[64] -= 27
	addr, err := axpay.RecoverAddress(axpay.SchemeEIP191, hex.EncodeToString(raw), vectorMessage)
	if err != nil || addr != vectorAddress {
		t.Fatalf("%s %v", addr, err)
	}
}

func TestRecoverRejectsMalformed(t *testing.T) {
	for name, k := range map[string]string{
		"empty":     "",
		"short":     vectorSig[:100],
		"not hex":   "0x" + strings.Repeat("zz", 65),
		"bad v":     vectorSig[:130] + "30",
		"zero r":    "0x" + strings.Repeat("00", 32) + vectorSig[66:],
		"overflows": "0x" + strings.Repeat("ff", 64) + "1b",
	} {
		if _, err := axpay.RecoverAddress(axpay.SchemeEIP191, k, vectorMessage); !errors.Is(err, axpay.ErrBadAPIKey) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestNewSignerErrors(t *testing.T) {
	secretish := "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231g"
	tests := map[string]struct{ key, scheme, template, client string }{
		"not hex":             {secretish, "", "", "c"},
		"short":               {secretish[:40], "", "", "c"},
		"zero":                {strings.Repeat("0", 64), "", "", "c"},
		"above group order":   {strings.Repeat("f", 64), "", "", "c"},
		"unknown scheme":      {testPrivKey, "sha256", "", "c"},
		"unknown placeholder": {testPrivKey, "", "{clientID}", "c"},
		"no client id":        {testPrivKey, "", "", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := axpay.NewSigner(tt.client, tt.key, axpay.Scheme(tt.scheme), tt.template)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			for _, frag := range []string{secretish[:16], secretish[40:], "'g'", "U+0067"} {
				if strings.Contains(msg, frag) {
					t.Fatalf("error quotes the key: %s", msg)
				}
			}
		})
	}
}

// The private key must not come out of any formatting path.
func TestPrivateKeyNeverPrinted(t *testing.T) {
	s, err := axpay.NewSigner(testClient, testPrivKey, "", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := axpay.Config{ClientID: testClient, PrivateKey: axpay.NewSecret(testPrivKey), WebhookAPIKeys: axpay.NewSecretList(activeKey)}
	c, err := cfg.Client(nil)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Signer *axpay.Signer
		Config axpay.Config
	}
	keyHex := strings.TrimPrefix(testPrivKey, "0x")
	type hidden struct {
		s   axpay.Signer
		ps  *axpay.Signer
		cfg *axpay.Config
	}
	values := []any{s, *s, cfg, &cfg, c, *c, holder{s, cfg}, &holder{s, cfg}, []any{s, cfg},
		hidden{*s, s, &cfg}, &hidden{*s, s, &cfg}, (*axpay.Signer)(nil)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		for i, v := range values {
			out := fmt.Sprintf(verb, v)
			low := strings.ToLower(out)
			if strings.Contains(low, keyHex) || strings.Contains(low, keyHex[:16]) || strings.Contains(out, activeKey) {
				t.Fatalf("%s of value %d prints a secret: %s", verb, i, out)
			}
			// %x of a byte-ish rendering of the scalar would not contain the hex string
			// itself; make sure the scalar's words are not printed either.
			if strings.Contains(out, "PrivateKey{") || strings.Contains(out, "ModNScalar") {
				t.Fatalf("%s of value %d prints the key structure: %s", verb, i, out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(s), vectorAddress) {
		t.Fatalf("String should show the address: %s", s)
	}
}

func TestConfigSecret(t *testing.T) {
	cfg, err := axpay.ParseConfig([]byte(`{"clientId":"c1","privateKey":"` + testPrivKey + `","webhookApiKeys":["k"],"apiKeyScheme":"raw-keccak","apiKeyMessage":"{clientId}/{timestampMs}"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PrivateKey.Reveal() != testPrivKey || len(cfg.WebhookAPIKeys.Reveal()) != 1 {
		t.Fatal("key not decoded")
	}
	out, _ := json.Marshal(cfg)
	if strings.Contains(string(out), testPrivKey[2:]) || strings.Contains(string(out), `"k"`) {
		t.Fatalf("marshalled config holds the key: %s", out)
	}
	s, err := cfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if s.Scheme() != axpay.SchemeRawKeccak || s.Message(time.UnixMilli(5)) != "c1/5" {
		t.Fatalf("signer %v message %q", s, s.Message(time.UnixMilli(5)))
	}
	if _, err := axpay.ParseConfig([]byte(`{"privateKey": 12}`)); err == nil {
		t.Fatal("numeric key accepted")
	}
}
