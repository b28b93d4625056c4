package chainstatus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/poller/chainstatus/chainstatustest"
)

// Tracking items spread over the payouts index's shards (no hot key: every check rewrites
// the index's sort key), every shard is checked, and an item written under the one key the
// index had before sharding (`instaxchange`) is still checked and settled.
func TestPayoutsSpreadOverShardsAndOldKeyIsRead(t *testing.T) {
	f := newFixture(t)
	const n = 12
	for i := range n {
		tx := fmt.Sprintf("ixc-s%02d", i)
		f.deliver(t, tx, "completed", "wd-"+tx)
	}
	f.fake.Default = chainstatustest.Pending()
	p := f.poller()
	if res := f.run(t, p); res.Discovered != n || res.Checked != n {
		t.Fatalf("first run %+v", res)
	}
	db, ctx := f.env.Clients.DynamoDB, context.Background()
	shardOf := func(tx string) string {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.env.Table), Key: store.Key(store.PayoutKey(Provider, tx))})
		if err != nil {
			t.Fatal(err)
		}
		return store.GetS(out.Item, store.AttrPayoutShard)
	}
	shards := map[string]bool{}
	for i := range n {
		sh := shardOf(fmt.Sprintf("ixc-s%02d", i))
		if !strings.HasPrefix(sh, Provider+"#") {
			t.Fatalf("payout shard %q", sh)
		}
		shards[sh] = true
	}
	if len(shards) < 4 {
		t.Fatalf("%d payouts on only %d shards: %v", n, len(shards), shards)
	}

	// An item as the unsharded index had it.
	old := "ixc-s00"
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(f.env.Table), Key: store.Key(store.PayoutKey(Provider, old)),
		UpdateExpression:          aws.String("SET #sh = :p"),
		ExpressionAttributeNames:  map[string]string{"#sh": store.AttrPayoutShard},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": store.S(Provider)},
	}); err != nil {
		t.Fatal(err)
	}
	f.published(t)
	f.fake.Default = chainstatustest.Confirmed(hashA, 100)
	f.clock.Add(2 * time.Minute)
	if res := f.run(t, p); res.Confirmed != n || res.Errors != 0 {
		t.Fatalf("second run %+v\n%s", res, f.logs)
	}
	if po := f.payout(t, p, old); po.Outcome != OutcomeConfirmed || shardOf(old) != "" {
		t.Fatalf("old-key payout %+v, shard %q", po, shardOf(old))
	}
	if got := f.published(t)[TypeConfirmed]; len(got) != n {
		t.Fatalf("%d confirmed published, want %d", len(got), n)
	}
}
