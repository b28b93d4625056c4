// Package lease holds the two items a scheduled poller keeps in the events table next to
// the events: a Lease, so that one run polls at a time, and a forward-only Cursor, where the
// last run got to.
//
// Items (attributes besides pk):
//   - lease:  itemType "lease", owner, expiresAtMs (Unix ms), acquiredAt, releasedAt
//   - cursor: itemType "cursor", cursorAt (store.FormatTime: fixed width and nanosecond
//     exact, so string order is time order), updatedAt
//
// Neither needs DeleteItem, so a poller's policy can stay at PutItem/GetItem/UpdateItem.
// DynamoDB failures wrap store.ErrUnavailable.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// DB is the part of DynamoDB the items need.
type DB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Lease is one lease item, keyed pk = Key.
//
// Why a lease and not only ReservedConcurrentExecutions: the schedule may fire while a slow
// run is still going, EventBridge may retry an invocation, and an operator may run a poller
// by hand; two pollers at once would not create duplicate events (the event write is
// conditional) but would double the API calls and race the cursor. The lease is one
// conditional PutItem: it succeeds only if the item does not exist or has expired, so
// exactly one contender wins. It carries an expiry instead of relying on release, so a run
// that crashes (or is killed at the Lambda timeout) blocks the next one for at most the TTL;
// a run stops its work before the TTL ends (see Window), so a live holder never loses its
// lease. Times are Now's; hosts' clock skew only shifts the expiry by that skew.
type Lease struct {
	DB    DB
	Table string
	Key   string
	Now   func() time.Time // default time.Now
}

// Acquire takes the lease for ttl when nobody holds it or its holder's time is up. False
// without an error means another owner holds it.
func (l Lease) Acquire(ctx context.Context, owner string, ttl time.Duration) (bool, error) {
	now := nowOf(l.Now)
	_, err := l.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(l.Table),
		Item: map[string]types.AttributeValue{
			"pk": str(l.Key), "itemType": str("lease"), "owner": str(owner),
			"expiresAtMs": num(now.Add(ttl).UnixMilli()), "acquiredAt": str(store.FormatTime(now)),
		},
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR expiresAtMs <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.UnixMilli())},
	})
	if err == nil {
		return true, nil
	}
	if isConditionFailed(err) {
		return false, nil
	}
	return false, unavailable(l.Key, "acquire", err)
}

// Release expires the lease now, if owner still holds it. It is an UpdateItem rather than a
// DeleteItem so the policy needs no delete right; the owner condition keeps a run whose
// lease expired from releasing its successor's.
func (l Lease) Release(ctx context.Context, owner string) error {
	_, err := l.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       key(l.Key),
		UpdateExpression:          aws.String("SET expiresAtMs = :zero, releasedAt = :t"),
		ConditionExpression:       aws.String("#o = :me"),
		ExpressionAttributeNames:  map[string]string{"#o": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":me": str(owner), ":t": str(store.FormatTime(nowOf(l.Now)))},
	})
	if err != nil && !isConditionFailed(err) {
		return unavailable(l.Key, "release", err)
	}
	return nil
}

// Run is one poller run's hold on a lease, from Begin.
type Run struct {
	StopAt time.Time // when the run's work must stop
	Late   bool      // no time was left before the deadline: the lease was not tried
	Held   bool      // another owner holds the lease: the run must do nothing

	ctx   context.Context
	lease Lease
	owner string
}

// Begin starts a run that started at start: it works out the run's window (see Window) and,
// unless no time is left, takes the lease for it. owner "" means Owner(). Unless Late or Held
// or an error, the caller holds the lease and must defer End.
func (l Lease) Begin(ctx context.Context, start time.Time, owner string, ttl, margin time.Duration) (*Run, error) {
	if owner == "" {
		owner = Owner()
	}
	r := &Run{ctx: ctx, lease: l, owner: owner}
	var leaseTTL time.Duration
	r.StopAt, leaseTTL = Window(ctx, start, ttl, margin)
	if !time.Now().Before(r.StopAt) {
		r.Late = true
		return r, nil
	}
	ok, err := l.Acquire(ctx, owner, leaseTTL)
	if err != nil {
		return r, err
	}
	r.Held = !ok
	return r, nil
}

// End releases the lease the run took, and logs a warning on log when it could not: the
// lease then only expires on its own, delaying the next run. It runs on a context detached
// from Begin's (with its own short timeout), so a run whose context is already over still
// frees the lease and the next run need not wait for the expiry.
func (r *Run) End(log *slog.Logger, attrs ...any) {
	if r.Late || r.Held {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 5*time.Second)
	defer cancel()
	if err := r.lease.Release(ctx, r.owner); err != nil {
		log.Warn("lease not released; it expires on its own", append(attrs, "lease", r.lease.Key, "error", redact.Detail(err.Error()))...)
	}
}

// Window is how long a run starting at start may work and hold the lease. The run never
// outlives its lease: the work stops margin before whichever comes first, ctx's deadline
// (Lambda's) or the lease's expiry after ttl. With a deadline before that expiry the lease
// is cut to the deadline (plus a second): past it the Lambda is gone, so a lease held longer
// would only delay the next run after a timeout or crash.
func Window(ctx context.Context, start time.Time, ttl, margin time.Duration) (stopAt time.Time, leaseTTL time.Duration) {
	stopAt = start.Add(ttl)
	if dl, ok := ctx.Deadline(); ok && dl.Before(stopAt) {
		stopAt = dl
		ttl = time.Until(dl) + time.Second
	}
	return stopAt.Add(-margin), ttl
}

// Owner names this process in a lease item, for operators reading it: the Lambda log stream
// (or the host name) plus a random id, so two runs of one host differ.
func Owner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	host := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")
	if host == "" {
		host, _ = os.Hostname()
	}
	return host + "/" + hex.EncodeToString(b)
}

// Cursor is one forward-only position item, keyed pk = Key.
type Cursor struct {
	DB    DB
	Table string
	Key   string
	Now   func() time.Time // stamps updatedAt; default time.Now
}

// Get reads the position; false when none was ever written.
func (c Cursor) Get(ctx context.Context) (time.Time, bool, error) {
	out, err := c.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(c.Table), Key: key(c.Key), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, false, unavailable(c.Key, "get", err)
	}
	sv, ok := out.Item["cursorAt"].(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, sv.Value)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("lease: %s: cursor %q is not a time", c.Key, sv.Value)
	}
	return t.UTC(), true, nil
}

// Advance moves the position to t unless it is already there or further: the condition
// makes a late writer (say a run whose lease had expired) harmless instead of moving it
// back. A position not moved for that reason is not an error.
func (c Cursor) Advance(ctx context.Context, t time.Time) error {
	_, err := c.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(c.Table),
		Key:                 key(c.Key),
		UpdateExpression:    aws.String("SET cursorAt = :c, itemType = :it, updatedAt = :u"),
		ConditionExpression: aws.String("attribute_not_exists(cursorAt) OR cursorAt < :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": str(store.FormatTime(t)), ":it": str("cursor"), ":u": str(store.FormatTime(nowOf(c.Now))),
		},
	})
	if err != nil && !isConditionFailed(err) {
		return unavailable(c.Key, "advance", err)
	}
	return nil
}

func nowOf(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}

// The table's attribute helpers live in the store (one place for them).
var (
	key               = store.Key
	str               = store.S
	num               = store.N
	isConditionFailed = store.IsConditionFailed
)

func unavailable(pk, what string, err error) error {
	return fmt.Errorf("%w: lease: %s: %s: %w", store.ErrUnavailable, pk, what, err)
}
