package event

import "strings"

// IDSep separates the components of an event id (`axs:<transactionRef>:<STATUS>`).
const IDSep = ":"

// JoinID builds an event id from its components, each escaped (EscapeRef) so that no
// component can hold the separator: `a:b` + `c` and `a` + `b:c` are two ids. Every event id
// is built here.
func JoinID(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(IDSep)
		}
		b.WriteString(EscapeRef(p))
	}
	return b.String()
}

// SplitID returns the components of an id made by JoinID, unescaped.
func SplitID(id string) []string {
	parts := strings.Split(id, IDSep)
	for i, p := range parts {
		parts[i] = unescapeRef(p)
	}
	return parts
}

// Escapes of a component. Only what could be misread is escaped: ':' always, and '%' only
// where it starts the text of an escape, so a component with neither ':' nor the text `%3A`
// or `%25` is its own escaping, and the ids of such references (every id stored before the
// escaping existed, bar those) are unchanged.
const (
	escColon   = "%3A"
	escPercent = "%25"
)

// EscapeRef is a component as an id holds it. It is injective and unescapeRef inverts it:
// a '%' left as it is is never followed by `3A` or `25` in the output, since what follows
// it is either the input's own text (which is not `3A` or `25`, else the '%' was escaped)
// or an escape, which starts with '%'.
func EscapeRef(s string) string {
	if !strings.Contains(s, IDSep) && !strings.Contains(s, escColon) && !strings.Contains(s, escPercent) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == ':':
			b.WriteString(escColon)
		case s[i] == '%' && (strings.HasPrefix(s[i+1:], "3A") || strings.HasPrefix(s[i+1:], "25")):
			b.WriteString(escPercent)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func unescapeRef(s string) string {
	if !strings.Contains(s, escColon) && !strings.Contains(s, escPercent) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], escColon):
			b.WriteByte(':')
			i += 2
		case strings.HasPrefix(s[i:], escPercent):
			b.WriteByte('%')
			i += 2
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// escapedLen is len(EscapeRef(s)) without building it.
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == ':':
			n += 2
		case s[i] == '%' && (strings.HasPrefix(s[i+1:], "3A") || strings.HasPrefix(s[i+1:], "25")):
			n += 2
		}
	}
	return n
}
