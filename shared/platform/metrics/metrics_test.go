package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestEMFRecord(t *testing.T) {
	var buf bytes.Buffer
	m := New(&buf)
	m.Now = func() time.Time { return time.UnixMilli(1700000000000) }
	m.Count("rejected", map[string]string{"provider": "axs", "reason": "decrypt_failed"})
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["rejected"] != 1.0 || rec["provider"] != "axs" || rec["reason"] != "decrypt_failed" {
		t.Fatalf("record %v", rec)
	}
	aws := rec["_aws"].(map[string]any)
	cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cw["Namespace"] != "payhooks" || len(cw["Dimensions"].([]any)) != 2 {
		t.Fatalf("metadata %v", cw)
	}
	var nilM *EMF
	nilM.Count("x", nil) // a nil recorder is a no-op
}
