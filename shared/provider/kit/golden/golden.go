// Package golden runs a provider's normalizer over its fixtures and compares the events
// with files kept beside them, as aws-lambda-go round-trips its testdata: every
// testdata/<case>.json (an authenticated payload) has a testdata/<case>.event.json (the
// event it becomes, stamped at ReceivedAt, or the rejection it earns). A change in output is
// a diff in review; `go test ./shared/provider/<p>/ -run Golden -update` rewrites the files.
//
//	func TestGolden(t *testing.T) {
//		golden.Run(t, "testdata/*.json", func(payload []byte) (event.Event, error) {
//			return p.Normalize(context.Background(), payload)
//		})
//	}
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/provider"
)

var update = flag.Bool("update", false, "rewrite testdata/<case>.event.json from the normalizer's current output")

// ReceivedAt stamps every golden event, so the files do not change from run to run.
var ReceivedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Normalize is the code under test: an authenticated payload in, an event out.
type Normalize func(payload []byte) (event.Event, error)

// Suffix ends the name of a golden file.
const Suffix = ".event.json"

// Run checks every file matching pattern (golden files themselves excluded) against its
// golden file. An accepted event must also match the event JSON Schema; a refusal must be
// a typed rejection, recorded as {"rejected": reason, "status": code, "detail": text}.
func Run(t *testing.T, pattern string, normalize Normalize) {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, path := range paths {
		if strings.HasSuffix(path, Suffix) {
			if _, err := os.Stat(strings.TrimSuffix(path, Suffix) + ".json"); err != nil {
				t.Errorf("%s has no case beside it: remove it", path)
			}
			continue
		}
		cases++
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) { check(t, path, normalize) })
	}
	if cases == 0 {
		t.Fatalf("no golden cases match %s", pattern)
	}
}

func check(t *testing.T, path string, normalize Normalize) {
	payload, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := Render(t, payload, normalize)
	file := strings.TrimSuffix(path, ".json") + Suffix
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v: run go test with -update to create it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the normalizer makes now (go test -update rewrites it):\n--- want\n%s\n--- got\n%s", file, want, got)
	}
}

// Render is the golden text of one payload: the stamped event, indented, or the rejection.
func Render(t testing.TB, payload []byte, normalize Normalize) []byte {
	t.Helper()
	ev, err := normalize(payload)
	var out []byte
	if err != nil {
		rej, ok := provider.AsRejection(err)
		if !ok {
			t.Fatalf("normalize failed without a typed rejection: %v", err)
		}
		out, err = json.Marshal(struct {
			Rejected provider.Reason `json:"rejected"`
			Status   int             `json:"status"`
			Detail   string          `json:"detail"`
		}{rej.Reason, rej.Kind.Status(), rej.Error()})
	} else {
		ev.Stamp(ReceivedAt, event.OriginWebhook)
		eventtest.ValidateEvent(t, &ev)
		out, err = ev.Marshal()
	}
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}
