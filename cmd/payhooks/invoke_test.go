package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/poller/chainstatus/chainstatustest"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/rie"
	"github.com/payhooks/payhooks/shared/tooling/samtemplate"
)

// Every events/ file through AWS's own runtime: each function is built once for this
// machine and run under the pinned Runtime Interface Emulator with the environment `make
// invoke` gives it (the template's, pointed at a quick-start stack by events/local-env.json).
// Each webhook event answers 200, then "duplicate" when sent again; then each scheduled
// function runs without error, and the chain-status poller finds the payout the webhooks
// just stored (receivedAt is the time of invocation, not a date in the files).
func TestInvokeEveryEventUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function and starts a local stack")
	}
	ctx := context.Background()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := rie.Install(ctx, root, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	bootstraps := t.TempDir()
	if err := rie.Build(ctx, root, bootstraps); err != nil {
		t.Fatal(err)
	}
	ls, err := startLocal(ctx, localPorts{}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	chain := chainstatustest.New(t)
	local := map[string]string{"8000": ls.stack.DynamoDBEndpoint, "5000": ls.stack.MotoEndpoint, "4010": ls.axpayURL, "4011": chain.URL}

	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Webhooks first, so that the pollers have payments to follow.
	fns := slices.Clone(tpl.Functions)
	slices.SortStableFunc(fns, func(a, b samtemplate.Function) int { return len(b.Routes) - len(a.Routes) })
	invoked := 0
	for _, f := range fns {
		files, _ := filepath.Glob(filepath.Join(root, "events", f.Dir()+"-*.json"))
		if len(files) == 0 {
			t.Errorf("%s: no events/%s-*.json", f.Logical, f.Dir())
			continue
		}
		env, err := invokeEnv(root, tpl, f, local)
		if err != nil {
			t.Fatal(err)
		}
		em, err := rie.Start(ctx, bin, filepath.Join(bootstraps, f.Dir()), env)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			ev, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tries := 1
			if len(f.Routes) > 0 {
				tries = 2
			}
			for try := 0; try < tries; try++ {
				r, err := em.Invoke(ctx, ev)
				if err != nil {
					t.Fatalf("%s: %v\n%s", file, err, em.Output())
				}
				if msg := checkAnswer(f, try, r); msg != "" {
					t.Errorf("%s (try %d): %s\n%s", filepath.Base(file), try+1, msg, strings.Join(r.Logs, "\n"))
				}
				if r.Init != "" {
					t.Logf("%-34s %s", f.Logical, r.Init[strings.Index(r.Init, "INIT REPORT"):])
				}
				invoked++
			}
		}
		em.Close()
	}
	if invoked == 0 {
		t.Fatal("nothing invoked")
	}
	if chain.Calls("a3f1c9e07b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f") == 0 {
		t.Error("the chain-status function never checked the payout of instaxchange-webhook-completed.json")
	}
}

// checkAnswer says what is wrong with a webhook's answer (200, then duplicate) or a
// scheduled function's (no error); "" when nothing is.
func checkAnswer(f samtemplate.Function, try int, r rie.Result) string {
	if r.FunctionError != "" {
		return "function error " + r.FunctionError + ": " + string(r.Body)
	}
	if len(f.Routes) == 0 {
		return ""
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(r.Body, &resp); err != nil {
		return "not an API Gateway response: " + string(r.Body)
	}
	want := `"accepted"`
	if try > 0 {
		want = `"duplicate"`
	}
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, want) {
		return "answered " + string(r.Body) + ", want 200 " + want
	}
	return ""
}
