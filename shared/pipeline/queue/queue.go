// Package queue publishes normalized events to the SQS FIFO queue consumers read.
package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// API is the part of the SQS client the publisher uses. A client that also has
// SendMessageBatch (BatchAPI), as the SDK's does, sends batches.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// ErrUnavailable wraps every SQS failure that a later try may not meet.
var ErrUnavailable = errors.New("queue unavailable")

// Publisher sends events to a FIFO queue: one message group per provider object keeps an
// object's events in one group, and the event id as deduplication id makes a second send
// of the same event within SQS's five-minute window a no-op.
type Publisher struct {
	Client   API
	QueueURL string
}

// Publish sends one message.
func (p *Publisher) Publish(ctx context.Context, m Message) error { return p.sendOne(ctx, m) }

// FIFOID makes a valid group or deduplication id (at most 128 characters of ASCII
// alphanumerics and punctuation). Ids that already are valid pass through unchanged so
// operators can read them; others are replaced by their SHA-256, which is stable.
func FIFOID(id string) string {
	if len(id) > 0 && len(id) <= 128 && validFIFO(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256-" + hex.EncodeToString(sum[:])
}

func validFIFO(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}
