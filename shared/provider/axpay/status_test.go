package axpay

import (
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

func TestGolden(t *testing.T) {
	golden.Run(t, "testdata/*.json", func(payload []byte) (event.Event, error) {
		return NormalizeTransaction(payload)
	})
}

// Every status in the table, in two letter cases (and, for the compound one, with the
// other separators), gives one type, terminal and state and one id spelling; an unknown
// status is stored as event.unsupported, never published as pending.
func TestStatusTable(t *testing.T) {
	if err := statuses.Check(); err != nil {
		t.Fatal(err)
	}
	tx := func(status string) []byte {
		return []byte(`{"id":"tx-1","amount":"1.00","currency":"USD","createdAt":1767225600000,"status":"` + status + `"}`)
	}
	cases := map[string]struct {
		typ   event.Type
		state event.Status
	}{"REFUNDED": {event.TypeUnsupported, event.Pending}, "in progress": {event.TypePaymentPending, event.Pending},
		"in-progress": {event.TypePaymentPending, event.Pending}}
	for s, o := range statuses {
		cases[s] = struct {
			typ   event.Type
			state event.Status
		}{o.Type, o.Status}
	}
	for status, want := range cases {
		canonical := strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(status))
		id := "axpay:tx-1"
		switch {
		case want.typ == event.TypeUnsupported:
			id += ":" + strings.ToLower(canonical)
		case want.state != event.Succeeded:
			id += ":" + string(want.state)
		}
		for _, spelled := range []string{strings.ToUpper(status), strings.ToLower(status)} {
			ev, err := NormalizeTransaction(tx(spelled))
			if err != nil {
				t.Fatalf("%q: %v", spelled, err)
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			if ev.Type != want.typ || ev.Status != want.state || ev.Terminal != want.state.Terminal() || ev.ID != id {
				t.Errorf("%q: %s %s %s terminal=%v, want %s %s %s terminal=%v", spelled, ev.ID, ev.Type, ev.Status, ev.Terminal,
					id, want.typ, want.state, want.state.Terminal())
			}
		}
	}
}

// README's table for AXpay says what the code does (golden.READMEStatuses).
func TestREADMEStatusTable(t *testing.T) {
	golden.READMEStatuses(t, "AXpay", statuses, 1)
}
