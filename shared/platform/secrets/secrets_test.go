package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type counting struct {
	Source
	n int
}

func (c *counting) Secret(ctx context.Context, name string) ([]byte, error) {
	c.n++
	return c.Source.Secret(ctx, name)
}

func TestCachedTTL(t *testing.T) {
	src := &counting{Source: Static{"a": `{"x":1}`}}
	now := time.Unix(0, 0)
	c := &Cached{Source: src, TTL: time.Minute, Now: func() time.Time { return now }}
	for i := 0; i < 3; i++ {
		if _, err := c.Secret(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
	}
	if src.n != 1 {
		t.Fatalf("fetched %d times, want 1", src.n)
	}
	now = now.Add(2 * time.Minute)
	c.Secret(context.Background(), "a")
	if src.n != 2 {
		t.Fatalf("fetched %d times after expiry, want 2", src.n)
	}
	if _, err := c.Secret(context.Background(), "missing"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("missing secret: %v", err)
	}
}

func TestFileAndDoc(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(p, []byte(`{"payhooks/x":{"webhookSecrets":["a","b"]},"payhooks/bad":"[1"}`), 0o600)
	type doc struct{ WebhookSecrets []string }
	d, err := Doc[doc]{Source: File{Path: p}, Name: "payhooks/x"}.Load(context.Background())
	if err != nil || len(d.WebhookSecrets) != 2 {
		t.Fatalf("load: %v %+v", err, d)
	}
	_, err = Doc[doc]{Source: File{Path: p}, Name: "payhooks/bad"}.Load(context.Background())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("bad doc: %v", err)
	}
}

func TestMatchAny(t *testing.T) {
	tests := []struct {
		c      string
		active []string
		want   bool
	}{
		{"a", []string{"a", "b"}, true},
		{"b", []string{"a", "b"}, true},
		{"c", []string{"a", "b"}, false},
		{"", []string{"", "b"}, false},
		{"ab", []string{"a"}, false},
		{"x", nil, false},
	}
	for _, tt := range tests {
		if got := MatchAny(tt.c, tt.active); got != tt.want {
			t.Errorf("MatchAny(%q,%v)=%v", tt.c, tt.active, got)
		}
	}
}

func TestDocMemo(t *testing.T) {
	src := &counting{Source: Static{"a": `{"webhookSecrets":["x"]}`}}
	c := NewCached(src, time.Minute)
	type doc struct{ WebhookSecrets []string }
	d := NewDoc[doc](c, "a")
	for i := 0; i < 3; i++ {
		v, err := d.Load(context.Background())
		if err != nil || v.WebhookSecrets[0] != "x" {
			t.Fatal(v, err)
		}
	}
	if d.memo.raw == nil {
		t.Fatal("not memoized")
	}
}
