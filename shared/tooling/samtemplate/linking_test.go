package samtemplate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/payhooks/payhooks/"

// A Lambda links only what it runs: a webhook its own provider and the pipeline, a
// scheduled function its own poller, and none of them the local tooling.
func TestFunctionsLinkOnlyWhatTheyRun(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	// Only a function whose policy may send to the queue (the stream's publisher, the
	// repair run) links the SQS client: webhooks and pollers only store.
	publishes := map[string]bool{}
	for _, f := range load(t).Functions {
		publishes[f.Dir()] = sendsToQueue(f)
	}
	for _, d := range dirs {
		fn := d.Name()
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "./functions/"+fn)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps: %v", err)
			}
			for _, pkg := range strings.Fields(string(out)) {
				if pkg == sqsClient && !publishes[fn] {
					t.Errorf("links %s: only the publishing functions send to the queue", pkg)
				}
				if rel, ok := strings.CutPrefix(pkg, module); ok {
					if why := forbidden(fn, rel); why != "" {
						t.Errorf("links %s: %s", rel, why)
					}
				}
			}
		})
	}
}

const sqsClient = "github.com/aws/aws-sdk-go-v2/service/sqs"

// forbidden says why function fn may not link the project package rel, or "" if it may.
func forbidden(fn, rel string) string {
	parts := strings.Split(rel, "/")
	if len(parts) < 3 || parts[0] != "shared" {
		return ""
	}
	group, name := parts[1], parts[2]
	switch group {
	case "tooling":
		return "local tooling is never linked by a Lambda"
	case "provider":
		if name == "kit" && len(parts) == 3 {
			return "" // how every provider reads its payload; its golden subpackage is test-only
		}
		if name == "urltoken" && strings.HasSuffix(fn, "-webhook") || strings.HasPrefix(fn, name+"-") {
			return ""
		}
		return "another provider's package"
	case "poller":
		own := map[string]string{"axpay-reconcile": "reconcile", "instaxchange-chain-status": "chainstatus"}[fn]
		if own != "" && (name == own || name == "lease") {
			return ""
		}
		return "a poller this function does not run"
	case "lambda":
		if name == "app" || strings.HasPrefix(rel, "shared/lambda/app/") {
			return ""
		}
		if !strings.HasSuffix(fn, "-webhook") && isFnPackageOf(fn, name) {
			return ""
		}
		return "another function's composition root"
	}
	return ""
}

// isFnPackageOf reports whether the composition-root package name (say reconcilefn) is
// the one function fn's main.go imports.
func isFnPackageOf(fn, name string) bool {
	b, err := os.ReadFile(filepath.Join(root, "functions", fn, "main.go"))
	return err == nil && strings.Contains(string(b), `shared/lambda/`+name+`"`)
}

func TestForbidden(t *testing.T) {
	for _, c := range []struct {
		fn, rel string
		ok      bool
	}{
		{"axs-webhook", "shared/provider/axs", true},
		{"axs-webhook", "shared/provider/axpay", false},
		{"cxtn-webhook", "shared/provider/urltoken", true},
		{"axs-webhook", "shared/poller/reconcile", false},
		{"axpay-reconcile", "shared/poller/reconcile", true},
		{"axpay-reconcile", "shared/poller/chainstatus", false},
		{"axpay-reconcile", "shared/provider/axpay", true},
		{"axpay-reconcile", "shared/provider/urltoken", false},
		{"outbox-sweeper", "shared/provider/axpay", false},
		{"axs-webhook", "shared/tooling/registry", false},
		{"axs-webhook", "shared/pipeline/ingest", true},
		{"axs-webhook", "shared/lambda/reconcilefn", false},
	} {
		if got := forbidden(c.fn, c.rel) == ""; got != c.ok {
			t.Errorf("%s links %s: allowed = %v, want %v", c.fn, c.rel, got, c.ok)
		}
	}
}
