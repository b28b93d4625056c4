package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// valid is how the callers use the package to check one whole value.
func valid(b []byte) bool {
	i := SkipSpace(b, 0)
	end, err := Value(b, i, 0)
	return err == nil && SkipSpace(b, end) == len(b)
}

var docs = []string{
	``, ` `, `{}`, ` {"a" : 1 } `, `{"a":1,"a":"two"}`, `[]`, `[1,2 , 3]`, `null`, `true`, `false`,
	`"x"`, `42`, `-0.5e+10`, `0`, `-0`, `1E5`, `{"a":-0.5e+10,"b":[1,{"c":[]},true,false,null]}`,
	`{"a\u0062":"\ud83d\ude00 \ud83d x \udc00 \u00e9\n\t\"\\\/"}`, "{\"a\":\"\xff\xfe ok\"}",
	`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", `"abc`, `"abc\`,
	`tru`, `nul`, `NaN`, `{`, `}`, `[`, `]`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{a:1}`, `{"a":1}x`,
	`{} {}`, `{"a":[1,]}`, `{,}`, `[,1]`, "\t\r\n[\t1\r]\n",
}

func TestValidAsJSONValid(t *testing.T) {
	deep := []string{
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		strings.Repeat(`{"a":`, MaxDepth) + `1` + strings.Repeat(`}`, MaxDepth),
		strings.Repeat(`{"a":`, MaxDepth+1) + `1` + strings.Repeat(`}`, MaxDepth+1),
	}
	for _, d := range append(docs, deep...) {
		if got, want := valid([]byte(d)), json.Valid([]byte(d)); got != want {
			t.Errorf("valid(%.40q) = %v, json.Valid %v", d, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{``, "unexpected end at offset 0"},
		{`x`, "unexpected character at offset 0"},
		{`01`, ""}, // a valid 0 followed by data: the caller's concern
		{`-a`, "bad number at offset 0"},
		{`"ab`, "unterminated string at offset 0"},
		{`"a\`, "unterminated escape at offset 2"},
		{`"a\q"`, "bad escape at offset 2"},
		{`"\u00zz"`, `bad \u escape at offset 1`},
		{"\"\x1f\"", "control character in string at offset 1"},
		{`{"a" 1}`, "expected colon at offset 5"},
		{`{1:1}`, "expected object key at offset 1"},
		{`{"a":1`, "unterminated object at offset 6"},
		{`{"a":1]`, "expected comma or } at offset 6"},
		{`[1`, "unterminated array at offset 2"},
		{`[1}`, "expected comma or ] at offset 2"},
	} {
		_, err := Value([]byte(tc.in), 0, 0)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("Value(%q): %v", tc.in, err)
			}
			continue
		}
		if !errors.Is(err, ErrSyntax) || err.Error() != "invalid JSON: "+tc.msg {
			t.Errorf("Value(%q) = %v, want %q wrapping ErrSyntax", tc.in, err, tc.msg)
		}
	}
	if _, err := Value([]byte(`[[1]]`), 0, MaxDepth-1); err == nil {
		t.Error("depth limit not applied to the starting depth")
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		tok, want string
		rewrite   bool
	}{
		{`""`, "", false},
		{`"plain"`, "plain", false},
		{`"é and €"`, "é and €", false},
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t", false},
		{`"\u00e9\u20AC"`, "é€", false},
		{`"\ud83d\ude00"`, "😀", false},
		{`"\ud83d"`, "\uFFFD", true},
		{`"\ud83dx"`, "\uFFFDx", true},
		{`"\ude00"`, "\uFFFD", true},
		{`"\ude00\ud83d"`, "\uFFFD\uFFFD", true},
		{`"\ud83d\ud83d\ude00"`, "\uFFFD😀", true},
		{`"\ud83d\u0041"`, "\uFFFDA", true},
		{`"\ud83d\n"`, "\uFFFD\n", true},
		{"\"a\xffb\"", "a\uFFFDb", true},
		{"\"\xe2\x82\"", "\uFFFD\uFFFD", true},
		{"\"\xff\\n\xfe\"", "\uFFFD\n\uFFFD", true},
		{`"\ufffd"`, "\uFFFD", false},
	} {
		tok := []byte(tc.tok + ` ,`)
		end, rewrite, err := String(tok, 0)
		if err != nil || end != len(tc.tok) || rewrite != tc.rewrite {
			t.Errorf("String(%q) = %d, %v, %v; want %d, %v", tc.tok, end, rewrite, err, len(tc.tok), tc.rewrite)
			continue
		}
		var ref string
		if err := json.Unmarshal([]byte(tc.tok), &ref); err != nil || ref != tc.want {
			t.Fatalf("table entry %q: encoding/json says %q, %v", tc.tok, ref, err)
		}
		if got := string(Unquote(tok[:end])); got != tc.want {
			t.Errorf("Unquote(%q) = %q, want %q", tc.tok, got, tc.want)
		}
		if got := UnquoteString(tok[:end]); got != tc.want {
			t.Errorf("UnquoteString(%q) = %q, want %q", tc.tok, got, tc.want)
		}
	}
}

func TestUnquoteAliases(t *testing.T) {
	tok := []byte(`"plain é"`)
	if got := Unquote(tok); &got[0] != &tok[1] {
		t.Error("Unquote copied a token that needs no decoding")
	}
}

func TestNumber(t *testing.T) {
	for in, n := range map[string]int{
		`0`: 1, `-0`: 2, `12`: 2, `0.5`: 3, `-1.25e+10`: 9, `1E5`: 3, `1e-0`: 4, `01`: 1, `0x`: 1, `1.5.`: 3,
		`-`: -1, `1.`: -1, `1e`: -1, `1e+`: -1, `-x`: -1, `1.e1`: -1,
	} {
		end, err := Number([]byte(in), 0)
		if n < 0 {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("Number(%q) = %d, %v; want ErrSyntax", in, end, err)
			}
		} else if err != nil || end != n {
			t.Errorf("Number(%q) = %d, %v; want %d", in, end, err, n)
		}
	}
}

func TestObjectMembers(t *testing.T) {
	in := []byte(` {"a" : 1 , "b\u0062":[true, {"c":"}"}] ,"a":"x\"y", "n":null} `)
	var got []string
	end, err := Object(in, 1, 0, func(k, v []byte) { got = append(got, string(k)+"="+string(v)) })
	if err != nil || end != len(in)-1 {
		t.Fatalf("Object = %d, %v", end, err)
	}
	want := []string{`"a"=1`, `"b\u0062"=[true, {"c":"}"}]`, `"a"="x\"y"`, `"n"=null`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("members %q, want %q", got, want)
	}
}

func TestHex4(t *testing.T) {
	for in, want := range map[string]rune{"0000": 0, "00e9": 0xe9, "FFFF": 0xffff, "aBcD": 0xabcd, "12": -1, "12g4": -1} {
		v, ok := Hex4([]byte(`\u`+in), 2)
		if ok != (want >= 0) || ok && v != want {
			t.Errorf("Hex4(%q) = %x, %v", in, v, ok)
		}
	}
}

// FuzzScan: whole documents are valid exactly when json.Valid says so, an object's
// members are what decoding it into a map gives, and a string token is accepted and
// decoded exactly as encoding/json accepts and decodes it, with rewrite set whenever
// decoding is not lossless.
func FuzzScan(f *testing.F) {
	for _, d := range docs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := valid(b), json.Valid(b); got != want {
			t.Fatalf("valid(%q) = %v, json.Valid %v", b, got, want)
		}
		if i := SkipSpace(b, 0); i < len(b) && b[i] == '{' && json.Valid(b) {
			got := map[string]string{}
			if _, err := Object(b, i, 0, func(k, v []byte) { got[UnquoteString(k)] = string(v) }); err != nil {
				t.Fatal(err)
			}
			var want map[string]json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d members, decoding has %d: %q", len(got), len(want), b)
			}
			for k, v := range want {
				if g, ok := got[k]; !ok || !json.Valid([]byte(g)) || !bytes.Equal(compact(t, []byte(g)), compact(t, v)) {
					t.Fatalf("member %q = %q, decoding has %q", k, g, v)
				}
			}
		}

		tok := append(append([]byte{'"'}, b...), '"')
		var ref string
		refErr := json.Unmarshal(tok, &ref)
		end, rewrite, err := String(tok, 0)
		if ok := err == nil && end == len(tok); ok != (refErr == nil) {
			t.Fatalf("String(%q) = %d, %v; encoding/json: %v", tok, end, err, refErr)
		}
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		tok = tok[:end]
		if refErr == nil {
			if got := string(Unquote(tok)); got != ref {
				t.Fatalf("Unquote(%q) = %q, encoding/json %q", tok, got, ref)
			}
			if got := UnquoteString(tok); got != ref {
				t.Fatalf("UnquoteString(%q) = %q, encoding/json %q", tok, got, ref)
			}
		}
		inner := tok[1 : len(tok)-1]
		if !utf8.Valid(inner) && !rewrite {
			t.Fatalf("String(%q): invalid UTF-8 without rewrite", tok)
		}
		if rewrite && utf8.Valid(inner) && !strings.ContainsRune(UnquoteString(tok), utf8.RuneError) {
			t.Fatalf("String(%q): rewrite without anything to replace", tok)
		}
	})
}

func compact(t *testing.T, v []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
