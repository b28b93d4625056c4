package trace

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Outside Lambda tracing is off and every call is a cheap no-op.
func TestOffOutsideLambda(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "")
	if Enabled() {
		t.Fatal("tracing enabled outside Lambda")
	}
	ctx, end := Start(context.Background(), "x")
	end(errors.New("boom"))
	Annotate(ctx, "k", "v")
	var cfg aws.Config
	InstrumentAWS(&cfg)
	if len(cfg.APIOptions) != 0 {
		t.Fatal("instrumented outside Lambda")
	}
}
