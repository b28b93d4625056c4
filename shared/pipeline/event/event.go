// Package event holds the normalized payment event (schema version 1): the one document every
// provider's webhook or poll becomes, stored in DynamoDB and sent as the SQS message body.
package event

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"time"

	"github.com/payhooks/payhooks/shared/support/money"
)

// SchemaVersion is bumped only for changes a consumer must know about.
const SchemaVersion = 1

// Status is where the provider's object stands.
type Status string

const (
	Pending   Status = "pending"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
	Expired   Status = "expired"
	Refunded  Status = "refunded" // after a success: the money went back
)

// Terminal reports whether no later event can move an object out of this status.
func (s Status) Terminal() bool { return s != Pending && s != "" }

// Origin says how payhooks learnt of the event.
type Origin string

const (
	OriginWebhook        Origin = "webhook"
	OriginReconciliation Origin = "reconciliation"
	OriginReplay         Origin = "replay"
)

// Failure explains an unsuccessful outcome in the provider's own words.
type Failure struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Event is the normalized event. ID is the idempotency key: the same provider event yields
// the same ID whether it arrives by webhook, reconciliation or replay.
type Event struct {
	SchemaVersion   int             `json:"schemaVersion"`
	ID              string          `json:"id"`
	Provider        string          `json:"provider"`
	Type            Type            `json:"type"`
	Status          Status          `json:"status"`
	Terminal        bool            `json:"terminal"`
	ProviderEventID string          `json:"providerEventId,omitempty"`
	ObjectRef       string          `json:"objectRef"`
	MerchantRef     string          `json:"merchantRef,omitempty"`
	Amount          *money.Money    `json:"amount,omitempty"`
	Settlement      *money.Money    `json:"settlement,omitempty"`
	Failure         *Failure        `json:"failure,omitempty"`
	OccurredAt      time.Time       `json:"occurredAt"`
	ReceivedAt      time.Time       `json:"receivedAt"`
	Origin          Origin          `json:"origin"`
	Details         map[string]any  `json:"details,omitempty"`
	Raw             json.RawMessage `json:"raw,omitempty"`

	// Set by the publisher, never stored in the payload: see Delivery.
	Sequence int64     `json:"sequence,omitempty"`
	Conflict *Conflict `json:"conflict,omitempty"`
}

// Conflict says that an event contradicts the terminal state already recorded for its
// object (a DECLINED after a SUCCESS for one transaction). The event is still stored and
// published, but the object's state stays where it was; consumers branch on this field.
type Conflict struct {
	RecordedStatus  Status `json:"recordedStatus"`
	RecordedEventID string `json:"recordedEventId"`
}

// Publishable reports whether consumers should see the event.
func (e *Event) Publishable() bool { return e.Type != TypeUnsupported }

// Stamp fills what the pipeline, not the provider, knows.
func (e *Event) Stamp(receivedAt time.Time, origin Origin) {
	e.SchemaVersion = SchemaVersion
	e.ReceivedAt = receivedAt.UTC()
	if e.Origin == "" {
		e.Origin = origin
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = e.ReceivedAt
	}
	e.OccurredAt = e.OccurredAt.UTC()
	e.Terminal = e.Status.Terminal()
}

// Marshal encodes the event as it is stored and published. HTML escaping is off so that
// provider text such as "a<b" stays readable to consumers.
func (e *Event) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Schema is the JSON Schema (draft 2020-12) of the event; tests validate every produced
// event against it and consumers may do the same.
//
//go:embed schema.json
var Schema []byte
