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

	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/provider/axpay/axpaytest"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestReconcileUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"reconcile"},
		{"reconcile", "axs"},
		{"reconcile", "axpay", "extra"},
		{"reconcile", "axpay", "--page-size", "0"},
		{"reconcile", "axpay", "--since", "-1h"},
	} {
		var out, errOut bytes.Buffer
		if code := runMain(context.Background(), args, &out, &errOut); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

// The command against a real local stack and the fake AXpay: a first run stores what no
// webhook delivered, a second finds nothing new.
func TestReconcileAgainstLocalStack(t *testing.T) {
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
	table := "reconcile-cli-" + time.Now().Format("150405.000000")
	if _, err := devstack.Provision(ctx, devstack.NewClients(cfg, dynamo, moto), table, localQueue, ""); err != nil {
		t.Fatal(err)
	}

	const secretsFile = "../../dev/secrets.json"
	doc, err := os.ReadFile(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	acfg := devAXpayConfig(t, doc)
	signer, err := acfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	srv := axpaytest.New(t, signer.PublicKey(), acfg.ClientID)
	srv.Seed(axpaytest.MakeTransactions(5, time.Now().Add(-time.Hour))...)

	args := []string{"reconcile", "axpay", "--endpoint", dynamo, "--moto", moto, "--table", table,
		"--base-url", srv.URL, "--secrets", secretsFile, "--page-size", "2"}
	run := func() string {
		var out, errOut bytes.Buffer
		if code := runMain(ctx, args, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
		}
		return out.String()
	}
	field := func(out, name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s+(\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s in\n%s", name, out)
		}
		return m[1]
	}
	out := run()
	if field(out, "reconciled_missing") != "5" || field(out, "pages") != "6" || field(out, "webhook_failed") != "1" {
		t.Fatalf("first run:\n%s", out)
	}
	out = run()
	if field(out, "reconciled_missing") != "0" || field(out, "already_known") != "5" {
		t.Fatalf("second run:\n%s", out)
	}
	if !strings.Contains(srv.LastQuery().Get("orderBy"), "createdAt") {
		t.Errorf("query %v", srv.LastQuery())
	}
}

func devAXpayConfig(t *testing.T, secretsDoc []byte) axpay.Config {
	t.Helper()
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(secretsDoc, &docs); err != nil {
		t.Fatal(err)
	}
	cfg, err := axpay.ParseConfig(docs["payhooks/axpay"])
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
