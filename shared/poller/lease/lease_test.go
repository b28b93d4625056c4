package lease

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	env *stacktest.Env
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	return &fixture{env: stacktest.New(t), now: t0}
}

func (f *fixture) clock() time.Time { return f.now }

func (f *fixture) lease() Lease {
	return Lease{DB: f.env.Clients.DynamoDB, Table: f.env.Table, Key: "LEASE#test", Now: f.clock}
}

func (f *fixture) cursor() Cursor {
	return Cursor{DB: f.env.Clients.DynamoDB, Table: f.env.Table, Key: "CURSOR#test", Now: f.clock}
}

func (f *fixture) item(t *testing.T, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.env.Clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.env.Table), Key: key(pk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func attr(item map[string]types.AttributeValue, k string) string {
	switch v := item[k].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return ""
}

func mustAcquire(t *testing.T, l Lease, owner string, ttl time.Duration, want bool) {
	t.Helper()
	ok, err := l.Acquire(context.Background(), owner, ttl)
	if err != nil || ok != want {
		t.Fatalf("Acquire(%s) = %v, %v; want %v", owner, ok, err, want)
	}
}

func TestLeaseOneHolderUntilExpiry(t *testing.T) {
	f := newFixture(t)
	l := f.lease()
	mustAcquire(t, l, "a", 5*time.Minute, true)
	mustAcquire(t, l, "b", 5*time.Minute, false)
	mustAcquire(t, l, "a", 5*time.Minute, false) // not re-entrant: a second run of one owner waits too

	it := f.item(t, "LEASE#test")
	if attr(it, "itemType") != "lease" || attr(it, "owner") != "a" ||
		attr(it, "expiresAtMs") != "1772366700000" || attr(it, "acquiredAt") != store.FormatTime(t0) {
		t.Fatalf("lease item %v", it)
	}

	// Still held one millisecond before the expiry; free at it (the holder crashed).
	f.now = t0.Add(5*time.Minute - time.Millisecond)
	mustAcquire(t, l, "b", time.Minute, false)
	f.now = t0.Add(5 * time.Minute)
	mustAcquire(t, l, "b", time.Minute, true)
	if got := attr(f.item(t, "LEASE#test"), "owner"); got != "b" {
		t.Fatalf("owner %q after takeover", got)
	}
}

func TestLeaseRelease(t *testing.T) {
	f := newFixture(t)
	l := f.lease()
	ctx := context.Background()

	// Releasing a lease that was never taken is a no-op, and creates nothing.
	if err := l.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if it := f.item(t, "LEASE#test"); it != nil {
		t.Fatalf("release created %v", it)
	}

	mustAcquire(t, l, "a", 5*time.Minute, true)
	// Only the owner can release it.
	if err := l.Release(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	mustAcquire(t, l, "b", time.Minute, false)

	f.now = t0.Add(time.Minute)
	if err := l.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	it := f.item(t, "LEASE#test")
	if attr(it, "expiresAtMs") != "0" || attr(it, "releasedAt") != store.FormatTime(f.now) || attr(it, "owner") != "a" {
		t.Fatalf("released item %v", it)
	}
	mustAcquire(t, l, "b", time.Minute, true)

	// A run whose lease expired and was taken over cannot release its successor's.
	if err := l.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	mustAcquire(t, l, "c", time.Minute, false)
}

func TestCursorForwardOnly(t *testing.T) {
	f := newFixture(t)
	c := f.cursor()
	ctx := context.Background()
	if _, ok, err := c.Get(ctx); ok || err != nil {
		t.Fatalf("empty cursor: %v %v", ok, err)
	}

	// Nanoseconds survive (receivedAt has them); so does a Unix-ms time (AXpay's createdAt).
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	ms := time.UnixMilli(at.UnixMilli() + 1)
	steps := []struct {
		name string
		to   time.Time
		want time.Time
	}{
		{"first", at, at},
		{"one nanosecond later", at.Add(time.Nanosecond), at.Add(time.Nanosecond)},
		{"back", at, at.Add(time.Nanosecond)},
		{"same", at.Add(time.Nanosecond), at.Add(time.Nanosecond)},
		{"unix ms", ms, ms},
		{"an hour back", ms.Add(-time.Hour), ms},
		// Across a digit boundary: a time of whole seconds sorts after one with a fraction.
		{"whole second", time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC), time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC)},
		{"fraction before it", time.Date(2026, 3, 1, 9, 0, 0, 999999999, time.UTC), time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC)},
	}
	for i, s := range steps {
		f.now = t0.Add(time.Duration(i) * time.Second)
		if err := c.Advance(ctx, s.to); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, ok, err := c.Get(ctx)
		if err != nil || !ok || !got.Equal(s.want) || got.Location() != time.UTC {
			t.Fatalf("%s: cursor %v %v %v, want %v in UTC", s.name, got, ok, err, s.want)
		}
	}
	it := f.item(t, "CURSOR#test")
	if attr(it, "itemType") != "cursor" || attr(it, "cursorAt") != "2026-03-01T09:00:01.000000000Z" {
		t.Fatalf("cursor item %v", it)
	}
}

func TestCursorNotATime(t *testing.T) {
	f := newFixture(t)
	_, err := f.env.Clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(f.env.Table),
		Item:      map[string]types.AttributeValue{"pk": str("CURSOR#test"), "cursorAt": str("yesterday")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.cursor().Get(context.Background()); err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err %v, want a data error", err)
	}
}

func TestUnavailable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	l, c := f.lease(), f.cursor()
	l.Table, c.Table = "no-such-table", "no-such-table"
	_, aerr := l.Acquire(ctx, "a", time.Minute)
	rerr := l.Release(ctx, "a")
	_, _, gerr := c.Get(ctx)
	verr := c.Advance(ctx, t0)
	for name, err := range map[string]error{"acquire": aerr, "release": rerr, "get": gerr, "advance": verr} {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: %v, want store.ErrUnavailable", name, err)
		}
	}
	if _, err := l.Begin(ctx, time.Now(), "a", time.Minute, time.Second); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("begin: %v, want store.ErrUnavailable", err)
	}
}

func TestWindow(t *testing.T) {
	start := time.Now()
	stopAt, ttl := Window(context.Background(), start, 15*time.Minute, 10*time.Second)
	if !stopAt.Equal(start.Add(15*time.Minute-10*time.Second)) || ttl != 15*time.Minute {
		t.Fatalf("no deadline: %v %v", stopAt.Sub(start), ttl)
	}

	// A deadline before the lease's expiry cuts both.
	dl := start.Add(time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), dl)
	defer cancel()
	stopAt, ttl = Window(ctx, start, 15*time.Minute, 10*time.Second)
	if !stopAt.Equal(dl.Add(-10 * time.Second)) {
		t.Fatalf("stopAt %v before the deadline", dl.Sub(stopAt))
	}
	if ttl <= time.Second || ttl > time.Minute+time.Second {
		t.Fatalf("lease ttl %v, want the time to the deadline plus a second", ttl)
	}

	// A later deadline changes nothing.
	ctx, cancel = context.WithDeadline(context.Background(), start.Add(time.Hour))
	defer cancel()
	if stopAt, ttl = Window(ctx, start, 15*time.Minute, 0); !stopAt.Equal(start.Add(15*time.Minute)) || ttl != 15*time.Minute {
		t.Fatalf("late deadline: %v %v", stopAt.Sub(start), ttl)
	}
}

func TestBeginEnd(t *testing.T) {
	f := newFixture(t)
	l := f.lease()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	// No time left: the lease is not even tried.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	run, err := l.Begin(ctx, time.Now(), "a", 15*time.Minute, 5*time.Second)
	if err != nil || !run.Late || run.Held {
		t.Fatalf("late run %+v %v", run, err)
	}
	run.End(log)
	if it := f.item(t, "LEASE#test"); it != nil {
		t.Fatalf("late run wrote %v", it)
	}

	// A run takes the lease with its window; a second one finds it held, and its End leaves
	// the holder's lease alone.
	ctx, cancel = context.WithCancel(context.Background())
	start := time.Now()
	run, err = l.Begin(ctx, start, "", 15*time.Minute, 5*time.Second)
	if err != nil || run.Late || run.Held || !run.StopAt.Equal(start.Add(15*time.Minute-5*time.Second)) {
		t.Fatalf("run %+v %v", run, err)
	}
	owner := attr(f.item(t, "LEASE#test"), "owner")
	if owner == "" || !strings.Contains(owner, "/") {
		t.Fatalf("default owner %q", owner)
	}
	other, err := l.Begin(context.Background(), time.Now(), "b", 15*time.Minute, 5*time.Second)
	if err != nil || !other.Held {
		t.Fatalf("second run %+v %v", other, err)
	}
	other.End(log)
	mustAcquire(t, l, "c", time.Minute, false)

	// End releases even when the run's context is over.
	cancel()
	run.End(log)
	mustAcquire(t, l, "c", time.Minute, true)
	if logs.Len() != 0 {
		t.Fatalf("logged %s", logs.String())
	}

	// A release that fails is a warning, not a panic or an error.
	run, err = Lease{DB: l.DB, Table: l.Table, Key: "LEASE#other", Now: f.clock}.Begin(context.Background(), time.Now(), "d", time.Minute, 0)
	if err != nil || run.Held || run.Late {
		t.Fatalf("run %+v %v", run, err)
	}
	run.lease.Table = "no-such-table"
	run.End(log, "provider", "test")
	if s := logs.String(); !strings.Contains(s, "lease not released") || !strings.Contains(s, "provider=test") || !strings.Contains(s, "LEASE#other") {
		t.Fatalf("log %q", s)
	}
}

func TestOwner(t *testing.T) {
	t.Setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/03/01/[$LATEST]abc")
	a, b := Owner(), Owner()
	if a == b || !strings.HasPrefix(a, "2026/03/01/[$LATEST]abc/") || len(a) != len("2026/03/01/[$LATEST]abc/")+16 {
		t.Fatalf("owners %q %q", a, b)
	}
}
