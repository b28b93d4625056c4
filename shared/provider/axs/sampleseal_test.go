package axs

import (
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// A sample token is the same on every run, opens with our decryption and with go-jose's,
// and differs per sample (no two samples share a content key or IV).
func TestSealSampleDeterministic(t *testing.T) {
	const kid, secret = "kid-1", "dev-secret-NOT-REAL"
	a, err := sealSample([]byte(`{"a":1}`), kid, secret, "X")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sealSample([]byte(`{"a":1}`), kid, secret, "X")
	c, _ := sealSample([]byte(`{"a":1}`), kid, secret, "Y")
	if a != b || a == c {
		t.Fatalf("same inputs gave different tokens, or different samples the same one")
	}
	if pt, err := Decrypt(a, secret); err != nil || string(pt) != `{"a":1}` {
		t.Fatalf("Decrypt: %q %v", pt, err)
	}
	obj, err := jose.ParseEncrypted(a, []jose.KeyAlgorithm{jose.PBES2_HS512_A256KW}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := obj.Decrypt([]byte(secret)); err != nil || string(pt) != `{"a":1}` || obj.Header.KeyID != kid {
		t.Fatalf("go-jose: %q %v", pt, err)
	}
}
