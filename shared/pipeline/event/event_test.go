package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestStamp(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, c := range []struct {
		name         string
		in           Event
		wantOrigin   Origin
		wantOccurred time.Time
		wantTerminal bool
	}{
		{"pending from a webhook", Event{Status: Pending}, OriginWebhook, at.UTC(), false},
		{"terminal keeps its origin and time", Event{Status: Succeeded, Origin: OriginReplay, OccurredAt: at.Add(-time.Hour)},
			OriginReplay, at.Add(-time.Hour).UTC(), true},
		{"no status is not terminal", Event{}, OriginWebhook, at.UTC(), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := c.in
			e.Stamp(at, OriginWebhook)
			if e.SchemaVersion != SchemaVersion || e.Origin != c.wantOrigin || !e.OccurredAt.Equal(c.wantOccurred) ||
				e.OccurredAt.Location() != time.UTC || e.ReceivedAt.Location() != time.UTC || e.Terminal != c.wantTerminal {
				t.Errorf("stamped %+v", e)
			}
		})
	}
}

func TestUnsupportedIsNeverPublished(t *testing.T) {
	if (&Event{Type: TypeUnsupported}).Publishable() {
		t.Error("event.unsupported is publishable")
	}
}

// Marshal keeps provider text readable (no HTML escaping) and ends without a newline, and
// what it writes reads back as the same event.
func TestMarshalRoundTrip(t *testing.T) {
	e := Event{ID: "p:a<b>&c", Provider: "p", Type: "payment.succeeded", Status: Succeeded, ObjectRef: "a<b>&c",
		Raw: json.RawMessage(`{"x":1}`)}
	e.Stamp(time.Unix(0, 0), OriginWebhook)
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"a<b>&c"`) || strings.HasSuffix(string(b), "\n") {
		t.Errorf("marshal = %s", b)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil || back.ID != e.ID || string(back.Raw) != `{"x":1}` || !back.Terminal {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}
