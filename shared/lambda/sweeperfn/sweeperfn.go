// Package sweeperfn wires the scheduled repair run: it publishes what the stream could
// not (see shared/pipeline/outbox) and quarantines what keeps failing.
package sweeperfn

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/app/publishing"
	"github.com/payhooks/payhooks/shared/pipeline/outbox"
)

// MinAge leaves young events to the stream, whose publisher normally sends them within
// a second; the repair run is for what is minutes old.
const MinAge = 2 * time.Minute

// Sweeper assembles the repair run.
func Sweeper(d *publishing.Deps) *outbox.Sweeper {
	return &outbox.Sweeper{Store: d.Store, Publisher: d.Publisher, Log: d.Log, MinAge: MinAge}
}

// Run is the whole main of the scheduled repair function.
func Run() {
	d := app.Must(publishing.FromEnv(context.Background()))
	sw := Sweeper(d)
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		res, err := sw.Run(ctx)
		d.Metrics.Add("outbox_published", float64(res.Published), nil)
		d.Metrics.Add("outbox_failed", float64(res.Failed), nil)
		d.Metrics.Add("outbox_quarantined", float64(res.Quarantined), nil)
		d.Metrics.Add("outbox_oldest_age_seconds", res.OldestAge.Seconds(), nil)
		d.Log.Info("outbox sweep", "published", res.Published, "failed", res.Failed, "quarantined", res.Quarantined,
			"oldest_age_s", res.OldestAge.Seconds(), "queue_down", res.QueueDown)
		return err
	})
}
