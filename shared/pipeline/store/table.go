package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Index names and their keys, shared with template.yaml (a test keeps the two in step).
//
// No index on the write path has a constant or low-cardinality hash key: DynamoDB gives one
// partition key about 1,000 write units a second, so every event spreads over Shards keys.
//   - `pending` (KEYS_ONLY) holds an event only until it is on the queue: hash
//     `pending#<shard>`, or `quarantined#<shard>` once the repair path gave up on it.
//   - `by-time` holds every event, hash `<provider>#<shard>`, sort receivedAt, with the
//     few attributes listings show (payloads are read from the table).
const (
	IndexPending = "pending"
	IndexByTime  = "by-time"
	AttrPending  = "pendingShard"
	AttrListing  = "listShard"

	// Shards is how many hash keys each index spreads its events over. Readers query every
	// shard, so changing it needs every reader to cover the old and the new keys.
	Shards = 32

	pendingPrefix     = "pending#"
	quarantinedPrefix = "quarantined#"
)

// ListingAttributes are what the by-time index projects besides the keys.
var ListingAttributes = []string{"eventId", "provider", "type", "status", "objectRef", "origin", "publishState", "publishAttempts"}

// shard places an event id on one of the Shards keys, the same way every time.
func shard(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return fmt.Sprintf("%02d", h.Sum32()%Shards)
}

// shardKey is the i-th hash key under prefix, as shard writes it.
func shardKey(prefix string, i int) string { return fmt.Sprintf("%s%02d", prefix, i) }

// TableInput is the table's definition for local stacks and tests; template.yaml declares
// the same keys, indexes and stream for AWS. The stream's NEW_IMAGE of each event's insert
// is the outbox entry the publisher consumes.
func TableInput(name string) *dynamodb.CreateTableInput {
	attr := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	gsi := func(name, hash, rng string, p *types.Projection) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange},
			},
			Projection: p,
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{attr("pk"), attr(AttrPending), attr("receivedAt"),
			attr(AttrListing), attr(attrPayout), attr("payoutNextCheck")},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(IndexPending, AttrPending, "receivedAt", &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}),
			gsi(IndexByTime, AttrListing, "receivedAt", &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: ListingAttributes}),
			gsi(IndexPayouts, attrPayout, "payoutNextCheck", &types.Projection{ProjectionType: types.ProjectionTypeAll}),
		},
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
	}
}

// Attributes of the sparse index of payouts still waiting for an on-chain confirmation.
const (
	IndexPayouts = "payouts"
	attrPayout   = "payoutShard"
)

// CreateTable creates the table if it does not exist and returns its stream's ARN.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) (streamARN string, err error) {
	out, err := client.CreateTable(ctx, TableInput(name))
	var inUse *types.ResourceInUseException
	switch {
	case err == nil:
		return aws.ToString(out.TableDescription.LatestStreamArn), nil
	case !errors.As(err, &inUse):
		return "", fmt.Errorf("create table %s: %w", name, err)
	}
	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe table %s: %w", name, err)
	}
	return aws.ToString(d.Table.LatestStreamArn), nil
}
