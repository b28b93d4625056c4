package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// fakeAPI is the store's DynamoDB API, scripted: each call pops the next answer of its
// kind and is recorded.
type fakeAPI struct {
	puts    []*dynamodb.PutItemInput
	updates []*dynamodb.UpdateItemInput
	gets    []*dynamodb.GetItemInput
	queries []*dynamodb.QueryInput

	putErr    []error
	updateErr []error
	updateOut []*dynamodb.UpdateItemOutput
	getOut    []map[string]types.AttributeValue
	query     func(*dynamodb.QueryInput) *dynamodb.QueryOutput
}

func pop[T any](l *[]T) (T, bool) {
	var zero T
	if len(*l) == 0 {
		return zero, false
	}
	v := (*l)[0]
	*l = (*l)[1:]
	return v, true
}

func (f *fakeAPI) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.puts = append(f.puts, in)
	err, _ := pop(&f.putErr)
	return &dynamodb.PutItemOutput{}, err
}

func (f *fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets = append(f.gets, in)
	it, _ := pop(&f.getOut)
	return &dynamodb.GetItemOutput{Item: it}, nil
}

func (f *fakeAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.updates = append(f.updates, in)
	err, _ := pop(&f.updateErr)
	out, ok := pop(&f.updateOut)
	if !ok {
		out = &dynamodb.UpdateItemOutput{}
	}
	return out, err
}

func (f *fakeAPI) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.queries = append(f.queries, in)
	return f.query(in), nil
}

func ccf(item map[string]types.AttributeValue) error {
	return &types.ConditionalCheckFailedException{Message: aws.String("exists"), Item: item}
}

func sample(id string, st event.Status, typ event.Type) *event.Event {
	ev := &event.Event{ID: id, Provider: "axs", Type: typ, Status: st, ObjectRef: "T1"}
	ev.Stamp(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC), event.OriginWebhook)
	return ev
}

func TestPutEventIsOneConditionalWrite(t *testing.T) {
	tests := []struct {
		name      string
		typ       event.Type
		err       error
		created   bool
		state     string
		wantErr   error
		inPending bool
	}{
		{"new", "payment.succeeded", nil, true, store.PublishPending, nil, true},
		{"new unsupported", event.TypeUnsupported, nil, true, store.PublishSkipped, nil, false},
		{"redelivery", "payment.succeeded", ccf(map[string]types.AttributeValue{"publishState": store.S(store.PublishPublished)}), false, store.PublishPublished, nil, true},
		{"item refused", "payment.succeeded", &smithy.GenericAPIError{Code: "ValidationException", Message: "too large"}, false, "", store.ErrItemInvalid, true},
		{"dynamodb down", "payment.succeeded", errors.New("connection refused"), false, "", store.ErrUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{putErr: []error{tt.err}}
			st := &store.Store{Client: f, Table: "t", Retention: time.Hour}
			res, err := st.PutEvent(context.Background(), sample("axs:T1:SUCCESS", event.Succeeded, tt.typ), []byte(`{}`))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if res.Created != tt.created || res.PublishState != tt.state {
				t.Fatalf("%+v", res)
			}
			if len(f.puts) != 1 || len(f.gets)+len(f.updates) != 0 {
				t.Fatalf("%d puts, %d gets, %d updates: the webhook waits for one write only", len(f.puts), len(f.gets), len(f.updates))
			}
			in := f.puts[0]
			if aws.ToString(in.ConditionExpression) != "attribute_not_exists(pk)" {
				t.Errorf("condition %q", aws.ToString(in.ConditionExpression))
			}
			pending := store.GetS(in.Item, store.AttrPending)
			if tt.inPending != (pending != "") || (pending != "" && !strings.HasPrefix(pending, "pending#")) {
				t.Errorf("pending shard %q", pending)
			}
			if l := store.GetS(in.Item, store.AttrListing); !strings.HasPrefix(l, "axs#") || len(l) != len("axs#00") {
				t.Errorf("listing shard %q", l)
			}
			if store.GetN(in.Item, "expiresAt") == 0 {
				t.Error("no TTL")
			}
		})
	}
}

// Every shard key is used, and one event id always lands on the same one.
func TestShardsSpreadEvents(t *testing.T) {
	seen := map[string]int{}
	for i := 0; i < 5000; i++ {
		f := &fakeAPI{putErr: []error{nil, nil}}
		st := &store.Store{Client: f, Table: "t"}
		id := fmt.Sprintf("axs:%d:SUCCESS", i)
		st.PutEvent(context.Background(), sample(id, event.Succeeded, "payment.succeeded"), []byte(`{}`))
		st.PutEvent(context.Background(), sample(id, event.Succeeded, "payment.succeeded"), []byte(`{}`))
		a, b := store.GetS(f.puts[0].Item, store.AttrPending), store.GetS(f.puts[1].Item, store.AttrPending)
		if a != b {
			t.Fatalf("%s on %s and %s", id, a, b)
		}
		seen[a]++
	}
	if len(seen) != store.Shards {
		t.Fatalf("%d shards used, want %d", len(seen), store.Shards)
	}
	for k, n := range seen {
		if n > 2*5000/store.Shards {
			t.Errorf("%s holds %d of 5000", k, n)
		}
	}
}

func TestTransition(t *testing.T) {
	const refunded = event.Status("refunded")
	tests := []struct {
		recorded, next event.Status
		want           store.Step
	}{
		{"", event.Pending, store.Advance},
		{"", event.Succeeded, store.Advance},
		{event.Pending, event.Succeeded, store.Advance},
		{event.Pending, event.Failed, store.Advance},
		{event.Pending, event.Pending, store.Stay},
		{event.Succeeded, event.Pending, store.Stay}, // a late pending
		{event.Succeeded, event.Succeeded, store.Stay},
		{event.Succeeded, refunded, store.Advance}, // a refund after a success
		{refunded, event.Succeeded, store.Stay},    // the success, late
		{event.Succeeded, event.Failed, store.Conflict},
		{event.Failed, event.Succeeded, store.Conflict},
		{event.Expired, event.Succeeded, store.Conflict},
		{event.Cancelled, event.Failed, store.Conflict},
		{event.Failed, refunded, store.Conflict},
	}
	for _, tt := range tests {
		if got := store.Transition(tt.recorded, tt.next); got != tt.want {
			t.Errorf("%q → %q: %v, want %v", tt.recorded, tt.next, got, tt.want)
		}
	}
}

func stored(id string, st event.Status) store.StoredEvent {
	return store.StoredEvent{ID: id, Provider: "axs", Type: "payment." + string(st), Status: string(st), ObjectRef: "T1",
		ReceivedAt: "2026-11-24T13:00:00.000000000Z", OccurredAt: "2026-11-24T13:00:00.000000000Z"}
}

func TestAdvanceStateSequenceAndConflict(t *testing.T) {
	ctx := context.Background()
	// A new object: one write, conditional on the item not existing, sequence 1.
	f := &fakeAPI{}
	d, err := (&store.Store{Client: f, Table: "t"}).AdvanceState(ctx, stored("axs:T1:SUCCESS", event.Succeeded))
	if err != nil || d.Sequence != 1 || d.Conflict != nil || len(f.updates) != 1 || len(f.gets) != 0 {
		t.Fatalf("%+v %v (%d updates, %d gets)", d, err, len(f.updates), len(f.gets))
	}
	if c := aws.ToString(f.updates[0].ConditionExpression); c != "attribute_not_exists(pk)" {
		t.Fatalf("condition %q", c)
	}
	// A contradicting outcome: the first write finds the object; the second gives sequence 2
	// and a conflict naming the recorded event, leaves the status alone, and is conditional
	// on the sequence it found.
	cur := map[string]types.AttributeValue{"pk": store.S("STATE#axs#T1"), "status": store.S("succeeded"),
		"eventId": store.S("axs:T1:SUCCESS"), "sequence": store.N(1)}
	f = &fakeAPI{updateErr: []error{ccf(cur), nil}}
	d, err = (&store.Store{Client: f, Table: "t"}).AdvanceState(ctx, stored("axs:T1:DECLINED", event.Failed))
	if err != nil || d.Sequence != 2 || d.Conflict == nil || d.Conflict.RecordedEventID != "axs:T1:SUCCESS" || d.Conflict.RecordedStatus != event.Succeeded {
		t.Fatalf("%+v %v", d, err)
	}
	up := f.updates[1]
	if strings.Contains(aws.ToString(up.UpdateExpression), "#st") || aws.ToString(up.ConditionExpression) != "#seq = :old" {
		t.Fatalf("update %q if %q", aws.ToString(up.UpdateExpression), aws.ToString(up.ConditionExpression))
	}
	// The same event again (a retry): the recorded delivery, and nothing written.
	cur["delivery:axs:T1:DECLINED"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"sequence": store.N(2), "recordedStatus": store.S("succeeded"), "recordedEventId": store.S("axs:T1:SUCCESS")}}
	f = &fakeAPI{updateErr: []error{ccf(cur)}}
	again, err := (&store.Store{Client: f, Table: "t"}).AdvanceState(ctx, stored("axs:T1:DECLINED", event.Failed))
	if err != nil || again.Sequence != 2 || again.Conflict == nil || len(f.updates) != 1 {
		t.Fatalf("retry: %+v %v (%d updates)", again, err, len(f.updates))
	}
	// Another publisher wrote in between: take the next number.
	one := map[string]types.AttributeValue{"pk": store.S("STATE#axs#T1"), "status": store.S("pending"), "sequence": store.N(1)}
	two := map[string]types.AttributeValue{"pk": store.S("STATE#axs#T1"), "status": store.S("pending"), "sequence": store.N(2)}
	f = &fakeAPI{updateErr: []error{ccf(one), ccf(two), nil}}
	d, err = (&store.Store{Client: f, Table: "t"}).AdvanceState(ctx, stored("axs:T1:SUCCESS", event.Succeeded))
	if err != nil || d.Sequence != 3 || len(f.updates) != 3 {
		t.Fatalf("contended: %+v %v (%d updates)", d, err, len(f.updates))
	}
}

func TestRecordFailureQuarantinesAtTheLimit(t *testing.T) {
	for _, attempts := range []int64{1, store.MaxPublishAttempts} {
		f := &fakeAPI{updateOut: []*dynamodb.UpdateItemOutput{{Attributes: map[string]types.AttributeValue{"publishAttempts": store.N(attempts)}}}}
		q, err := (&store.Store{Client: f, Table: "t"}).RecordFailure(context.Background(), "x:1", "rejected")
		want := attempts >= store.MaxPublishAttempts
		if err != nil || q != want {
			t.Fatalf("attempt %d: quarantined %v %v", attempts, q, err)
		}
		if want {
			k := f.updates[1].ExpressionAttributeValues[":k"]
			if len(f.updates) != 2 || !strings.HasPrefix(k.(*types.AttributeValueMemberS).Value, "quarantined#") {
				t.Fatalf("quarantine write %+v", f.updates)
			}
		}
	}
}

// EachEvent merges the shards of the by-time index into receivedAt order, following each
// shard's pages.
func TestEachEventMergesShardsInTimeOrder(t *testing.T) {
	byShard := map[string][]map[string]types.AttributeValue{}
	for i := 0; i < 200; i++ {
		key := fmt.Sprintf("axs#%02d", (i*7)%store.Shards)
		byShard[key] = append(byShard[key], map[string]types.AttributeValue{
			"pk": store.S(fmt.Sprintf("EVENT#axs:%03d", i)), "eventId": store.S(fmt.Sprintf("axs:%03d", i)),
			"receivedAt": store.S(store.FormatTime(time.Unix(int64(1000+i), 0))), "status": store.S("succeeded"),
		})
	}
	f := &fakeAPI{query: func(in *dynamodb.QueryInput) *dynamodb.QueryOutput {
		items := byShard[store.GetS(in.ExpressionAttributeValues, ":k")]
		from := 0
		if in.ExclusiveStartKey != nil {
			fmt.Sscan(store.GetS(in.ExclusiveStartKey, "i"), &from)
		}
		to := min(from+int(aws.ToInt32(in.Limit)), len(items))
		out := &dynamodb.QueryOutput{Items: items[from:to]}
		if to < len(items) {
			out.LastEvaluatedKey = map[string]types.AttributeValue{"i": store.S(fmt.Sprint(to))}
		}
		return out
	}}
	st := &store.Store{Client: f, Table: "t"}
	var got []string
	err := st.EachEvent(context.Background(), store.ListFilter{Provider: "axs", PageSize: 2, Limit: 150}, func(se store.StoredEvent) error {
		got = append(got, se.ID)
		return nil
	})
	if err != nil || len(got) != 150 {
		t.Fatalf("%d events, %v", len(got), err)
	}
	for i, id := range got {
		if id != fmt.Sprintf("axs:%03d", i) {
			t.Fatalf("position %d: %s", i, id)
		}
	}
	for _, q := range f.queries {
		if aws.ToString(q.IndexName) != store.IndexByTime {
			t.Fatalf("queried %s", aws.ToString(q.IndexName))
		}
	}
}

// Past MaxDeliveries the oldest delivery records go in the same write that adds one, and
// an item that grew large before the cap shrinks a bounded step per write, so the update
// expression stays within DynamoDB's 4 KB.
func TestAdvanceStateTrimsOldestDeliveries(t *testing.T) {
	for _, tc := range []struct{ have, dropped int }{{store.MaxDeliveries - 1, 0}, {store.MaxDeliveries + 6, 7}, {1000, 100}} {
		cur := map[string]types.AttributeValue{"pk": store.S("STATE#axs#T1"), "status": store.S("pending"), "sequence": store.N(int64(tc.have))}
		for i := 1; i <= tc.have; i++ {
			cur[fmt.Sprintf("delivery:axs:T1:%04d", i)] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"sequence": store.N(int64(i))}}
		}
		f := &fakeAPI{updateErr: []error{ccf(cur), nil}}
		d, err := (&store.Store{Client: f, Table: "t"}).AdvanceState(context.Background(), stored("axs:T1:NEW", event.Pending))
		if err != nil || d.Sequence != int64(tc.have+1) || d.Trimmed != (tc.dropped > 0) {
			t.Fatalf("%d records: %+v %v", tc.have, d, err)
		}
		up := f.updates[1]
		expr := aws.ToString(up.UpdateExpression)
		var gone []string
		for k, v := range up.ExpressionAttributeNames {
			if strings.HasPrefix(k, "#r") {
				gone = append(gone, v)
			}
		}
		if len(gone) != tc.dropped || len(expr) > 4096 {
			t.Fatalf("%d records: %d dropped, want %d (expression %d bytes)", tc.have, len(gone), tc.dropped, len(expr))
		}
		for _, g := range gone {
			var n int
			fmt.Sscanf(strings.TrimPrefix(g, "delivery:axs:T1:"), "%d", &n)
			if n > tc.dropped {
				t.Errorf("%d records: dropped %s, not among the oldest", tc.have, g)
			}
		}
		if tt, _ := up.ExpressionAttributeValues[":tt"].(*types.AttributeValueMemberN); tc.dropped > 0 && (tt == nil || tt.Value != fmt.Sprint(tc.dropped)) {
			t.Errorf("%d records: trimmedThrough %v, want %d", tc.have, tt, tc.dropped)
		}
	}
}
