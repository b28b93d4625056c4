// Package store keeps normalized events exactly once in DynamoDB, together with a per-object
// state item that only moves forward and the bookkeeping of what has been published.
//
// One table, one string hash key `pk`:
//   - EVENT#<event id>               the event (payload = the exact stored JSON)
//   - STATE#<provider>#<objectRef>   where the provider's object stands, and the sequence
//     number the publisher gave each of its events
//   - other items (cursors, leases) are owned by the pollers that write them.
//
// A webhook's answer waits for one conditional PutItem. The insert's stream record is the
// outbox entry: the publisher advances the state, sends the message and marks the event
// published. Sharded sparse indexes (see table.go) let the repair path and the operator
// tools find events without a table scan and without a hot key.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Publish states of a stored event.
const (
	PublishPending     = "pending"     // stored, not yet confirmed on the queue
	PublishPublished   = "published"   // on the queue
	PublishSkipped     = "skipped"     // never published (event.unsupported)
	PublishQuarantined = "quarantined" // the repair path gave up after MaxPublishAttempts; replay it
)

// EventKeyPrefix starts the key of an event item: EVENT#<event id>.
const EventKeyPrefix = "EVENT#"

// ErrUnavailable wraps every DynamoDB failure but ErrItemInvalid: the caller cannot know whether to retry
// better than the provider can, so the edge answers 503.
var ErrUnavailable = errors.New("store unavailable")

// ErrNotFound reports a missing item.
var ErrNotFound = errors.New("not found")

// Store is the DynamoDB event store.
type Store struct {
	Client    API
	Table     string
	Retention time.Duration // TTL of event items; 0 keeps them forever
}

// PutResult says what PutEvent found.
type PutResult struct {
	Created      bool   // this call wrote the event
	PublishState string // the stored event's publish state
}

func eventKey(id string) map[string]types.AttributeValue { return Key(EventKeyPrefix + id) }

// PutEvent stores the event unless an event with its id exists, in one conditional write
// (never check-then-insert, which races with concurrent redeliveries). It is the only
// write a webhook waits for.
func (st *Store) PutEvent(ctx context.Context, ev *event.Event, payload []byte) (PutResult, error) {
	state := PublishPending
	if !ev.Publishable() {
		state = PublishSkipped
	}
	item := eventKey(ev.ID)
	item["itemType"] = S("event")
	item["eventId"] = S(ev.ID)
	item["provider"] = S(ev.Provider)
	item["type"] = S(string(ev.Type))
	item["status"] = S(string(ev.Status))
	item["objectRef"] = S(ev.ObjectRef)
	item["origin"] = S(string(ev.Origin))
	item["receivedAt"] = S(FormatTime(ev.ReceivedAt))
	item["occurredAt"] = S(FormatTime(ev.OccurredAt))
	item["payload"] = S(string(payload))
	item["publishState"] = S(state)
	item[AttrListing] = S(ev.Provider + "#" + shard(ev.ID))
	if state == PublishPending {
		item[AttrPending] = S(pendingPrefix + shard(ev.ID))
	}
	if st.Retention > 0 {
		item["expiresAt"] = N(ev.ReceivedAt.Add(st.Retention).Unix())
	}
	_, err := st.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(st.Table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return PutResult{Created: true, PublishState: state}, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return PutResult{}, failed("put event", err)
	}
	if ccf.Item == nil { // some implementations omit the old item
		got, err := st.GetEvent(ctx, ev.ID)
		if err != nil {
			return PutResult{}, err
		}
		return PutResult{PublishState: got.PublishState}, nil
	}
	return PutResult{PublishState: GetS(ccf.Item, "publishState")}, nil
}

// StoredEvent is an event item as read back. Payload is empty when read from an index.
type StoredEvent struct {
	ID              string
	Provider        string
	Type            string
	Status          string
	ObjectRef       string
	Origin          string
	ReceivedAt      string
	OccurredAt      string
	PublishState    string
	PublishAttempts int
	Payload         []byte
}

// DecodeEvent reads an event item (from the table, an index or a stream image).
func DecodeEvent(item map[string]types.AttributeValue) StoredEvent {
	id := GetS(item, "eventId")
	if id == "" {
		id = strings.TrimPrefix(GetS(item, "pk"), EventKeyPrefix)
	}
	return StoredEvent{
		ID:              id,
		Provider:        GetS(item, "provider"),
		Type:            GetS(item, "type"),
		Status:          GetS(item, "status"),
		ObjectRef:       GetS(item, "objectRef"),
		Origin:          GetS(item, "origin"),
		ReceivedAt:      GetS(item, "receivedAt"),
		OccurredAt:      GetS(item, "occurredAt"),
		PublishState:    GetS(item, "publishState"),
		PublishAttempts: int(GetN(item, "publishAttempts")),
		Payload:         []byte(GetS(item, "payload")),
	}
}

// GetEvent reads an event by id with a strongly consistent read.
func (st *Store) GetEvent(ctx context.Context, id string) (StoredEvent, error) {
	out, err := st.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.Table), Key: eventKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return StoredEvent{}, failed("get event", err)
	}
	if out.Item == nil {
		return StoredEvent{}, fmt.Errorf("event %s: %w", id, ErrNotFound)
	}
	return DecodeEvent(out.Item), nil
}

// MarkPublished records that the event is on the queue and drops it from the pending
// index (from its quarantine too, after a replay). Calling it again changes nothing.
func (st *Store) MarkPublished(ctx context.Context, id string, at time.Time) error {
	_, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       eventKey(id),
		UpdateExpression:          aws.String("SET publishState = :p, publishedAt = :t REMOVE " + AttrPending + ", lastPublishError"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND publishState <> :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": S(PublishPublished), ":t": S(FormatTime(at)), ":s": S(PublishSkipped)},
	})
	if err != nil && !IsConditionFailed(err) {
		return failed("mark published", err)
	}
	return nil
}

// MaxPublishAttempts is how many failed publishes the repair path records before it
// quarantines an event, so that one event that can never be sent stops costing every run.
const MaxPublishAttempts = 5

// RecordFailure counts a failed publish of a pending event and quarantines it once it has
// failed MaxPublishAttempts times: it leaves the pending shards for the quarantine shards,
// where `payhooks events --published quarantined` shows it and a replay takes it out.
func (st *Store) RecordFailure(ctx context.Context, id, reason string) (quarantined bool, err error) {
	out, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       eventKey(id),
		UpdateExpression:          aws.String("ADD publishAttempts :one SET lastPublishError = :r"),
		ConditionExpression:       aws.String("publishState = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": N(1), ":r": S(reason), ":p": S(PublishPending)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if IsConditionFailed(err) {
		return false, nil // published or quarantined meanwhile
	}
	if err != nil {
		return false, failed("record publish failure", err)
	}
	if GetN(out.Attributes, "publishAttempts") < MaxPublishAttempts {
		return false, nil
	}
	_, err = st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       eventKey(id),
		UpdateExpression:          aws.String("SET publishState = :q, " + AttrPending + " = :k"),
		ConditionExpression:       aws.String("publishState = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":q": S(PublishQuarantined), ":k": S(quarantinedPrefix + shard(id)), ":p": S(PublishPending)},
	})
	if IsConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, failed("quarantine", err)
	}
	return true, nil
}

// PageKey is where a paged query goes on; nil means from the start, or no more pages.
type PageKey = map[string]types.AttributeValue

// Pending lists the ids of one shard's events stored before `before` and still waiting to
// be published, oldest first, one page at a time. quarantined lists the shard's
// quarantined events instead.
func (st *Store) Pending(ctx context.Context, shardNo int, quarantined bool, before time.Time, limit int32, start PageKey) ([]string, PageKey, error) {
	prefix := pendingPrefix
	if quarantined {
		prefix = quarantinedPrefix
	}
	out, err := st.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(st.Table),
		IndexName:                 aws.String(IndexPending),
		KeyConditionExpression:    aws.String(AttrPending + " = :k AND receivedAt < :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": S(shardKey(prefix, shardNo)), ":b": S(FormatTime(before))},
		Limit:                     aws.Int32(limit),
		ExclusiveStartKey:         start,
	})
	if err != nil {
		return nil, nil, failed("query pending", err)
	}
	ids := make([]string, 0, len(out.Items))
	for _, it := range out.Items {
		ids = append(ids, strings.TrimPrefix(GetS(it, "pk"), EventKeyPrefix))
	}
	return ids, out.LastEvaluatedKey, nil
}
