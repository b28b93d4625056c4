package kit_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit"
)

// Parse never panics, refuses exactly what encoding/json refuses (plus repeated keys and
// non-objects), and every read of a parsed object either works or records a typed
// rejection.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"a":1,"a":2}`, `{"t":{"":"","":9}}`, `{"d":[{"c":1},{"c":2,"c":3}]}`,
		`{"data":"{\"x\":1}"}`, `{"\u0061":"\ud800"}`, `{"a":{"b":[1,{"c":null}]}} `, `[]`, `{"a":1}x`,
		`{"currency":"john.doe\u0040example.com","amount":5555555555554444e0,"b":"5555555555554444.0","c":"5.555555555554444e15"}`,
		`{"currency":"USDT-AVALANCHE","amount":"0.0421399418187522","ccy":"4111 1111 1111 1111"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := kit.Parse(b)
		if err != nil {
			if _, ok := provider.AsRejection(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			var v map[string]any
			if json.Unmarshal(b, &v) == nil && v != nil && !repeats(b) {
				t.Fatalf("refused a valid object: %v", err)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		for _, k := range o.Keys() {
			o.Text(k, kit.Optional)
			o.Ref(k, kit.Optional)
			o.Decimal(k, kit.Optional)
			o.Money(k, o.Currency(k, kit.Optional), kit.Optional)
			o.Value(k)
			in, _ := o.ObjectOrString(k, kit.Optional)
			for _, ik := range in.Keys() {
				in.String(ik, kit.Required)
			}
		}
		if err := o.Err(); err != nil {
			if _, ok := provider.AsRejection(err); !ok {
				t.Fatalf("untyped read error %v", err)
			}
		}
	})
}

// repeats reports whether some object in the valid JSON b repeats a key, reading it as
// encoding/json's token stream (an independent reading of the same text).
func repeats(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // the next string token in this object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				top.key = false
				continue
			}
			if top != nil && top.obj {
				top.key = true
			}
		default:
			if top != nil && top.obj {
				top.key = true
			}
		}
	}
}
