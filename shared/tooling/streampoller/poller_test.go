package streampoller_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/payhooks/payhooks/shared/tooling/streampoller"
)

// fakeStream is one open shard holding records "1".."n", handed out `per` at a time.
type fakeStream struct {
	n, per int
}

func (f *fakeStream) DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: &types.StreamDescription{Shards: []types.Shard{{ShardId: aws.String("s0")}}}}, nil
}

func (f *fakeStream) GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String("0")}, nil
}

func (f *fakeStream) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	var from int
	fmt.Sscan(aws.ToString(in.ShardIterator), &from)
	to := min(from+f.per, f.n)
	out := &dynamodbstreams.GetRecordsOutput{NextShardIterator: aws.String(fmt.Sprint(to))}
	for i := from; i < to; i++ {
		out.Records = append(out.Records, types.Record{EventName: types.OperationTypeInsert,
			Dynamodb: &types.StreamRecord{SequenceNumber: aws.String(fmt.Sprint(i + 1)),
				NewImage: map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: fmt.Sprint(i + 1)}}}})
	}
	return out, nil
}

// emptyID asks handler to report a failure with an empty identifier.
const emptyID = "<empty>"

// handler records what it was given and fails as told.
type handler struct {
	mu      sync.Mutex
	batches [][]string
	fail    func(seqs []string, call int) (failed string, err error)
}

func (h *handler) handle(_ context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var seqs []string
	for _, r := range e.Records {
		seqs = append(seqs, r.Change.SequenceNumber)
	}
	h.batches = append(h.batches, seqs)
	var resp events.DynamoDBEventResponse
	if h.fail == nil {
		return resp, nil
	}
	failed, err := h.fail(seqs, len(h.batches))
	switch failed {
	case "":
	case emptyID:
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{}}
	default:
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: failed}}
	}
	return resp, err
}

func run(t *testing.T, n, per int, h *handler, maxRetries int) []streampoller.Failure {
	t.Helper()
	var mu sync.Mutex
	var gaveUp []streampoller.Failure
	p := &streampoller.Poller{Client: &fakeStream{n: n, per: per}, StreamARN: "arn", Handler: h.handle,
		MaxRetries: maxRetries, Backoff: time.Millisecond, Interval: time.Millisecond,
		OnFailure: func(_ context.Context, f streampoller.Failure) { mu.Lock(); gaveUp = append(gaveUp, f); mu.Unlock() }}
	stop := p.Start()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return gaveUp
}

func TestPartialFailureRetriesFromTheFirstFailedRecord(t *testing.T) {
	h := &handler{fail: func(seqs []string, call int) (string, error) {
		if call == 1 {
			return "3", nil
		}
		return "", nil
	}}
	if g := run(t, 5, 5, h, 3); len(g) != 0 {
		t.Fatalf("gave up %v", g)
	}
	if fmt.Sprint(h.batches) != "[[1 2 3 4 5] [3 4 5]]" {
		t.Fatalf("batches %v", h.batches)
	}
}

func TestFunctionErrorBisects(t *testing.T) {
	h := &handler{fail: func(seqs []string, call int) (string, error) {
		if call == 1 {
			return "", errors.New("crashed")
		}
		return "", nil
	}}
	run(t, 4, 4, h, 3)
	if fmt.Sprint(h.batches) != "[[1 2 3 4] [1 2] [3 4]]" {
		t.Fatalf("batches %v", h.batches)
	}
}

func TestRetriesEndAtTheOnFailureDestination(t *testing.T) {
	h := &handler{fail: func(seqs []string, call int) (string, error) {
		if seqs[0] == "2" || (len(seqs) > 1 && seqs[1] == "2") {
			return "2", nil
		}
		return "", nil
	}}
	g := run(t, 3, 3, h, 2)
	if len(g) != 1 || g[0].StartSequenceNumber != "2" || g[0].EndSequenceNumber != "3" || g[0].ApproximateInvokeCount != 3 {
		t.Fatalf("gave up %+v", g)
	}
	// 1 try + 2 retries of [2 3], then the shard moves on (nothing left).
	if fmt.Sprint(h.batches) != "[[1 2 3] [2 3] [2 3]]" {
		t.Fatalf("batches %v", h.batches)
	}
}

// Lambda takes an empty identifier, or one naming no record of the batch, for a failure of
// the whole batch: the batch is retried from its start, never taken as published.
func TestUnknownItemIdentifierFailsTheWholeBatch(t *testing.T) {
	for name, bad := range map[string]string{"unknown": "no-such-sequence", "empty": emptyID} {
		t.Run(name, func(t *testing.T) {
			h := &handler{fail: func(seqs []string, call int) (string, error) {
				if call == 1 {
					return bad, nil
				}
				return "", nil
			}}
			if g := run(t, 3, 3, h, 3); len(g) != 0 {
				t.Fatalf("gave up %v", g)
			}
			if fmt.Sprint(h.batches) != "[[1 2 3] [1 2 3]]" {
				t.Fatalf("batches %v", h.batches)
			}
		})
	}
}
