package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/poller/chainstatus/chainstatustest"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestInstaXchangeSession(t *testing.T) {
	fake := chainstatustest.New(t)
	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := runMain(context.Background(), append([]string{"instaxchange", "session", "--base-url", fake.URL,
			"--secrets", "../../dev/secrets.json"}, args...), &out, &errOut)
		return out.String(), errOut.String(), code
	}
	out, errOut, code := run("--to-amount", "10", "--to", "USDT", "--from", "USD", "--ref", "order-123")
	if code != 0 || out != "https://instaxchange.com/embed/sess-1\n" {
		t.Fatalf("exit %d: %q %s", code, out, errOut)
	}
	if got := string(fake.Sessions()[0]); got != `{"toAmount":10,"toCurrency":"USDT","fromCurrency":"USD","amountDirection":"receiving","webhookRef":"order-123"}` {
		t.Fatalf("sent %s", got)
	}
	out, errOut, code = run("--from-amount", "25.50", "--to", "usdt-tron", "--from", "EUR", "--embed-base-url", "https://pay.example.com/embed")
	if code != 0 || out != "https://pay.example.com/embed/sess-2\n" {
		t.Fatalf("exit %d: %q %s", code, out, errOut)
	}
	var sent map[string]any
	_ = json.Unmarshal(fake.Sessions()[1], &sent)
	if sent["amountDirection"] != "sending" || sent["toCurrency"] != "USDT-TRON" {
		t.Fatalf("sent %v", sent)
	}

	// Validation errors name the flag; nothing is sent.
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"--to-amount", "10", "--to", "BTC", "--from", "USD"}, "--to:"},
		{[]string{"--to-amount", "ten", "--to", "USDT", "--from", "USD"}, "--to-amount:"},
		{[]string{"--to-amount", "10", "--to", "USDT"}, "--from:"},
		{[]string{"--to-amount", "10", "--to", "USDT", "--from", "USD", "--direction", "sending"}, "--from-amount:"},
		{[]string{"--to-amount", "10", "--from-amount", "3", "--to", "USDT", "--from", "USD"}, "--to-amount (receiving) or --from-amount"},
		{[]string{"--to", "USDT", "--from", "USD"}, "--to-amount (receiving) or --from-amount"},
		{[]string{"--to-amount", "10", "--to", "USDT", "--from", "USD", "--return-url", "nope"}, "--return-url:"},
	} {
		_, errOut, code := run(c.args...)
		if code == 0 || !strings.Contains(errOut, c.flag) {
			t.Errorf("%v: exit %d %s", c.args, code, errOut)
		}
	}
	if n := len(fake.Sessions()); n != 2 {
		t.Fatalf("%d sessions sent", n)
	}

	// The API key from the secret is sent when set.
	dir := t.TempDir()
	file := dir + "/secrets.json"
	if err := os.WriteFile(file, []byte(`{"payhooks/instaxchange":{"webhookSecrets":["x"],"apiKey":"dev-key-NOT-REAL"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.APIKey = "dev-key-NOT-REAL"
	var o, e bytes.Buffer
	if code := runMain(context.Background(), []string{"instaxchange", "session", "--base-url", fake.URL, "--secrets", file,
		"--to-amount", "1", "--to", "USDT", "--from", "USD"}, &o, &e); code != 0 {
		t.Fatalf("with api key: %s", e.String())
	}
	if code := runMain(context.Background(), []string{"instaxchange", "session", "--base-url", fake.URL, "--secrets", "",
		"--to-amount", "1", "--to", "USDT", "--from", "USD"}, &o, &e); code == 0 || !strings.Contains(e.String(), "401") {
		t.Fatalf("without api key: %s", e.String())
	}
	for _, args := range [][]string{{"instaxchange"}, {"instaxchange", "link"}, {"reconcile", "instaxchange", "extra"},
		{"reconcile", "instaxchange", "--horizon", "0s"}} {
		if code := runMain(context.Background(), args, &o, &e); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

// `payhooks reconcile instaxchange` against a real local stack and the fake InstaXchange:
// a completed payment is tracked, confirmed once, and never again.
func TestReconcileInstaXchangeAgainstLocalStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local and moto")
	}
	ctx := context.Background()
	dynamo, moto := os.Getenv(stacktest.EnvDynamoDB), os.Getenv(stacktest.EnvMoto)
	if dynamo == "" || moto == "" {
		sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		st, err := devstack.Start(sctx, devstack.Options{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Stop)
		dynamo, moto = st.DynamoDBEndpoint, st.MotoEndpoint
	}
	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clients := devstack.NewClients(cfg, dynamo, moto)
	name := "chainstatus-cli-" + time.Now().Format("150405.000000")
	res, err := devstack.Provision(ctx, clients, name, strings.ReplaceAll(name, ".", "-")+".fifo", "")
	if err != nil {
		t.Fatal(err)
	}

	// A completed payment, stored as the webhook stores it.
	prov := instaxchange.New(secrets.File{Path: "../../dev/secrets.json"}, "payhooks/instaxchange")
	ev, err := prov.Normalize(ctx, chainstatustest.Webhook("ixc-cli-1", "completed", "wd-cli-1", time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	ev.Stamp(time.Now(), event.OriginWebhook)
	in := &ingest.Ingester{Store: &store.Store{Client: clients.DynamoDB, Table: res.Table}}
	if _, err := in.Ingest(ctx, &ev); err != nil {
		t.Fatal(err)
	}
	fake := chainstatustest.New(t)
	fake.Script("wd-cli-1", chainstatustest.Hash("9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e4f6a8b0d2f4e6a8c0e"))

	args := []string{"reconcile", "instaxchange", "--endpoint", dynamo, "--moto", moto, "--table", res.Table,
		"--queue-url", res.Queues.URL, "--base-url", fake.URL}
	field := func(out, name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s+(\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s in\n%s", name, out)
		}
		return m[1]
	}
	run := func() string {
		var out, errOut bytes.Buffer
		if code := runMain(ctx, args, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
		}
		return out.String()
	}
	out := run()
	if field(out, "discovered") != "1" || field(out, "confirmed") != "1" || field(out, "errors") != "0" {
		t.Fatalf("first run:\n%s", out)
	}
	out = run()
	if field(out, "discovered") != "0" || field(out, "checked") != "0" || field(out, "confirmed") != "0" {
		t.Fatalf("second run:\n%s", out)
	}
	if fake.Calls("wd-cli-1") != 1 {
		t.Fatalf("%d calls", fake.Calls("wd-cli-1"))
	}
	// No stream poller runs here: the repair command publishes what is stored.
	var rout, rerr bytes.Buffer
	if code := runMain(ctx, []string{"repair", "--min-age", "0", "--endpoint", dynamo, "--moto", moto, "--table", res.Table,
		"--queue-url", res.Queues.URL}, &rout, &rerr); code != 0 || !strings.Contains(rout.String(), "published 2,") {
		t.Fatalf("repair: exit %d: %s%s", code, rout.String(), rerr.String())
	}
	stored, err := (&store.Store{Client: clients.DynamoDB, Table: res.Table}).GetEvent(ctx, "instaxchange:ixc-cli-1:payout")
	if err != nil || stored.Type != "payout.confirmed" || stored.PublishState != store.PublishPublished {
		t.Fatalf("%+v %v", stored, err)
	}
}
