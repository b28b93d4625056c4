package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/poller/lease"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

// DB is the part of DynamoDB the poller uses: no DeleteItem, so the function's policy can
// stay at PutItem/GetItem/UpdateItem.
type DB interface {
	lease.DB
}

// Keys of the poller's items.
const (
	CursorKey = "CURSOR#" + axpay.Name
	SweepKey  = "SWEEP#" + axpay.Name
	LeaseKey  = "LEASE#" + axpay.Name
)

func (p *Poller) lease() lease.Lease {
	return lease.Lease{DB: p.DB, Table: p.Table, Key: LeaseKey, Now: p.Now}
}

func (p *Poller) cursor() lease.Cursor {
	return lease.Cursor{DB: p.DB, Table: p.Table, Key: CursorKey, Now: p.Now}
}

// Cursor reads the cursor: where the tail pass got to.
func (p *Poller) Cursor(ctx context.Context) (time.Time, bool, error) {
	return p.cursor().Get(ctx)
}

// sweepState is the SWEEP#axpay item. Unlike the cursor it moves back: every sweep starts
// over at the far end of the horizon. Only the lease holder writes it.
type sweepState struct {
	StartedAt time.Time // when the current (or last) sweep started
	Pos       time.Time // where the current sweep got to
	Active    bool      // a sweep is under way and resumes at Pos
}

func (p *Poller) loadSweep(ctx context.Context) (sweepState, error) {
	out, err := p.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(p.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: SweepKey}},
	})
	if err != nil {
		return sweepState{}, fmt.Errorf("%w: reconcile: get sweep: %w", store.ErrUnavailable, err)
	}
	var sw sweepState
	sw.StartedAt = timeAttr(out.Item, "startedAt")
	sw.Pos = timeAttr(out.Item, "position")
	_, sw.Active = out.Item["position"]
	return sw, nil
}

func (p *Poller) saveSweep(ctx context.Context, sw sweepState) error {
	item := map[string]types.AttributeValue{
		"pk":        &types.AttributeValueMemberS{Value: SweepKey},
		"itemType":  &types.AttributeValueMemberS{Value: "sweep"},
		"startedAt": &types.AttributeValueMemberS{Value: store.FormatTime(sw.StartedAt)},
		"updatedAt": &types.AttributeValueMemberS{Value: store.FormatTime(time.Now())},
	}
	if sw.Active {
		item["position"] = &types.AttributeValueMemberS{Value: store.FormatTime(sw.Pos)}
	}
	if _, err := p.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(p.Table), Item: item}); err != nil {
		return fmt.Errorf("%w: reconcile: save sweep: %w", store.ErrUnavailable, err)
	}
	return nil
}

func timeAttr(item map[string]types.AttributeValue, k string) time.Time {
	sv, ok := item[k].(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, sv.Value)
	return t.UTC()
}
