//go:build payhooks_notrace

package trace

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Enabled is always false in a build without tracing.
func Enabled() bool { return false }

// Start returns ctx unchanged.
func Start(ctx context.Context, _ string) (context.Context, func(err error)) {
	return ctx, func(error) {}
}

// Annotate does nothing.
func Annotate(context.Context, string, string) {}

// InstrumentAWS does nothing.
func InstrumentAWS(*aws.Config) {}
