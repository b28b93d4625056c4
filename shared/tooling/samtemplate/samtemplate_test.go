package samtemplate

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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

// Every function builds from the Makefile, has a main that only wires, and a sample event.
func TestEveryFunctionIsBuildableAndHasEvents(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	tpl := load(t)
	if len(tpl.Functions) == 0 {
		t.Fatal("no functions")
	}
	seen := map[string]bool{}
	for _, f := range tpl.Functions {
		re := regexp.MustCompile(`lambda_target,` + f.Logical + `,([a-z0-9-]+)\)`)
		m := re.FindSubmatch(mk)
		if m == nil {
			t.Errorf("%s: no build-%s target in Makefile", f.Logical, f.Logical)
			continue
		}
		dir := string(m[1])
		seen[dir] = true
		if _, err := os.Stat(filepath.Join(root, "functions", dir, "main.go")); err != nil {
			t.Errorf("%s: functions/%s/main.go: %v", f.Logical, dir, err)
		}
		evs, _ := filepath.Glob(filepath.Join(root, "events", dir+"-*.json"))
		if len(evs) == 0 {
			t.Errorf("%s: no events/%s-*.json", f.Logical, dir)
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
