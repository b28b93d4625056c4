package cxtn

import (
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

func TestGolden(t *testing.T) {
	golden.Run(t, "testdata/*.json", normalize)
}

// Every CXTN event name, in two letter cases: one type, terminal and state each, and an
// unknown name is stored as event.unsupported (never published).
func TestStatusTable(t *testing.T) {
	if err := kinds.Check(); err != nil {
		t.Fatal(err)
	}
	data := `{"objectId":1,"amount":-5,"ccyCode":"GBP","currency":"GBP","sellAmount":1,"sellCurrency":"GBP","buyAmount":1,"buyCurrency":"EUR"}`
	for _, tt := range []struct {
		name     string
		typ      event.Type
		state    event.Status
		terminal bool
	}{
		{"account_credit", event.TypeAccountCredited, event.Succeeded, true},
		{"account_debit", event.TypeAccountDebited, event.Succeeded, true},
		{"payment_completed", event.TypePayoutSucceeded, event.Succeeded, true},
		{"trade_settled", event.TypeTradeSettled, event.Succeeded, true},
		{"card_frozen", event.TypeUnsupported, event.Pending, false},
	} {
		for _, spelled := range []string{tt.name, strings.ToUpper(tt.name)} {
			ev, err := normalize([]byte(`{"eventId":"wh_1","event":"` + spelled + `","data":` + data + `}`))
			if err != nil {
				t.Fatalf("%s: %v", spelled, err)
			}
			ev.Stamp(time.Now(), event.OriginWebhook)
			if ev.Type != tt.typ || ev.Status != tt.state || ev.Terminal != tt.terminal || ev.ID != "cxtn:wh_1" {
				t.Errorf("%s: %s %s %s terminal=%v, want %s %s terminal=%v", spelled, ev.ID, ev.Type, ev.Status, ev.Terminal, tt.typ, tt.state, tt.terminal)
			}
		}
	}
}
