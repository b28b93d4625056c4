// Package streampoller stands in for Lambda's DynamoDB Streams event source mapping on a
// local stack, as shared/tooling/gateway stands in for API Gateway: it reads DynamoDB
// Local's real stream through the dynamodbstreams API and invokes the very handler the
// publisher function runs, with the mapping's semantics: batches in shard order, the
// filter, partial batch failures (retry from the first failed record), bisect on a
// function error, a bounded number of retries, then the on-failure destination.
package streampoller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// API is the part of the DynamoDB Streams client the poller uses.
type API interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Handler is a DynamoDB stream handler as Lambda invokes it.
type Handler func(ctx context.Context, e events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Failure is what the mapping sends to its on-failure destination for records it gave up on.
type Failure struct {
	ShardID                string `json:"shardId"`
	StartSequenceNumber    string `json:"startSequenceNumber"`
	EndSequenceNumber      string `json:"endSequenceNumber"`
	BatchSize              int    `json:"batchSize"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	FunctionError          string `json:"functionError,omitempty"`
	StreamArn              string `json:"streamArn"`
}

// Poller reads one stream. The zero values of the settings are the template's.
type Poller struct {
	Client     API
	StreamARN  string
	Handler    Handler
	Filter     func(*events.DynamoDBEventRecord) bool // nil passes every record
	BatchSize  int                                    // BatchSize (BatchSize)
	MaxRetries int                                    // MaximumRetryAttempts (MaxRetries)
	Interval   time.Duration                          // idle poll period (Lambda polls a shard 4 times a second; 100ms here)
	Backoff    time.Duration                          // pause before retrying a failed batch (100ms)
	OnFailure  func(context.Context, Failure)         // the on-failure destination; nil logs
	Log        *slog.Logger

	mu      sync.Mutex
	shards  map[string]*shard
	pass    int // passes started
	waiters []waiter
	poke    chan struct{}
	lastMap time.Time
}

type shard struct {
	id, parent string
	iter       *string
	last       string  // sequence number of the last record read
	queue      []batch // read but not yet settled, oldest first
	closed     bool
}

// batch is records to hand over, and how often they were tried.
type batch struct {
	recs  []events.DynamoDBEventRecord
	tries int
}

type waiter struct {
	pass int
	done chan struct{}
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	p.init()
	for ctx.Err() == nil {
		p.mu.Lock()
		p.pass++
		pass := p.pass
		p.mu.Unlock()
		busy, err := p.poll(ctx)
		if err != nil && ctx.Err() == nil {
			p.log().Warn("stream poll failed", "reason", "stream_unavailable", "error", err.Error())
			busy = false
		}
		if !busy && err == nil {
			p.release(pass)
		}
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
		case <-p.poke:
		case <-time.After(or(p.Interval, 100*time.Millisecond)):
		}
	}
	return ctx.Err()
}

// Sync returns once every record written to the stream before the call has been handed
// to the handler and its batch settled (published, or given up on after the retries).
func (p *Poller) Sync(ctx context.Context) error {
	p.init()
	p.mu.Lock()
	w := waiter{pass: p.pass + 1, done: make(chan struct{})}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	select {
	case p.poke <- struct{}{}:
	default:
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("streampoller: not caught up: %w", ctx.Err())
	}
}

func (p *Poller) init() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.poke == nil {
		p.poke = make(chan struct{}, 1)
		p.shards = map[string]*shard{}
	}
}

// release wakes the waiters whose pass has ended with nothing left to do.
func (p *Poller) release(pass int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep := p.waiters[:0]
	for _, w := range p.waiters {
		if w.pass <= pass {
			close(w.done)
		} else {
			keep = append(keep, w)
		}
	}
	p.waiters = keep
}

// poll makes one pass over the shards; busy means some shard had records or retries.
func (p *Poller) poll(ctx context.Context) (busy bool, err error) {
	if err := p.mapShards(ctx); err != nil {
		return false, err
	}
	for _, s := range p.open() {
		b, err := p.step(ctx, s)
		if err != nil {
			return busy, err
		}
		busy = busy || b
	}
	return busy, nil
}

// open lists the shards to read: not closed, and whose parent is done.
func (p *Poller) open() []*shard {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*shard
	for _, s := range p.shards {
		if par, ok := p.shards[s.parent]; (s.closed && len(s.queue) == 0) || (ok && (!par.closed || len(par.queue) > 0)) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// mapShards learns new shards, at most once a second.
func (p *Poller) mapShards(ctx context.Context) error {
	if time.Since(p.lastMap) < time.Second && len(p.shards) > 0 {
		return nil
	}
	var start *string
	for {
		out, err := p.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.StreamARN), ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		p.mu.Lock()
		for _, sh := range out.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if _, ok := p.shards[id]; !ok {
				p.shards[id] = &shard{id: id, parent: aws.ToString(sh.ParentShardId)}
			}
		}
		p.mu.Unlock()
		if start = out.StreamDescription.LastEvaluatedShardId; start == nil {
			break
		}
	}
	p.lastMap = time.Now()
	return nil
}

// step moves one shard on by one batch: a retry of what failed, or the next records.
func (p *Poller) step(ctx context.Context, s *shard) (bool, error) {
	if len(s.queue) > 0 {
		if s.queue[0].tries > 0 {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(or(p.Backoff, 100*time.Millisecond)):
			}
		}
		p.deliver(ctx, s)
		return true, nil
	}
	if s.closed {
		return false, nil
	}
	if s.iter == nil {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(p.StreamARN), ShardId: aws.String(s.id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
		if s.last != "" {
			in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(s.last)
		}
		out, err := p.Client.GetShardIterator(ctx, in)
		if err != nil {
			return false, fmt.Errorf("shard iterator: %w", err)
		}
		s.iter = out.ShardIterator
	}
	out, err := p.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iter, Limit: aws.Int32(int32(or(p.BatchSize, BatchSize)))})
	var expired *types.ExpiredIteratorException
	if errors.As(err, &expired) {
		s.iter = nil
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("get records: %w", err)
	}
	s.iter = out.NextShardIterator
	s.closed = s.iter == nil
	var recs []events.DynamoDBEventRecord
	for _, r := range out.Records {
		rec := record(r, "us-east-1", p.StreamARN)
		s.last = rec.Change.SequenceNumber
		if p.Filter == nil || p.Filter(&rec) {
			recs = append(recs, rec)
		}
	}
	if len(recs) > 0 {
		s.queue = append(s.queue, batch{recs: recs})
		p.deliver(ctx, s)
	}
	return len(out.Records) > 0, nil
}

// deliver hands the shard's oldest unsettled batch to the handler and decides what is
// retried, as the mapping does: from the first reported failure on; on a function error,
// each half on its own (BisectBatchOnFunctionError); after MaxRetries, the on-failure
// destination.
func (p *Poller) deliver(ctx context.Context, s *shard) {
	b := s.queue[0]
	failedAt, ferr := p.invoke(ctx, b.recs)
	if failedAt < 0 {
		s.queue = s.queue[1:]
		return
	}
	b.tries++
	if b.tries > or(p.MaxRetries, MaxRetries) {
		p.giveUp(ctx, s, b, failedAt, ferr)
		s.queue = s.queue[1:]
		return
	}
	if ferr != nil && len(b.recs) > 1 {
		half := len(b.recs) / 2
		rest := append([]batch{{recs: b.recs[:half], tries: b.tries}, {recs: b.recs[half:], tries: b.tries}}, s.queue[1:]...)
		s.queue = rest
		return
	}
	s.queue[0] = batch{recs: b.recs[failedAt:], tries: b.tries}
}

// invoke runs the handler on batch through Lambda's JSON encoding and returns the index of
// the first record to retry (-1: none), with the function error if there was one.
func (p *Poller) invoke(ctx context.Context, batch []events.DynamoDBEventRecord) (int, error) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		return 0, err
	}
	out, err := safeInvoke(ctx, lambda.NewHandler(p.Handler), payload)
	if err != nil {
		p.log().Warn("publisher invocation failed", "reason", "function_error", "records", len(batch), "error", err.Error())
		return 0, err
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return 0, fmt.Errorf("response: %w", err)
	}
	return checkpoint(batch, resp.BatchItemFailures, p.log()), nil
}

// checkpoint is where a retry starts after the handler reported failures: at the failed
// record earliest in the batch (the lowest sequence number, as Lambda checkpoints), or at
// the start when any identifier is empty or names no record of the batch, which Lambda
// takes for a failure of the whole batch rather than a success.
func checkpoint(batch []events.DynamoDBEventRecord, failures []events.DynamoDBBatchItemFailure, log *slog.Logger) int {
	first := -1
	for _, f := range failures {
		i := slices.IndexFunc(batch, func(r events.DynamoDBEventRecord) bool {
			return f.ItemIdentifier != "" && r.Change.SequenceNumber == f.ItemIdentifier
		})
		if i < 0 {
			log.Warn("batch item failure names no record of the batch; whole batch failed", "reason", "unknown_item_identifier", "records", len(batch))
			return 0
		}
		if first < 0 || i < first {
			first = i
		}
	}
	return first
}

// safeInvoke turns a panicking handler into a function error, as the Lambda runtime does.
func safeInvoke(ctx context.Context, h lambda.Handler, payload []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h.Invoke(ctx, payload)
}

func (p *Poller) giveUp(ctx context.Context, s *shard, b batch, from int, ferr error) {
	recs := b.recs[from:]
	f := Failure{
		ShardID: s.id, StartSequenceNumber: recs[0].Change.SequenceNumber,
		EndSequenceNumber: recs[len(recs)-1].Change.SequenceNumber, BatchSize: len(recs),
		ApproximateInvokeCount: b.tries, StreamArn: p.StreamARN,
	}
	if ferr != nil {
		f.FunctionError = ferr.Error()
	}
	if p.OnFailure != nil {
		p.OnFailure(ctx, f)
		return
	}
	p.log().Error("stream records given up after retries", "reason", "retries_exhausted", "shard", s.id,
		"records", len(recs), "first_sequence", f.StartSequenceNumber)
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
