package chainstatus

import (
	"fmt"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/poller/chainstatus/chainstatustest"
)

// TestOutcomes says, for each kind of answer, what is published and when. The payment is
// in LTC (6 confirmations required); the horizon is 30 minutes; checks back off 1, 2, 4 min.
func TestOutcomes(t *testing.T) {
	type step struct {
		after time.Duration // clock advance before this run
		want  event.Type    // the terminal event this run publishes; "" for none
		code  string        // its failure code
		calls int           // blockchain-status calls so far
	}
	ans := func(body string) chainstatustest.Answer { return chainstatustest.Answer{Body: body} }
	conf := func(h string, n int) chainstatustest.Answer {
		return ans(fmt.Sprintf(`{"status":"confirmed","hash":%q,"confirmations":%d}`, h, n))
	}
	const horizon = 30 * time.Minute
	for _, c := range []struct {
		name    string
		answers []chainstatustest.Answer
		steps   []step
		check   func(t *testing.T, ev event.Event)
	}{
		{name: "failed status", answers: []chainstatustest.Answer{ans(`{"status":"failed","hash":"` + hashA + `"}`)},
			steps: []step{{0, TypeFailed, FailedOnChain, 1}}},
		{name: "reverted", answers: []chainstatustest.Answer{ans(`{"hash":"` + hashA + `","confirmations":9,"error":"execution reverted"}`)},
			steps: []step{{0, TypeFailed, FailedRevert, 1}},
			check: func(t *testing.T, ev event.Event) {
				if ev.Failure.Message != "execution reverted" || ev.Details["blockchainHash"] != hashA {
					t.Errorf("%+v", ev)
				}
			}},
		{name: "too few confirmations", answers: []chainstatustest.Answer{conf(hashA, 1), conf(hashA, 5), conf(hashA, 6)},
			steps: []step{{0, "", "", 1}, {time.Minute, "", "", 2}, {2 * time.Minute, TypeConfirmed, "", 3}},
			check: func(t *testing.T, ev event.Event) {
				if ev.Details["confirmations"] != float64(6) || ev.Details["requiredConfirmations"] != float64(6) {
					t.Errorf("%+v", ev.Details)
				}
			}},
		{name: "reorg", answers: []chainstatustest.Answer{conf(hashA, 2), conf(hashB, 7), conf(hashB, 8)},
			// The new hash already has 7 confirmations, but it must be seen twice.
			steps: []step{{0, "", "", 1}, {time.Minute, "", "", 2}, {2 * time.Minute, TypeConfirmed, "", 3}},
			check: func(t *testing.T, ev event.Event) {
				if ev.Details["blockchainHash"] != hashB || ev.Details["hashChanges"] != float64(1) {
					t.Errorf("%+v", ev.Details)
				}
			}},
		{name: "429 with Retry-After", answers: []chainstatustest.Answer{
			{Status: 429, Header: map[string]string{"Retry-After": "300"}}, conf(hashA, 6)},
			// Not asked again before the 5 minutes are up.
			steps: []step{{0, "", "", 1}, {time.Minute, "", "", 1}, {4 * time.Minute, TypeConfirmed, "", 2}}},
		{name: "5xx", answers: []chainstatustest.Answer{{Status: 503}, {Status: 500, Body: `{"error":"boom"}`}, conf(hashA, 6)},
			steps: []step{{0, "", "", 1}, {time.Minute, "", "", 2}, {2 * time.Minute, TypeConfirmed, "", 3}}},
		{name: "5xx until past the horizon", answers: []chainstatustest.Answer{{Status: 502}},
			// Failing answers get ErrorGrace (24 h) past the horizon, then the verdict.
			steps: []step{{0, "", "", 1}, {horizon, "", "", 2}, {DefaultErrorGrace, TypeUnconfirmed, OpenNoAnswer, 3}}},
		{name: "malformed", answers: []chainstatustest.Answer{ans(`<html>upstream error</html>`)},
			steps: []step{{0, "", "", 1}, {horizon, TypeUnconfirmed, OpenUnreadable, 2}}},
		{name: "unknown shape", answers: []chainstatustest.Answer{ans(`{"payload":{"x":1},"ok":true}`)},
			steps: []step{{0, "", "", 1}, {horizon, TypeUnconfirmed, OpenNoHash, 2}}},
		{name: "hash without status or confirmations", answers: []chainstatustest.Answer{ans(`{"hash":"` + hashA + `"}`)},
			steps: []step{{0, "", "", 1}, {horizon, TypeUnconfirmed, OpenUnverifiedHash, 2}}},
		{name: "unknown status word", answers: []chainstatustest.Answer{ans(`{"hash":"` + hashA + `","status":"in_mempool"}`)},
			steps: []step{{0, "", "", 1}, {horizon, TypeUnconfirmed, OpenUnverifiedHash, 2}}},
		{name: "API error in a 200", answers: []chainstatustest.Answer{ans(`{"status":"error","message":"rate limit exceeded"}`)},
			steps: []step{{0, "", "", 1}, {horizon, TypeUnconfirmed, OpenNoHash, 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.deliver(t, "ixc-t", "completed", "wd-t")
			f.published(t) // the payment itself
			f.fake.Script("wd-t", c.answers...)
			p := f.poller()
			p.Horizon = horizon
			for i, s := range c.steps {
				f.clock.Add(s.after)
				f.run(t, p)
				got := f.published(t)
				if f.fake.Calls("wd-t") != s.calls {
					t.Fatalf("step %d: %d calls, want %d", i, f.fake.Calls("wd-t"), s.calls)
				}
				if s.want == "" {
					if len(got) != 0 {
						t.Fatalf("step %d published %v", i, got)
					}
					continue
				}
				evs := got[s.want]
				if len(got) != 1 || len(evs) != 1 {
					t.Fatalf("step %d published %v, want one %s", i, got, s.want)
				}
				ev := evs[0]
				if ev.ID != "instaxchange:ixc-t:payout" || !ev.Terminal || (s.code == "") != (ev.Failure == nil) ||
					(ev.Failure != nil && ev.Failure.Code != s.code) {
					t.Fatalf("step %d: %+v %+v", i, ev, ev.Failure)
				}
				if c.check != nil {
					c.check(t, ev)
				}
			}
			// Exactly one terminal event: nothing more is asked or published, whatever comes.
			f.fake.Script("wd-t", conf(hashC, 100))
			calls := f.fake.Calls("wd-t")
			for range 3 {
				f.clock.Add(time.Hour)
				f.run(t, p)
			}
			if got := f.published(t); len(got) != 0 || f.fake.Calls("wd-t") != calls {
				t.Fatalf("after the terminal event: %v, %d calls", got, f.fake.Calls("wd-t")-calls)
			}
		})
	}
}

// Only an explicit failure counts: an API's own error answered with 200 is not one.
func TestParseFailure(t *testing.T) {
	for body, want := range map[string]string{
		`{"status":"failed","hash":"` + hashA + `"}`:      "failed",
		`{"State":"REVERTED"}`:                            "REVERTED",
		`{"data":{"isError":"1","errDescription":"x"}}`:   "isError",
		`{"result":{"message":"Execution Reverted"}}`:     "Execution Reverted",
		`{"reverted":true}`:                               "reverted",
		`{"status":"error","message":"rate limit"}`:       "",
		`{"success":false,"error":"not found"}`:           "",
		`{"status":"fail","data":{"txId":"is required"}}`: "",
		`{"isError":"0","status":"confirmed"}`:            "",
		`{"failed":false}`:                                "",
	} {
		if got := Parse([]byte(body)).Failure; got != want {
			t.Errorf("%s: failure %q, want %q", body, got, want)
		}
	}
}
