// Package replay re-publishes events an operator chooses: stored events by id or by
// provider and time range, and whatever sits in the dead-letter queue (redrive). Replayed
// messages keep their event id, so consumers' idempotency still holds, and say
// `origin: "replay"`, so consumers and logs can tell them from first deliveries.
package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// Store is what replays read.
type Store interface {
	GetEvent(ctx context.Context, id string) (store.StoredEvent, error)
	ListByProvider(ctx context.Context, f store.ListFilter) ([]store.StoredEvent, error)
}

// Republisher sends a stored payload and marks the event published: an ingest.Ingester
// whose Publisher is a queue.Replayer.
type Republisher interface {
	Republish(ctx context.Context, ev *event.Event, payload []byte) error
}

// Outcome of one event or message.
const (
	Sent      = "sent"
	WouldSend = "would_send" // dry run
	Skipped   = "skipped"    // never published to consumers (event.unsupported)
	NotFound  = "not_found"
	Failed    = "failed"
)

// Item is what happened to one event.
type Item struct {
	ID, Provider, Type, Status, ReceivedAt string
	Outcome                                string
	Err                                    error
}

// Result counts a run.
type Result struct {
	Items                                      []Item
	Sent, WouldSend, Skipped, NotFound, Failed int
}

func (r *Result) add(it Item) {
	r.Items = append(r.Items, it)
	switch it.Outcome {
	case Sent:
		r.Sent++
	case WouldSend:
		r.WouldSend++
	case Skipped:
		r.Skipped++
	case NotFound:
		r.NotFound++
	case Failed:
		r.Failed++
	}
}

// Err summarizes what went wrong, or nil.
func (r *Result) Err() error {
	if r.Failed+r.NotFound == 0 {
		return nil
	}
	return fmt.Errorf("%d failed, %d not found", r.Failed, r.NotFound)
}

// Replayer re-publishes stored events.
type Replayer struct {
	Store     Store
	Publisher Republisher
	DryRun    bool
	Progress  func(done, total int) // nil: none
}

// Select finds events by id, in the order given; ids not stored come back as NotFound items.
func (r *Replayer) Select(ctx context.Context, ids []string) ([]store.StoredEvent, []Item, error) {
	var evs []store.StoredEvent
	var missing []Item
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		ev, err := r.Store.GetEvent(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			missing = append(missing, Item{ID: id, Outcome: NotFound, Err: err})
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		evs = append(evs, ev)
	}
	return evs, missing, nil
}

// SelectRange lists a provider's events received in [from, to].
func (r *Replayer) SelectRange(ctx context.Context, provider string, from, to time.Time) ([]store.StoredEvent, error) {
	if provider == "" {
		return nil, errors.New("replay: a time range needs a provider")
	}
	if !to.IsZero() && to.Before(from) {
		return nil, fmt.Errorf("replay: --to %s is before --from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return r.Store.ListByProvider(ctx, store.ListFilter{Provider: provider, From: from, To: to, WithPayload: true})
}

// Replay re-publishes evs with origin "replay". Unsupported events were never meant for
// consumers and are skipped; a failure is recorded and the run goes on.
func (r *Replayer) Replay(ctx context.Context, evs []store.StoredEvent, missing []Item) Result {
	var res Result
	for _, it := range missing {
		res.add(it)
	}
	total := len(evs)
	r.progress(0, total)
	for i, se := range evs {
		if ctx.Err() != nil {
			res.add(Item{ID: se.ID, Provider: se.Provider, Outcome: Failed, Err: ctx.Err()})
			continue
		}
		res.add(r.one(ctx, se))
		r.progress(i+1, total)
	}
	return res
}

func (r *Replayer) one(ctx context.Context, se store.StoredEvent) Item {
	it := Item{ID: se.ID, Provider: se.Provider, Type: se.Type, Status: se.Status, ReceivedAt: se.ReceivedAt}
	if se.PublishState == store.PublishSkipped || se.Type == string(event.TypeUnsupported) {
		it.Outcome = Skipped
		return it
	}
	payload, err := WithOrigin(se.Payload, event.OriginReplay)
	if err != nil {
		it.Outcome, it.Err = Failed, err
		return it
	}
	var ev event.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		it.Outcome, it.Err = Failed, fmt.Errorf("stored payload of %s: %w", se.ID, err)
		return it
	}
	if r.DryRun {
		it.Outcome = WouldSend
		return it
	}
	if err := r.Publisher.Republish(ctx, &ev, payload); err != nil {
		it.Outcome, it.Err = Failed, err
		return it
	}
	it.Outcome = Sent
	return it
}

func (r *Replayer) progress(done, total int) {
	if r.Progress != nil {
		r.Progress(done, total)
	}
}

// WithOrigin returns the event JSON with its top-level "origin" set, every other member kept
// byte for byte and in order (a nested "origin", such as a provider's own field inside
// details or raw, is left alone).
func WithOrigin(payload []byte, origin event.Origin) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("replay: payload is not a JSON object")
	}
	var out bytes.Buffer
	out.WriteByte('{')
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	put := func(k string, v []byte) {
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		_ = enc.Encode(k)
		out.Truncate(out.Len() - 1) // Encode's newline
		out.WriteByte(':')
		out.Write(v)
	}
	set := false
	ov, _ := json.Marshal(string(origin))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("replay: payload: %w", err)
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("replay: payload: %w", err)
		}
		if k == "origin" {
			if set {
				continue
			}
			v, set = ov, true
		}
		put(k, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("replay: payload: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("replay: data after the payload object")
	}
	if !set {
		put("origin", ov)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// ParseTime reads a time flag: RFC 3339 (2026-01-16T01:22:46Z), a date (2026-01-16, UTC), or
// a duration meaning that long before now (2h, 90m).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration means that long ago and must not be negative", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-01-16T01:22:46Z), a date, nor a duration (2h)", s)
}

// Bar draws `\r[#####.....] 12/40` on w (a terminal's stderr), ending with a newline when
// done reaches total.
func Bar(w io.Writer) func(done, total int) {
	const width = 30
	return func(done, total int) {
		if total <= 0 {
			return
		}
		n := done * width / total
		fmt.Fprintf(w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}
