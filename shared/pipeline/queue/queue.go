// Package queue publishes normalized events to the SQS FIFO queue consumers read.
package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/payhooks/payhooks/shared/pipeline/event"
)

// API is the part of the SQS client the publisher uses.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// ErrUnavailable wraps every SQS failure.
var ErrUnavailable = errors.New("queue unavailable")

// Publisher sends events to a FIFO queue: one message group per provider object keeps an
// object's events in order, and the event id as deduplication id makes a second send of
// the same event within SQS's five-minute window a no-op.
type Publisher struct {
	Client   API
	QueueURL string
}

// Publish sends body (the event's JSON) with the event's routing attributes.
func (p *Publisher) Publish(ctx context.Context, ev *event.Event, body []byte) error {
	return p.send(ctx, ev, body, FIFOID(ev.ID))
}

// send is Publish with a chosen deduplication id (replays choose their own).
func (p *Publisher) send(ctx context.Context, ev *event.Event, body []byte, dedupID string) error {
	_, err := p.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               aws.String(p.QueueURL),
		MessageBody:            aws.String(string(body)),
		MessageGroupId:         aws.String(FIFOID(ev.Provider + ":" + ev.ObjectRef)),
		MessageDeduplicationId: aws.String(dedupID),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"provider": {DataType: aws.String("String"), StringValue: aws.String(ev.Provider)},
			"type":     {DataType: aws.String("String"), StringValue: aws.String(string(ev.Type))},
		},
	})
	if err != nil {
		return fmt.Errorf("%w: send %s: %w", ErrUnavailable, ev.ID, err)
	}
	return nil
}

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
