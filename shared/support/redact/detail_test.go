package redact

import "testing"

// Log lines carry field names and reasons, never the values an error quotes.
func TestDetail(t *testing.T) {
	at := "@"
	for in, want := range map[string]string{
		`bad_field: transactionDateTime "john.doe` + at + `example.com" is not an ISO 8601 date-time`: `bad_field: transactionDateTime "…" is not an ISO 8601 date-time`,
		`orderTime "a\"b" is not "2006"`:      `orderTime "…" is not "…"`,
		`card 4111111111111111 refused`:       `card 411111******1111 refused`,
		`from John <john` + at + `localhost>`: `from John <j***@localhost>`,
		`unterminated "quote`:                 `unterminated "…"`,
	} {
		if got := Detail(in); got != want {
			t.Errorf("Detail(%q)=%q want %q", in, got, want)
		}
	}
}
