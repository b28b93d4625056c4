package event_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// FuzzFit: whatever a sender put in the id, the failure text, raw and details, Fit succeeds
// and its document is a valid event within every bound, with no email or card number left
// in raw, details or failure.
func FuzzFit(f *testing.F) {
	deep := strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200)
	f.Add("axs:"+strings.Repeat("9", 2100)+":SUCCESS", strings.Repeat("\u2028", 3000), `{"failReason":"x"}`, "")
	f.Add("axpay:tx:"+strings.Repeat("S", 3000), "card 5555555555554444* refused", `{"card_num":4111111111111111}`, "John Doe <john.doe"+"@"+"example.com>")
	f.Add("cxtn:1", " john.doe"+"@"+"localhost ", `{"a":`+deep+`}`, deep)
	f.Add(strings.Repeat("a:", 700), "\uffff\ufffe", `"\ud800"`, `{"x":"\u2029"}`)
	f.Fuzz(func(t *testing.T, id, text, raw, detail string) {
		if id == "" || !json.Valid([]byte(raw)) {
			return
		}
		ev := base(id)
		ev.ObjectRef = id
		ev.Failure = &event.Failure{Message: text, Code: text}
		ev.Raw = json.RawMessage(raw)
		ev.Details = map[string]any{"text": text, "free": detail}
		if json.Valid([]byte(detail)) {
			ev.Details["json"] = json.RawMessage(detail)
		}
		body, err := event.Fit(ev)
		if err != nil {
			t.Fatal(err)
		}
		if d := eventtest.Depth(body); len(body) > event.MaxBodyBytes || d > event.MaxDepth || len(ev.ID) > event.MaxIDBytes {
			t.Fatalf("%d bytes, depth %d, id %d bytes", len(body), d, len(ev.ID))
		}
		eventtest.Validate(t, body)
		var back struct {
			Raw     any            `json:"raw"`
			Details map[string]any `json:"details"`
			Failure map[string]any `json:"failure"`
		}
		if err := json.Unmarshal(body, &back); err != nil {
			t.Fatal(err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				if redact.Text(x) != x {
					t.Fatalf("unmasked %q", x)
				}
			case map[string]any:
				for k, vv := range x {
					walk(k)
					walk(vv)
				}
			case []any:
				for _, vv := range x {
					walk(vv)
				}
			}
		}
		walk(back.Raw)
		walk(back.Details)
		walk(back.Failure)
	})
}
