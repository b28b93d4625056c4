package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// fakeSQS refuses the entries whose body is "too big" (SenderFault) or "throttled", and
// fails a whole call when down.
type fakeSQS struct {
	mu    sync.Mutex
	calls [][]string // bodies per call
	down  bool
}

func (f *fakeSQS) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return nil, errors.New("not used")
}

func (f *fakeSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("connection refused")
	}
	var bodies []string
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		bodies = append(bodies, aws.ToString(e.MessageBody))
		switch aws.ToString(e.MessageBody) {
		case "too big":
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, SenderFault: true, Code: aws.String("InvalidParameterValue")})
		case "throttled":
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ServiceUnavailable")})
		}
	}
	f.calls = append(f.calls, bodies)
	return out, nil
}

func msgs(n int, object func(i int) string) []Message {
	out := make([]Message, n)
	for i := range out {
		out[i] = Message{EventID: fmt.Sprint("e", i), Provider: "axs", ObjectRef: object(i), Type: "payment.succeeded", Body: []byte(fmt.Sprint(i))}
	}
	return out
}

func TestSendBatchReportsEachEntry(t *testing.T) {
	f := &fakeSQS{}
	p := &Publisher{Client: f, QueueURL: "q"}
	m := msgs(25, func(i int) string { return fmt.Sprint("o", i) })
	m[3].Body, m[17].Body = []byte("too big"), []byte("throttled")
	errs := p.SendBatch(context.Background(), m)
	if len(f.calls) != 3 {
		t.Fatalf("%d calls for 25 messages", len(f.calls))
	}
	for i, err := range errs {
		switch i {
		case 3:
			if !errors.Is(err, ErrRejected) {
				t.Errorf("3: %v", err)
			}
		case 17:
			if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRejected) {
				t.Errorf("17: %v", err)
			}
		default:
			if err != nil {
				t.Errorf("%d: %v", i, err)
			}
		}
	}
	f.down = true
	for i, err := range p.SendBatch(context.Background(), m[:4]) {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("down, %d: %v", i, err)
		}
	}
}

// An object's messages spread over two batches go out batch after batch, in order.
func TestSendBatchKeepsAnObjectsOrder(t *testing.T) {
	disjoint := func(m []Message) bool { return groupsDisjoint(m, split(m)) }
	if disjoint(msgs(25, func(i int) string { return fmt.Sprint("o", i%20) })) {
		t.Fatal("o0..o4 have messages in two batches")
	}
	if !disjoint(msgs(25, func(i int) string { return fmt.Sprint("o", i/5) })) {
		t.Fatal("every object within one batch")
	}
	f := &fakeSQS{}
	p := &Publisher{Client: f, QueueURL: "q"}
	p.SendBatch(context.Background(), msgs(25, func(i int) string { return "one" }))
	want := [][]string{{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, {"10", "11", "12", "13", "14", "15", "16", "17", "18", "19"}, {"20", "21", "22", "23", "24"}}
	if fmt.Sprint(f.calls) != fmt.Sprint(want) {
		t.Fatalf("calls %v", f.calls)
	}
}

// Large messages share a call only while the call stays within MaxBatchBytes: SQS refuses
// a whole call over its limit, which would fail every message in it on every try.
func TestSendBatchSplitsByBytes(t *testing.T) {
	big := make([]byte, 100*1024)
	m := msgs(7, func(i int) string { return fmt.Sprint("o", i) })
	for i := range m {
		m[i].Body = big
	}
	var sizes []int
	for _, b := range split(m) {
		sizes = append(sizes, b.hi-b.lo)
		total := 0
		for _, x := range m[b.lo:b.hi] {
			total += x.size()
		}
		if total > MaxBatchBytes {
			t.Fatalf("a batch of %d bytes", total)
		}
	}
	if fmt.Sprint(sizes) != "[2 2 2 1]" {
		t.Fatalf("batches %v", sizes)
	}
	one := msgs(1, func(int) string { return "o" })
	one[0].Body = make([]byte, MaxBatchBytes)
	if got := split(one); len(got) != 1 || got[0] != (span{0, 1}) {
		t.Fatalf("a lone large message: %v", got)
	}
}
