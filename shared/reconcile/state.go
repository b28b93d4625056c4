package reconcile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/store"
)

// DB is the part of DynamoDB the poller uses: no DeleteItem, so the function's policy can
// stay at PutItem/GetItem/UpdateItem.
type DB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Keys of the poller's items.
const (
	CursorKey = "CURSOR#" + axpay.Name
	LeaseKey  = "LEASE#" + axpay.Name
)

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
}

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// Cursor reads the cursor: the createdAt of the newest transaction fully processed.
func (p *Poller) Cursor(ctx context.Context) (time.Time, bool, error) {
	out, err := p.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(p.Table), Key: key(CursorKey), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%w: reconcile: get cursor: %w", store.ErrUnavailable, err)
	}
	nv, ok := out.Item["cursorMs"].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, false, nil
	}
	ms, err := strconv.ParseInt(nv.Value, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reconcile: cursor %q is not Unix milliseconds", nv.Value)
	}
	return time.UnixMilli(ms).UTC(), true, nil
}

// advance moves the cursor to t unless it is already there or further: the condition makes
// a late writer (say a run whose lease had expired) harmless instead of moving it back.
func (p *Poller) advance(ctx context.Context, t time.Time) error {
	_, err := p.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(p.Table),
		Key:                 key(CursorKey),
		UpdateExpression:    aws.String("SET cursorMs = :c, itemType = :it, updatedAt = :u"),
		ConditionExpression: aws.String("attribute_not_exists(cursorMs) OR cursorMs < :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": num(t.UnixMilli()), ":it": str("cursor"), ":u": str(store.FormatTime(p.now())),
		},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("%w: reconcile: advance cursor: %w", store.ErrUnavailable, err)
	}
	return nil
}

// acquire takes the lease when nobody holds it or its holder's time is up.
//
// Why a lease and not only ReservedConcurrentExecutions: the schedule may fire while a slow
// run is still going, EventBridge may retry an invocation, and an operator may run
// `payhooks reconcile` by hand; two pollers at once would not create duplicate events (the
// event write is conditional) but would double the API calls and race the cursor. The lease
// is one conditional PutItem: it succeeds only if the item does not exist or has expired, so
// exactly one contender wins. It carries an expiry instead of relying on release, so a run
// that crashes (or is killed at the Lambda timeout) blocks the next one for at most the TTL;
// Run stops its work before the TTL ends, so a live holder never loses its lease. Times are
// the poller's clock; hosts' clock skew only shifts the expiry by that skew.
func (p *Poller) acquire(ctx context.Context, owner string, ttl time.Duration) (bool, error) {
	now := p.now()
	_, err := p.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(p.Table),
		Item: map[string]types.AttributeValue{
			"pk": str(LeaseKey), "itemType": str("lease"), "owner": str(owner),
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
	return false, fmt.Errorf("%w: reconcile: acquire lease: %w", store.ErrUnavailable, err)
}

// release expires the lease now, if we still hold it. It is an UpdateItem rather than a
// DeleteItem so the policy needs no delete right; the owner condition keeps a run whose
// lease expired from releasing its successor's.
func (p *Poller) release(ctx context.Context, owner string) error {
	_, err := p.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(p.Table),
		Key:                       key(LeaseKey),
		UpdateExpression:          aws.String("SET expiresAtMs = :zero, releasedAt = :t"),
		ConditionExpression:       aws.String("#o = :me"),
		ExpressionAttributeNames:  map[string]string{"#o": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":me": str(owner), ":t": str(store.FormatTime(p.now()))},
	})
	if err != nil && !isConditionFailed(err) {
		return err
	}
	return nil
}

// defaultOwner names this process in the lease item, for operators reading it.
func (p *Poller) defaultOwner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	host := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")
	if host == "" {
		host, _ = os.Hostname()
	}
	return host + "/" + hex.EncodeToString(b)
}
