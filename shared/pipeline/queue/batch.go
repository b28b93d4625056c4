package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"
)

// BatchAPI is the part of the SQS client batched sends use.
type BatchAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Message is one event to send: its stored body with the publisher's additions, and what
// routes it.
type Message struct {
	EventID, Provider, ObjectRef, Type string
	Body                               []byte
	Conflict                           bool
	DedupID                            string // empty: the event id (replays choose their own)
}

// ErrRejected marks a message SQS refused for what it is (SenderFault: too large, bad
// characters): sending it again cannot succeed.
var ErrRejected = errors.New("message rejected by SQS")

// MaxBatch is SQS's limit of entries per SendMessageBatch.
const MaxBatch = 10

// MaxBatchBytes bounds the bodies and attributes of one SendMessageBatch. SQS refuses a
// whole call over its limit (BatchRequestTooLong); 256 KiB is the smallest limit it has
// had, and one message (bounded by event.Fit) always fits alone.
const MaxBatchBytes = 256 * 1024

// SendBatch sends msgs in batches of at most MaxBatch entries and MaxBatchBytes, and
// returns one error per message (nil for those on the queue), so that one bad message
// never fails its neighbours.
func (p *Publisher) SendBatch(ctx context.Context, msgs []Message) []error {
	errs := make([]error, len(msgs))
	client, ok := p.Client.(BatchAPI)
	if !ok {
		for i, m := range msgs {
			errs[i] = p.sendOne(ctx, m)
		}
		return errs
	}
	// Batches go out side by side unless an object has messages in two of them: then in
	// order, so that an object's messages keep their order in its message group.
	batches := split(msgs)
	var g errgroup.Group
	g.SetLimit(1)
	if groupsDisjoint(msgs, batches) {
		g.SetLimit(MaxBatch)
	}
	for _, b := range batches {
		g.Go(func() error {
			p.sendBatch(ctx, client, msgs, errs, b.lo, b.hi)
			return nil
		})
	}
	_ = g.Wait()
	return errs
}

type span struct{ lo, hi int }

// split cuts msgs, in order, into batches within MaxBatch entries and MaxBatchBytes.
func split(msgs []Message) []span {
	var out []span
	lo, size := 0, 0
	for i, m := range msgs {
		n := m.size()
		if i > lo && (i-lo == MaxBatch || size+n > MaxBatchBytes) {
			out = append(out, span{lo, i})
			lo, size = i, 0
		}
		size += n
	}
	if lo < len(msgs) {
		out = append(out, span{lo, len(msgs)})
	}
	return out
}

// size is what m counts toward a batch's limit: its body and its attributes' names, types
// and values.
func (m Message) size() int {
	n := len(m.Body) + len("provider") + len("String") + len(m.Provider) + len("type") + len("String") + len(m.Type)
	if m.Conflict {
		n += len("conflict") + len("String") + len("true")
	}
	return n
}

// groupsDisjoint reports whether no object has messages in two batches.
func groupsDisjoint(msgs []Message, batches []span) bool {
	batchOf := map[string]int{}
	for b, sp := range batches {
		for _, m := range msgs[sp.lo:sp.hi] {
			k := m.Provider + ":" + m.ObjectRef
			if prev, ok := batchOf[k]; ok && prev != b {
				return false
			}
			batchOf[k] = b
		}
	}
	return true
}

// sendBatch sends msgs[lo:hi] in one SendMessageBatch and records each entry's outcome.
func (p *Publisher) sendBatch(ctx context.Context, client BatchAPI, msgs []Message, errs []error, lo, hi int) {
	entries := make([]types.SendMessageBatchRequestEntry, 0, hi-lo)
	for i := lo; i < hi; i++ {
		in := p.input(msgs[i])
		entries = append(entries, types.SendMessageBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), MessageBody: in.MessageBody, MessageGroupId: in.MessageGroupId,
			MessageDeduplicationId: in.MessageDeduplicationId, MessageAttributes: in.MessageAttributes,
		})
	}
	out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: entries})
	if err != nil {
		for i := lo; i < hi; i++ {
			errs[i] = fmt.Errorf("%w: send batch: %w", ErrUnavailable, err)
		}
		return
	}
	for _, f := range out.Failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if err != nil || i < lo || i >= hi {
			continue
		}
		kind := ErrUnavailable
		if f.SenderFault {
			kind = ErrRejected
		}
		errs[i] = fmt.Errorf("%w: %s: %s", kind, aws.ToString(f.Code), aws.ToString(f.Message))
	}
}

func (p *Publisher) sendOne(ctx context.Context, m Message) error {
	if _, err := p.Client.SendMessage(ctx, p.input(m)); err != nil {
		return fmt.Errorf("%w: send %s: %w", ErrUnavailable, m.EventID, err)
	}
	return nil
}

// input is the SendMessage request of m: one message group per provider object, the event
// id as deduplication id (a second send within SQS's five-minute window is dropped).
func (p *Publisher) input(m Message) *sqs.SendMessageInput {
	dedup := m.DedupID
	if dedup == "" {
		dedup = FIFOID(m.EventID)
	}
	attrs := map[string]types.MessageAttributeValue{
		"provider": {DataType: aws.String("String"), StringValue: aws.String(m.Provider)},
		"type":     {DataType: aws.String("String"), StringValue: aws.String(m.Type)},
	}
	if m.Conflict {
		attrs["conflict"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("true")}
	}
	return &sqs.SendMessageInput{
		QueueUrl:               aws.String(p.QueueURL),
		MessageBody:            aws.String(string(m.Body)),
		MessageGroupId:         aws.String(FIFOID(m.Provider + ":" + m.ObjectRef)),
		MessageDeduplicationId: aws.String(dedup),
		MessageAttributes:      attrs,
	}
}
