package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/payhooks/payhooks/shared/support/redact"
)

// Bounds of what is stored and published. A sender controls most of an event's text, so
// every part of it is bounded here, once, on the way in: an event that does not fit a
// DynamoDB item or an SQS message fails on every retry, and a 5xx for it would repeat
// forever.
const (
	// MaxIDBytes is the schema's maxLength of id; it also keeps `EVENT#<id>` far inside
	// DynamoDB's 2048-byte partition key.
	MaxIDBytes = 1024
	// MaxRefBytes bounds objectRef, providerEventId, merchantRef and each component of id,
	// all as escaped in an id (EscapeRef). Longer ones keep a prefix and gain a hash of the
	// whole (BoundRef).
	MaxRefBytes = 256
	// MaxMessageBytes is SQS's limit, message attributes included.
	MaxMessageBytes = 262144
	// MaxAttributeBytes is what the publisher's message attributes (names, types and
	// values) may take; the rest is the body's.
	MaxAttributeBytes = 1024
	// MaxBodyBytes is the largest event document, in bytes as sent (after JSON escaping).
	// It is also far inside DynamoDB's 400 KB item, which holds it once plus bounded keys.
	// The publisher appends the per-object sequence and a conflict (DeliveryOverhead).
	MaxBodyBytes = MaxMessageBytes - MaxAttributeBytes - DeliveryOverhead
	// MaxDepth is how deeply the published document may nest (the event object counts as
	// one level): consumers' parsers have recursion limits (Python's json gives up long
	// before encoding/json does).
	MaxDepth = 64
	// MaxTextBytes bounds failure.code and failure.message as sent.
	MaxTextBytes = 4096
	// cutTextBytes is what each string of raw and details is cut to when the event is
	// over MaxBodyBytes.
	cutTextBytes = 1024
)

// Markers put in place of what was left out. Each cut also sets a flag in details
// (CutDepth, CutText, CutRaw, CutDetails), so a consumer can tell without searching.
const (
	CutMarker   = redact.CutMarker   // ends a cut string
	DepthMarker = redact.DepthMarker // replaces a value nested deeper than MaxDepth
	CutDepth    = "depthCut"
	CutText     = "textCut"
	CutRaw      = "rawOmitted"
	CutDetails  = "detailsOmitted"
)

// ErrUnfit reports an event that could not be made to fit its bounds. Fit bounds every
// field a sender controls, so it means a field was added without a bound: our bug.
var ErrUnfit = errors.New("event does not fit its bounds")

// BoundRef returns s if its escaped form (EscapeRef, as an id holds it) is at most limit
// bytes, else a prefix of it (cut at a rune boundary) and "~" and a digest of all of s,
// whose escaped form is: deterministic, so a redelivery gets the same value, and distinct
// for distinct inputs. A reference without ':' is bounded in plain bytes.
func BoundRef(s string, limit int) string {
	if escapedLen(s) <= limit {
		return s
	}
	n := min(limit-1-32, len(s))
	for {
		for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		over := escapedLen(s[:n]) + 1 + 32 - limit
		if over <= 0 {
			return s[:n] + "~" + digest(s)
		}
		n = max(n-over, 0) // each byte cut shortens the escaped form by at least one
	}
}

// safeRef is a reference as it may be stored: masked by value as an identifier (redact.Ref,
// with a digest of what it was, spelled in letters so that masking finds nothing in it),
// then bounded.
func safeRef(s string) string {
	if m := redact.Ref(s); m != s {
		s = m + "~" + digest(s)
	}
	return BoundRef(s, MaxRefBytes)
}

// digest is 128 bits of the SHA-256 of s as 32 letters a–p: hex digits could form a
// Luhn-valid run that masking would then change, and a bounded id must stay as it is.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	d := make([]byte, 32)
	for i, b := range sum[:16] {
		d[2*i], d[2*i+1] = 'a'+b>>4, 'a'+b&15
	}
	return string(d)
}

// BoundIDs bounds the event's identifiers in place: objectRef, providerEventId,
// merchantRef and every component of id (JoinID) to MaxRefBytes as escaped, then id as a
// whole to MaxIDBytes. A component of id is always EscapeRef of the bounded reference, so
// the id's component and objectRef stay one value. It is idempotent; Fit calls it, and the
// edge calls it first so its log lines carry the bounded id.
//
// A reference holding an email address or a card number is masked too, and the masked text
// is followed by a digest of the original: masking alone would merge two different objects
// into one id, and the second payment would be dropped as a duplicate.
func BoundIDs(ev *Event) {
	ev.ObjectRef = safeRef(ev.ObjectRef)
	ev.ProviderEventID = safeRef(ev.ProviderEventID)
	ev.MerchantRef = safeRef(ev.MerchantRef)
	if len(ev.ID) <= MaxRefBytes && redact.Ref(ev.ID) == ev.ID {
		return // every component is short and plain: nothing to bound or mask
	}
	parts := SplitID(ev.ID)
	for i, p := range parts {
		parts[i] = EscapeRef(safeRef(p))
	}
	ev.ID = boundID(parts)
}

// boundID joins escaped components; when they are over MaxIDBytes it keeps the first
// components that fit and ends with "~" and a digest of the whole. No component is cut
// inside, so a bounded id bounds to itself.
func boundID(parts []string) string {
	id := strings.Join(parts, IDSep)
	if len(id) <= MaxIDBytes {
		return id
	}
	tail := IDSep + "~" + digest(id)
	n := 0
	for k, p := range parts {
		if n+len(p)+len(IDSep)+len(tail) > MaxIDBytes {
			return strings.Join(parts[:k], IDSep) + tail
		}
		n += len(p) + len(IDSep)
	}
	return id // unreachable: the whole is over MaxIDBytes
}

// Fit makes the event fit what is stored and published, and returns the document. It
// bounds the identifiers (BoundIDs) and failure's text; masks emails and card numbers by
// value in raw, details and failure (redact.Text), whatever their keys; replaces what nests
// deeper than MaxDepth with DepthMarker. If the document is still over MaxBodyBytes it cuts
// the long strings of raw and details, then leaves raw out, then details. Nothing is
// refused: what consumers act on always fits.
func Fit(ev *Event) ([]byte, error) {
	BoundIDs(ev)
	if ev.Failure != nil {
		f := *ev.Failure
		f.Code, _ = redact.CutText(redact.Text(f.Code), MaxTextBytes)
		f.Message, _ = redact.CutText(redact.Text(f.Message), MaxTextBytes)
		ev.Failure = &f
	}
	ft := fitter{ev: ev}
	steps := []func() error{
		func() error { return ft.bound(0) },
		func() error { return ft.bound(cutTextBytes) },
		ft.dropRaw,
		ft.dropDetails,
	}
	var body []byte
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
		var err error
		if body, err = ft.marshal(); err != nil || len(body) <= MaxBodyBytes {
			return body, err
		}
	}
	return nil, fmt.Errorf("%w: %s is %d bytes", ErrUnfit, ev.ID, len(body))
}

type fitter struct {
	ev    *Event
	flags map[string]bool
}

func (f *fitter) flag(name string) {
	if f.flags == nil {
		f.flags = map[string]bool{}
	}
	f.flags[name] = true
}

// Levels of the published document: the event is 1, raw's outermost value and details
// are 2, a details member's value is 3.
const (
	rawLevel     = 2
	detailsLevel = 2
)

// bound masks and depth-bounds raw and details, cutting strings to maxText bytes (0: no cut).
func (f *fitter) bound(maxText int) error {
	ev := f.ev
	if len(ev.Raw) > 0 {
		raw, cuts, err := redact.Bound(ev.Raw, redact.Limits{Depth: MaxDepth - rawLevel + 1, String: maxText})
		if err != nil {
			return fmt.Errorf("%w: raw: %w", ErrUnfit, err)
		}
		ev.Raw = raw
		f.noteCuts(cuts)
	}
	for k, v := range ev.Details {
		nv, err := f.value(k, v, detailsLevel+1, maxText)
		if err != nil {
			return err
		}
		if mk := redact.Text(k); mk != k {
			delete(ev.Details, k)
			k = mk
		}
		ev.Details[k] = nv
	}
	return nil
}

func (f *fitter) noteCuts(c redact.Cuts) {
	if c.Depth {
		f.flag(CutDepth)
	}
	if c.Text {
		f.flag(CutText)
	}
}

// value bounds one details value found under key, at the given level of the document.
// Values of other types than the generic JSON ones go through their JSON encoding.
func (f *fitter) value(key string, v any, level, maxText int) (any, error) {
	switch x := v.(type) {
	case nil, bool:
		return v, nil
	case string:
		s := redact.Value(key, x).(string)
		if maxText > 0 {
			var cut bool
			if s, cut = redact.CutText(s, maxText); cut {
				f.flag(CutText)
			}
		}
		return s, nil
	case json.Number, float64, int, int64, uint64:
		return redact.Value(key, x), nil
	case json.RawMessage:
		out, cuts, err := redact.Bound(x, redact.Limits{Depth: MaxDepth - level + 1, String: maxText})
		if err != nil {
			return nil, fmt.Errorf("%w: details.%s: %w", ErrUnfit, key, err)
		}
		f.noteCuts(cuts)
		return out, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: details.%s: %w", ErrUnfit, key, err)
	}
	return f.value(key, json.RawMessage(b), level, maxText)
}

func (f *fitter) dropRaw() error {
	f.ev.Raw = nil
	f.flag(CutRaw)
	return nil
}

func (f *fitter) dropDetails() error {
	f.ev.Details = nil
	f.flag(CutDetails)
	return nil
}

// marshal encodes the event with the cut flags in details, in bytes as sent: SQS refuses
// U+FFFE and U+FFFF, which encoding/json writes as they are, so they leave escaped.
func (f *fitter) marshal() ([]byte, error) {
	if len(f.flags) > 0 && f.ev.Details == nil {
		f.ev.Details = map[string]any{}
	}
	for k := range f.flags {
		f.ev.Details[k] = true
	}
	body, err := f.ev.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnfit, err)
	}
	if bytes.Contains(body, []byte("\uFFFE")) || bytes.Contains(body, []byte("\uFFFF")) {
		// In valid JSON these bytes can only be inside strings, where the escape means the same.
		body = bytes.ReplaceAll(body, []byte("\uFFFE"), []byte(`\ufffe`))
		body = bytes.ReplaceAll(body, []byte("\uFFFF"), []byte(`\uffff`))
	}
	return body, nil
}
