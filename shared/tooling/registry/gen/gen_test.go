package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// providers_gen.go is what the generator writes from the tree as it is: a provider added
// (or removed, or re-routed) without `make generate` fails here.
func TestGeneratedFileIsFresh(t *testing.T) {
	want, err := Generate("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", Output))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("shared/tooling/registry/%s is stale (run make generate); want:\n%s", Output, want)
	}
}

func TestReadMain(t *testing.T) {
	for _, c := range []struct {
		name, src, provider, importPath, err string
	}{
		{"plain", `package main
import (
	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/provider/axs"
)
func main() { app.RunWebhook("axs", axs.New) }`, "axs", "github.com/payhooks/payhooks/shared/provider/axs", ""},
		{"renamed import", `package main
import (
	"github.com/payhooks/payhooks/shared/lambda/app"
	nw "github.com/payhooks/payhooks/shared/provider/newpay"
)
func main() { app.RunWebhook("newpay", nw.New) }`, "newpay", "github.com/payhooks/payhooks/shared/provider/newpay", ""},
		{"not a webhook", `package main
import "github.com/payhooks/payhooks/shared/lambda/sweeperfn"
func main() { sweeperfn.Run() }`, "", "", "no app.RunWebhook"},
		{"factory not imported", `package main
import "github.com/payhooks/payhooks/shared/lambda/app"
func main() { app.RunWebhook("x", x.New) }`, "", "", "not imported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "main.go")
			if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			w, err := readMain(path)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || w.provider != c.provider || w.importPath != c.importPath {
				t.Fatalf("got %+v, %v", w, err)
			}
		})
	}
}
