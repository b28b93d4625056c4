// Package redact masks personal data (emails, card numbers) before anything is stored,
// published or logged.
package redact

import (
	"bytes"
	"encoding/json"
	"regexp"
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

var emailRe = regexp.MustCompile(`^[^@\s"]+@[^@\s"]+\.[^@\s"]+$`)

// IsEmail reports whether s looks like an email address.
func IsEmail(s string) bool { return emailRe.MatchString(s) }

// cardKey reports whether a JSON key names a card number, ignoring case and separators.
func cardKey(k string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "cardnumber", "creditcardnumber", "cardno", "pan", "primaryaccountnumber":
		return true
	}
	return false
}

// Value masks one value found under key.
func Value(key string, v any) any {
	switch x := v.(type) {
	case string:
		if cardKey(key) {
			return PAN(x)
		}
		if IsEmail(x) {
			return Email(x)
		}
		return x
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
	default:
		return v
	}
}

// JSON returns raw with every email and card number masked. Numbers keep their digits;
// key order is not preserved, which is fine for an archive copy.
func JSON(raw []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	v = Value("", v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}
