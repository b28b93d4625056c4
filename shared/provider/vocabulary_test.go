package provider_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

// README's tables list exactly the Reason and event Type constants: adding one is a line in
// the code and a row in README, and a row for a reason that no longer exists fails here.
func TestREADMEListsTheVocabulary(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ heading, file, typeName string }{
		{"### Reasons", "reasons.go", "Reason"},
		{"### Event types", "../pipeline/event/types.go", "Type"},
	} {
		want := constants(t, v.file, v.typeName)
		got := tableColumn(t, string(readme), v.heading)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("README %q lists %v;\nthe %s constants in %s are %v", v.heading, got, v.typeName, v.file, want)
		}
	}
}

// constants returns the values of the constants of type typeName declared in file.
func constants(t *testing.T, file, typeName string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typeName {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s: a %s constant is not a string literal", file, typeName)
				}
				s, _ := strconv.Unquote(lit.Value)
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s constants in %s", typeName, file)
	}
	return out
}

// tableColumn returns the backticked values in the first cells of the table under heading.
func tableColumn(t *testing.T, doc, heading string) []string {
	rows, ok := golden.TableAfter(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	var out []string
	for _, cells := range rows {
		// A cell may name several: `card_issue.failed`, `card_recharge.failed`.
		for _, v := range strings.Split(cells[0], ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(v), "`"); ok {
				out = append(out, strings.TrimSuffix(v, "`"))
			}
		}
	}
	return out
}
