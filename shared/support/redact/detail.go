package redact

import "strings"

// maxDetail bounds the error text a log line or a stored failure reason carries.
const maxDetail = 512

// Detail is an error's text made fit for a log line, which carries reasons and field
// names, never values: every quoted part (errors quote the values they report with %q,
// and AWS quotes what it refused) becomes "…", what remains is masked by value, and the
// whole is bounded.
func Detail(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c != '"' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(msg) && msg[j] != '"' {
			if msg[j] == '\\' {
				j++
			}
			j++
		}
		b.WriteString(`"…"`)
		i = j
	}
	return Snippet(Text(b.String()), maxDetail)
}
