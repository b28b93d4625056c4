package chainstatus

import (
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/poller/chainstatus/chainstatustest"
)

// A failing answer's message is logged cleaned: what the endpoint echoes (an email, a card
// number, a quoted value) never reaches the log.
func TestFailedCheckLogsNoValues(t *testing.T) {
	const email, pan = "jane.doe@example.com", "4111111111111111"
	f := newFixture(t)
	f.deliver(t, "ixc-echo", "completed", "wd-echo")
	f.fake.Default = chainstatustest.Answer{Status: 500, Body: `{"message":"wallet of ` + email + ` card ` + pan + ` said \"no\""}`}
	if res := f.run(t, f.poller()); res.Errors != 1 {
		t.Fatalf("run %+v", res)
	}
	if !strings.Contains(f.logs.String(), "blockchain-status check failed") {
		t.Fatalf("no failure logged:\n%s", f.logs)
	}
	for _, v := range []string{email, pan, `no\"`} {
		if strings.Contains(f.logs.String(), v) {
			t.Errorf("%q leaked:\n%s", v, f.logs)
		}
	}
}
