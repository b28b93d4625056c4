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
// "John Doe <j***@example.com>"; a quoted local part, an IP-literal domain, the look-alike
// at signs ＠ and ﹫ and a percent-encoded %40 count too) and every 13 to 19 digits that
// pass the Luhn check, the first of them not 0, whatever surrounds them (first six and last four kept, the digits
// between starred). Digits may be grouped by up to three of space, '-', '.', '/' and '_'
// between them; a longer run of digits is searched for every 13–19-digit stretch that
// passes, so a card number glued to other digits is still masked. Text is idempotent.
func Text(s string) string {
	if !sensitive(s) {
		return s
	}
	s = maskEmails(s)
	if out := maskPANs(s, true); out != nil {
		return string(out)
	}
	return s
}

// Ref masks an identifier (an order number, a transaction reference): emails as Text does,
// and card numbers that stand alone in it, whole digit groups not glued to other digits.
// A long run of digits in an identifier is the identifier (AXS sends 19-digit references,
// cardorders 21-digit order numbers), and masking part of it would change the event's id.
// Ref is idempotent: stars can make new groups, so it masks until nothing changes.
func Ref(s string) string {
	if !sensitive(s) {
		return s
	}
	s = maskEmails(s)
	for {
		out := maskPANs(s, false)
		if out == nil {
			return s
		}
		s = string(out)
	}
}

// sensitive is the cheap test in front of Text: an at sign (or a look-alike) or 13 digits
// in one run of digits and separators (in a JSON token, a \u escape too, which may spell
// either).
func sensitive[T string | []byte](s T) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > '@' {
			switch {
			case c == '\\' && i+1 < len(s) && s[i+1] == 'u':
				return true
			case c == 0xEF && i+2 < len(s) && atWidth(string(s[i:i+3]), 0) > 0:
				return true
			case c != '_':
				run = 0
			}
			continue
		}
		switch {
		case c >= '0' && c <= '9':
			if run++; run >= 13 {
				return true
			}
		case c == '@':
			return true
		case c == '%' && i+2 < len(s) && s[i+1] == '4' && s[i+2] == '0':
			return true
		case !panSeparator(c):
			run = 0
		}
	}
	return false
}

// panSeparator reports whether c may stand between the digit groups of a card number.
func panSeparator(c byte) bool {
	return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/' || c == '_'
}

// atWidth is the length of the at sign starting at s[i], or 0: '@', its full-width and
// small look-alikes (U+FF20, U+FE6B) and the percent-encoded %40 of a URL.
func atWidth(s string, i int) int {
	switch c := s[i]; {
	case c == '@':
		return 1
	case c == '%' && strings.HasPrefix(s[i:], "%40"):
		return 3
	case c == 0xEF && (strings.HasPrefix(s[i:], "\uFF20") || strings.HasPrefix(s[i:], "\uFE6B")):
		return 3
	}
	return 0
}

// invisible runes (zero-width spaces and joiners, soft hyphens) count as part of an
// address, so that one hidden before the at sign does not hide the address.
func invisible(r rune) bool { return r >= utf8.RuneSelf && unicode.Is(unicode.Cf, r) }

func localRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || invisible(r))
}

func domainRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || invisible(r))
}

// maskEmails masks every local@domain run in s, a single-label domain (localhost)
// included; the local part keeps its first character.
func maskEmails(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is written
	for {
		m, ok := findEmail(s, done)
		if !ok {
			break
		}
		b.Grow(len(s))
		b.WriteString(s[done:m.start])
		b.WriteString(m.local)
		b.WriteString(s[m.at:m.end])
		done = m.end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// emailMatch is one email-shaped run: s[start:at] is the local part, s[at:end] the at
// sign and the domain, local the masked local part.
type emailMatch struct {
	start, at, end int
	local          string
}

// findEmail finds the first email-shaped run in s that starts at or after from.
func findEmail(s string, from int) (emailMatch, bool) {
	if strings.IndexByte(s[from:], '@') < 0 && strings.Index(s[from:], "%40") < 0 && strings.IndexByte(s[from:], 0xEF) < 0 {
		return emailMatch{}, false
	}
	for i := from; i < len(s); i++ {
		w := atWidth(s, i)
		if w == 0 {
			continue
		}
		ls, local := localStart(s, from, i)
		if de := domainEnd(s, i+w); ls < i && de > i+w {
			return emailMatch{start: ls, at: i, end: de, local: local}, true
		}
	}
	return emailMatch{}, false
}

// localStart finds the local part ending at s[at] (not before s[from]): its start, or at
// when there is none, and its mask: its first character and ***. A quoted local part
// ("john doe"@example.com) keeps its quotes, so that what precedes it stays apart, and its
// first character that could start a plain one, or *: "j***"@example.com.
func localStart(s string, from, at int) (int, string) {
	if at > from && s[at-1] == '"' {
		if open := quoteStart(s, from, at-1); open >= 0 {
			for _, r := range s[open+1 : at-1] {
				if localRune(r) {
					return open, `"` + string(r) + `***"`
				}
			}
			return open, `"****"`
		}
	}
	ls := at
	for ls > from {
		r, n := utf8.DecodeLastRuneInString(s[:ls])
		if !localRune(r) {
			break
		}
		ls -= n
	}
	_, n := utf8.DecodeRuneInString(s[ls:])
	return ls, s[ls:ls+n] + "***"
}

// quoteStart returns the index of the quote opening the quoted string that ends at
// s[end] (a quote), or -1: at most 64 bytes inside (RFC 5321's local-part limit), no line
// break, \" escaped.
func quoteStart(s string, from, end int) int {
	for j := end - 1; j >= from && end-j <= 65; j-- {
		switch s[j] {
		case '\n', '\r':
			return -1
		case '"':
			if j > from && s[j-1] == '\\' {
				continue
			}
			if j+1 == end {
				return -1 // "" is no local part
			}
			return j
		}
	}
	return -1
}

// domainEnd returns the end of the domain starting at s[i], or i when there is none: a
// name (trailing dots and hyphens left out) or an IP literal in brackets ([192.0.2.1],
// [IPv6:2001:db8::1]).
func domainEnd(s string, i int) int {
	if i < len(s) && s[i] == '[' {
		for j := i + 1; j < len(s) && j-i <= 64; j++ {
			c := s[j]
			switch {
			case c == ']':
				if j > i+1 {
					return j + 1
				}
				return i
			case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '.', c == ':':
			default:
				return i
			}
		}
		return i
	}
	de := i
	for de < len(s) {
		r, n := utf8.DecodeRuneInString(s[de:])
		if !domainRune(r) {
			break
		}
		de += n
	}
	for de > i && (s[de-1] == '.' || s[de-1] == '-') {
		de--
	}
	return de
}

// maskPANs stars the middle digits of every card number in s: any stretch of a digit run
// when glued (see Text), only stretches of whole digit groups otherwise (see Ref). It
// returns the masked copy, or nil when s holds no card number.
func maskPANs[T string | []byte](s T, glued bool) []byte {
	var out []byte
	var buf [64]int32
	pos := buf[:0] // where the digits of the current run are in s
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		var end int
		pos, end = digitRun(s, i, pos[:0])
		pos = pos[:integerDigits(s, pos)]
		if len(pos) >= 13 {
			out = starPANs(s, pos, out, glued)
		}
		i = end
	}
	return out
}

// integerDigits is how many of the run's digits count: all of them, but for a decimal
// (digits, one '.', digits: 0.1234567890123452, a crypto amount) only those before the
// point. A fraction's digits are no card number, and starring them would turn two thirds
// of full-precision amounts in raw into strings.
func integerDigits[T string | []byte](s T, pos []int32) int {
	point := 0
	for k := 1; k < len(pos); k++ {
		if pos[k] == pos[k-1]+1 {
			continue
		}
		if point > 0 || pos[k] != pos[k-1]+2 || s[pos[k-1]+1] != '.' {
			return len(pos)
		}
		point = k
	}
	if point == 0 {
		return len(pos)
	}
	return point
}

// digitRun appends to pos the positions of the digits of the run starting at s[i] (digits,
// with at most three separators between two of them) and returns the end of the run.
func digitRun[T string | []byte](s T, i int, pos []int32) ([]int32, int) {
	for {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			pos = append(pos, int32(i))
			i++
		}
		j := i
		for j < len(s) && j-i < 3 && panSeparator(s[j]) {
			j++
		}
		if j == i || j >= len(s) || s[j] < '0' || s[j] > '9' {
			return pos, i
		}
		i = j
	}
}

// starPANs stars, in a copy of s (out, made on the first card number found), the middle
// of every stretch of 13 to 19 consecutive digits of the run at pos that passes the Luhn
// check and starts with a nonzero digit. Each stretch keeps its first six and last four
// digits; where stretches overlap, a digit starred by any of them is starred. Unless
// glued, a stretch must begin and end at the edges of digit groups.
func starPANs[T string | []byte](s T, pos []int32, out []byte, glued bool) []byte {
	var buf [2][65]int32 // runs of up to 64 digits need no allocation
	sums := luhnSums(s, pos, [2][]int32{buf[0][:], buf[1][:]})
	for end := 13; end <= len(pos); end++ {
		if !glued && end < len(pos) && pos[end] == pos[end-1]+1 {
			continue // the group goes on
		}
		// The digit before end is never doubled: sums[q] doubles the other parity.
		sum := sums[(end-1)%2]
		for start := max(end-19, 0); start <= end-13; start++ {
			switch {
			case (sum[end]-sum[start])%10 != 0, s[pos[start]] == '0': // no issuer's number starts with 0
			case !glued && !groupStart(s, pos, start):
			default:
				if out == nil {
					out = append([]byte(nil), s...) // a copy, also of a []byte
				}
				for k := start + 6; k < end-4; k++ {
					out[pos[k]] = '*'
				}
			}
		}
	}
	return out
}

// groupStart reports whether the stretch at start begins a digit group, zeros before it in
// the group aside: Luhn ignores leading zeros, so 0004111111111111111 holds a card number.
func groupStart[T string | []byte](s T, pos []int32, start int) bool {
	for k := start; k > 0 && pos[k] == pos[k-1]+1; k-- {
		if s[pos[k-1]] != '0' {
			return false
		}
	}
	return true
}

// luhnSums returns two prefix sums of the Luhn values of the run's digits: sums[0]
// doubles the digits at odd indexes, sums[1] those at even ones, so the Luhn sum of the
// stretch [start, end) is sums[(end-1)%2][end] - sums[(end-1)%2][start]. They are written
// into sums when it is long enough.
func luhnSums[T string | []byte](s T, pos []int32, sums [2][]int32) [2][]int32 {
	if len(sums[0]) <= len(pos) {
		sums[0], sums[1] = make([]int32, len(pos)+1), make([]int32, len(pos)+1)
	}
	for k, p := range pos {
		d := int32(s[p] - '0')
		dd := 2 * d
		if dd > 9 {
			dd -= 9
		}
		if k%2 == 0 {
			sums[0][k+1], sums[1][k+1] = sums[0][k]+d, sums[1][k]+dd
		} else {
			sums[0][k+1], sums[1][k+1] = sums[0][k]+dd, sums[1][k]+d
		}
	}
	return sums
}

// HasPAN reports whether s holds a card number Text would mask.
func HasPAN(s string) bool {
	return sensitive(s) && maskPANs(s, true) != nil
}
