package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
)

// StateKeyPrefix starts the key of a state item: STATE#<provider>#<objectRef>.
const StateKeyPrefix = "STATE#"

func stateKey(provider, objectRef string) map[string]types.AttributeValue {
	return Key(StateKeyPrefix + provider + "#" + objectRef)
}

// refunded is the status a refund moves a succeeded object to.
const refunded = event.Status("refunded")

// Delivery is what the state update found for one event: its place among its object's
// events, and the conflict, if it contradicts the object's recorded terminal state.
type Delivery struct {
	Sequence int64
	Conflict *event.Conflict
	Repeat   bool // the state item already held this event's delivery: it was prepared before
	// Trimmed: the state item no longer holds its object's oldest deliveries (MaxDeliveries),
	// so an event it does not know may still have been prepared, and published, before.
	Trimmed bool
}

// MaxDeliveries is how many events' deliveries a state item remembers, newest by sequence:
// one record per event, so an object with many events (an account credited every day)
// would otherwise grow its item without bound toward DynamoDB's 400 KB limit, and every
// write of it costs by its size. An event retried after 64 newer ones of its object is
// long published; the publisher reads its publish state rather than trust the state item.
const MaxDeliveries = 64

// attrTrimmedThrough records the highest sequence whose delivery was dropped.
const attrTrimmedThrough = "trimmedThrough"

// maxTrim bounds the records one write drops, so the update expression stays far below
// DynamoDB's 4 KB: an item written before the cap shrinks over its next few writes.
const maxTrim = 100

// Step is how an event relates to the status recorded for its object.
type Step int

const (
	Stay     Step = iota // no change: a repeat, or a late non-terminal event
	Advance              // the object moves to the event's status
	Conflict             // a different terminal outcome than the one recorded: kept, flagged
)

// Transition decides the step from the recorded status to an event's. Terminal beats
// pending; a refund after a success moves forward; a late success after a refund is old
// news; any other change between terminal statuses contradicts what was recorded.
func Transition(recorded, next event.Status) Step {
	switch {
	case recorded == "" || (recorded == event.Pending && next.Terminal()):
		return Advance
	case next == recorded || !next.Terminal():
		return Stay
	case recorded == event.Succeeded && next == refunded:
		return Advance
	case recorded == refunded && next == event.Succeeded:
		return Stay
	}
	return Conflict
}

// ErrContention reports a state item that kept changing under the publisher.
var ErrContention = errors.New("state item contended")

// AdvanceState gives the event its sequence number among its object's events and moves the
// object's state when the event is a step forward, in one conditional write on the state
// item. It is idempotent: the state item remembers each event's delivery, so a retry of
// the same event gets the same sequence and conflict, and nothing moves twice.
func (st *Store) AdvanceState(ctx context.Context, se StoredEvent) (Delivery, error) {
	if event.Type(se.Type) == event.TypeUnsupported || se.ObjectRef == "" {
		return Delivery{}, nil
	}
	// The first try assumes a new object (the common case: one write); a failed condition
	// hands back the item as it is, and the next try builds on it.
	var cur map[string]types.AttributeValue
	for try := 0; try < 8; try++ {
		if d, ok := recordedDelivery(cur, se.ID); ok {
			return d, nil
		}
		in, d := stateUpdate(st.Table, cur, se)
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		_, err := st.Client.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return d, nil
		case !errors.As(err, &ccf):
			return Delivery{}, failed("advance state", err)
		case ccf.Item != nil:
			cur = ccf.Item
			continue
		}
		// Some implementations omit the old item: read it.
		out, err := st.Client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(st.Table), Key: stateKey(se.Provider, se.ObjectRef), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return Delivery{}, failed("get state", err)
		}
		cur = out.Item
	}
	return Delivery{}, fmt.Errorf("%w: %s/%s", ErrContention, se.Provider, se.ObjectRef)
}

// deliveryAttr names the state item's record of one event's delivery.
func deliveryAttr(eventID string) string { return deliveryPrefix + eventID }

const deliveryPrefix = "delivery:"

func recordedDelivery(item map[string]types.AttributeValue, eventID string) (Delivery, bool) {
	m, ok := item[deliveryAttr(eventID)].(*types.AttributeValueMemberM)
	if !ok {
		return Delivery{}, false
	}
	d := Delivery{Sequence: GetN(m.Value, "sequence"), Repeat: true}
	if rs := GetS(m.Value, "recordedStatus"); rs != "" {
		d.Conflict = &event.Conflict{RecordedStatus: event.Status(rs), RecordedEventID: GetS(m.Value, "recordedEventId")}
	}
	return d, true
}

// stateUpdate is the conditional write that takes the state item from cur (nil when the
// object has none yet) to its next version for se.
func stateUpdate(table string, cur map[string]types.AttributeValue, se StoredEvent) (*dynamodb.UpdateItemInput, Delivery) {
	seq := GetN(cur, "sequence")
	d := Delivery{Sequence: seq + 1}
	rec := map[string]types.AttributeValue{"sequence": N(d.Sequence)}
	names := map[string]string{"#seq": "sequence", "#d": deliveryAttr(se.ID)}
	vals := map[string]types.AttributeValue{":n": N(d.Sequence)}
	set := "#seq = :n, #d = :d"
	extra := ""
	switch Transition(event.Status(GetS(cur, "status")), event.Status(se.Status)) {
	case Advance:
		st := event.Status(se.Status)
		set += ", itemType = :it, provider = :pv, objectRef = :or, #st = :st, terminal = :tm, eventId = :id, #ty = :ty, occurredAt = :oc, updatedAt = :up"
		names["#st"], names["#ty"] = "status", "type"
		vals[":it"], vals[":pv"], vals[":or"], vals[":st"] = S("state"), S(se.Provider), S(se.ObjectRef), S(se.Status)
		vals[":tm"], vals[":id"], vals[":ty"] = Bool(st.Terminal()), S(se.ID), S(se.Type)
		vals[":oc"], vals[":up"] = S(se.OccurredAt), S(se.ReceivedAt)
	case Conflict:
		d.Conflict = &event.Conflict{RecordedStatus: event.Status(GetS(cur, "status")), RecordedEventID: GetS(cur, "eventId")}
		rec["recordedStatus"], rec["recordedEventId"] = S(string(d.Conflict.RecordedStatus)), S(d.Conflict.RecordedEventID)
		extra = " ADD conflicts :one"
		vals[":one"] = N(1)
	}
	vals[":d"] = &types.AttributeValueMemberM{Value: rec}
	remove := trimDeliveries(cur, names, vals)
	d.Trimmed = remove != "" || GetN(cur, attrTrimmedThrough) > 0
	if remove != "" {
		set += ", " + attrTrimmedThrough + " = :tt"
	}
	cond := "attribute_not_exists(pk)"
	if cur != nil {
		cond = "#seq = :old"
		if seq == 0 {
			cond = "attribute_not_exists(#seq)"
		} else {
			vals[":old"] = N(seq)
		}
	}
	return &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       stateKey(se.Provider, se.ObjectRef),
		UpdateExpression:          aws.String("SET " + set + remove + extra),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	}, d
}

// trimDeliveries makes room for one more delivery record on the state item cur: past
// MaxDeliveries, the records of the lowest sequences go (at most maxTrim at once) (" REMOVE …", with their names and
// the highest sequence dropped, :tt, added to the update). Empty when nothing goes.
func trimDeliveries(cur map[string]types.AttributeValue, names map[string]string, vals map[string]types.AttributeValue) string {
	type rec struct {
		attr string
		seq  int64
	}
	var recs []rec
	for k, v := range cur {
		if m, ok := v.(*types.AttributeValueMemberM); ok && strings.HasPrefix(k, deliveryPrefix) {
			recs = append(recs, rec{k, GetN(m.Value, "sequence")})
		}
	}
	if len(recs) < MaxDeliveries {
		return ""
	}
	slices.SortFunc(recs, func(a, b rec) int { return cmp.Compare(a.seq, b.seq) })
	drop := recs[:min(len(recs)-MaxDeliveries+1, maxTrim)]
	parts := make([]string, len(drop))
	for i, r := range drop {
		n := fmt.Sprintf("#r%d", i)
		names[n] = r.attr
		parts[i] = n
	}
	vals[":tt"] = N(max(drop[len(drop)-1].seq, GetN(cur, attrTrimmedThrough)))
	return " REMOVE " + strings.Join(parts, ", ")
}

// ObjectState is where a provider's object stands.
type ObjectState struct {
	Provider, ObjectRef, Status, EventID, Type string
	Terminal                                   bool
	Sequence, Conflicts                        int64
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
	it := out.Item
	return ObjectState{
		Provider: provider, ObjectRef: objectRef, Status: GetS(it, "status"), EventID: GetS(it, "eventId"),
		Type: GetS(it, "type"), Terminal: GetBool(it, "terminal"), Sequence: GetN(it, "sequence"),
		Conflicts: GetN(it, "conflicts"), Item: it,
	}, nil
}
