package publisher_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// memStore is a store that records the failure reasons it is given.
type memStore struct{ reasons []string }

func (m *memStore) AdvanceState(context.Context, store.StoredEvent) (store.Delivery, error) {
	return store.Delivery{Sequence: 1}, nil
}
func (m *memStore) GetEvent(context.Context, string) (store.StoredEvent, error) {
	return store.StoredEvent{}, store.ErrNotFound
}
func (m *memStore) MarkPublished(context.Context, string, time.Time) error { return nil }
func (m *memStore) RecordFailure(_ context.Context, _, reason string) (bool, error) {
	m.reasons = append(m.reasons, reason)
	return false, nil
}

// failingSender fails every message with an error quoting what was sent, as SQS's answers
// and the SDK's errors can.
type failingSender struct{ err error }

func (f failingSender) SendBatch(_ context.Context, msgs []queue.Message) []error {
	errs := make([]error, len(msgs))
	for i := range errs {
		errs[i] = f.err
	}
	return errs
}

// A failed send is logged (and its reason stored) with the values the error quotes or
// carries cleaned away: the sender's email, a card number, AWS's quoted echo of the body.
func TestFailureLogsNoValues(t *testing.T) {
	const email, pan, quoted = "jane.doe@example.com", "4111111111111111", "merchant-secret-ref"
	for name, err := range map[string]error{
		"rejected": fmt.Errorf("%w: InvalidParameterValue: Value %q for parameter MessageBody is invalid; from %s card %s",
			queue.ErrRejected, quoted, email, pan),
		"outage": fmt.Errorf("%w: operation error SQS: SendMessageBatch, api error: %q (%s, %s)",
			queue.ErrUnavailable, quoted, email, pan),
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			st := &memStore{}
			p := &publisher.Publisher{Store: st, Queue: failingSender{err}, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			rec := events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
				SequenceNumber: "1",
				NewImage: map[string]events.DynamoDBAttributeValue{
					"itemType": events.NewStringAttribute("event"), "publishState": events.NewStringAttribute(store.PublishPending),
					"eventId": events.NewStringAttribute("axs:X1:SUCCESS"), "provider": events.NewStringAttribute("axs"),
					"type": events.NewStringAttribute("payment.succeeded"), "objectRef": events.NewStringAttribute("X1"),
					"payload": events.NewStringAttribute(`{"id":"axs:X1:SUCCESS"}`),
				},
			}}
			if _, err := p.HandleStream(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "event not published") {
				t.Fatalf("no failure logged:\n%s", logs.String())
			}
			out := logs.String() + strings.Join(st.reasons, "\n")
			for _, v := range []string{email, pan, quoted} {
				if strings.Contains(out, v) {
					t.Errorf("%q leaked:\n%s", v, out)
				}
			}
			if errors.Is(err, queue.ErrRejected) && len(st.reasons) != 1 {
				t.Errorf("rejected send recorded %d reasons", len(st.reasons))
			}
		})
	}
}
