package webhook

import (
	"context"
	"errors"
	"net/http"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
)

// failure is how the edge answers an error that is not a rejection.
type failure struct {
	status int
	metric string // unavailable, store_failed or internal_error
	reason provider.Reason
}

// classify decides between "retry later" (503) and "our bug" (500): only a dependency that
// failed earns a 503, so a permanent failure is never passed off as an outage that a retry
// would cure. The permanent errors are tested first: a ValidationException is wrapped as a
// store error too.
func classify(err error) failure {
	switch {
	case errors.Is(err, store.ErrItemInvalid):
		return failure{http.StatusInternalServerError, "internal_error", provider.ReasonItemInvalid}
	case errors.Is(err, event.ErrUnfit):
		return failure{http.StatusInternalServerError, "internal_error", provider.ReasonEventUnfit}
	case errors.Is(err, secrets.ErrUnavailable):
		return failure{http.StatusServiceUnavailable, "unavailable", provider.ReasonSecretUnavailable}
	case errors.Is(err, ingest.ErrStore), errors.Is(err, store.ErrUnavailable):
		return failure{http.StatusServiceUnavailable, string(provider.ReasonStoreFailed), provider.ReasonStoreFailed}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return failure{http.StatusServiceUnavailable, "unavailable", provider.ReasonDependencyFailed}
	}
	return failure{http.StatusInternalServerError, "internal_error", provider.ReasonUnexpected}
}

func (f failure) response() Response {
	if f.status == http.StatusServiceUnavailable {
		return Reject(f.status, provider.ReasonUnavailable)
	}
	return Reject(f.status, provider.ReasonInternal)
}
