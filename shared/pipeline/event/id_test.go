package event_test

import (
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/event"
)

// Components that differ only in where a ':' falls are two ids, and a component with
// neither ':' nor the text of an escape is its own escaping (stored ids stay the same).
func TestJoinID(t *testing.T) {
	for _, tt := range []struct {
		parts []string
		want  string
	}{
		{[]string{"axs", "1428191406936641536", "SUCCESS"}, "axs:1428191406936641536:SUCCESS"},
		{[]string{"axpay", "tx 50% off", "failed"}, "axpay:tx 50% off:failed"},
		{[]string{"axpay", "t:failed"}, "axpay:t%3Afailed"},
		{[]string{"axpay", "t", "failed"}, "axpay:t:failed"},
		{[]string{"axpay", "t%3Afailed"}, "axpay:t%253Afailed"},
		{[]string{"axpay", "%25:%"}, "axpay:%2525%3A%"},
	} {
		got := event.JoinID(tt.parts...)
		if got != tt.want {
			t.Errorf("%q: %q, want %q", tt.parts, got, tt.want)
		}
		if back := event.SplitID(got); strings.Join(back, "|") != strings.Join(tt.parts, "|") {
			t.Errorf("%q: split back to %q", tt.parts, back)
		}
	}
	if event.JoinID("x", "a:b", "c") == event.JoinID("x", "a", "b:c") {
		t.Error("a:b + c and a + b:c are one id")
	}
}

// BoundIDs keeps objectRef and the id's component one value for a reference holding ':',
// bounds it by its escaped length, and is idempotent.
func TestBoundIDsWithColons(t *testing.T) {
	for _, ref := range []string{"a:b", strings.Repeat(":", 300), strings.Repeat("r:", 1050), "%3A" + strings.Repeat("é:", 200)} {
		ev := base(event.JoinID("axs", ref, "SUCCESS"))
		ev.ObjectRef = ref
		event.BoundIDs(ev)
		parts := strings.Split(ev.ID, ":")
		if len(parts) != 3 || parts[1] != event.EscapeRef(ev.ObjectRef) || len(parts[1]) > event.MaxRefBytes {
			t.Fatalf("%.20q: id %q for objectRef %q", ref, ev.ID, ev.ObjectRef)
		}
		if len(ref) <= event.MaxRefBytes/3 && ev.ObjectRef != ref {
			t.Errorf("%q changed to %q", ref, ev.ObjectRef)
		}
		again := *ev
		event.BoundIDs(&again)
		if again.ID != ev.ID || again.ObjectRef != ev.ObjectRef {
			t.Errorf("%.20q: not idempotent", ref)
		}
	}
}

func FuzzEscapeRef(f *testing.F) {
	for _, s := range []string{"", "a:b", "%3A", "%25", "%%3A:", "%2", "%", "%253A"} {
		f.Add(s, "c")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		e := event.EscapeRef(a)
		if strings.Contains(e, ":") {
			t.Fatalf("%q escapes to %q", a, e)
		}
		if got := event.SplitID(event.JoinID(a, b)); len(got) != 2 || got[0] != a || got[1] != b {
			t.Fatalf("%q, %q split back to %q", a, b, got)
		}
		if !strings.Contains(a, ":") && !strings.Contains(a, "%3A") && !strings.Contains(a, "%25") && e != a {
			t.Fatalf("%q changed to %q", a, e)
		}
		if len(event.BoundRef(a, 64)) > 0 && len(event.EscapeRef(event.BoundRef(a, 64))) > 64 {
			t.Fatalf("%q bounded over 64 bytes as escaped", a)
		}
	})
}
