package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
)

const at = "@"

func base(id string) *event.Event {
	ev := &event.Event{ID: id, Provider: "axs", Type: "payment.succeeded", Status: event.Succeeded, ObjectRef: "o"}
	ev.Stamp(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), event.OriginWebhook)
	return ev
}

func fit(t *testing.T, ev *event.Event) (map[string]any, []byte) {
	t.Helper()
	body, err := event.Fit(ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > event.MaxBodyBytes {
		t.Fatalf("%d bytes", len(body))
	}
	if d := eventtest.Depth(body); d > event.MaxDepth {
		t.Fatalf("depth %d", d)
	}
	eventtest.Validate(t, body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m, body
}

func TestBoundIDs(t *testing.T) {
	long := strings.Repeat("r", 2100)
	for _, tt := range []struct{ name, id, ref string }{
		{"AXS transactionRef of 2,100", "axs:" + long + ":SUCCESS", long},
		{"AXS transactionRef of 1,100", "axs:" + long[:1100] + ":SUCCESS", long[:1100]},
		{"AXpay status of 3,000", "axpay:tx1:" + strings.Repeat("S", 3000), "tx1"},
		{"many components", strings.Repeat("abcdefgh:", 300), "o"},
		{"multibyte", "axs:" + strings.Repeat("é", 700) + ":SUCCESS", strings.Repeat("é", 700)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := base(tt.id)
			ev.ObjectRef = tt.ref
			m, _ := fit(t, ev)
			id := m["id"].(string)
			if len(id) > event.MaxIDBytes || len(ev.ObjectRef) > event.MaxRefBytes {
				t.Fatalf("id %d bytes, objectRef %d", len(id), len(ev.ObjectRef))
			}
			again := base(tt.id)
			again.ObjectRef = tt.ref
			event.BoundIDs(again)
			event.BoundIDs(again)
			if again.ID != id {
				t.Fatal("not deterministic or not idempotent")
			}
			other := base(tt.id + "x")
			event.BoundIDs(other)
			if other.ID == id {
				t.Fatal("two ids bounded to one")
			}
			if strings.Count(tt.id, ":") == 2 && !strings.Contains(id, ev.ObjectRef) && tt.ref != "tx1" {
				t.Fatalf("id %q does not hold the bounded objectRef %q", id, ev.ObjectRef)
			}
		})
	}
	short := base("axs:123:SUCCESS")
	event.BoundIDs(short)
	if short.ID != "axs:123:SUCCESS" {
		t.Fatal("a short id changed")
	}
}

// A cardorders failReason of 80,000 × U+2028 (240 KB sent, 480 KB once escaped) is cut, in
// failure and in raw, and the event says so.
func TestFitCutsEscapedText(t *testing.T) {
	reason := strings.Repeat("\u2028", 80000)
	ev := base("cardorders:1:FAIL")
	ev.Failure = &event.Failure{Message: reason}
	raw, _ := json.Marshal(map[string]string{"failReason": reason})
	ev.Raw = raw
	ev.Details = map[string]any{"note": reason}
	m, body := fit(t, ev)
	msg := m["failure"].(map[string]any)["message"].(string)
	if !strings.HasSuffix(msg, event.CutMarker) || len(body) > event.MaxBodyBytes {
		t.Fatalf("message %d bytes, body %d", len(msg), len(body))
	}
	if d := m["details"].(map[string]any); d[event.CutText] != true {
		t.Fatalf("details %v", d)
	}
}

func TestFitLeavesSmallEventsAlone(t *testing.T) {
	ev := base("axs:1:SUCCESS")
	ev.Raw = json.RawMessage(`{"a":[1,2,{"b":"c"}],"amount":"1.00"}`)
	ev.Details = map[string]any{"x": "y", "n": json.Number("12")}
	want, _ := ev.Marshal()
	_, got := fit(t, ev)
	if string(got) != string(want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Many small strings cannot be cut enough: raw goes, then details.
func TestFitDropsRawThenDetails(t *testing.T) {
	many := make([]string, 40000)
	for i := range many {
		many[i] = "abcdef"
	}
	raw, _ := json.Marshal(many)
	ev := base("axs:2:SUCCESS")
	ev.Raw = raw
	m, _ := fit(t, ev)
	if _, ok := m["raw"]; ok || m["details"].(map[string]any)[event.CutRaw] != true {
		t.Fatalf("raw kept: %v", m["details"])
	}
	ev = base("axs:3:SUCCESS")
	ev.Raw = raw
	ev.Details = map[string]any{"list": many}
	m, _ = fit(t, ev)
	if d := m["details"].(map[string]any); d[event.CutDetails] != true || d["list"] != nil {
		t.Fatalf("details kept: %v", d)
	}
}

// Deeper than 64 levels is published without the too-deep part, marked.
func TestFitDepth(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000)
	ev := base("axs:4:SUCCESS")
	ev.Raw = json.RawMessage(`{"keep":"me","deep":` + deep + `}`)
	var tree any
	json.Unmarshal([]byte(deep), &tree)
	ev.Details = map[string]any{"tree": tree, "raw": json.RawMessage(deep)}
	m, body := fit(t, ev)
	if eventtest.Depth(body) != event.MaxDepth || !strings.Contains(string(body), event.DepthMarker) {
		t.Fatalf("depth %d", eventtest.Depth(body))
	}
	if m["details"].(map[string]any)[event.CutDepth] != true || m["raw"].(map[string]any)["keep"] != "me" {
		t.Fatal("not marked")
	}
}

// Emails and card numbers are masked by value in raw, details and failure, whatever the key.
func TestFitMasksByValue(t *testing.T) {
	ev := base("cxtn:5")
	ev.Raw = json.RawMessage(`{"card_num":"4111111111111111","from":"John Doe <john.doe` + at + `example.com>","n":5555555555554444}`)
	ev.Details = map[string]any{"contact": " john.doe" + at + "example.com ", "pan": json.Number("4111111111111111"),
		"nested": map[string]any{"x": "john.doe" + at + "localhost"}}
	ev.Failure = &event.Failure{Message: "card 5555555555554444* declined for john.doe" + at + "example.com"}
	_, body := fit(t, ev)
	for _, bad := range []string{"john.doe", "4111111111111111", "5555555555554444"} {
		if strings.Contains(string(body), bad) {
			t.Errorf("%q left in %s", bad, body)
		}
	}
}

// SQS refuses U+FFFE and U+FFFF in a message: they leave escaped.
func TestFitEscapesWhatSQSRefuses(t *testing.T) {
	ev := base("axs:6:SUCCESS")
	ev.Failure = &event.Failure{Message: "a\uffffb\ufffe"}
	ev.Raw = json.RawMessage("{\"x\":\"\uffff\"}")
	m, body := fit(t, ev)
	if strings.Contains(string(body), "\uffff") || strings.Contains(string(body), "\ufffe") {
		t.Fatalf("%q", body)
	}
	if m["failure"].(map[string]any)["message"] != "a\uffffb\ufffe" {
		t.Fatal("meaning changed")
	}
}

// A reference that is an email address or a card number is never stored whole, and two
// such references never become one id.
func TestBoundIDsMasksPersonalData(t *testing.T) {
	seen := map[string]string{}
	for _, ref := range []string{"john.doe@example.com", "jane.doe@example.com", "John Doe <john.doe@example.com>",
		"4111111111111111", "4111111111111129", "order 4111111111111111*"} {
		ev := base("axpay:" + ref + ":completed")
		ev.ObjectRef, ev.MerchantRef = ref, ref
		event.BoundIDs(ev)
		for _, v := range []string{ev.ID, ev.ObjectRef, ev.MerchantRef} {
			if strings.Contains(v, "doe@example.com") || strings.Contains(v, "4111111111111") {
				t.Errorf("%q kept personal data: %q", ref, v)
			}
		}
		if !strings.Contains(ev.ID, ev.ObjectRef) {
			t.Errorf("id %q does not hold objectRef %q", ev.ID, ev.ObjectRef)
		}
		if prev, dup := seen[ev.ID]; dup {
			t.Errorf("%q and %q became one id %q", prev, ref, ev.ID)
		}
		seen[ev.ID] = ref
		again := *ev
		event.BoundIDs(&again)
		if again.ID != ev.ID || again.ObjectRef != ev.ObjectRef {
			t.Errorf("not idempotent: %q then %q", ev.ID, again.ID)
		}
	}
}

// A withdraw transaction hash whose digits happen to pass the Luhn check leaves as it came:
// the chain-status poller asks for details.withdrawTxId exactly as stored.
func TestFitKeepsTransactionHashes(t *testing.T) {
	hash := "0xab4111111111111111cd9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e"
	ev := base("instaxchange:t:completed")
	ev.Details = map[string]any{"withdrawTxId": hash, "note": "card 4111111111111111"}
	m, _ := fit(t, ev)
	d := m["details"].(map[string]any)
	if d["withdrawTxId"] != hash || d["note"] != "card 411111******1111" {
		t.Fatalf("details = %v", d)
	}
}
