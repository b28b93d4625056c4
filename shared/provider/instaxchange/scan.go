package instaxchange

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/payhooks/payhooks/shared/redact"
)

// A small validating JSON walker for Normalize: it hands out raw member spans so that
// fields are matched by exact key (encoding/json matches struct fields case-insensitively)
// and numbers keep their literal text, without building a generic tree.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func scanErr(msg string, i int) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, msg, i)
}

// scanString validates the string token at data[i] == '"' and returns the index after it.
func scanString(data []byte, i int) (int, error) {
	start := i
	i++
	ascii := true
	for i < len(data) {
		switch b := data[i]; {
		case b == '"':
			if !ascii && !utf8.Valid(data[start:i]) {
				return 0, scanErr("invalid UTF-8", start)
			}
			return i + 1, nil
		case b == '\\':
			if i+1 >= len(data) {
				return 0, scanErr("unterminated escape", i)
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(data, i+2); !ok {
					return 0, scanErr("bad \\u escape", i)
				}
				i += 6
			default:
				return 0, scanErr("bad escape", i)
			}
		case b < 0x20:
			return 0, scanErr("control character in string", i)
		default:
			if b >= 0x80 {
				ascii = false
			}
			i++
		}
	}
	return 0, scanErr("unterminated string", start)
}

func scanNumber(data []byte, i int) (int, error) {
	start := i
	if data[i] == '-' {
		i++
	}
	digits := func() int {
		d := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i - d
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case digits() == 0:
		return 0, scanErr("bad number", start)
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return 0, scanErr("bad number", start)
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, scanErr("bad number", start)
		}
	}
	return i, nil
}

// scanValue validates the value starting at data[i] (no leading space) and returns the
// index after it.
func scanValue(data []byte, i, depth int) (int, error) {
	if i >= len(data) {
		return 0, scanErr("unexpected end", i)
	}
	switch b := data[i]; {
	case b == '"':
		return scanString(data, i)
	case b == '-' || (b >= '0' && b <= '9'):
		return scanNumber(data, i)
	case b == '{' || b == '[':
		if depth >= maxDepthJS {
			return 0, scanErr("nested too deeply", i)
		}
		closer := byte('}')
		if b == '[' {
			closer = ']'
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closer {
			return i + 1, nil
		}
		for {
			var err error
			if b == '{' {
				if i >= len(data) || data[i] != '"' {
					return 0, scanErr("expected object key", i)
				}
				if i, err = scanString(data, i); err != nil {
					return 0, err
				}
				i = skipSpace(data, i)
				if i >= len(data) || data[i] != ':' {
					return 0, scanErr("expected :", i)
				}
				i = skipSpace(data, i+1)
			}
			if i, err = scanValue(data, i, depth+1); err != nil {
				return 0, err
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return 0, scanErr("unterminated container", i)
			}
			if data[i] == closer {
				return i + 1, nil
			}
			if data[i] != ',' {
				return 0, scanErr("expected , or closing bracket", i)
			}
			i = skipSpace(data, i+1)
		}
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(data[i:], []byte(lit)) {
			return i + len(lit), nil
		}
	}
	return 0, scanErr("unexpected character", i)
}

// eachMember calls fn with each member's raw key token (quotes included) and raw value
// of the object obj, which must already be known to be valid JSON (appendRedacted has
// checked it): values are skipped, not validated. Repeated keys are all reported, in
// order, so a caller that keeps the last one matches JSON.parse. It reports false when
// obj is not an object.
func eachMember(obj []byte, fn func(key, val []byte)) bool {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] == '"' {
		ks := i
		ke := skipStringTrusted(obj, i)
		i = skipSpace(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return false // not reached for valid input; no panic for invalid
		}
		vs := skipSpace(obj, i+1)
		ve := skipTrusted(obj, vs)
		fn(obj[ks:ke], obj[vs:ve])
		i = skipSpace(obj, ve)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return true
}

// skipStringTrusted returns the index after the valid string token at data[i].
func skipStringTrusted(data []byte, i int) int {
	start := i
	i++
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return len(data)
		}
		i += j
		n := 0 // an odd run of backslashes escapes this quote
		for k := i - 1; k > start && data[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// skipTrusted returns the index after the valid JSON value at data[i].
func skipTrusted(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return skipStringTrusted(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipStringTrusted(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// keyIs reports whether the raw key token decodes to name.
func keyIs(rawKey []byte, name string) bool {
	inner := rawKey[1 : len(rawKey)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	return unquote(rawKey) == name
}

// unquote decodes a validated string token. Lone surrogates become U+FFFD, which only
// matters for display: the signature was checked on the canonical form.
func unquote(tok []byte) string {
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var b strings.Builder
	b.Grow(len(inner))
	for i := 0; i < len(inner); {
		c := inner[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if inner[i+1] != 'u' {
			if inner[i+1] == '/' {
				b.WriteByte('/')
			} else {
				b.WriteByte(unescape(inner[i+1]))
			}
			i += 2
			continue
		}
		u, _ := hex4(inner, i+2)
		i += 6
		if u >= 0xD800 && u < 0xDC00 && i+6 <= len(inner) && inner[i] == '\\' && inner[i+1] == 'u' {
			if lo, ok := hex4(inner, i+2); ok && lo >= 0xDC00 && lo < 0xE000 {
				u = 0x10000 + (u-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			}
		}
		b.WriteRune(u) // a lone surrogate is written as U+FFFD
	}
	return b.String()
}

// appendRedacted copies the JSON value data (validated) compactly, masking string values
// exactly as redact.Value would: card numbers under card-number keys, email addresses
// anywhere. It stands in for redact.JSON, which builds a generic tree and costs more than
// the rest of verification and normalization together; key order is kept as sent.
func appendRedacted(dst, data []byte) ([]byte, error) {
	i := skipSpace(data, 0)
	dst, i, err := redactValue(dst, data, i, nil, 0)
	if err != nil {
		return nil, err
	}
	if skipSpace(data, i) != len(data) {
		return nil, scanErr("data after the value", i)
	}
	return dst, nil
}

func redactValue(dst, data []byte, i int, key []byte, depth int) ([]byte, int, error) {
	if i >= len(data) {
		return nil, 0, scanErr("unexpected end", i)
	}
	switch b := data[i]; b {
	case '"':
		end, err := scanString(data, i)
		if err != nil {
			return nil, 0, err
		}
		tok := data[i:end]
		if maybeSensitive(key, tok) {
			s, k := unquote(tok), ""
			if key != nil {
				k = unquote(key)
			}
			if m, ok := redact.Value(k, s).(string); ok && m != s {
				return appendJSONString(dst, m), end, nil
			}
		}
		return append(dst, tok...), end, nil
	case '{', '[':
		if depth >= maxDepthJS {
			return nil, 0, scanErr("nested too deeply", i)
		}
		closer := byte('}')
		if b == '[' {
			closer = ']'
		}
		dst = append(dst, b)
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closer {
			return append(dst, closer), i + 1, nil
		}
		for {
			var err error
			memberKey := key // array elements are masked by their array's key, as redact does
			if b == '{' {
				if i >= len(data) || data[i] != '"' {
					return nil, 0, scanErr("expected object key", i)
				}
				ks := i
				if i, err = scanString(data, i); err != nil {
					return nil, 0, err
				}
				memberKey = data[ks:i]
				dst = append(dst, memberKey...)
				i = skipSpace(data, i)
				if i >= len(data) || data[i] != ':' {
					return nil, 0, scanErr("expected :", i)
				}
				dst = append(dst, ':')
				i = skipSpace(data, i+1)
			}
			if dst, i, err = redactValue(dst, data, i, memberKey, depth+1); err != nil {
				return nil, 0, err
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return nil, 0, scanErr("unterminated container", i)
			}
			if data[i] == closer {
				return append(dst, closer), i + 1, nil
			}
			if data[i] != ',' {
				return nil, 0, scanErr("expected , or closing bracket", i)
			}
			dst = append(dst, ',')
			i = skipSpace(data, i+1)
		}
	}
	end, err := scanValue(data, i, depth)
	if err != nil {
		return nil, 0, err
	}
	return append(dst, data[i:end]...), end, nil
}

// maybeSensitive is a cheap pre-filter before the authoritative redact.Value: an email
// needs an '@', and every card-number key redact knows names a card, a PAN, an account or a
// number. It errs towards asking redact.
func maybeSensitive(key, tok []byte) bool {
	if bytes.IndexByte(tok, '@') >= 0 || bytes.IndexByte(tok, '\\') >= 0 {
		return true
	}
	if len(key) == 0 {
		return false
	}
	var buf [64]byte
	letters := buf[:0]
	for _, c := range key {
		switch {
		case c >= 'a' && c <= 'z':
			letters = append(letters, c)
		case c >= 'A' && c <= 'Z':
			letters = append(letters, c+'a'-'A')
		case c >= 0x80 || c == '\\':
			return true // let redact decide on anything not plain ASCII
		}
		if len(letters) == cap(letters) {
			return true
		}
	}
	for i, c := range letters {
		var w string
		switch c {
		case 'c':
			w = "card"
		case 'p':
			w = "pan"
		case 'a':
			w = "account"
		case 'n':
			w = "number"
		default:
			continue
		}
		if bytes.HasPrefix(letters[i:], []byte(w)) {
			return true
		}
	}
	return false
}

// appendJSONString quotes s as JSON without HTML escaping.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = appendControl(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
