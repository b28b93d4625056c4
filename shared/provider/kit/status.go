package kit

import (
	"fmt"
	"strings"

	"github.com/payhooks/payhooks/shared/pipeline/event"
)

// Outcome is what one provider status means: the event type and the state it puts the
// provider's object in. Whether the event is terminal follows from the state
// (event.Status.Terminal), so a table cannot contradict itself.
type Outcome struct {
	Type   event.Type
	Status event.Status
}

// Unsupported is the outcome of a status no table knows: the event is stored for
// inspection, answered 200 "ignored" and never published, and it moves no object state.
// An unknown status is never guessed to be pending.
var Unsupported = Outcome{Type: event.TypeUnsupported, Status: event.Pending}

// Statuses maps each status a provider sends, spelled the one canonical way, to its
// outcome. The canonical spelling is the table's key; it is what event ids carry, so that
// `SUCCESS` and `success` for one order are one event.
type Statuses map[string]Outcome

// Lookup finds status in the table ignoring surrounding space and ASCII letter case (only
// ASCII: Unicode case folding would make `ſuccess` a success). It returns the canonical
// spelling, the outcome and whether the status is known. An unknown status is spelled in
// the table's case (upper case unless every key is lower case) and gets Unsupported.
func (t Statuses) Lookup(status string) (canonical string, o Outcome, known bool) {
	s := strings.TrimSpace(status)
	if o, ok := t[s]; ok {
		return s, o, true
	}
	lower := t.lowerCase()
	c := asciiCase(s, lower)
	if o, ok := t[c]; ok {
		return c, o, true
	}
	return c, Unsupported, false
}

// lowerCase reports whether the table spells its statuses in lower case.
func (t Statuses) lowerCase() bool {
	for k := range t {
		for i := 0; i < len(k); i++ {
			if 'A' <= k[i] && k[i] <= 'Z' {
				return false
			}
		}
	}
	return len(t) > 0
}

func asciiCase(s string, lower bool) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if lower && 'A' <= c && c <= 'Z' || !lower && 'a' <= c && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				switch c := b[j]; {
				case lower && 'A' <= c && c <= 'Z':
					b[j] = c + 'a' - 'A'
				case !lower && 'a' <= c && c <= 'z':
					b[j] = c - ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}

// Check reports a table that cannot work as documented: a key that is not trimmed or not
// spelled in the table's one case (so no two keys differ only in case), or an outcome with
// no type or state. Every provider's tests call it.
func (t Statuses) Check() error {
	lower := t.lowerCase()
	for k, o := range t {
		switch {
		case k != strings.TrimSpace(k):
			return fmt.Errorf("status %q is not trimmed", k)
		case asciiCase(k, lower) != k:
			return fmt.Errorf("status %q is not spelled in the table's case", k)
		case o.Type == "" || o.Status == "":
			return fmt.Errorf("status %q has no type or no state", k)
		}
	}
	return nil
}
