// Package jsonscan is a validating, allocation-light JSON scanner that hands out raw
// spans. It accepts exactly what encoding/json accepts (json.Valid, the same nesting
// limit) and decodes strings as encoding/json does (invalid UTF-8 and lone surrogate
// escapes become U+FFFD), without building a tree: callers read the members they need,
// keep number text as sent, and copy or rewrite the rest themselves.
//
// Positions are byte offsets into the data; a function scanning a token takes the offset
// of its first byte (no leading space) and returns the offset just after it.
package jsonscan

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ErrSyntax is wrapped by every error reporting input that is not valid JSON.
var ErrSyntax = errors.New("invalid JSON")

// MaxDepth is encoding/json's nesting limit: a value nested deeper is refused.
const MaxDepth = 10000

// SyntaxErr returns an error wrapping ErrSyntax that says what is wrong and where.
func SyntaxErr(msg string, offset int) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, msg, offset)
}

// SkipSpace returns the offset of the first non-whitespace byte at or after i.
func SkipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// Value validates the value at data[i], found depth containers deep, and returns the
// offset after it.
func Value(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, SyntaxErr("unexpected end", i)
	}
	switch c := data[i]; {
	case c == '"':
		end, _, err := String(data, i)
		return end, err
	case c == '{':
		return Object(data, i, depth, nil)
	case c == '[':
		return array(data, i, depth)
	case c == '-' || c >= '0' && c <= '9':
		return Number(data, i)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(data[i:], []byte(lit)) {
			return i + len(lit), nil
		}
	}
	return 0, SyntaxErr("unexpected character", i)
}

// Object validates the object at data[i] == '{', found depth containers deep, and
// returns the offset after it. fn, if not nil, is called with each member's raw key token
// (quotes included) and raw value, in order, repeated keys included; on error, whatever
// fn was given must be discarded.
func Object(data []byte, i, depth int, fn func(key, val []byte)) (int, error) {
	if depth >= MaxDepth {
		return 0, SyntaxErr("nested too deeply", i)
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return 0, SyntaxErr("expected object key", i)
		}
		ke, _, err := String(data, i)
		if err != nil {
			return 0, err
		}
		c := SkipSpace(data, ke)
		if c >= len(data) || data[c] != ':' {
			return 0, SyntaxErr("expected colon", c)
		}
		vs := SkipSpace(data, c+1)
		ve, err := Value(data, vs, depth+1)
		if err != nil {
			return 0, err
		}
		if fn != nil {
			fn(data[i:ke], data[vs:ve])
		}
		if i = SkipSpace(data, ve); i >= len(data) {
			return 0, SyntaxErr("unterminated object", i)
		}
		if data[i] == '}' {
			return i + 1, nil
		}
		if data[i] != ',' {
			return 0, SyntaxErr("expected comma or }", i)
		}
		i = SkipSpace(data, i+1)
	}
}

func array(data []byte, i, depth int) (int, error) {
	if depth >= MaxDepth {
		return 0, SyntaxErr("nested too deeply", i)
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := Value(data, i, depth+1)
		if err != nil {
			return 0, err
		}
		if i = SkipSpace(data, end); i >= len(data) {
			return 0, SyntaxErr("unterminated array", i)
		}
		if data[i] == ']' {
			return i + 1, nil
		}
		if data[i] != ',' {
			return 0, SyntaxErr("expected comma or ]", i)
		}
		i = SkipSpace(data, i+1)
	}
}

// String validates the string token at data[i] == '"' and returns the offset after it.
// Like encoding/json it does not insist on valid UTF-8; rewrite reports invalid UTF-8 or
// a lone surrogate escape, which decoding turns into U+FFFD and which a verbatim copy of
// the token would carry on.
func String(data []byte, i int) (end int, rewrite bool, err error) {
	start := i
	i++
	ascii := true
	for i < len(data) {
		b := data[i]
		if plain[b] {
			i++
			continue
		}
		switch {
		case b == '"':
			if !ascii && !utf8.Valid(data[start:i]) {
				rewrite = true
			}
			return i + 1, rewrite, nil
		case b == '\\':
			if i+1 >= len(data) {
				return 0, false, SyntaxErr("unterminated escape", i)
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				u, ok := Hex4(data, i+2)
				if !ok {
					return 0, false, SyntaxErr(`bad \u escape`, i)
				}
				i += 6
				switch {
				case u >= 0xDC00 && u < 0xE000:
					rewrite = true // a low surrogate with no high one before it
				case u >= 0xD800 && u < 0xDC00:
					if lo, ok := Hex4(data, i+2); ok && i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' && lo >= 0xDC00 && lo < 0xE000 {
						i += 6
					} else {
						rewrite = true
					}
				}
			default:
				return 0, false, SyntaxErr("bad escape", i)
			}
		case b < 0x20:
			return 0, false, SyntaxErr("control character in string", i)
		default: // not ASCII
			ascii = false
			i++
		}
	}
	return 0, false, SyntaxErr("unterminated string", start)
}

// plain marks the bytes a string token holds as they are: printable ASCII but the quote
// and the backslash.
var plain = func() (t [256]bool) {
	for b := 0x20; b < 0x80; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// Number validates the number token at data[i] ('-' or a digit) and returns the offset
// after it.
func Number(data []byte, i int) (int, error) {
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
		return 0, SyntaxErr("bad number", start)
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return 0, SyntaxErr("bad number", start)
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, SyntaxErr("bad number", start)
		}
	}
	return i, nil
}

// Hex4 reads the four hex digits of a \u escape at in[i:i+4].
func Hex4(in []byte, i int) (rune, bool) {
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

// Unescape returns the byte a one-character escape (the byte after the backslash, not
// 'u') stands for.
func Unescape(e byte) byte {
	switch e {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return e // '"', '\\' or '/'
}

// Unquote decodes a valid string token (quotes included) as encoding/json does: invalid
// UTF-8 and lone surrogates become U+FFFD. Without escapes or bad bytes the result
// aliases tok.
func Unquote(tok []byte) []byte {
	inner := tok[1 : len(tok)-1]
	esc := bytes.IndexByte(inner, '\\')
	if esc < 0 && utf8.Valid(inner) {
		return inner
	}
	return appendUnquoted(make([]byte, 0, len(inner)+utf8.UTFMax), inner, esc)
}

// UnquoteString is Unquote returning a string, with one allocation at most.
func UnquoteString(tok []byte) string {
	inner := tok[1 : len(tok)-1]
	esc := bytes.IndexByte(inner, '\\')
	if esc < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	// Decoding rarely grows the text (only bad bytes do), so len(inner) is room enough.
	b := appendUnquoted(make([]byte, 0, len(inner)), inner, esc)
	// b is new and never written again, as in strings.Builder.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendUnquoted appends the decoded text of a valid token's inner bytes; esc is the
// index of the first backslash in inner, or -1.
func appendUnquoted(b, inner []byte, esc int) []byte {
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
		if e := inner[1]; e == 'u' {
			r, _ := Hex4(inner, 2)
			n = 6
			if utf16.IsSurrogate(r) {
				lo := rune(-1)
				if len(inner) >= 12 && inner[6] == '\\' && inner[7] == 'u' {
					lo, _ = Hex4(inner, 8)
				}
				if r = utf16.DecodeRune(r, lo); r != utf8.RuneError {
					n = 12
				}
			}
			b = utf8.AppendRune(b, r)
		} else {
			b = append(b, Unescape(e))
		}
		inner = inner[n:]
		esc = bytes.IndexByte(inner, '\\')
	}
	return b
}
