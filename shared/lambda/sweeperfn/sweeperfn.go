// Package sweeperfn wires the scheduled outbox sweeper Lambda.
package sweeperfn

import (
	"context"
	"time"

	"github.com/payhooks/payhooks/shared/lambda/app"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/payhooks/payhooks/shared/pipeline/outbox"
)

// Sweeper assembles the sweeper. MinAge leaves young events to the webhook
// invocation that is still publishing them.
func Sweeper(d *app.Deps) *outbox.Sweeper {
	return &outbox.Sweeper{Store: d.Store, Publisher: d.Ingester, Log: d.Log, MinAge: time.Minute}
}

// Run is the whole main of the scheduled outbox sweeper.
func Run() {
	d := app.Must(app.FromEnv(context.Background()))
	sw := Sweeper(d)
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		res, err := sw.Run(ctx)
		d.Metrics.Add("outbox_published", float64(res.Published), nil)
		d.Metrics.Add("outbox_failed", float64(res.Failed), nil)
		d.Metrics.Add("outbox_oldest_age_seconds", res.OldestAge.Seconds(), nil)
		d.Log.Info("outbox sweep", "published", res.Published, "failed", res.Failed, "oldest_age_s", res.OldestAge.Seconds())
		return err
	})
}
