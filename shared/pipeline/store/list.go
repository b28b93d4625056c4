package store

import (
	"container/heap"
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// ListFilter selects one provider's events for operators and pollers.
type ListFilter struct {
	Provider     string
	From, To     time.Time // receivedAt window; zero means open
	Type         string    // only this type (applied by DynamoDB)
	Status       string
	PublishState string
	Limit        int   // at most this many; 0 means all
	PageSize     int32 // items per query of one shard; 0 means DynamoDB's own page
	WithPayload  bool  // read each event's payload from the table (the index holds none)
}

// ListByProvider returns one provider's events in receivedAt order.
func (st *Store) ListByProvider(ctx context.Context, f ListFilter) ([]StoredEvent, error) {
	var out []StoredEvent
	err := st.EachEvent(ctx, f, func(ev StoredEvent) error {
		out = append(out, ev)
		return nil
	})
	return out, err
}

// EachEvent calls fn for each of one provider's events, in receivedAt order across the
// by-time index's shards (a merge of one query per shard, read a page at a time), so a
// caller can keep a cursor of the last receivedAt it handled. fn's error ends the walk.
func (st *Store) EachEvent(ctx context.Context, f ListFilter, fn func(StoredEvent) error) error {
	heads := make(shardHeap, Shards)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(Shards) // one round trip's latency, not Shards of them
	for i := range heads {
		heads[i] = &shardCursor{key: shardKey(f.Provider+"#", i)}
		g.Go(func() error { return st.fill(gctx, f, heads[i]) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	h := heads[:0]
	for _, c := range heads {
		if len(c.items) > 0 {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	n := 0
	for h.Len() > 0 {
		c := h[0]
		ev := DecodeEvent(c.items[0])
		c.items = c.items[1:]
		if len(c.items) == 0 && c.next != nil {
			if err := st.fill(ctx, f, c); err != nil {
				return err
			}
		}
		if len(c.items) == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
		if (f.Status != "" && ev.Status != f.Status) || (f.PublishState != "" && ev.PublishState != f.PublishState) {
			continue
		}
		if f.WithPayload {
			full, err := st.GetEvent(ctx, ev.ID)
			if err != nil {
				return err
			}
			ev = full
		}
		if err := fn(ev); err != nil {
			return err
		}
		if n++; f.Limit > 0 && n >= f.Limit {
			return nil
		}
	}
	return nil
}

// shardCursor is one shard's position in a merged walk.
type shardCursor struct {
	key     string
	items   []map[string]types.AttributeValue
	next    PageKey
	started bool
}

// fill reads the shard's next non-empty page (a filter may empty a page that is not the
// last).
func (st *Store) fill(ctx context.Context, f ListFilter, c *shardCursor) error {
	from, to := "0", "9"
	if !f.From.IsZero() {
		from = FormatTime(f.From)
	}
	if !f.To.IsZero() {
		to = FormatTime(f.To)
	}
	for !c.started || (len(c.items) == 0 && c.next != nil) {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(st.Table),
			IndexName:                 aws.String(IndexByTime),
			KeyConditionExpression:    aws.String(AttrListing + " = :k AND receivedAt BETWEEN :f AND :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":k": S(c.key), ":f": S(from), ":t": S(to)},
			ExclusiveStartKey:         c.next,
		}
		if f.PageSize > 0 {
			in.Limit = aws.Int32(f.PageSize)
		}
		if f.Type != "" {
			in.FilterExpression = aws.String("#ty = :ty")
			in.ExpressionAttributeNames = map[string]string{"#ty": "type"}
			in.ExpressionAttributeValues[":ty"] = S(f.Type)
		}
		out, err := st.Client.Query(ctx, in)
		if err != nil {
			return failed("query by time", err)
		}
		c.started, c.items, c.next = true, out.Items, out.LastEvaluatedKey
	}
	return nil
}

// shardHeap orders shard cursors by the receivedAt (then key) of their next item.
type shardHeap []*shardCursor

func (h shardHeap) Len() int { return len(h) }
func (h shardHeap) Less(i, j int) bool {
	a, b := GetS(h[i].items[0], "receivedAt"), GetS(h[j].items[0], "receivedAt")
	if a != b {
		return a < b
	}
	return GetS(h[i].items[0], "pk") < GetS(h[j].items[0], "pk")
}
func (h shardHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *shardHeap) Push(x any)   { *h = append(*h, x.(*shardCursor)) }
func (h *shardHeap) Pop() any     { old := *h; x := old[len(old)-1]; *h = old[:len(old)-1]; return x }
