package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/gateway"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// Event ids through the local gateway, each delivery twice: a long reference or status is
// bounded, never refused (the delivery is stored once and its redelivery is a duplicate);
// two authentic deliveries whose references differ only in where a ':' falls are two
// events; an order without a known orderType is stored apart and never swallows the
// order's correct delivery.
func TestIDsThroughGateway(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	var routes []gateway.Route
	for _, w := range registry.Webhooks {
		routes = append(routes, gateway.Route{Method: w.Method, Path: w.Path, Handler: p.handler(t, w.Provider).Lambda})
	}
	srv := httptest.NewServer(gateway.New(routes, webhook.MaxBody, p.deps.Log))
	defer srv.Close()

	noOrderType := func(m map[string]any) { delete(m, "orderType") }
	steps := []struct {
		c      corpusCase
		answer string // the first delivery's; every redelivery answers duplicate
	}{
		{corpusCase{"axs", "SUCCESS", "transactionRef of 2,100 bytes", set("transactionRef", strings.Repeat("7", 2100)), 200, ""}, "accepted"},
		{corpusCase{"axpay", "completed", "status of 3,000 characters", set("status", strings.Repeat("S", 3000)), 200, ""}, "ignored"},
		{corpusCase{"axpay", "completed", "id t:failed, completed", set("id", "collide:failed"), 200, ""}, "accepted"},
		{corpusCase{"axpay", "completed", "id t, failed", edits(set("id", "collide"), set("status", "FAILED")), 200, ""}, "accepted"},
		{corpusCase{"cardorders", "SUCCESS", "no orderType", edits(set("orderNo", "770001"), noOrderType), 200, ""}, "ignored"},
		{corpusCase{"cardorders", "SUCCESS", "the same order with its type", set("orderNo", "770001"), 200, ""}, "accepted"},
	}
	accepted := 0
	for i, st := range steps {
		w, s := corpusRequest(t, i, st.c)
		name := st.c.provider + "/" + st.c.name
		first, firstBody := post(t, srv.URL, w, s)
		again, againBody := post(t, srv.URL, w, s)
		if first != 200 || again != 200 || !strings.Contains(firstBody, `"`+st.answer+`"`) || !strings.Contains(againBody, `"duplicate"`) {
			t.Errorf("%s: %d %s, then %d %s; want 200 %s, then duplicate", name, first, firstBody, again, againBody, st.answer)
		}
		if st.answer == "accepted" {
			accepted++
		}
	}

	msgs := env.Messages(t)
	ids := map[string]bool{}
	for _, m := range msgs {
		var ev struct{ ID, ObjectRef string }
		if err := json.Unmarshal([]byte(*m.Body), &ev); err != nil {
			t.Fatal(err)
		}
		if len(ev.ID) > event.MaxIDBytes || ids[ev.ID] || !strings.Contains(ev.ID, ":"+event.EscapeRef(ev.ObjectRef)+":") && !strings.HasSuffix(ev.ID, ":"+event.EscapeRef(ev.ObjectRef)) {
			t.Errorf("id %.80q (%d bytes) for objectRef %.40q: too long, repeated or not holding it", ev.ID, len(ev.ID), ev.ObjectRef)
		}
		ids[ev.ID] = true
	}
	if len(msgs) != accepted {
		t.Errorf("%d messages for %d accepted deliveries", len(msgs), accepted)
	}
	for _, id := range []string{"axpay:collide%3Afailed", "axpay:collide:failed", "cardorders:770001:SUCCESS"} {
		if !ids[id] {
			t.Errorf("no message %s among %v", id, ids)
		}
	}
	stored := 0
	for _, it := range env.Items(t) {
		id := itemS(it, "eventId")
		if !strings.HasPrefix(itemS(it, "pk"), store.EventKeyPrefix) {
			continue
		}
		stored++
		if len(id) > event.MaxIDBytes {
			t.Errorf("stored event id of %d bytes", len(id))
		}
	}
	if stored != len(steps) {
		t.Errorf("%d events stored for %d distinct deliveries", stored, len(steps))
	}
}

// itemS is the string attribute k of an item from env.Items, or "".
func itemS(it map[string]any, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
