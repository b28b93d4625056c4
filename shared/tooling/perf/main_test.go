package perf

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

const root = "../../.."

// TestMain starts DynamoDB Local and moto only for what needs them: benchmarks, or the
// cold start in its I/O mode.
func TestMain(m *testing.M) {
	flag.Parse()
	if b := flag.Lookup("test.bench"); (b != nil && b.Value.String() != "") ||
		(coldStartEnabled() && coldStartMode() == "io") {
		os.Exit(stacktest.Main(m))
	}
	os.Exit(m.Run())
}

func secretsPath(t testing.TB) string {
	p, err := filepath.Abs(filepath.Join(root, "dev/secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// devDocs are the fake development secrets, by name.
func devDocs(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(secretsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	return docs
}
