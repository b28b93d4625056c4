// Package redact masks personal data (emails, card numbers) before anything is stored,
// published or logged.
package redact

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Email keeps the first character of the local part and the domain: j***@example.com.
func Email(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "***"
	}
	local := s[:at]
	if strings.Contains(local, "*") {
		return s
	}
	return local[:1] + "***" + s[at:]
}

// PAN keeps the first six and last four digits of a card number and stars the rest, the
// PCI DSS display rule. Anything too short to be a card is starred entirely.
func PAN(s string) string {
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-':
		default:
			if c == '*' {
				return s // already masked by the sender
			}
			digits = append(digits, c)
		}
	}
	if len(digits) < 12 {
		return strings.Repeat("*", len(digits))
	}
	out := make([]byte, len(digits))
	for i := range digits {
		if i < 6 || i >= len(digits)-4 {
			out[i] = digits[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

// IsEmail reports whether s looks like an email address: one '@' with something before it,
// a dot inside the domain, and no whitespace or quote anywhere. It is the regular
// expression ^[^@\s"]+@[^@\s"]+\.[^@\s"]+$ written out, because it runs on every string
// of every payload.
func IsEmail(s string) bool {
	at := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '@':
			if at >= 0 {
				return false
			}
			at = i
		case ' ', '\t', '\n', '\f', '\r', '"':
			return false
		}
	}
	if at <= 0 {
		return false
	}
	domain := s[at+1:]
	return len(domain) >= 3 && strings.IndexByte(domain[1:len(domain)-1], '.') >= 0
}

// cardKey reports whether a JSON key names a card number, ignoring case and separators.
func cardKey(k string) bool {
	var buf [24]byte // longer than the longest name below
	n := 0
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x80 {
			return cardKeyUnicode(k) // case folding beyond ASCII can yield ASCII letters
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' {
			if n == len(buf) {
				return false
			}
			buf[n] = c
			n++
		}
	}
	return cardName(string(buf[:n]))
}

func cardKeyUnicode(k string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return cardName(b.String())
}

func cardName(letters string) bool {
	switch letters {
	case "cardnumber", "creditcardnumber", "cardno", "pan", "primaryaccountnumber":
		return true
	}
	return false
}

// mask masks one string found under key.
func mask(key, s string) string {
	if cardKey(key) {
		return PAN(s)
	}
	if IsEmail(s) {
		return Email(s)
	}
	return s
}

// Value masks one value found under key (elements of an array count as under the
// array's key). Maps and slices are masked in place.
func Value(key string, v any) any {
	switch x := v.(type) {
	case string:
		return mask(key, x)
	case map[string]any:
		for k, vv := range x {
			x[k] = Value(k, vv)
		}
		return x
	case []any:
		for i, vv := range x {
			x[i] = Value(key, vv)
		}
		return x
	case json.Number:
		if cardKey(key) {
			return PAN(string(x))
		}
		return x
	case float64:
		if cardKey(key) {
			return PAN(strconv.FormatFloat(x, 'f', -1, 64))
		}
		return x
	default:
		return v
	}
}

// Snippet shortens untrusted text (a provider's error body, a bad field value) for an error
// message or a log line: at most n bytes, cut at a rune boundary so the text stays valid
// UTF-8, with "…" marking the cut.
func Snippet(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
