package streampoller

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// publisherEventFile is the sample stream event of the publisher function (sam local invoke
// / make invoke FN=PublisherFunction), and sampleEvent the normalized event it carries: the
// CXTN account credit as the provider's golden test keeps it.
const (
	publisherEventFile = "../../../events/outbox-publisher-insert.json"
	sampleEvent        = "../../provider/cxtn/testdata/account-credit.event.json"
	sampleStreamARN    = "arn:aws:dynamodb:us-east-1:123456789012:table/payhooks-events/stream/2026-01-01T00:00:00.000"
)

// TestEventsFiles writes events/outbox-publisher-insert.json when PAYHOOKS_UPDATE_EVENTS=1
// (`make events`, next to the webhooks' files), otherwise checks it is what that would
// write. The record is made the way the real one is: the sample event goes through the
// ingester and the store, whose PutItem is captured, and the item becomes the insert
// record the mapping hands the function.
func TestEventsFiles(t *testing.T) {
	want := publisherEvent(t)
	if os.Getenv("PAYHOOKS_UPDATE_EVENTS") == "1" {
		if err := os.WriteFile(publisherEventFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got, err := os.ReadFile(publisherEventFile); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is missing or stale (run make events)", filepath.Base(publisherEventFile))
	}
}

// capture is a DynamoDB that keeps the item of the one PutItem the store makes.
type capture struct {
	store.API
	item map[string]ddbtypes.AttributeValue
}

func (c *capture) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.item = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func publisherEvent(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(sampleEvent)
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	db := &capture{}
	// The template's default retention (EventRetentionDays 400).
	in := &ingest.Ingester{Store: &store.Store{Client: db, Table: "payhooks-events", Retention: 400 * 24 * time.Hour}}
	if _, err := in.Ingest(context.Background(), &ev); err != nil || db.item == nil {
		t.Fatalf("ingest: %v", err)
	}
	img := streamImage(t, db.item)
	r := record(types.Record{
		EventID: aws.String("c4ca4238a0b923820dcc509a6f75849b"), EventName: types.OperationTypeInsert, EventVersion: aws.String("1.1"),
		Dynamodb: &types.StreamRecord{
			ApproximateCreationDateTime: aws.Time(ev.ReceivedAt.Truncate(time.Second)),
			Keys:                        map[string]types.AttributeValue{"pk": img["pk"]},
			NewImage:                    img,
			SequenceNumber:              aws.String("000000000000000000001"),
			SizeBytes:                   aws.Int64(itemSize(db.item)),
			StreamViewType:              types.StreamViewTypeNewImage,
		},
	}, "us-east-1", sampleStreamARN)
	out, err := json.MarshalIndent(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{r}}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// streamImage is the item as the stream's API returns it. Event items hold only strings
// and numbers.
func streamImage(t *testing.T, item map[string]ddbtypes.AttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		switch x := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			out[k] = &types.AttributeValueMemberS{Value: x.Value}
		case *ddbtypes.AttributeValueMemberN:
			out[k] = &types.AttributeValueMemberN{Value: x.Value}
		default:
			t.Fatalf("event item attribute %s is a %T", k, v)
		}
	}
	return out
}

// itemSize is the item's size as DynamoDB counts it for strings and numbers: each
// attribute's name plus its value (a number takes about one byte per two digits, plus one).
func itemSize(item map[string]ddbtypes.AttributeValue) int64 {
	var n int
	for k, v := range item {
		n += len(k)
		switch x := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			n += len(x.Value)
		case *ddbtypes.AttributeValueMemberN:
			n += (len(x.Value)+1)/2 + 1
		}
	}
	return int64(n)
}
