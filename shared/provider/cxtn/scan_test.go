package cxtn

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/support/jsonscan"
)

// decodeReference is what Normalize used before the walk: a generic decode keeping number
// text, refusing anything but one object.
func decodeReference(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("null")
	}
	if len(bytes.Trim(b[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, errors.New("trailing data")
	}
	return m, nil
}

// checkMembersAsDecode checks that members accepts what the decode accepts and reports,
// for every key as the decoded map has it, the value the map holds.
func checkMembersAsDecode(t *testing.T, b []byte) {
	t.Helper()
	got := map[string][]byte{}
	err := members(b, func(k, v []byte) { got[string(jsonscan.Unquote(k))] = v })
	want, refErr := decodeReference(b)
	if (err == nil) != (refErr == nil) {
		t.Fatalf("members err = %v, decode err = %v for %q", err, refErr, b)
	}
	if err != nil {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys, decode has %d: %q", len(got), len(want), b)
	}
	for k, w := range want {
		v, ok := got[k]
		if !ok {
			t.Fatalf("key %q missing: %q", k, b)
		}
		switch w := w.(type) {
		case string:
			if v[0] != '"' || string(jsonscan.Unquote(v)) != w {
				t.Fatalf("%q = %q, decode has %q", k, v, w)
			}
		case json.Number:
			if string(v) != string(w) {
				t.Fatalf("%q = %q, decode has %q", k, v, w)
			}
		case nil:
			if string(v) != "null" {
				t.Fatalf("%q = %q, decode has null", k, v)
			}
		default:
			var x any
			if json.Unmarshal(v, &x) != nil {
				t.Fatalf("%q = %q is not JSON", k, v)
			}
		}
	}
}

var scanSeeds = []string{
	`{}`, ` {"a" : 1 } `, `{"a":1,"a":"two"}`, `{"a\u0062":"\ud83d\ude00 \ud83d x \udc00 \u00e9\n\t\"\\\/"}`,
	"{\"a\":\"\xff\xfe ok\"}", "{\"\xffk\":1}", `{"a":-0.5e+10,"b":[1,{"c":[]},true,false,null]}`,
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}",
	`{"a":1,}`, `{"a" 1}`, `{"a":tru}`, `{"a":1}x`, `{"a":1}{}`, `[]`, `null`, `"{}"`, `42`, ``, `{`, `{"a":[1,]}`,
	`{"data":"{\"objectId\":1}"}`,
}

// deepSeeds sit at encoding/json's nesting limit; too big to be useful fuzzing seeds.
var deepSeeds = []string{
	strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000),
	strings.Repeat(`{"a":`, 10001) + `1` + strings.Repeat(`}`, 10001), `{"a":` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999) + `}`,
	`{"a":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000) + `}`,
}

func TestMembersAsDecode(t *testing.T) {
	for _, s := range append(scanSeeds, deepSeeds...) {
		checkMembersAsDecode(t, []byte(s))
	}
}

func FuzzMembers(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if m, err := decodeReference(b); err == nil {
			if s, ok := m["data"].(string); ok {
				f.Add([]byte(s))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkMembersAsDecode(t, b)
	})
}
