package store

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// ErrItemInvalid wraps DynamoDB's ValidationException: the request itself is wrong (an item
// over 400 KB, a key over 2048 bytes, an empty key attribute), so every retry fails the same
// way. It is never ErrUnavailable: a 503 for it would make the provider retry forever.
// event.Fit bounds what is written, so seeing it means a bound is missing (our bug).
var ErrItemInvalid = errors.New("item refused by DynamoDB")

// failed wraps a DynamoDB error from op as ErrItemInvalid or ErrUnavailable.
func failed(op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return fmt.Errorf("%w: %s: %w", ErrItemInvalid, op, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}
