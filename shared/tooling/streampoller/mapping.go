package streampoller

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/payhooks/payhooks/shared/pipeline/publisher"
)

// Settings of the publisher's event source mapping in template.yaml (PublisherFunction,
// Events.Stream); a test keeps the two in step.
const (
	BatchSize  = 100
	MaxRetries = 5
)

// SQSAPI is what the on-failure destination needs.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// ForPublisher is the mapping template.yaml declares, feeding pub from the stream at arn;
// batches given up on are recorded on the queue at failuresURL, as the mapping's
// DestinationConfig.OnFailure does.
func ForPublisher(streams API, arn string, pub *publisher.Publisher, q SQSAPI, failuresURL string, log *slog.Logger) *Poller {
	return &Poller{
		Client: streams, StreamARN: arn, Handler: pub.HandleStream, Filter: publisher.Wants,
		BatchSize: BatchSize, MaxRetries: MaxRetries, Log: log,
		OnFailure: func(ctx context.Context, f Failure) {
			b, _ := json.Marshal(map[string]any{"requestContext": map[string]string{"condition": "RetryAttemptsExhausted"}, "DDBStreamBatchInfo": f})
			if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(failuresURL), MessageBody: aws.String(string(b))}); err != nil && log != nil {
				log.Error("on-failure destination unreachable", "reason", "destination_failed", "error", err.Error())
			}
		},
	}
}

// Start runs p in the background; stop ends it and waits until it has.
func (p *Poller) Start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	return func() { cancel(); <-done }
}
