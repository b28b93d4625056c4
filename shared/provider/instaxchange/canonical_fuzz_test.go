package instaxchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzCanonicalJS: the canonicalizer reads attacker-controlled bytes before any signature is
// checked. It must never panic, refuse only with ErrSyntax, and what it produces must be
// JSON that canonicalizes to itself.
func FuzzCanonicalJS(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add([]byte(fx.Body))
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `{"a":1,"a":2,"b":{}}`, `{"2":1,"1":2,"x":3,"__proto__":{"y":1}}`,
		`{"n":1e999,"m":-0,"k":1E-400,"z":0.1e1}`, `{"s":"\ud800\u00e9\u2028"}`, "{\"s\":\"\xff\"}",
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001),
		`{"a":1}}`, ` {"a" : [ 1 , 2 ] } `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := CanonicalJS(body)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error is not ErrSyntax: %v", err)
			}
			return
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form is not JSON: %q", c)
		}
		again, err := CanonicalJS(c)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("canonical form not stable: %q -> %q (%v)", c, again, err)
		}
	})
}
