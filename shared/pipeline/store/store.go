// Package store keeps normalized events exactly once in DynamoDB, together with a per-object
// state item that only moves forward and the bookkeeping of what has been published.
//
// One table, one string hash key `pk`:
//   - EVENT#<event id>               the event (payload = the exact published JSON)
//   - STATE#<provider>#<objectRef>   where the provider's object stands
//   - other items (cursors, leases) are owned by the pollers that write them.
//
// Sparse global secondary indexes keep the sweepers away from table scans: `outbox` holds
// only events still waiting to be published, `by-provider` holds only events.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	PublishPending   = "pending"   // stored, not yet confirmed on the queue
	PublishPublished = "published" // on the queue
	PublishSkipped   = "skipped"   // never published (event.unsupported)
)

// Index names and their keys, shared with template.yaml (a test keeps the two in step).
const (
	IndexOutbox      = "outbox"
	IndexByProvider  = "by-provider"
	attrOutbox       = "outboxShard"
	outboxShardValue = "pending"
)

// ErrUnavailable wraps every DynamoDB failure but ErrItemInvalid: the caller cannot know whether to retry
// better than the provider can, so the edge answers 503.
var ErrUnavailable = errors.New("store unavailable")

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
	Payload      []byte // the stored event JSON (the first delivery's, for a duplicate)
}

func eventKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "EVENT#" + id}}
}

func stateKey(provider, objectRef string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "STATE#" + provider + "#" + objectRef}}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00" // fixed width, so string order is time order

// FormatTime renders t for the table's sortable time attributes.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// PutEvent stores the event unless an event with its id exists, in one conditional write
// (never check-then-insert, which races with concurrent redeliveries).
func (st *Store) PutEvent(ctx context.Context, ev *event.Event, payload []byte) (PutResult, error) {
	state := PublishPending
	if !ev.Publishable() {
		state = PublishSkipped
	}
	item := eventKey(ev.ID)
	item["itemType"] = s("event")
	item["eventId"] = s(ev.ID)
	item["provider"] = s(ev.Provider)
	item["type"] = s(string(ev.Type))
	item["status"] = s(string(ev.Status))
	item["objectRef"] = s(ev.ObjectRef)
	item["origin"] = s(string(ev.Origin))
	item["receivedAt"] = s(FormatTime(ev.ReceivedAt))
	item["occurredAt"] = s(FormatTime(ev.OccurredAt))
	item["payload"] = s(string(payload))
	item["publishState"] = s(state)
	if state == PublishPending {
		item[attrOutbox] = s(outboxShardValue)
	}
	if st.Retention > 0 {
		item["expiresAt"] = n(ev.ReceivedAt.Add(st.Retention).Unix())
	}
	_, err := st.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(st.Table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return PutResult{Created: true, PublishState: state, Payload: payload}, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return PutResult{}, failed("put event", err)
	}
	old := ccf.Item
	if old == nil {
		got, err := st.GetEvent(ctx, ev.ID)
		if err != nil {
			return PutResult{}, err
		}
		return PutResult{PublishState: got.PublishState, Payload: got.Payload}, nil
	}
	return PutResult{PublishState: str(old["publishState"]), Payload: []byte(str(old["payload"]))}, nil
}

func str(v types.AttributeValue) string {
	if sv, ok := v.(*types.AttributeValueMemberS); ok {
		return sv.Value
	}
	return ""
}

// ErrNotFound reports a missing item.
var ErrNotFound = errors.New("not found")

// StoredEvent is an event item as read back.
type StoredEvent struct {
	ID           string
	Provider     string
	Type         string
	Status       string
	ObjectRef    string
	ReceivedAt   string
	PublishState string
	Payload      []byte
}

func decodeEvent(item map[string]types.AttributeValue) StoredEvent {
	return StoredEvent{
		ID:           str(item["eventId"]),
		Provider:     str(item["provider"]),
		Type:         str(item["type"]),
		Status:       str(item["status"]),
		ObjectRef:    str(item["objectRef"]),
		ReceivedAt:   str(item["receivedAt"]),
		PublishState: str(item["publishState"]),
		Payload:      []byte(str(item["payload"])),
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
	return decodeEvent(out.Item), nil
}

// MarkPublished records that the event is on the queue and drops it from the outbox index.
func (st *Store) MarkPublished(ctx context.Context, id string, at time.Time) error {
	_, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       eventKey(id),
		UpdateExpression:          aws.String("SET publishState = :p, publishedAt = :t REMOVE " + attrOutbox),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(PublishPublished), ":t": s(FormatTime(at))},
	})
	if err != nil {
		return failed("mark published", err)
	}
	return nil
}

// rank orders statuses so the state item only moves forward: any terminal status beats
// pending, and the first terminal status wins over later ones.
func rank(st event.Status) int64 {
	if st.Terminal() {
		return 2
	}
	return 1
}

// AdvanceState moves the object's state item to the event's status if that is a step
// forward. It is idempotent, so redeliveries and recovery paths may call it again.
func (st *Store) AdvanceState(ctx context.Context, ev *event.Event) (bool, error) {
	if !ev.Publishable() || ev.ObjectRef == "" {
		return false, nil
	}
	_, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(st.Table),
		Key:       stateKey(ev.Provider, ev.ObjectRef),
		UpdateExpression: aws.String("SET itemType = :it, provider = :pv, objectRef = :or, #st = :st, #rk = :rk, " +
			"terminal = :tm, eventId = :id, #ty = :ty, occurredAt = :oc, updatedAt = :up"),
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #rk < :rk"),
		ExpressionAttributeNames: map[string]string{"#st": "status", "#rk": "rank", "#ty": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":it": s("state"), ":pv": s(ev.Provider), ":or": s(ev.ObjectRef), ":st": s(string(ev.Status)),
			":rk": n(rank(ev.Status)), ":tm": &types.AttributeValueMemberBOOL{Value: ev.Status.Terminal()},
			":id": s(ev.ID), ":ty": s(string(ev.Type)), ":oc": s(FormatTime(ev.OccurredAt)), ":up": s(FormatTime(ev.ReceivedAt)),
		},
	})
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return false, nil
		}
		return false, failed("advance state", err)
	}
	return true, nil
}

// ObjectState is where a provider's object stands.
type ObjectState struct {
	Provider, ObjectRef, Status, EventID, Type string
	Terminal                                   bool
	Item                                       map[string]types.AttributeValue
}

// GetState reads an object's state item.
func (st *Store) GetState(ctx context.Context, provider, objectRef string) (ObjectState, error) {
	out, err := st.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.Table), Key: stateKey(provider, objectRef), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return ObjectState{}, failed("get state", err)
	}
	if out.Item == nil {
		return ObjectState{}, fmt.Errorf("state %s/%s: %w", provider, objectRef, ErrNotFound)
	}
	tm, _ := out.Item["terminal"].(*types.AttributeValueMemberBOOL)
	return ObjectState{
		Provider: provider, ObjectRef: objectRef, Status: str(out.Item["status"]), EventID: str(out.Item["eventId"]),
		Type: str(out.Item["type"]), Terminal: tm != nil && tm.Value, Item: out.Item,
	}, nil
}

// PageKey is where a paged query goes on; nil means from the start, or no more pages.
type PageKey = map[string]types.AttributeValue

// Pending lists events stored before `before` and still waiting to be published, oldest
// first, from the sparse outbox index, one page at a time.
func (st *Store) Pending(ctx context.Context, before time.Time, limit int32, start PageKey) ([]StoredEvent, PageKey, error) {
	out, err := st.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(st.Table),
		IndexName:                 aws.String(IndexOutbox),
		KeyConditionExpression:    aws.String(attrOutbox + " = :p AND receivedAt < :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(outboxShardValue), ":b": s(FormatTime(before))},
		Limit:                     aws.Int32(limit),
		ExclusiveStartKey:         start,
	})
	if err != nil {
		return nil, nil, failed("query outbox", err)
	}
	evs := make([]StoredEvent, 0, len(out.Items))
	for _, it := range out.Items {
		evs = append(evs, decodeEvent(it))
	}
	return evs, out.LastEvaluatedKey, nil
}

// ListFilter selects events for operators.
type ListFilter struct {
	Provider     string
	From, To     time.Time // receivedAt window; zero means open
	Status       string
	PublishState string
	Limit        int
}

// ListByProvider pages through one provider's events by time from the by-provider index.
func (st *Store) ListByProvider(ctx context.Context, f ListFilter) ([]StoredEvent, error) {
	from, to := "0", "9"
	if !f.From.IsZero() {
		from = FormatTime(f.From)
	}
	if !f.To.IsZero() {
		to = FormatTime(f.To)
	}
	var out []StoredEvent
	var start map[string]types.AttributeValue
	for {
		res, err := st.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.Table),
			IndexName:                 aws.String(IndexByProvider),
			KeyConditionExpression:    aws.String("provider = :p AND receivedAt BETWEEN :f AND :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s(f.Provider), ":f": s(from), ":t": s(to)},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, failed("query by provider", err)
		}
		for _, it := range res.Items {
			ev := decodeEvent(it)
			if (f.Status != "" && ev.Status != f.Status) || (f.PublishState != "" && ev.PublishState != f.PublishState) {
				continue
			}
			out = append(out, ev)
			if f.Limit > 0 && len(out) >= f.Limit {
				return out, nil
			}
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		start = res.LastEvaluatedKey
	}
}
