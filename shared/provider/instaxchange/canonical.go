package instaxchange

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/payhooks/payhooks/shared/support/jsonscan"
)

// The signature covers a re-serialization of the body, not the bytes on the wire, so
// verifying means reproducing the sender's serializer byte for byte. Two senders are
// documented:
//
//   - TypeScript (the provider's own server, primary): JSON.parse semantics, top-level keys
//     from Object.keys(body).sort() copied into a fresh object, JSON.stringify.
//   - PHP (the doc's receiver example): json_decode($raw, true), ksort, json_encode with
//     JSON_UNESCAPED_SLASHES.
//
// Both are produced by one single-pass tokenizer that writes the canonical form while it
// reads; objects are re-ordered in place only when their keys demand it.
//
// JavaScript details reproduced (checked against node v20, see testdata/gen_vectors.js):
//   - Property order of every object is "array index" keys ("0".."4294967294") ascending,
//     then the others in insertion order; a duplicate key keeps its first position and takes
//     the last value. At the top level the sender sorts Object.keys by UTF-16 code units
//     but then assigns them into a plain object, so array-index keys still come first in
//     numeric order, followed by the other keys in code-unit order.
//   - A top-level "__proto__" key is dropped: the sender's assignment hits the prototype
//     setter and creates no own property. Nested "__proto__" keys (made by JSON.parse as
//     own data properties) are kept.
//   - Strings: only `"`, `\` and C0 controls are escaped (\b \f \n \r \t, else \u00xx),
//     lone surrogates as \udxxx; everything else, U+2028/U+2029 included, is raw UTF-8.
//   - Numbers: Number.prototype.toString of the parsed double; overflow to Infinity prints
//     null, as JSON.stringify does.
//
// PHP details reproduced (PHP >= 8.2, serialize_precision = -1):
//   - Objects become arrays: canonical decimal int64 keys ("-5" yes, "05" and "-0" no)
//     become integer keys; duplicates keep the first position and the last value.
//   - An array whose keys are exactly 0..n-1 in order is printed as a JSON list, so {} and
//     {"0":"a","1":"b"} print as [] and ["a","b"]. Only the top level is ksorted.
//   - Strings: non-ASCII as \uxxxx (surrogate pairs for astral), lower-case hex; '/' raw.
//     A lone surrogate escape makes json_decode fail, so there is no PHP form.
//   - Integers that fit int64 print as integers ("-0" as 0); others are doubles printed by
//     zend_gcvt with 17 digits and mode 0: shortest round-trip digits, exponent form
//     ("1.0e-7", "1.0e+25") when the decimal exponent is < -4 or >= 17. An integral double
//     prints without a fraction ("3.0" -> "3") because json_encode is not given
//     JSON_PRESERVE_ZERO_FRACTION. Infinity makes json_encode fail: no PHP form.
//   - Nesting deeper than json_decode's default 512 levels: no PHP form.
//   - ksort limits: the comparator follows PHP 8's key comparison (ints numerically,
//     numeric strings numerically, other strings byte-wise, int vs non-numeric string as
//     strings). PHP's own comparison is not transitive for mixes of numeric and
//     non-numeric keys and zend_sort's exact sequence of comparisons is not reproduced, so
//     such mixes may order differently; integer overflow corner cases of smart_strcmp
//     are approximated with float64. Realistic payloads (identifier keys) are exact.

// ErrSyntax reports a body that is not one JSON object (or that no sender's parser would
// accept, such as invalid UTF-8).
var ErrSyntax = errors.New("invalid JSON")

// ErrNoPHPForm reports a body that the PHP variant cannot reproduce (json_decode or
// json_encode would fail on it).
var ErrNoPHPForm = errors.New("no PHP canonical form")

const (
	maxDepthJS  = 10000 // V8 would run out of stack well before; keeps recursion bounded
	maxDepthPHP = 512   // json_decode's default depth
	// objects up to this many members find duplicate keys by linear search
	linearDupLimit = 32
)

type mode uint8

const (
	modeJS mode = iota
	modePHP
)

// member is one object member as written to the output buffer.
type member struct {
	keyStart, keyEnd int // encoded key, quotes included
	valStart, valEnd int
	isInt            bool  // JS array index / PHP integer key
	ival             int64 // its value
	// top-level only: the decoded key in the canonicalizer's scratch (UTF-16 units for JS,
	// bytes for PHP) and, for PHP, how it reads as a number.
	skStart, skEnd int
	numKind        phpNumKind
	numInt         int64
	numFloat       float64
}

type canonicalizer struct {
	in      []byte
	pos     int
	out     []byte
	mode    mode
	depth   int
	members []member
	tmp     []byte
	units   []uint16
	kbuf    []byte
	// phpSame, kept by a JS run, stays true while nothing seen could make the PHP form
	// differ from the JS form; it lets Verify skip the PHP pass for most payloads.
	phpSame bool
}

var pool = sync.Pool{New: func() any { return new(canonicalizer) }}

func getCanonicalizer() *canonicalizer { return pool.Get().(*canonicalizer) }

func putCanonicalizer(c *canonicalizer) {
	// Large buffers from an unusually large body are not worth keeping around.
	if cap(c.out) > 1<<20 || cap(c.tmp) > 1<<20 {
		return
	}
	c.in = nil
	pool.Put(c)
}

// CanonicalJS returns the form the TypeScript sender hashes: JSON.stringify of the body
// with its top-level keys sorted. It fails with ErrSyntax when body is not a JSON object.
func CanonicalJS(body []byte) ([]byte, error) {
	return canonicalCopy(body, modeJS)
}

// CanonicalPHP returns the form the documented PHP receiver hashes: json_encode of the
// ksorted json_decode($body, true), with JSON_UNESCAPED_SLASHES. It fails with ErrSyntax
// when body is not a JSON object and with ErrNoPHPForm when PHP could not encode it.
func CanonicalPHP(body []byte) ([]byte, error) {
	return canonicalCopy(body, modePHP)
}

func canonicalCopy(body []byte, m mode) ([]byte, error) {
	c := getCanonicalizer()
	defer putCanonicalizer(c)
	out, err := c.run(body, m)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(out), nil
}

// run canonicalizes body; the result aliases c's buffer and is valid until c is reused.
func (c *canonicalizer) run(body []byte, m mode) ([]byte, error) {
	c.in, c.pos, c.mode, c.depth = body, 0, m, 0
	c.out = c.out[:0]
	c.members = c.members[:0]
	c.units = c.units[:0]
	c.kbuf = c.kbuf[:0]
	c.phpSame = m == modeJS
	c.skipWS()
	if c.pos >= len(c.in) || c.in[c.pos] != '{' {
		return nil, fmt.Errorf("%w: body is not an object", ErrSyntax)
	}
	if err := c.object(true); err != nil {
		return nil, err
	}
	c.skipWS()
	if c.pos != len(c.in) {
		return nil, c.syntax("data after the object")
	}
	return c.out, nil
}

func (c *canonicalizer) syntax(msg string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, msg, c.pos)
}

func (c *canonicalizer) skipWS() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canonicalizer) value() error {
	c.skipWS()
	if c.pos >= len(c.in) {
		return c.syntax("unexpected end")
	}
	switch b := c.in[c.pos]; {
	case b == '{':
		return c.object(false)
	case b == '[':
		return c.array()
	case b == '"':
		return c.str()
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	}
	return c.syntax("unexpected character")
}

func (c *canonicalizer) literal(lit string) error {
	if len(c.in)-c.pos < len(lit) || string(c.in[c.pos:c.pos+len(lit)]) != lit {
		return c.syntax("bad literal")
	}
	c.pos += len(lit)
	c.out = append(c.out, lit...)
	return nil
}

func (c *canonicalizer) enter() error {
	c.depth++
	if c.depth > maxDepthPHP {
		c.phpSame = false
	}
	if c.mode == modePHP && c.depth > maxDepthPHP {
		return fmt.Errorf("%w: nested deeper than %d", ErrNoPHPForm, maxDepthPHP)
	}
	if c.depth > maxDepthJS {
		return c.syntax("nested too deeply")
	}
	return nil
}

func (c *canonicalizer) array() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.pos++
	c.out = append(c.out, '[')
	c.skipWS()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		c.depth--
		return nil
	}
	for {
		if err := c.value(); err != nil {
			return err
		}
		c.skipWS()
		if c.pos >= len(c.in) {
			return c.syntax("unterminated array")
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			c.depth--
			return nil
		default:
			return c.syntax("expected , or ]")
		}
	}
}

func (c *canonicalizer) object(top bool) error {
	if err := c.enter(); err != nil {
		return err
	}
	c.pos++
	objStart := len(c.out)
	c.out = append(c.out, '{')
	base := len(c.members)
	rebuild := top
	anyInt := false
	var index map[string]int // duplicate finder for large objects

	c.skipWS()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		if c.mode == modePHP {
			c.out = append(c.out[:objStart], '[', ']')
		} else {
			c.out = append(c.out, '}')
			c.phpSame = false
		}
		c.depth--
		return nil
	}
	for {
		c.skipWS()
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return c.syntax("expected object key")
		}
		keyStart := len(c.out)
		if err := c.str(); err != nil {
			return err
		}
		keyEnd := len(c.out)
		c.skipWS()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return c.syntax("expected :")
		}
		c.pos++
		c.out = append(c.out, ':')
		valStart := len(c.out)
		if err := c.value(); err != nil {
			return err
		}
		m := member{keyStart: keyStart, keyEnd: keyEnd, valStart: valStart, valEnd: len(c.out)}
		m.isInt, m.ival = c.intKey(c.out[keyStart+1 : keyEnd-1])
		anyInt = anyInt || m.isInt
		if m.isInt || top && c.phpSame && !plainKey(c.out[keyStart+1:keyEnd-1]) {
			// PHP may sort it (numeric strings) or list it differently.
			c.phpSame = false
		}

		// JSON.parse and json_decode both keep a repeated key at its first position with
		// the last value.
		dup := -1
		key := c.out[keyStart:keyEnd]
		n := len(c.members) - base
		if n < linearDupLimit {
			for j := base; j < len(c.members); j++ {
				if bytes.Equal(c.out[c.members[j].keyStart:c.members[j].keyEnd], key) {
					dup = j
					break
				}
			}
		} else {
			if index == nil {
				index = make(map[string]int, 2*n)
				for j := base; j < len(c.members); j++ {
					index[string(c.out[c.members[j].keyStart:c.members[j].keyEnd])] = j
				}
			}
			if j, ok := index[string(key)]; ok {
				dup = j
			} else {
				index[string(key)] = len(c.members)
			}
		}
		if dup >= 0 {
			c.members[dup].valStart, c.members[dup].valEnd = m.valStart, m.valEnd
			rebuild = true
		} else {
			c.members = append(c.members, m)
		}

		c.skipWS()
		if c.pos >= len(c.in) {
			return c.syntax("unterminated object")
		}
		if c.in[c.pos] == ',' {
			c.pos++
			c.out = append(c.out, ',')
			continue
		}
		if c.in[c.pos] != '}' {
			return c.syntax("expected , or }")
		}
		c.pos++
		break
	}
	c.depth--

	ms := c.members[base:]
	asList := false
	if c.mode == modeJS {
		if top {
			c.sortTopJS(ms)
		} else if anyInt {
			slices.SortStableFunc(ms, cmpIndexFirst)
			rebuild = true
		}
	} else {
		if top {
			c.sortTopPHP(ms)
		}
		if anyInt && isList(ms) {
			asList, rebuild = true, true
		}
	}
	if !rebuild {
		c.out = append(c.out, '}')
		c.members = c.members[:base]
		return nil
	}
	c.tmp = append(c.tmp[:0], c.out[objStart:]...)
	c.out = c.out[:objStart]
	if asList {
		c.out = append(c.out, '[')
	} else {
		c.out = append(c.out, '{')
	}
	first := true
	for _, m := range ms {
		if top && c.mode == modeJS && string(c.tmp[m.keyStart-objStart:m.keyEnd-objStart]) == `"__proto__"` {
			continue
		}
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		if !asList {
			c.out = append(c.out, c.tmp[m.keyStart-objStart:m.keyEnd-objStart]...)
			c.out = append(c.out, ':')
		}
		c.out = append(c.out, c.tmp[m.valStart-objStart:m.valEnd-objStart]...)
	}
	if asList {
		c.out = append(c.out, ']')
	} else {
		c.out = append(c.out, '}')
	}
	c.members = c.members[:base]
	return nil
}

// plainKey: a top-level key PHP's ksort orders exactly like the JS sort, because it
// cannot be a numeric string and has no escapes or non-ASCII text.
func plainKey(k []byte) bool {
	if len(k) == 0 || string(k) == "__proto__" {
		return len(k) == 0
	}
	switch b := k[0]; {
	case b >= '0' && b <= '9', b == '-', b == '+', b == '.', b == ' ', b == '\\':
		return false
	}
	return true
}

func cmpIndexFirst(a, b member) int {
	switch {
	case a.isInt && b.isInt:
		return cmpInt(a.ival, b.ival)
	case a.isInt:
		return -1
	case b.isInt:
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// isList reports PHP's zend_array_is_list after ksort or decoding: keys exactly 0..n-1.
func isList(ms []member) bool {
	for i, m := range ms {
		if !m.isInt || m.ival != int64(i) {
			return false
		}
	}
	return true
}

// intKey classifies an encoded key (quotes stripped). Digits and '-' are never escaped in
// either output form, so the encoded text is the decoded text whenever this can succeed.
func (c *canonicalizer) intKey(k []byte) (bool, int64) {
	if len(k) == 0 {
		return false, 0
	}
	if c.mode == modeJS {
		// A canonical array index: no sign, no leading zero, at most 2^32-2.
		if len(k) > 10 || (k[0] == '0' && len(k) > 1) {
			return false, 0
		}
		var v int64
		for _, b := range k {
			if b < '0' || b > '9' {
				return false, 0
			}
			v = v*10 + int64(b-'0')
		}
		return v <= 4294967294, v
	}
	// PHP's ZEND_HANDLE_NUMERIC_STR: optional '-', no leading zero (so "-0" stays a
	// string), fits zend_long.
	d := k
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 19 || (d[0] == '0' && len(k) > 1) {
		return false, 0
	}
	for _, b := range d {
		if b < '0' || b > '9' {
			return false, 0
		}
	}
	v, err := strconv.ParseInt(string(k), 10, 64)
	if err != nil {
		return false, 0
	}
	return true, v
}

// sortTopJS orders the top level as the sender's fresh object does: array indices
// ascending, then the other keys in UTF-16 code-unit order.
func (c *canonicalizer) sortTopJS(ms []member) {
	for i := range ms {
		m := &ms[i]
		m.skStart = len(c.units)
		c.units = appendUnits(c.units, c.out[m.keyStart+1:m.keyEnd-1])
		m.skEnd = len(c.units)
	}
	units := c.units
	slices.SortStableFunc(ms, func(a, b member) int {
		if a.isInt || b.isInt {
			return cmpIndexFirst(a, b)
		}
		return slices.Compare(units[a.skStart:a.skEnd], units[b.skStart:b.skEnd])
	})
}

// sortTopPHP is ksort($body) with PHP 8 key comparison (see the limits above).
func (c *canonicalizer) sortTopPHP(ms []member) {
	for i := range ms {
		m := &ms[i]
		if m.isInt {
			continue
		}
		m.skStart = len(c.kbuf)
		c.kbuf = appendDecoded(c.kbuf, c.out[m.keyStart+1:m.keyEnd-1])
		m.skEnd = len(c.kbuf)
		m.numKind, m.numInt, m.numFloat = phpNumeric(c.kbuf[m.skStart:m.skEnd])
	}
	kbuf := c.kbuf
	slices.SortStableFunc(ms, func(a, b member) int {
		return phpKeyCompare(kbuf, &a, &b)
	})
}

func phpKeyCompare(kbuf []byte, a, b *member) int {
	switch {
	case a.isInt && b.isInt:
		return cmpInt(a.ival, b.ival)
	case !a.isInt && !b.isInt:
		if a.numKind != phpNotNumeric && b.numKind != phpNotNumeric {
			if a.numKind == phpLong && b.numKind == phpLong {
				return cmpInt(a.numInt, b.numInt)
			}
			return cmpFloat(a.asFloat(), b.asFloat())
		}
		return bytes.Compare(kbuf[a.skStart:a.skEnd], kbuf[b.skStart:b.skEnd])
	case a.isInt:
		return phpCompareIntString(kbuf, a.ival, b)
	default:
		return -phpCompareIntString(kbuf, b.ival, a)
	}
}

func phpCompareIntString(kbuf []byte, i int64, s *member) int {
	switch s.numKind {
	case phpLong:
		return cmpInt(i, s.numInt)
	case phpDouble:
		return cmpFloat(float64(i), s.numFloat)
	}
	var tmp [24]byte
	return bytes.Compare(strconv.AppendInt(tmp[:0], i, 10), kbuf[s.skStart:s.skEnd])
}

func (m *member) asFloat() float64 {
	if m.numKind == phpLong {
		return float64(m.numInt)
	}
	return m.numFloat
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type phpNumKind uint8

const (
	phpNotNumeric phpNumKind = iota
	phpLong
	phpDouble
)

// phpNumeric approximates is_numeric_string (PHP 8): optional surrounding whitespace, a
// sign, decimal digits with an optional fraction and exponent.
func phpNumeric(s []byte) (phpNumKind, int64, float64) {
	isWS := func(b byte) bool {
		return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
	}
	for len(s) > 0 && isWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intDigits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		intDigits++
	}
	isFloat := false
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		isFloat = true
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return phpNotNumeric, 0, 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			isFloat = true
			i = k
		}
	}
	if i != len(s) {
		return phpNotNumeric, 0, 0
	}
	if !isFloat {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil {
			return phpLong, v, 0
		}
	}
	f, _ := strconv.ParseFloat(string(s), 64)
	return phpDouble, 0, f
}

func (c *canonicalizer) str() error {
	in := c.in
	i := c.pos + 1
	out := append(c.out, '"')
	for {
		start := i
		for i < len(in) {
			b := in[i]
			if b < 0x20 || b == '"' || b == '\\' || b >= 0x80 {
				break
			}
			i++
		}
		out = append(out, in[start:i]...)
		if i >= len(in) {
			c.pos, c.out = i, out
			return c.syntax("unterminated string")
		}
		b := in[i]
		switch {
		case b == '"':
			c.pos, c.out = i+1, append(out, '"')
			return nil
		case b < 0x20:
			c.pos, c.out = i, out
			return c.syntax("control character in string")
		case b >= 0x80:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				c.pos, c.out = i, out
				return c.syntax("invalid UTF-8")
			}
			if c.mode == modeJS {
				out = append(out, in[i:i+size]...)
				c.phpSame = false
			} else {
				out = appendPHPRune(out, r)
			}
			i += size
		default: // backslash
			if i+1 >= len(in) {
				c.pos, c.out = i, out
				return c.syntax("unterminated escape")
			}
			switch e := in[i+1]; e {
			case '"', '\\':
				out = append(out, '\\', e)
				i += 2
			case '/':
				out = append(out, '/')
				i += 2
			case 'b', 'f', 'n', 'r', 't':
				out = append(out, '\\', e)
				i += 2
			case 'u':
				u, ok := jsonscan.Hex4(in, i+2)
				if !ok {
					c.pos, c.out = i, out
					return c.syntax("bad \\u escape")
				}
				i += 6
				if u >= 0x80 {
					c.phpSame = false
				}
				switch {
				case u >= 0xD800 && u < 0xDC00:
					if lo, ok := jsonscan.Hex4(in, i+2); ok && in[i] == '\\' && in[i+1] == 'u' && lo >= 0xDC00 && lo < 0xE000 {
						i += 6
						r := rune(0x10000 + (u-0xD800)<<10 + (lo - 0xDC00))
						if c.mode == modeJS {
							out = utf8.AppendRune(out, r)
						} else {
							out = appendU(appendU(out, u), lo)
						}
						continue
					}
					fallthrough
				case u >= 0xDC00 && u < 0xE000:
					if c.mode == modePHP {
						c.pos, c.out = i, out
						return fmt.Errorf("%w: unpaired surrogate escape", ErrNoPHPForm)
					}
					out = appendU(out, u)
				default:
					out = c.appendUnit(out, u)
				}
			default:
				c.pos, c.out = i, out
				return c.syntax("bad escape")
			}
		}
	}
}

// appendUnit writes one non-surrogate BMP code point taken from a \u escape.
func (c *canonicalizer) appendUnit(out []byte, u rune) []byte {
	switch {
	case u < 0x20:
		return appendControl(out, byte(u))
	case u == '"' || u == '\\':
		return append(out, '\\', byte(u))
	case u < 0x80:
		return append(out, byte(u))
	case c.mode == modeJS:
		return utf8.AppendRune(out, u)
	}
	return appendU(out, u)
}

func appendControl(out []byte, b byte) []byte {
	switch b {
	case '\b':
		return append(out, '\\', 'b')
	case '\f':
		return append(out, '\\', 'f')
	case '\n':
		return append(out, '\\', 'n')
	case '\r':
		return append(out, '\\', 'r')
	case '\t':
		return append(out, '\\', 't')
	}
	return appendU(out, rune(b))
}

const hexDigits = "0123456789abcdef"

func appendU(out []byte, u rune) []byte {
	return append(out, '\\', 'u', hexDigits[u>>12&0xF], hexDigits[u>>8&0xF], hexDigits[u>>4&0xF], hexDigits[u&0xF])
}

func appendPHPRune(out []byte, r rune) []byte {
	if r >= 0x10000 {
		r -= 0x10000
		return appendU(appendU(out, 0xD800+(r>>10)), 0xDC00+(r&0x3FF))
	}
	return appendU(out, r)
}

// appendUnits decodes an encoded JS key (our own output, so well-formed) into UTF-16.
func appendUnits(dst []uint16, enc []byte) []uint16 {
	for i := 0; i < len(enc); {
		b := enc[i]
		switch {
		case b == '\\':
			if enc[i+1] == 'u' {
				u, _ := jsonscan.Hex4(enc, i+2)
				dst = append(dst, uint16(u))
				i += 6
			} else {
				dst = append(dst, uint16(jsonscan.Unescape(enc[i+1])))
				i += 2
			}
		case b < 0x80:
			dst = append(dst, uint16(b))
			i++
		default:
			r, size := utf8.DecodeRune(enc[i:])
			if r >= 0x10000 {
				r -= 0x10000
				dst = append(dst, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
			} else {
				dst = append(dst, uint16(r))
			}
			i += size
		}
	}
	return dst
}

// appendDecoded decodes an encoded PHP key (our own output: ASCII with escapes, paired
// surrogates only) into the UTF-8 bytes PHP would compare.
func appendDecoded(dst []byte, enc []byte) []byte {
	for i := 0; i < len(enc); {
		b := enc[i]
		if b != '\\' {
			dst = append(dst, b)
			i++
			continue
		}
		if enc[i+1] != 'u' {
			dst = append(dst, jsonscan.Unescape(enc[i+1]))
			i += 2
			continue
		}
		u, _ := jsonscan.Hex4(enc, i+2)
		i += 6
		if u >= 0xD800 && u < 0xDC00 {
			lo, _ := jsonscan.Hex4(enc, i+2)
			i += 6
			u = 0x10000 + (u-0xD800)<<10 + (lo - 0xDC00)
		}
		dst = utf8.AppendRune(dst, u)
	}
	return dst
}

func (c *canonicalizer) number() error {
	in := c.in
	start := c.pos
	i := start
	if in[i] == '-' {
		i++
	}
	if i >= len(in) {
		return c.syntax("bad number")
	}
	switch {
	case in[i] == '0':
		i++
	case in[i] >= '1' && in[i] <= '9':
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
	default:
		return c.syntax("bad number")
	}
	intEnd := i
	isInt := true
	if i < len(in) && in[i] == '.' {
		isInt = false
		i++
		d := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == d {
			c.pos = i
			return c.syntax("bad number")
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		isInt = false
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		d := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == d {
			c.pos = i
			return c.syntax("bad number")
		}
	}
	c.pos = i
	lit := in[start:i]
	if c.mode == modeJS {
		// Up to 15 digits an integer is exact in a double and prints as written.
		if isInt && intEnd-start <= 15 {
			if len(lit) == 2 && lit[0] == '-' && lit[1] == '0' {
				c.out = append(c.out, '0')
			} else {
				c.out = append(c.out, lit...)
			}
			return nil
		}
		f, err := strconv.ParseFloat(string(lit), 64)
		if err != nil && !isRange(err) {
			return c.syntax("bad number")
		}
		n := len(c.out)
		c.out = appendJSNumber(c.out, f)
		var scratch [32]byte
		if c.phpSame && (isInt || math.IsInf(f, 0) || !bytes.Equal(appendPHPNumber(scratch[:0], f), c.out[n:])) {
			// Long integers stay exact in PHP; floats print alike only in plain notation.
			c.phpSame = false
		}
		return nil
	}
	if isInt {
		if v, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
			c.out = strconv.AppendInt(c.out, v, 10)
			return nil
		}
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		if isRange(err) {
			return fmt.Errorf("%w: number out of double range", ErrNoPHPForm)
		}
		return c.syntax("bad number")
	}
	c.out = appendPHPNumber(c.out, f)
	return nil
}

func isRange(err error) bool {
	var ne *strconv.NumError
	return errors.As(err, &ne) && ne.Err == strconv.ErrRange
}
