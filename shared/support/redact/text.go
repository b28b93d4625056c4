package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Masking by value: whatever key a string sits under, an email or a card number inside it
// is masked. Senders put personal data where no key names it (a display name in a free-text
// field, a card number under `card_num`, an address with stray spaces), so the shape of the
// text decides, not the key.

// Text masks, anywhere in s, every email-shaped run (first character of the local part,
// then ***, then the domain: "John Doe <john.doe@example.com>" becomes
// "John Doe <j***@example.com>") and every card-number-shaped run (13 to 19 digits,
// optionally grouped by single spaces or hyphens, passing the Luhn check: first six and
// last four kept, the digits between starred). A digit run longer than 19 digits is an
// identifier, not a card number, and is kept.
func Text(s string) string {
	if !sensitive(s) {
		return s
	}
	return maskPANs(maskEmails(s))
}

// sensitive is the cheap test in front of Text: an '@' or 13 digits in one run (in a JSON
// token, a \u escape too, which may spell either).
func sensitive[T string | []byte](s T) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > '@' {
			if c == '\\' && i+1 < len(s) && s[i+1] == 'u' {
				return true
			}
			run = 0
			continue
		}
		switch {
		case c >= '0' && c <= '9':
			if run++; run >= 13 {
				return true
			}
		case c == '@':
			return true
		case c != ' ' && c != '-':
			run = 0
		}
	}
	return false
}

func localRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func domainRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// maskEmails masks every local@domain run in s, a single-label domain (localhost)
// included; the local part keeps its first character.
func maskEmails(s string) string {
	if strings.IndexByte(s, '@') < 0 {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is written
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		ls := i
		for ls > done {
			r, n := utf8.DecodeLastRuneInString(s[:ls])
			if !localRune(r) {
				break
			}
			ls -= n
		}
		de := i + 1
		for de < len(s) {
			r, n := utf8.DecodeRuneInString(s[de:])
			if !domainRune(r) {
				break
			}
			de += n
		}
		for de > i+1 && (s[de-1] == '.' || s[de-1] == '-') {
			de--
		}
		if ls == i || de == i+1 {
			continue
		}
		_, first := utf8.DecodeRuneInString(s[ls:])
		b.Grow(len(s))
		b.WriteString(s[done:ls])
		b.WriteString(s[ls : ls+first])
		b.WriteString("***")
		b.WriteString(s[i:de])
		done, i = de, de-1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// maskPANs stars the middle digits of every card number in s: a run of digit groups
// (single spaces or hyphens between them) of which some consecutive groups hold 13 to 19
// digits and pass the Luhn check. Groups are never split, so digits glued to others
// without a separator are one longer number.
func maskPANs(s string) string {
	var out []byte
	var groups [][2]int // digit groups of the current run: [start, end)
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		groups = groups[:0]
		end := i
		for {
			gs := end
			for end < len(s) && s[end] >= '0' && s[end] <= '9' {
				end++
			}
			groups = append(groups, [2]int{gs, end})
			if end+1 < len(s) && (s[end] == ' ' || s[end] == '-') && s[end+1] >= '0' && s[end+1] <= '9' {
				end++
				continue
			}
			break
		}
		for g := 0; g < len(groups); {
			if n := panAt(s, groups[g:]); n > 0 {
				if out == nil {
					out = []byte(s)
				}
				from, to := groups[g][0], groups[g+n-1][1]
				starMiddle(out[from:to], digitCount(groups[g:g+n]))
				g += n
				continue
			}
			g++
		}
		i = end
	}
	if out == nil {
		return s
	}
	return string(out)
}

// panAt returns how many of the groups, from the first, form the longest card number
// starting there, or 0.
func panAt(s string, groups [][2]int) int {
	best, digits := 0, 0
	for n, g := range groups {
		if digits += g[1] - g[0]; digits > 19 {
			break
		}
		if digits >= 13 && luhn(s[groups[0][0]:g[1]]) {
			best = n + 1
		}
	}
	return best
}

func digitCount(groups [][2]int) int {
	n := 0
	for _, g := range groups {
		n += g[1] - g[0]
	}
	return n
}

// luhn checks the Luhn sum of the digits in s, ignoring separators.
func luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// starMiddle stars the digits of run after the first six and before the last four,
// keeping separators where they are.
func starMiddle(run []byte, digits int) {
	n := 0
	for i, c := range run {
		if c < '0' || c > '9' {
			continue
		}
		if n >= 6 && n < digits-4 {
			run[i] = '*'
		}
		n++
	}
}

// isPANNumber reports whether a JSON number token is a card number sent as a number.
func isPANNumber[T string | []byte](tok T) bool {
	if len(tok) > 0 && tok[0] == '-' {
		tok = tok[1:]
	}
	if len(tok) < 13 || len(tok) > 19 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return luhn(string(tok))
}
