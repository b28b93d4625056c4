package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/provider/kit"
)

// StatusesSection is the README section holding one status table per provider.
const StatusesSection = "### Statuses by provider"

// READMEStatuses checks the README table that follows the line starting `**<label>**` in
// StatusesSection against a provider's status table, both ways: every row naming
// statuses (a first cell of backticked spellings only, or `none` for no status) gives, for
// each, the table's type (the backticked value in column typeCol), its state and its
// terminal flag (the last two columns); every status of the table has such a row; and the
// table ends with an `anything else` row of type event.unsupported. Other rows (a status
// with a condition beside it) are prose the provider's own tests cover. Each provider's
// tests call it, so README and code cannot drift apart.
func READMEStatuses(t *testing.T, label string, table kit.Statuses, typeCol int) {
	t.Helper()
	rows := readmeRows(t, label)
	listed := map[string]bool{}
	sawElse := false
	for _, cells := range rows {
		if len(cells) <= typeCol || len(cells) < 4 {
			t.Fatalf("README %s: row %q has too few cells", label, cells)
		}
		typ := event.Type(backticked(cells[typeCol]))
		state, terminal := strings.TrimSpace(cells[len(cells)-2]), strings.TrimSpace(cells[len(cells)-1])
		if strings.HasPrefix(strings.TrimSpace(cells[0]), "anything else") {
			sawElse = true
			if typ != event.TypeUnsupported || terminal != "no" {
				t.Errorf("README %s: %q row says %s terminal %s", label, cells[0], typ, terminal)
			}
			continue
		}
		keys, ok := statusKeys(cells[0])
		if !ok {
			continue
		}
		for _, k := range keys {
			o, known := table[k]
			listed[k] = true
			want := "no"
			if o.Status.Terminal() {
				want = "yes"
			}
			if !known || o.Type != typ || string(o.Status) != state || terminal != want {
				t.Errorf("README %s: %q is %s %s terminal %s; the code says %s %s terminal %s (known %v)",
					label, k, typ, state, terminal, o.Type, o.Status, want, known)
			}
		}
	}
	for k := range table {
		if !listed[k] {
			t.Errorf("README %s lists no row for status %q", label, k)
		}
	}
	if !sawElse {
		t.Errorf("README %s has no `anything else` row", label)
	}
}

// readmeRows returns the cells of the body rows of label's table.
func readmeRows(t *testing.T, label string) [][]string {
	t.Helper()
	doc := readme(t)
	_, section, ok := strings.Cut(doc, "\n"+StatusesSection+"\n")
	if !ok {
		t.Fatalf("README has no %q section", StatusesSection)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows, ok := TableAfter(section, "\n**"+label+"**")
	if !ok {
		t.Fatalf("README %s has no **%s** table", StatusesSection, label)
	}
	if len(rows) == 0 {
		t.Fatalf("README **%s** has no table rows", label)
	}
	return rows
}

// TableAfter returns the cells of the body rows (header and separator left out) of the
// first Markdown table after the line that starts with marker in doc; ok is false when
// doc has no such line.
func TableAfter(doc, marker string) (rows [][]string, ok bool) {
	_, rest, ok := strings.Cut(doc, marker)
	if !ok {
		return nil, false
	}
	inTable := false
	for _, line := range strings.Split(rest, "\n")[1:] {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		if inTable && !strings.HasPrefix(line, "|---") {
			rows = append(rows, strings.Split(strings.Trim(line, "|"), "|"))
		}
		inTable = true // the first row is the header
	}
	return rows, true
}

// statusKeys reads a first cell of backticked spellings separated by commas (`none` is the
// empty status); ok is false for a cell with anything else in it.
func statusKeys(cell string) ([]string, bool) {
	var keys []string
	for _, v := range strings.Split(cell, ",") {
		v = strings.TrimSpace(v)
		switch {
		case v == "none":
			keys = append(keys, "")
		case len(v) > 2 && v[0] == '`' && v[len(v)-1] == '`' && !strings.Contains(v[1:len(v)-1], "`"):
			keys = append(keys, v[1:len(v)-1])
		default:
			return nil, false
		}
	}
	return keys, true
}

// backticked is the first backticked value in cell, or "".
func backticked(cell string) string {
	_, rest, ok := strings.Cut(cell, "`")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "`")
	return v
}

// readme finds README.md in the module's root above the working directory.
func readme(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "README.md")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return string(b)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no README.md beside go.mod above the working directory")
		}
		dir = parent
	}
}
