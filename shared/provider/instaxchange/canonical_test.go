package instaxchange

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

type fixture struct {
	Name string `json:"name"`
	Body string `json:"body"`
}

type vector struct {
	Name      string `json:"name"`
	Canonical string `json:"canonical"`
	Secret    string `json:"secret"`
	Signature string `json:"signature"`
}

func loadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// loadFixtures returns the bodies gen_vectors.js reads, in its order.
func loadFixtures(t testing.TB) []fixture {
	var fx []fixture
	loadJSON(t, "testdata/canonical_fixtures.json", &fx)
	files, err := filepath.Glob("testdata/webhook_*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, golden.Suffix) {
			continue // what a case becomes, not a body
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fx = append(fx, fixture{Name: filepath.Base(f), Body: string(b)})
	}
	return fx
}

func loadVectors(t testing.TB) map[string]vector {
	var vs []vector
	loadJSON(t, "testdata/vectors.json", &vs)
	m := make(map[string]vector, len(vs))
	for _, v := range vs {
		m[v.Name] = v
	}
	return m
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestCanonicalJSVectors checks the canonicalizer against node's own JSON.stringify
// (testdata/vectors.json, made by testdata/gen_vectors.js).
func TestCanonicalJSVectors(t *testing.T) {
	fx := loadFixtures(t)
	vs := loadVectors(t)
	if len(vs) != len(fx) {
		t.Fatalf("%d vectors for %d fixtures: regenerate testdata/vectors.json", len(vs), len(fx))
	}
	for _, f := range fx {
		t.Run(f.Name, func(t *testing.T) {
			v, ok := vs[f.Name]
			if !ok {
				t.Fatalf("no vector for %q: regenerate testdata/vectors.json", f.Name)
			}
			got, err := CanonicalJS([]byte(f.Body))
			if err != nil {
				t.Fatalf("CanonicalJS: %v", err)
			}
			if string(got) != v.Canonical {
				t.Fatalf("canonical mismatch\n got %s\nwant %s", got, v.Canonical)
			}
			if sig, err := Sign([]byte(f.Body), v.Secret); err != nil || sig != v.Signature {
				t.Fatalf("Sign = %q, %v; node says %q", sig, err, v.Signature)
			}
			// The canonical form is a fixed point.
			again, err := CanonicalJS(got)
			if err != nil || string(again) != string(got) {
				t.Fatalf("not idempotent: %s (%v)", again, err)
			}
		})
	}
}

// TestCanonicalPHP uses hand-derived json_encode output (no PHP on the build machine).
// Rules applied, from php-src ext/json and Zend/zend_strtod.c (zend_gcvt):
//   - ksort on the top level only; integer-like keys are ints, "-0" and "01" stay strings;
//   - non-ASCII as lower-case \uxxxx, astral as a surrogate pair, '/' raw (UNESCAPED_SLASHES);
//   - {} and any 0..n-1 keyed object print as lists;
//   - doubles: shortest digits; exponent form when the decimal point position is > 17 or
//     < -3 (so 1e-4 is 0.0001 but 1e-5 is 1.0e-5, 1e16 is 10000000000000000 but 1e17 is
//     1.0e+17); an integral double has no fraction (3.0 -> 3) without
//     JSON_PRESERVE_ZERO_FRACTION; integers beyond int64 are doubles.
func TestCanonicalPHP(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{
			// ASCII, two-decimal and long floats, ints: the same text as JSON.stringify.
			name: "doc_completed",
			body: loadFixtureBody(t, "doc_completed"),
			want: loadVectors(t)["doc_completed"].Canonical,
		},
		{
			name: "unicode_and_empty_object",
			body: `{"b":"é/\u00e9\/","a":"😀 \u2028 <>&","c":{}}`,
			// 😀 U+1F600 -> \ud83d\ude00; é -> \u00e9; {} -> [].
			want: `{"a":"\ud83d\ude00 \u2028 <>&","b":"\u00e9/\u00e9/","c":[]}`,
		},
		{
			name: "numbers",
			body: `{"x":3.0,"y":1e2,"z":2.50,"w":1e16,"v":1e17,"u":0.0001,"t":0.00001,"s":1e-7,"r":1e25,` +
				`"q":0.1,"p":-0,"o":-0.0,"n":12345678901234567890,"m":9223372036854775807,` +
				`"l":-9223372036854775808,"k":0.30000000000000004,"j":1e21}`,
			// n overflows int64: the double 12345678901234567168 has the shortest digits
			// 12345678901234567 and the point at 20 > 17. -0 is int 0; -0.0 is the double -0.
			want: `{"j":1.0e+21,"k":0.30000000000000004,"l":-9223372036854775808,"m":9223372036854775807,` +
				`"n":1.2345678901234567e+19,"o":-0,"p":0,"q":0.1,"r":1.0e+25,"s":1.0e-7,"t":1.0e-5,` +
				`"u":0.0001,"v":1.0e+17,"w":10000000000000000,"x":3,"y":100,"z":2.5}`,
		},
		{
			name: "top_level_list",
			body: `{"1":"b","0":"a"}`,
			// int keys 1, 0 -> ksort -> 0, 1 -> a list.
			want: `["a","b"]`,
		},
		{
			name: "integer_keys_and_lists",
			body: `{"d":{"1":"x","0":"y"},"e":{"0":"p","1":"q"},"f":{"0":"z","2":"w"},"-1":1,"b":2,"10":3,"9":4,"B":5}`,
			// ints -1 < 9 < 10 numerically; an int against a non-numeric string compares
			// as text ("10" < "B"); strings by bytes (B < b). Nested order is kept: d is
			// not a list (1, 0), e is, f is not (0, 2).
			want: `{"-1":1,"9":4,"10":3,"B":5,"b":2,"d":{"1":"x","0":"y"},"e":["p","q"],"f":{"0":"z","2":"w"}}`,
		},
		{
			name: "duplicates_and_numeric_strings",
			body: `{"a":1,"-0":2,"01":3,"a":4,"n":{"k":1,"k":2}}`,
			// "-0" and "01" are numeric strings (0 and 1) compared numerically with
			// each other and as text with "a"; the last duplicate wins in place.
			want: `{"-0":2,"01":3,"a":4,"n":{"k":2}}`,
		},
		{
			name: "escapes",
			body: `{"s":"\u0001\/\"\\` + "\x7f" + `\t\u001F"}`,
			want: `{"s":"\u0001/\"\\` + "\x7f" + `\t\u001f"}`,
		},
		{name: "empty", body: ` {} `, want: `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalPHP([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func loadFixtureBody(t testing.TB, name string) string {
	for _, f := range loadFixtures(t) {
		if f.Name == name {
			return f.Body
		}
	}
	t.Fatalf("no fixture %q", name)
	return ""
}

func TestCanonicalPHPNoForm(t *testing.T) {
	for name, body := range map[string]string{
		"lone_high_surrogate": `{"s":"\ud800"}`,
		"lone_low_surrogate":  `{"s":"\udc00x"}`,
		"infinity":            `{"n":1e400}`,
		"too_deep":            `{"a":` + strings.Repeat("[", 512) + strings.Repeat("]", 512) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := CanonicalPHP([]byte(body)); !errors.Is(err, ErrNoPHPForm) {
				t.Fatalf("err = %v, want ErrNoPHPForm", err)
			}
			if _, err := CanonicalJS([]byte(body)); err != nil {
				t.Fatalf("JS form should exist: %v", err)
			}
		})
	}
	// 512 levels in all is json_decode's limit, still fine.
	ok := `{"a":` + strings.Repeat("[", 511) + strings.Repeat("]", 511) + `}`
	if _, err := CanonicalPHP([]byte(ok)); err != nil {
		t.Fatalf("depth 512: %v", err)
	}
}

func TestCanonicalSyntaxErrors(t *testing.T) {
	for name, body := range map[string]string{
		"empty":             ``,
		"array":             `[1,2]`,
		"string":            `"x"`,
		"number":            `1`,
		"null":              `null`,
		"truncated":         `{"a":1`,
		"trailing_comma":    `{"a":1,}`,
		"trailing_data":     `{"a":1} x`,
		"two_objects":       `{}{}`,
		"single_quotes":     `{'a':1}`,
		"leading_zero":      `{"a":01}`,
		"bare_dot":          `{"a":1.}`,
		"plus":              `{"a":+1}`,
		"nan":               `{"a":NaN}`,
		"control_in_string": "{\"a\":\"x\ny\"}",
		"bad_escape":        `{"a":"\x41"}`,
		"short_unicode":     `{"a":"\u12"}`,
		"invalid_utf8":      "{\"a\":\"\xff\"}",
		"utf8_surrogate":    "{\"a\":\"\xed\xa0\x80\"}",
		"bom":               "\ufeff{}",
		"unquoted_key":      `{a:1}`,
		"missing_colon":     `{"a" 1}`,
		"bad_literal":       `{"a":tru}`,
		"vertical_tab_ws":   "{\v}",
		"deep":              `{"a":` + strings.Repeat("[", maxDepthJS) + strings.Repeat("]", maxDepthJS) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := CanonicalJS([]byte(body)); !errors.Is(err, ErrSyntax) {
				t.Fatalf("CanonicalJS err = %v, want ErrSyntax", err)
			}
			if _, err := CanonicalPHP([]byte(body)); err == nil {
				t.Fatal("CanonicalPHP accepted it")
			}
			// encoding/json is laxer about UTF-8 and depth; everything else it must reject too.
			if json.Valid([]byte(body)) && strings.HasPrefix(body, "{") && !strings.Contains(name, "utf8") && name != "deep" {
				t.Fatal("encoding/json thinks this is valid: the test case is wrong")
			}
		})
	}
}

// TestNumberFormatting pins the two number printers on values whose formatting rules
// change around the thresholds (JS values as printed by node).
func TestNumberFormatting(t *testing.T) {
	tests := []struct {
		f       float64
		js, php string
	}{
		{0, "0", "0"},
		{math.Copysign(0, -1), "0", "-0"},
		{0.1, "0.1", "0.1"},
		{1e-7, "1e-7", "1.0e-7"},
		{1e-6, "0.000001", "1.0e-6"},
		{1.5e-8, "1.5e-8", "1.5e-8"},
		{1e21, "1e+21", "1.0e+21"},
		{1e20, "100000000000000000000", "1.0e+20"},
		{123e18, "123000000000000000000", "1.23e+20"},
		{1e17, "100000000000000000", "1.0e+17"},
		{1e16, "10000000000000000", "10000000000000000"},
		{0.30000000000000004, "0.30000000000000004", "0.30000000000000004"},
		{-1.25e-10, "-1.25e-10", "-1.25e-10"},
		{3, "3", "3"},
		{5e-324, "5e-324", "5.0e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308", "1.7976931348623157e+308"},
		{123.456, "123.456", "123.456"},
		{0.0001, "0.0001", "0.0001"},
		{0.00001, "0.00001", "1.0e-5"},
	}
	for _, tc := range tests {
		if got := string(appendJSNumber(nil, tc.f)); got != tc.js {
			t.Errorf("JS %v: got %s want %s", tc.f, got, tc.js)
		}
		if got := string(appendPHPNumber(nil, tc.f)); got != tc.php {
			t.Errorf("PHP %v: got %s want %s", tc.f, got, tc.php)
		}
	}
	if got := string(appendJSNumber(nil, math.Inf(1))); got != "null" {
		t.Errorf("Infinity: %s", got)
	}
}

// The signed text is the sender's parsed value printed again, not the body's text: a
// number written past a double's precision is signed as the double it parses to, and that
// is what Normalize records (see TestGolden's webhook_signed_values).
func TestCanonicalSignedNumbers(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":3.7400000000000000001}`:             `{"a":3.74}`,
		`{"a":3.739999999999999999999}`:           `{"a":3.74}`,
		`{"a":9007199254740993}`:                  `{"a":9007199254740992}`,
		`{"a":12345678901234567890}`:              `{"a":12345678901234567000}`,
		`{"a":1e2,"b":1.50,"c":-0,"d":0.0000001}`: `{"a":100,"b":1.5,"c":0,"d":1e-7}`,
	} {
		got, err := CanonicalJS([]byte(body))
		if err != nil || string(got) != want {
			t.Errorf("%s: got %s (%v), want %s", body, got, err, want)
		}
	}
}

// Ids that differ only in lone surrogates are different texts to the sender and stay
// different in the signed form: \ud800 and \ud801 are kept as escapes (JSON.stringify's
// well-formed output), U+FFFD as itself. None collapses into another.
func TestCanonicalLoneSurrogateIDs(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{`t\ud800`, `t\ud801`, `t\ufffd`, `t\udc00`} {
		got, err := CanonicalJS([]byte(`{"transactionId":"` + id + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[string(got)]; dup {
			t.Errorf("%s and %s have one signed form %s", id, other, got)
		}
		seen[string(got)] = id
	}
	if got, _ := CanonicalJS([]byte(`{"transactionId":"t\ud800"}`)); string(got) != `{"transactionId":"t\ud800"}` {
		t.Errorf("lone surrogate not kept as an escape: %s", got)
	}
	if got, _ := CanonicalJS([]byte(`{"transactionId":"t\ufffd"}`)); string(got) != "{\"transactionId\":\"t\uFFFD\"}" {
		t.Errorf("U+FFFD: %s", got)
	}
}
