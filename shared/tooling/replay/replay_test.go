package replay

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
)

func TestWithOrigin(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"id":"a","origin":"webhook","details":{"origin":"x<y"}}`, `{"id":"a","origin":"replay","details":{"origin":"x<y"}}`},
		{`{"id":"a", "n": 1.50e3 ,"raw":{"a" : [1, 2]}}`, `{"id":"a","n":1.50e3,"raw":{"a" : [1, 2]},"origin":"replay"}`},
		{`{"origin":"webhook","origin":"reconciliation"}`, `{"origin":"replay"}`},
		{`{"k\u003c":"v"}`, `{"k<":"v","origin":"replay"}`},
	} {
		got, err := WithOrigin([]byte(c.in), event.OriginReplay)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s (%v), want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a":1}x`, `{"a":`, `null`} {
		if _, err := WithOrigin([]byte(bad), event.OriginReplay); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 1, 16, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2h":                        now.Add(-2 * time.Hour),
		"90m":                       now.Add(-90 * time.Minute),
		"2026-01-16T01:22:46Z":      time.Date(2026, 1, 16, 1, 22, 46, 0, time.UTC),
		"2026-01-16T09:22:46+08:00": time.Date(2026, 1, 16, 1, 22, 46, 0, time.UTC),
		"2026-01-15":                time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		"":                          {},
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-2h", "yesterday", "2026-13-01"} {
		if _, err := ParseTime(bad, now); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestBar(t *testing.T) {
	var b bytes.Buffer
	bar := Bar(&b)
	bar(0, 40)
	bar(12, 40)
	bar(40, 40)
	out := b.String()
	if !strings.Contains(out, "\r[#########.....................] 12/40") || !strings.HasSuffix(out, "] 40/40\n") {
		t.Fatalf("%q", out)
	}
}
