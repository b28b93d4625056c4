package samtemplate

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const root = "../../.."

func load(t *testing.T) *Template {
	t.Helper()
	tpl, err := Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestCfnLint(t *testing.T) {
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cfn-lint is not installed (pip install cfn-lint)")
		}
		t.Skip("cfn-lint is not installed")
	}
	out, err := exec.Command("cfn-lint", filepath.Join(root, "template.yaml")).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}

// Every function builds from the Makefile's one build-<LogicalId> rule (the way sam build
// calls it), from its Metadata.GoPackage, has a main that only wires, and a sample event;
// and every functions/ directory is a function of the template.
func TestEveryFunctionIsBuildableAndHasEvents(t *testing.T) {
	tpl := load(t)
	if len(tpl.Functions) == 0 {
		t.Fatal("no functions")
	}
	seen := map[string]bool{}
	for _, f := range tpl.Functions {
		if want := "./functions/" + f.Dir(); f.Package != want {
			t.Errorf("%s: Metadata.GoPackage %q, want ./functions/<dir>", f.Logical, f.Package)
			continue
		}
		seen[f.Dir()] = true
		// GO=echo prints the build command instead of running it.
		cmd := exec.Command("make", "-s", "--no-print-directory", "build-"+f.Logical, "ARTIFACTS_DIR=/artifacts", "GO=echo")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if got := strings.Fields(string(out)); err != nil || len(got) < 3 || got[len(got)-1] != f.Package || got[len(got)-2] != "/artifacts/bootstrap" {
			t.Errorf("make build-%s: %v\n%s", f.Logical, err, out)
		}
		if _, err := os.Stat(filepath.Join(root, "functions", f.Dir(), "main.go")); err != nil {
			t.Errorf("%s: functions/%s/main.go: %v", f.Logical, f.Dir(), err)
		}
		evs, _ := filepath.Glob(filepath.Join(root, "events", f.Dir()+"-*.json"))
		if len(evs) == 0 {
			t.Errorf("%s: no events/%s-*.json", f.Logical, f.Dir())
		}
		if f.CodeURI != "." {
			t.Errorf("%s: CodeUri %q, want . (the Makefile is at the root)", f.Logical, f.CodeURI)
		}
	}
	dirs, _ := os.ReadDir(filepath.Join(root, "functions"))
	for _, d := range dirs {
		if !seen[d.Name()] {
			t.Errorf("functions/%s is not in template.yaml", d.Name())
		}
	}
}

// Least privilege: no wildcard action or resource, and no secret values in the environment.
func TestLeastPrivilege(t *testing.T) {
	for _, f := range load(t).Functions {
		if len(f.Actions) == 0 {
			t.Errorf("%s: no policy statements", f.Logical)
		}
		for _, a := range f.Actions {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %q", f.Logical, a)
			}
		}
		for _, r := range f.Resources {
			if r == "*" || strings.HasSuffix(r, ":*") {
				t.Errorf("%s: wildcard resource %q", f.Logical, r)
			}
		}
		for k := range f.Env {
			if strings.Contains(strings.ToUpper(k), "SECRET") && !strings.HasSuffix(k, "_NAME") {
				t.Errorf("%s: environment variable %s looks like a secret value; pass names only", f.Logical, k)
			}
		}
	}
}

// `sam local invoke --env-vars events/local-env.json` only overrides variables the template
// declares for the function (aws-sam-cli #1553, #6145): every key the file sets must be
// declared, with an intrinsic or an empty literal, so that on AWS it changes nothing.
func TestLocalEnvDeclared(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "events/local-env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]map[string]string
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	tpl := load(t)
	byName := map[string]Function{}
	for _, f := range tpl.Functions {
		byName[f.Logical] = f
	}
	for section, keys := range file {
		fns := tpl.Functions
		if section != "Parameters" {
			f, ok := byName[section]
			if !ok {
				t.Errorf("local-env.json: %s is no function of template.yaml", section)
				continue
			}
			fns = []Function{f}
		}
		for _, f := range fns {
			for k := range keys {
				v, own := f.Env[k]
				if !own {
					v, own = tpl.GlobalEnv[k]
				}
				switch {
				case !own:
					t.Errorf("%s: %s (set by local-env.json %s) is not declared, so sam local ignores it", f.Logical, k, section)
				case v != "" && !strings.HasPrefix(v, "!"):
					t.Errorf("%s: %s defaults to %q; a variable only local runs set must default to \"\"", f.Logical, k, v)
				}
			}
		}
	}
}

func TestEnvironmentResolves(t *testing.T) {
	tpl := load(t)
	refs := map[string]string{"EventsTable": "t", "EventsQueue": "q"}
	for _, f := range tpl.Functions {
		env, err := tpl.Environment(f, refs)
		if err != nil {
			t.Fatal(err)
		}
		if env["TABLE_NAME"] != "t" || env["AWS_ENDPOINT_URL_DYNAMODB"] != "" {
			t.Errorf("%s: %v", f.Logical, env)
		}
		// The queue is the publishing functions' alone: a function has QUEUE_URL exactly
		// when its policy may send to the queue.
		if q, has := env["QUEUE_URL"]; has != sendsToQueue(f) || has && q != "q" {
			t.Errorf("%s: QUEUE_URL %q (declared %v), sends to the queue: %v", f.Logical, q, has, sendsToQueue(f))
		}
		if name, ok := env["SECRET_NAME"]; ok && !strings.HasPrefix(name, "payhooks/") {
			t.Errorf("%s: SECRET_NAME %q", f.Logical, name)
		}
		if f.MemorySize <= 0 || f.Timeout <= 0 {
			t.Errorf("%s: memory %d timeout %d", f.Logical, f.MemorySize, f.Timeout)
		}
	}
	if _, err := tpl.Environment(tpl.Functions[0], nil); err == nil {
		t.Error("an unresolved !Ref resolved")
	}
}

func sendsToQueue(f Function) bool {
	for _, a := range f.Actions {
		if strings.HasPrefix(a, "sqs:") {
			return true
		}
	}
	return false
}

// The repair run counts failed tries toward quarantine, so runs must never overlap: one
// execution at a time, and a throttled scheduled run is dropped, not queued behind it.
func TestSweeperRunsOneAtATime(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Properties struct {
				ReservedConcurrentExecutions int `yaml:"ReservedConcurrentExecutions"`
				EventInvokeConfig            struct {
					MaximumRetryAttempts *int `yaml:"MaximumRetryAttempts"`
				} `yaml:"EventInvokeConfig"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	p := tpl.Resources["OutboxSweeperFunction"].Properties
	if p.ReservedConcurrentExecutions != 1 {
		t.Errorf("OutboxSweeperFunction: ReservedConcurrentExecutions %d, want 1", p.ReservedConcurrentExecutions)
	}
	if r := p.EventInvokeConfig.MaximumRetryAttempts; r == nil || *r != 0 {
		t.Errorf("OutboxSweeperFunction: a throttled run must not be retried (EventInvokeConfig.MaximumRetryAttempts 0)")
	}
}
