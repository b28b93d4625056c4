package cxtn

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// A small validating JSON walk in place of decoding into generic maps: it accepts exactly
// what encoding/json accepts (json.Valid, the same nesting limit) and hands out the raw
// member spans of one object, so that Normalize reads only the members it needs, matched
// by exact key like map keys, the last of repeated keys winning like a decoded map, and
// numbers keeping their literal text.

var errSyntax = errors.New("invalid JSON")

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

func syntaxErr(msg string, i int) error {
	return fmt.Errorf("%w: %s at offset %d", errSyntax, msg, i)
}

// members validates data as one JSON object (whitespace around it allowed) and calls fn
// with each member's raw key token (quotes included) and raw value, in order. On error,
// whatever fn was given must be discarded.
func members(data []byte, fn func(key, val []byte)) error {
	i := skipSpace(data, 0)
	if i < len(data) && data[i] != '{' {
		if end, err := skipValue(data, i, 0); err == nil && skipSpace(data, end) == len(data) {
			return fmt.Errorf("%s, not an object", jsonKind(data[i:end]))
		}
	}
	if i >= len(data) || data[i] != '{' {
		return syntaxErr("expected an object", i)
	}
	i, err := object(data, i, 0, fn)
	if err != nil {
		return err
	}
	if i = skipSpace(data, i); i != len(data) {
		return syntaxErr("data after the object", i)
	}
	return nil
}

// jsonKind names the kind of the valid JSON value v.
func jsonKind(v []byte) string {
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue validates the value at data[i] and returns the index after it.
func skipValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, syntaxErr("unexpected end", i)
	}
	switch c := data[i]; {
	case c == '"':
		return skipString(data, i)
	case c == '{':
		return object(data, i, depth, nil)
	case c == '[':
		return array(data, i, depth)
	case c == '-' || c >= '0' && c <= '9':
		return skipNumber(data, i)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(data[i:], []byte(lit)) {
			return i + len(lit), nil
		}
	}
	return 0, syntaxErr("unexpected character", i)
}

// object validates the object at data[i] == '{', calling fn (if not nil) for its members.
func object(data []byte, i, depth int, fn func(key, val []byte)) (int, error) {
	if depth >= maxDepth {
		return 0, syntaxErr("nested too deeply", i)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return 0, syntaxErr("expected object key", i)
		}
		ke, err := skipString(data, i)
		if err != nil {
			return 0, err
		}
		c := skipSpace(data, ke)
		if c >= len(data) || data[c] != ':' {
			return 0, syntaxErr("expected colon", c)
		}
		vs := skipSpace(data, c+1)
		ve, err := skipValue(data, vs, depth+1)
		if err != nil {
			return 0, err
		}
		if fn != nil {
			fn(data[i:ke], data[vs:ve])
		}
		if i = skipSpace(data, ve); i >= len(data) {
			return 0, syntaxErr("unterminated object", i)
		}
		if data[i] == '}' {
			return i + 1, nil
		}
		if data[i] != ',' {
			return 0, syntaxErr("expected comma or }", i)
		}
		i = skipSpace(data, i+1)
	}
}

func array(data []byte, i, depth int) (int, error) {
	if depth >= maxDepth {
		return 0, syntaxErr("nested too deeply", i)
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := skipValue(data, i, depth+1)
		if err != nil {
			return 0, err
		}
		if i = skipSpace(data, end); i >= len(data) {
			return 0, syntaxErr("unterminated array", i)
		}
		if data[i] == ']' {
			return i + 1, nil
		}
		if data[i] != ',' {
			return 0, syntaxErr("expected comma or ]", i)
		}
		i = skipSpace(data, i+1)
	}
}

// skipString validates the string token at data[i] == '"'. Like encoding/json it does not
// insist on valid UTF-8 (decoding turns bad bytes into U+FFFD).
func skipString(data []byte, i int) (int, error) {
	for j := i + 1; j < len(data); {
		switch c := data[j]; {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			if j+1 >= len(data) {
				return 0, syntaxErr("unterminated string", i)
			}
			switch data[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if _, ok := hex4(data, j+2); !ok {
					return 0, syntaxErr("bad \\u escape", j)
				}
				j += 6
			default:
				return 0, syntaxErr("bad escape", j)
			}
		case c < 0x20:
			return 0, syntaxErr("control character in string", j)
		default:
			j++
		}
	}
	return 0, syntaxErr("unterminated string", i)
}

func skipNumber(data []byte, i int) (int, error) {
	start := i
	digits := func() int {
		d := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i - d
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case digits() == 0:
		return 0, syntaxErr("bad number", start)
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return 0, syntaxErr("bad number", start)
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, syntaxErr("bad number", start)
		}
	}
	return i, nil
}

func hex4(in []byte, i int) (rune, bool) {
	if i+4 > len(in) {
		return 0, false
	}
	var v rune
	for _, b := range in[i : i+4] {
		switch {
		case b >= '0' && b <= '9':
			v = v<<4 | rune(b-'0')
		case b >= 'a' && b <= 'f':
			v = v<<4 | rune(b-'a'+10)
		case b >= 'A' && b <= 'F':
			v = v<<4 | rune(b-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// unquote decodes a validated string token as encoding/json does: invalid UTF-8 and lone
// surrogates become U+FFFD. Without escapes or bad bytes the result aliases tok.
func unquote(tok []byte) []byte {
	inner := tok[1 : len(tok)-1]
	esc := bytes.IndexByte(inner, '\\')
	if esc < 0 && utf8.Valid(inner) {
		return inner
	}
	b := make([]byte, 0, len(inner)+utf8.UTFMax)
	for len(inner) > 0 {
		// Copy the run up to the next escape, repairing bad UTF-8 only where there is some.
		if esc < 0 {
			esc = len(inner)
		}
		if run := inner[:esc]; utf8.Valid(run) {
			b = append(b, run...)
		} else {
			for _, r := range string(run) {
				b = utf8.AppendRune(b, r) // utf8.RuneError for each bad byte
			}
		}
		inner = inner[esc:]
		if len(inner) == 0 {
			break
		}
		n := 2
		switch e := inner[1]; e {
		case 'u':
			r, _ := hex4(inner, 2)
			n = 6
			if utf16.IsSurrogate(r) {
				lo := rune(-1)
				if len(inner) >= 12 && inner[6] == '\\' && inner[7] == 'u' {
					lo, _ = hex4(inner, 8)
				}
				if r = utf16.DecodeRune(r, lo); r != utf8.RuneError {
					n = 12
				}
			}
			b = utf8.AppendRune(b, r)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		default: // '"', '\\' or '/'
			b = append(b, e)
		}
		inner = inner[n:]
		esc = bytes.IndexByte(inner, '\\')
	}
	return b
}
