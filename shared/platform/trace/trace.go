//go:build !payhooks_notrace

// Package trace is payhooks' only door to distributed tracing. Today it speaks AWS X-Ray;
// callers see just Start, Annotate and InstrumentAWS, so a move to OpenTelemetry changes
// this package alone. Building with -tags payhooks_notrace (make build TRACING=off) links
// no tracing SDK at all: the X-Ray SDK brings grpc and fasthttp along and costs ≈ 8 MB per
// binary (see BENCHMARKS.md); Lambda's own function-level trace remains either way.
package trace

import (
	"context"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/v2/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/v2/strategy/ctxmissing"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
	"github.com/aws/aws-xray-sdk-go/v2/xraylog"
)

var (
	once    sync.Once
	enabled bool
)

// Enabled reports whether traces are recorded: only inside a real Lambda with active
// tracing. Locally (tests, make run, sam local) tracing is off and costs nothing, and no
// "segment not found" noise reaches the logs.
func Enabled() bool {
	once.Do(func() {
		enabled = os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" && os.Getenv("AWS_SAM_LOCAL") != "true" &&
			os.Getenv("PAYHOOKS_TRACING") != "off"
		if !enabled {
			return
		}
		xray.SetLogger(xraylog.NewDefaultLogger(os.Stderr, xraylog.LogLevelError))
		_ = xray.Configure(xray.Config{ContextMissingStrategy: ctxmissing.NewDefaultIgnoreErrorStrategy()})
	})
	return enabled
}

// Start opens a span named name under the request's trace. The returned end records err
// (if any) and closes the span.
func Start(ctx context.Context, name string) (context.Context, func(err error)) {
	if !Enabled() {
		return ctx, func(error) {}
	}
	ctx, seg := xray.BeginSubsegment(ctx, name)
	if seg == nil {
		return ctx, func(error) {}
	}
	return ctx, func(err error) { seg.Close(err) }
}

// Annotate attaches a searchable key/value to the current span.
func Annotate(ctx context.Context, key, value string) {
	if !Enabled() {
		return
	}
	if seg := xray.GetSegment(ctx); seg != nil {
		_ = seg.AddAnnotation(key, value)
	}
}

// InstrumentAWS makes every AWS SDK call made with cfg a span of the current trace.
func InstrumentAWS(cfg *aws.Config) {
	if Enabled() {
		awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	}
}
