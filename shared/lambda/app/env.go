package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// EnvDuration names an environment variable holding a Go duration and where it goes.
type EnvDuration struct {
	Name string
	Dst  *time.Duration
}

// Durations applies each set variable to its destination; unset ones keep their defaults.
func Durations(vs ...EnvDuration) error {
	for _, v := range vs {
		if s := os.Getenv(v.Name); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return fmt.Errorf("%s: %q is not a positive duration", v.Name, s)
			}
			*v.Dst = d
		}
	}
	return nil
}

// RunScheduled is the main of a scheduled function: run on every EventBridge tick. A run
// that ends early for its own reasons (a held lease, the deadline) returns no error; the
// next schedule carries on.
func RunScheduled[R any](run func(context.Context) (R, error)) {
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		_, err := run(ctx)
		return err
	})
}
