package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A short bounded load run keeps the invariant: unique valid events sent = stored = published.
func TestLoadInvariant(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local stack")
	}
	var out, errOut bytes.Buffer
	code := runMain(context.Background(), []string{"load", "--requests", "120", "--concurrency", "4", "--seed", "7"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("load exited %d\n%s\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), ": true") {
		t.Fatalf("invariant not reported true:\n%s", out.String())
	}
}
