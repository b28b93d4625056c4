// Package publishing adds to app's dependencies what only the publishing functions need:
// the SQS client, the queue and the publisher. Webhooks and pollers only store (the
// table's stream drives the publisher), so they never import this package and their
// binaries do not link the SQS client (a test checks it from `go list -deps`).
package publishing

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
)

// Deps are app's dependencies plus the queue side, made once per cold start.
type Deps struct {
	*app.Deps
	SQS       *sqs.Client
	Queue     *queue.Publisher
	Publisher *publisher.Publisher // what the stream, the repair path and replays publish through
}

// New builds the queue side on d, from d.Settings.QueueURL and SQSEndpoint.
func New(d *app.Deps) *Deps {
	p := &Deps{Deps: d}
	p.SQS = sqs.NewFromConfig(d.AWS, func(o *sqs.Options) {
		if d.Settings.SQSEndpoint != "" {
			o.BaseEndpoint = aws.String(d.Settings.SQSEndpoint)
		}
	})
	p.Queue = &queue.Publisher{Client: p.SQS, QueueURL: d.Settings.QueueURL}
	p.Publisher = &publisher.Publisher{Store: d.Store, Queue: p.Queue, Log: d.Log, Metrics: d.Metrics}
	return p
}

// FromEnv is app.FromEnv plus the queue side; QUEUE_URL must be set.
func FromEnv(ctx context.Context) (*Deps, error) {
	d, err := app.FromEnv(ctx)
	if err != nil {
		return nil, err
	}
	if d.Settings.QueueURL == "" {
		return nil, fmt.Errorf("QUEUE_URL is not set")
	}
	return New(d), nil
}
