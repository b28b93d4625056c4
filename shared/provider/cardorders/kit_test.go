package cardorders

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

func TestGolden(t *testing.T) {
	golden.Run(t, "testdata/*.json", func(payload []byte) (event.Event, error) {
		return normalize(payload, time.UTC)
	})
}

func TestStatusTable(t *testing.T) {
	for orderType, table := range statuses {
		if err := table.Check(); err != nil {
			t.Fatalf("orderType %s: %v", orderType, err)
		}
	}
	object := map[string]string{"1": "card_issue", "2": "card_recharge"}
	for _, tt := range []struct {
		status   string
		outcome  string // the type's suffix
		state    event.Status
		terminal bool
	}{
		{"INIT", "pending", event.Pending, false},
		{"SUCCESS", "succeeded", event.Succeeded, true},
		{"FAIL", "failed", event.Failed, true},
		{"CANCEL", "cancelled", event.Cancelled, true},
		{"REFUNDING", "refund_pending", event.Pending, false},
		{"PROCESSING", "", event.Pending, false}, // unknown: stored, never published
	} {
		for orderType, obj := range object {
			want := event.Type(obj + "." + tt.outcome)
			if tt.outcome == "" {
				want = event.TypeUnsupported
			}
			for _, spelled := range []string{tt.status, strings.ToLower(tt.status)} {
				body := docExample()
				body["orderType"], body["status"] = orderType, spelled
				b, _ := json.Marshal(body)
				ev, err := normalize(b, time.UTC)
				if err != nil {
					t.Fatalf("%s %s: %v", orderType, spelled, err)
				}
				ev.Stamp(time.Now(), event.OriginWebhook)
				if ev.Type != want || ev.Status != tt.state || ev.Terminal != tt.terminal {
					t.Errorf("%s %q: %s %s terminal=%v, want %s %s terminal=%v", orderType, spelled, ev.Type, ev.Status, ev.Terminal, want, tt.state, tt.terminal)
				}
				if id := "cardorders:" + body["orderNo"] + ":" + tt.status; ev.ID != id {
					t.Errorf("%s %q: id %s, want %s (one canonical spelling)", orderType, spelled, ev.ID, id)
				}
			}
		}
	}
}

func TestShippingInfoNotStored(t *testing.T) {
	body := docExample()
	b, _ := json.Marshal(body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["shippingInfo"] = map[string]any{"name": "John Doe", "address": "1 Orchard Road", "postcode": "238801", "country": "SG"}
	b, _ = json.Marshal(m)
	ev, err := normalize(b, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := ev.Marshal()
	for _, s := range []string{"Orchard", "238801", "John Doe"} {
		if strings.Contains(string(out), s) {
			t.Fatalf("event keeps the postal address (%q): %s", s, out)
		}
	}
	if !strings.Contains(string(ev.Raw), `"shippingInfo":"REDACTED"`) {
		t.Fatalf("raw does not say the address was removed: %s", ev.Raw)
	}
}
