package redact

import (
	"strings"
	"testing"
)

// at is split out so that no tool on the way rewrites the sample addresses.
const at = "@"

func TestEmail(t *testing.T) {
	for in, want := range map[string]string{
		"john.doe" + at + "example.com": "j***@example.com",
		"a@b.co":                        "a***@b.co",
		"nobody":                        "***",
		"@x.com":                        "***",
		"j***@example.com":              "j***@example.com",
	} {
		if got := Email(in); got != want {
			t.Errorf("Email(%q)=%q want %q", in, got, want)
		}
	}
}

func TestPAN(t *testing.T) {
	for in, want := range map[string]string{
		"5554748800912345":    "555474******2345",
		"4111 1111 1111 1111": "411111******1111",
		"4****1111":           "4****1111",
		"1234":                "****",
	} {
		if got := PAN(in); got != want {
			t.Errorf("PAN(%q)=%q want %q", in, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	raw := `{"email":"john.doe` + at + `example.com","cardNumber":"5554748800912345","n":0.0421399418187522,"nested":{"Email":"jane` + at + `example.org","list":["bob` + at + `x.io"]},"cardId":"1232330814012345678"}`
	out, err := JSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, bad := range []string{"john@", "5554748800912345", "jane@", "bob@"} {
		if strings.Contains(s, bad) {
			t.Errorf("%q left in %s", bad, s)
		}
	}
	for _, good := range []string{"0.0421399418187522", "1232330814012345678", "555474******2345"} {
		if !strings.Contains(s, good) {
			t.Errorf("%q missing from %s", good, s)
		}
	}
}
