package queue

import (
	"strings"
	"testing"
	"time"
)

func TestFIFOID(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		in       string
		passThru bool
	}{
		{"instaxchange:tx-1:completed", true},
		{"cxtn:wh_f79f07d55bcd4cb893c41575b7c1b8f6", true},
		{strings.Repeat("a", 128), true},
		{long, false},
		{"has space", false},
		{"ünïcode", false},
		{"", false},
	}
	for _, tt := range tests {
		got := FIFOID(tt.in)
		if (got == tt.in) != tt.passThru {
			t.Errorf("FIFOID(%q) = %q", tt.in, got)
		}
		if len(got) > 128 || !validFIFO(got) {
			t.Errorf("FIFOID(%q) = %q is not a valid FIFO id", tt.in, got)
		}
		if FIFOID(tt.in) != got {
			t.Errorf("FIFOID(%q) is not stable", tt.in)
		}
	}
	a := ReplayDedupID("x:1", time.UnixMilli(1))
	b := ReplayDedupID("x:1", time.UnixMilli(2))
	if a == b || a == FIFOID("x:1") {
		t.Fatalf("replay ids %q %q must differ from each other and from the event id", a, b)
	}
}
