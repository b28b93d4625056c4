// Package redact masks personal data (emails, card numbers) before anything is stored,
// published or logged.
package redact

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Email masks an address read from an email field: every email-shaped run in it as Text
// masks it (j***@example.com, display names kept), whatever it holds, stars included
// (jo*n@example.com is still John's address); text without one keeps its first character
// and what follows its last '@', or is starred entirely.
func Email(s string) string {
	if _, ok := findEmail(s, 0); ok {
		return Text(s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "***"
	}
	_, n := utf8.DecodeRuneInString(s)
	return s[:n] + "***" + s[at:]
}

// PAN keeps the first six and last four digits of a card number and stars the rest, the
// PCI DSS display rule. Anything too short to be a card is starred entirely. A value with
// stars is taken as masked by the sender only if it holds at most ten digits (six plus four):
// "5554748800912345*" still holds a whole card number.
func PAN(s string) string {
	digits := make([]byte, 0, len(s))
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
			n++
		case panSeparator(c):
		default:
			digits = append(digits, c)
		}
	}
	if n <= 10 && strings.IndexByte(s, '*') >= 0 {
		return s
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

// mask masks one string found under key: a card-number key masks it as a card number
// whatever it holds; otherwise its emails and card numbers are masked by shape (Text).
func mask(key, s string) string {
	switch {
	case cardKey(key):
		return Text(PAN(s)) // the six and four kept of a long non-number may spell an email
	case idKey(key) && chainHash(s):
		return s
	case idKey(key):
		return Ref(s)
	}
	return Text(s)
}

// chainHash reports whether s has the shape of a blockchain transaction hash: 32 or more
// letters and digits (hex, 0x-prefixed or not, or base58), at least one a letter. Such a
// hash is public chain data; its digits are no card number, and the chain-status poller
// asks for the hash exactly as stored, so masking one would lose the payout.
func chainHash(s string) bool {
	s = strings.TrimPrefix(s, "0x")
	letter := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		default:
			return false
		}
	}
	return letter && len(s) >= 32
}

// idKey reports whether a key names an identifier (transactionId, Withdraw_tx_ID, orderNo,
// txHash, paymentRef). Its value is masked as Ref masks an event's own id, so the copy in raw
// and details reads as the id does: starring a stretch of a long id's digits would make it
// another id. A card number or an email standing alone in it is still masked.
func idKey(k string) bool {
	for _, suffix := range [...]string{"id", "ref", "no", "hash"} {
		if len(k) >= len(suffix) && strings.EqualFold(k[len(k)-len(suffix):], suffix) {
			return true
		}
	}
	return false
}

// number masks a number found under key: under a card-number key, or shaped like a card
// number, it leaves as the masked string, since a masked number is no number.
func number(key, text string) (string, bool) {
	if cardKey(key) {
		return PAN(text), true
	}
	if m := Text(text); m != text {
		return m, true
	}
	return "", false
}

// Value masks one value found under key (elements of an array count as under the
// array's key), keys included. Maps and slices are masked in place.
func Value(key string, v any) any {
	switch x := v.(type) {
	case string:
		return mask(key, x)
	case map[string]any:
		for k, vv := range x {
			if mk := Text(k); mk != k {
				delete(x, k)
				k = mk
			}
			x[k] = Value(k, vv)
		}
		return x
	case []any:
		for i, vv := range x {
			x[i] = Value(key, vv)
		}
		return x
	case json.Number:
		if m, ok := number(key, string(x)); ok {
			return m
		}
		return x
	case float64:
		if m, ok := number(key, strconv.FormatFloat(x, 'f', -1, 64)); ok {
			return m
		}
		return x
	case int:
		return intValue(key, int64(x), v)
	case int64:
		return intValue(key, x, v)
	case uint64:
		if m, ok := number(key, strconv.FormatUint(x, 10)); ok {
			return m
		}
		return x
	default:
		return v
	}
}

func intValue(key string, x int64, v any) any {
	if m, ok := number(key, strconv.FormatInt(x, 10)); ok {
		return m
	}
	return v
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

// CutMarker ends text that was cut to fit a bound.
const CutMarker = "…[cut]"

// CutText cuts s, at a rune boundary, so that s written as a JSON string (its quotes
// included) takes at most max bytes however the encoder escapes it; a cut string ends with
// CutMarker. It reports whether it cut.
func CutText(s string, max int) (string, bool) {
	if quotedLen(s) <= max {
		return s, false
	}
	budget := max - quotedLen(CutMarker)
	n, i := 0, 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if n += escapedLen(r, size); n > budget {
			break
		}
		i += size
	}
	return s[:i] + CutMarker, true
}

// quotedLen is the most bytes s takes as a JSON string: 2 quotes plus each rune escaped.
func quotedLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n += escapedLen(r, size)
		i += size
	}
	return n
}

// escapedLen is the most bytes a JSON encoder writes for one rune: encoding/json writes
// U+2028, U+2029, invalid bytes and (with HTML escaping) <, > and & as six-byte \u escapes.
func escapedLen(r rune, size int) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
		return 6
	case r == utf8.RuneError && size == 1:
		return 6
	}
	return size
}
