// Package publisher hands stored events to the queue. It is fed by the table's DynamoDB
// Stream (an event item's insert record is its outbox entry), by the repair path for
// what the stream could not deliver, and by operator replays. For each event it first
// advances the object's state, so the message carries the event's per-object sequence
// and its conflict with the recorded state, then sends in batches, then marks the event
// published. Every step is idempotent, so any of them may run again after a crash.
package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Store is what publishing needs of the event store.
type Store interface {
	AdvanceState(ctx context.Context, se store.StoredEvent) (store.Delivery, error)
	GetEvent(ctx context.Context, id string) (store.StoredEvent, error)
	MarkPublished(ctx context.Context, id string, at time.Time) error
	RecordFailure(ctx context.Context, id, reason string) (quarantined bool, err error)
}

// Sender sends messages, one error per message (*queue.Publisher, *queue.Replayer).
type Sender interface {
	SendBatch(ctx context.Context, msgs []queue.Message) []error
}

// Metrics counts outcomes; nil means none.
type Metrics interface {
	Count(name string, dims map[string]string)
}

// Errors saying which step failed.
var (
	ErrState   = errors.New("state update failed")
	ErrSend    = errors.New("send failed")
	ErrMark    = errors.New("mark published failed")
	ErrPayload = errors.New("stored payload unusable")
)

// Permanent reports a failure that retrying the same event cannot cure: SQS refused the
// message itself, or the stored payload is unusable. Such an event must not hold back the
// ones behind it; the repair path counts its tries and quarantines it.
func Permanent(err error) bool {
	return errors.Is(err, queue.ErrRejected) || errors.Is(err, ErrPayload) || errors.Is(err, store.ErrItemInvalid)
}

// Outage reports a failure of a dependency (SQS or DynamoDB unreachable or failing), which
// says nothing about the event itself.
func Outage(err error) bool {
	return errors.Is(err, queue.ErrUnavailable) || errors.Is(err, store.ErrUnavailable)
}

// errDone marks an event some other path already published: it is not sent again.
var errDone = errors.New("already published")

// Publisher publishes stored events.
type Publisher struct {
	Store   Store
	Queue   Sender
	Log     *slog.Logger
	Metrics Metrics
	Now     func() time.Time
}

// Publish delivers evs (payloads included) and returns one error per event, nil for those
// now on the queue and marked published. Events of one object are handled in the order
// given, so their sequence numbers and their order in the message group agree; different
// objects proceed side by side.
//
// An event whose delivery was prepared before (a stream retry, a lagging stream behind the
// repair path, or the reverse) is sent again only while it is not marked published: past SQS's
// five-minute deduplication window a second send would be a second message.
func (p *Publisher) Publish(ctx context.Context, evs []store.StoredEvent) []error {
	return p.publish(ctx, evs, false)
}

func (p *Publisher) publish(ctx context.Context, evs []store.StoredEvent, replay bool) []error {
	errs := make([]error, len(evs))
	msgs := make([]queue.Message, len(evs))
	p.eachObject(ctx, evs, func(i int) {
		msgs[i], errs[i] = p.prepare(ctx, evs[i], replay)
	})
	var send []int
	done := make([]bool, len(evs))
	for i := range evs {
		if errors.Is(errs[i], errDone) {
			errs[i], done[i] = nil, true
			p.logger().Info("event already published", "event_id", evs[i].ID, "provider", evs[i].Provider, "outcome", "skipped")
			continue
		}
		if errs[i] == nil {
			send = append(send, i)
		}
	}
	batch := make([]queue.Message, len(send))
	for j, i := range send {
		batch[j] = msgs[i]
	}
	sent := p.Queue.SendBatch(ctx, batch)
	var marked []int
	for j, i := range send {
		if sent[j] != nil {
			errs[i] = fmt.Errorf("%w: %w", ErrSend, sent[j])
		} else {
			marked = append(marked, i)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, i := range marked {
		g.Go(func() error {
			if err := p.Store.MarkPublished(gctx, evs[i].ID, p.now()); err != nil {
				// On the queue but not marked: a retry within SQS's five-minute deduplication
				// window re-sends harmlessly and then marks it.
				errs[i] = fmt.Errorf("%w: %w", ErrMark, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	for i, err := range errs {
		if !done[i] {
			p.outcome(evs[i], msgs[i], err)
		}
	}
	return errs
}

// prepare advances the object's state for se and builds its message; errDone when se was
// prepared before and is on the queue already (replays always send).
func (p *Publisher) prepare(ctx context.Context, se store.StoredEvent, replay bool) (queue.Message, error) {
	if len(se.Payload) == 0 || se.Provider == "" {
		return queue.Message{}, fmt.Errorf("%w: %s has no payload", ErrPayload, se.ID)
	}
	d, err := p.Store.AdvanceState(ctx, se)
	if err != nil {
		return queue.Message{}, fmt.Errorf("%w: %w", ErrState, err)
	}
	if (d.Repeat || d.Trimmed) && !replay {
		cur, err := p.Store.GetEvent(ctx, se.ID)
		if err != nil {
			return queue.Message{}, fmt.Errorf("%w: %w", ErrState, err)
		}
		if cur.PublishState == store.PublishPublished {
			return queue.Message{}, errDone
		}
	}
	return queue.Message{
		EventID: se.ID, Provider: se.Provider, ObjectRef: se.ObjectRef, Type: se.Type,
		Body: event.WithDelivery(se.Payload, d.Sequence, d.Conflict), Conflict: d.Conflict != nil,
	}, nil
}

// eachObject calls fn for every index of evs: sequentially within one object, with up to
// 16 objects at a time.
func (p *Publisher) eachObject(ctx context.Context, evs []store.StoredEvent, fn func(i int)) {
	groups := map[string][]int{}
	var order []string
	for i, se := range evs {
		k := se.Provider + "\x00" + se.ObjectRef
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var g errgroup.Group
	g.SetLimit(16)
	for _, k := range order {
		g.Go(func() error {
			for _, i := range groups[k] {
				fn(i)
			}
			return nil
		})
	}
	_ = g.Wait()
}

func (p *Publisher) outcome(se store.StoredEvent, m queue.Message, err error) {
	log := p.logger().With("event_id", se.ID, "provider", se.Provider, "type", se.Type)
	if err != nil {
		reason := "publish_failed"
		if Permanent(err) {
			reason = "publish_rejected"
		}
		log.Error("event not published", "outcome", "failed", "reason", reason, "error", redact.Detail(err.Error()))
		p.count(reason, se.Provider)
		return
	}
	if m.Conflict {
		// The event contradicts the object's recorded terminal state: published with the
		// conflict field, and counted so the alarm reaches a person.
		log.Warn("event contradicts the recorded state", "outcome", "published", "reason", "state_conflict")
		p.count("state_conflict", se.Provider)
	}
	lag := float64(-1)
	if t, err := time.Parse(time.RFC3339Nano, se.ReceivedAt); err == nil {
		lag = float64(p.now().Sub(t).Milliseconds())
	}
	log.Info("event published", "outcome", "published", "lag_ms", lag)
	p.count("published_to_queue", se.Provider)
}

func (p *Publisher) count(metric, provider string) {
	if p.Metrics != nil {
		p.Metrics.Count(metric, map[string]string{"provider": provider})
	}
}

func (p *Publisher) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func (p *Publisher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Republish delivers one stored event's payload again (operator replays through a
// queue.Replayer): the state update finds the event's recorded delivery, so the replay
// carries the same sequence and conflict as the original.
func (p *Publisher) Republish(ctx context.Context, ev *event.Event, payload []byte) error {
	se := store.StoredEvent{
		ID: ev.ID, Provider: ev.Provider, Type: string(ev.Type), Status: string(ev.Status), ObjectRef: ev.ObjectRef,
		ReceivedAt: store.FormatTime(ev.ReceivedAt), OccurredAt: store.FormatTime(ev.OccurredAt), Payload: payload,
	}
	if !ev.Publishable() {
		return nil
	}
	return p.publish(ctx, []store.StoredEvent{se}, true)[0]
}
