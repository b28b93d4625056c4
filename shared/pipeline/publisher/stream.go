package publisher

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// StreamFilter is the event source mapping's filter (template.yaml carries the same
// pattern; a test keeps them equal): only the insert of an event item waiting to be
// published reaches the function. Wants applies it where Lambda does not (the local
// stream poller) and guards the handler.
const StreamFilter = `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"itemType":{"S":["event"]},"publishState":{"S":["pending"]}}}}`

// Wants reports whether a stream record passes StreamFilter.
func Wants(r *events.DynamoDBEventRecord) bool {
	img := r.Change.NewImage
	return r.EventName == string(events.DynamoDBOperationTypeInsert) &&
		str(img["itemType"]) == "event" && str(img["publishState"]) == store.PublishPending
}

func str(v events.DynamoDBAttributeValue) string {
	if v.DataType() != events.DataTypeString {
		return ""
	}
	return v.String()
}

// HandleStream is the publisher function's handler for a batch of stream records, read in
// order from one shard. A failed event is reported by its sequence number: Lambda then
// retries the batch from the first failure on (ReportBatchItemFailures), so nothing after
// it is skipped, and what was already sent and marked is not sent again (Publish). An event
// that can never be sent is not reported: it stays pending in the table for the repair
// path, so it cannot hold back the events behind it in the shard.
func (p *Publisher) HandleStream(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var evs []store.StoredEvent
	var seqs []string
	for i := range e.Records {
		r := &e.Records[i]
		if !Wants(r) {
			continue
		}
		evs = append(evs, store.DecodeEvent(image(r.Change.NewImage)))
		seqs = append(seqs, r.Change.SequenceNumber)
	}
	var resp events.DynamoDBEventResponse
	for i, err := range p.Publish(ctx, evs) {
		if err == nil {
			continue
		}
		if Permanent(err) {
			if _, rerr := p.Store.RecordFailure(ctx, evs[i].ID, redact.Detail(err.Error())); rerr == nil {
				continue
			}
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seqs[i]})
	}
	return resp, nil
}

// image converts a stream image to the SDK's attribute values. Event items hold only
// strings and numbers; other types are left out.
func image(img map[string]events.DynamoDBAttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		switch v.DataType() {
		case events.DataTypeString:
			out[k] = store.S(v.String())
		case events.DataTypeNumber:
			out[k] = &types.AttributeValueMemberN{Value: v.Number()}
		}
	}
	return out
}
