package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrSyntax reports input that is not one JSON value.
var ErrSyntax = errors.New("invalid JSON")

// maxDepth is encoding/json's nesting limit, so that JSON accepts what json.Valid accepts.
const maxDepth = 10000

// JSON returns raw with every email and card number masked exactly as Value masks them:
// emails anywhere, card numbers under card-number keys. It validates raw as one JSON value
// (what json.Valid accepts) and copies it compactly in one pass without building a tree,
// so key order, repeated keys and number text stay as sent. Strings are copied as sent
// unless masked; one that holds invalid UTF-8 or a lone surrogate escape is rewritten
// with U+FFFD, as encoding/json would decode it, so the copy is valid UTF-8.
func JSON(raw []byte) (json.RawMessage, error) {
	return JSONReplacing(raw)
}

// Member names a top-level member and the string its value should read in the masked copy.
type Member struct{ Key, Value string }

// JSONReplacing is JSON, except that each top-level member of an object whose key is named
// in repl gets repl's string (masked as Value would mask it) instead of the value sent,
// every time the key occurs. A caller that has masked or re-encoded a field its own way
// keeps the archive copy consistent with it. Keys not sent are not added.
func JSONReplacing(raw []byte, repl ...Member) (json.RawMessage, error) {
	w := walker{data: raw, dst: make([]byte, 0, len(raw)), repl: repl}
	i := skipSpace(raw, 0)
	i, err := w.value(i, nil, 0)
	if err != nil {
		return nil, err
	}
	if i = skipSpace(raw, i); i != len(raw) {
		return nil, syntaxErr("data after the value", i)
	}
	return w.dst, nil
}

type walker struct {
	data, dst []byte
	repl      []Member
	verbatim  bool // copy strings unmasked (their member is replaced)
}

func syntaxErr(msg string, i int) error {
	return fmt.Errorf("%w: %s at offset %d", ErrSyntax, msg, i)
}

// value copies the value at data[i] (no leading space), masked as found under key (a raw
// key token, nil at the top), and returns the index after it.
func (w *walker) value(i int, key []byte, depth int) (int, error) {
	data := w.data
	if i >= len(data) {
		return 0, syntaxErr("unexpected end", i)
	}
	switch b := data[i]; {
	case b == '"':
		end, rewrite, err := scanString(data, i)
		if err != nil {
			return 0, err
		}
		w.str(data[i:end], key, rewrite)
		return end, nil
	case b == '{' || b == '[':
		return w.container(i, key, depth)
	case b == '-' || (b >= '0' && b <= '9'):
		end, err := scanNumber(data, i)
		if err != nil {
			return 0, err
		}
		w.dst = append(w.dst, data[i:end]...)
		return end, nil
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit {
			w.dst = append(w.dst, lit...)
			return i + len(lit), nil
		}
	}
	return 0, syntaxErr("unexpected character", i)
}

func (w *walker) container(i int, key []byte, depth int) (int, error) {
	data := w.data
	if depth >= maxDepth {
		return 0, syntaxErr("nested too deeply", i)
	}
	open := data[i]
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	w.dst = append(w.dst, open)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == closer {
		w.dst = append(w.dst, closer)
		return i + 1, nil
	}
	for {
		var err error
		memberKey := key // array elements are masked by their array's key, as Value does
		if open == '{' {
			if i >= len(data) || data[i] != '"' {
				return 0, syntaxErr("expected object key", i)
			}
			ks := i
			var rewrite bool
			if i, rewrite, err = scanString(data, i); err != nil {
				return 0, err
			}
			memberKey = data[ks:i]
			if rewrite {
				w.dst = appendString(w.dst, unquote(memberKey))
			} else {
				w.dst = append(w.dst, memberKey...)
			}
			i = skipSpace(data, i)
			if i >= len(data) || data[i] != ':' {
				return 0, syntaxErr("expected colon", i)
			}
			w.dst = append(w.dst, ':')
			i = skipSpace(data, i+1)
		}
		var repl *Member
		if open == '{' && depth == 0 && len(w.repl) > 0 {
			repl = w.replacement(memberKey)
		}
		start := len(w.dst)
		// A replaced value is still validated, but not masked: it is dropped.
		w.verbatim = repl != nil
		i, err = w.value(i, memberKey, depth+1)
		w.verbatim = false
		if err != nil {
			return 0, err
		}
		if repl != nil {
			w.dst = appendString(w.dst[:start], mask(repl.Key, repl.Value))
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return 0, syntaxErr("unterminated object or array", i)
		}
		if data[i] == closer {
			w.dst = append(w.dst, closer)
			return i + 1, nil
		}
		if data[i] != ',' {
			return 0, syntaxErr("expected comma or closing bracket", i)
		}
		w.dst = append(w.dst, ',')
		i = skipSpace(data, i+1)
	}
}

func (w *walker) replacement(rawKey []byte) *Member {
	k := rawKey[1 : len(rawKey)-1]
	for i := range w.repl {
		if string(k) == w.repl[i].Key {
			return &w.repl[i]
		}
	}
	if strings.IndexByte(string(k), '\\') >= 0 {
		s := unquote(rawKey)
		for i := range w.repl {
			if s == w.repl[i].Key {
				return &w.repl[i]
			}
		}
	}
	return nil
}

// str copies the valid string token tok found under key, masked.
func (w *walker) str(tok, key []byte, rewrite bool) {
	if !rewrite && (w.verbatim || !maybeSensitive(key, tok)) {
		w.dst = append(w.dst, tok...)
		return
	}
	s, k := unquote(tok), ""
	if key != nil {
		k = unquote(key)
	}
	if m := mask(k, s); rewrite || m != s {
		w.dst = appendString(w.dst, m)
		return
	}
	w.dst = append(w.dst, tok...)
}

// maybeSensitive is a cheap pre-filter before mask: an email needs an '@' (written as is
// or as a \u escape), and every card-number key cardKey knows names a card, a PAN, an
// account or a number. It errs towards asking mask.
func maybeSensitive(key, tok []byte) bool {
	if strings.IndexByte(string(tok), '@') >= 0 || strings.Contains(string(tok), `\u`) {
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
			return true // not plain ASCII: let cardKey decide
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
		if strings.HasPrefix(string(letters[i:]), w) {
			return true
		}
	}
	return false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// scanString validates the string token at data[i] == '"' and returns the index after it.
// rewrite reports invalid UTF-8 or a lone surrogate escape, which encoding/json decodes
// as U+FFFD and which a copy must not carry on.
func scanString(data []byte, i int) (end int, rewrite bool, err error) {
	start := i
	i++
	ascii := true
	for i < len(data) {
		switch b := data[i]; {
		case b == '"':
			if !ascii && !utf8.Valid(data[start:i]) {
				rewrite = true
			}
			return i + 1, rewrite, nil
		case b == '\\':
			if i+1 >= len(data) {
				return 0, false, syntaxErr("unterminated escape", i)
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				u, ok := hex4(data, i+2)
				if !ok {
					return 0, false, syntaxErr(`bad \u escape`, i)
				}
				i += 6
				switch {
				case u >= 0xDC00 && u < 0xE000:
					rewrite = true // a low surrogate with no high one before it
				case u >= 0xD800 && u < 0xDC00:
					if lo, ok := hex4(data, i+2); ok && i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' && lo >= 0xDC00 && lo < 0xE000 {
						i += 6
					} else {
						rewrite = true
					}
				}
			default:
				return 0, false, syntaxErr("bad escape", i)
			}
		case b < 0x20:
			return 0, false, syntaxErr("control character in string", i)
		default:
			if b >= 0x80 {
				ascii = false
			}
			i++
		}
	}
	return 0, false, syntaxErr("unterminated string", start)
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
	if i < 0 || i+4 > len(in) {
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

// unquote decodes a valid string token as encoding/json does: invalid UTF-8 and lone
// surrogates become U+FFFD.
func unquote(tok []byte) string {
	inner := tok[1 : len(tok)-1]
	if strings.IndexByte(string(inner), '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var b strings.Builder
	b.Grow(len(inner))
	for i := 0; i < len(inner); {
		c := inner[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(inner[i:])
			b.WriteRune(r) // utf8.RuneError for an invalid byte
			i += n
			continue
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if inner[i+1] != 'u' {
			b.WriteByte(unescape(inner[i+1]))
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

func unescape(e byte) byte {
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

const hexDigits = "0123456789abcdef"

// appendString quotes s as JSON without HTML escaping; invalid UTF-8 (PAN masks bytes, so
// it can split a character) becomes U+FFFD, as encoding/json writes it.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n - 1
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
