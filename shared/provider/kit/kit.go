// Package kit is how a provider reads the payload its Verify vouched for and says what each
// of its statuses means. Every provider reads JSON the same way, so one rule holds for all:
//
//   - Exact keys. A member is found by its exact (unescaped) key, as a struct tag would match
//     it without encoding/json's case folding: `Amount` is not `amount`.
//   - Duplicates are refused. An object that repeats a key, at any depth, is refused with
//     provider.ReasonDuplicateMember (400): which of two values a signature or a later reader
//     meant is ambiguous, and an event records only what was authenticated.
//   - Numbers stay text. A number is kept as the literal the sender wrote (`61.910` stays
//     `61.910`); nothing passes through a float.
//   - Required, optional, bounded. Every read says whether the member must be there
//     (Required) or may be absent (Optional; JSON null counts as absent). Ref reads what goes
//     into an event id or object reference and refuses text that decodes lossily (a lone
//     surrogate escape), so two different ids never become one; a long one is not refused
//     but bounded with a digest by event.BoundIDs, so an authentic delivery is never lost.
//   - Errors name a dotted path (`data.amount`), never a value, and are typed rejections:
//     ReasonMissingField or ReasonBadField (400), with a *FieldError inside.
//
// Reading is sticky, like bufio.Scanner: the first problem is kept, later reads return
// zero values, and the caller checks Err once:
//
//	o, err := kit.Parse(payload)
//	if err != nil {
//		return event.Event{}, err
//	}
//	id := o.Ref("orderNo", kit.Required)
//	amount := o.Money("orderAmount", "USDT", kit.Optional)
//	data := o.Object("data", kit.Required)
//	objectID := data.Ref("objectId", kit.Optional) // errors say "data.objectId"
//	if err := o.Err(); err != nil {
//		return event.Event{}, err
//	}
//
// Statuses are a table (Statuses), not a switch; see Statuses.Lookup for the matching and
// canonical-spelling rules. Golden-file tests for a provider's normalizer live in
// kit/golden.
package kit

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/support/jsonscan"
	"github.com/payhooks/payhooks/shared/support/money"
)

// Need says whether a member must be present.
type Need bool

const (
	Optional Need = false // absent or null reads as the zero value
	Required Need = true  // absent, null or empty text is ReasonMissingField
)

// FieldError says which field is missing or malformed. It holds the field's dotted path
// and what was expected, never the value, so it is safe to log.
type FieldError struct {
	Path string
	Want string // e.g. "a string"; empty when the field is missing
}

func (e *FieldError) Error() string {
	if e.Want == "" {
		return e.Path + " is missing"
	}
	return e.Path + ": want " + e.Want
}

// ErrDuplicate is wrapped by the rejection of an object that repeats a key.
var ErrDuplicate = errors.New("duplicate member")

// Object is one JSON object of an authenticated payload, read by exact key. Its methods
// record the first problem (see Err) and return zero values after it.
type Object struct {
	path    string // dotted path of this object; "" at the top
	data    []byte // the JSON text the members' offsets point into
	members []member
	decoded [][]byte       // keys that had escapes, decoded
	index   map[string]int // by key, only for objects with many members
	st      *state
}

// member locates one member in data by offsets, so that the members hold no pointers (the
// garbage collector never scans them). A negative key is -1-i for decoded[i].
type member struct{ key, keyEnd, val, valEnd int32 }

// add records a member from the raw key token and value that jsonscan handed out of o.data.
func (o *Object) add(tok, val []byte) []byte {
	key, plain := decodeKey(tok)
	m := member{val: o.offset(val), valEnd: o.offset(val) + int32(len(val))}
	if plain {
		m.key = o.offset(tok) + 1
		m.keyEnd = m.key + int32(len(key))
	} else {
		o.decoded = append(o.decoded, key)
		m.key = int32(-len(o.decoded))
	}
	o.members = append(o.members, m)
	if o.index != nil || len(o.members) > smallObject {
		o.indexLast()
	}
	return key
}

// offset is where b, a subslice of o.data, starts in it.
func (o *Object) offset(b []byte) int32 { return int32(cap(o.data) - cap(b)) }

func (o *Object) keyOf(m member) []byte {
	if m.key < 0 {
		return o.decoded[-1-m.key]
	}
	return o.data[m.key:m.keyEnd]
}

func (o *Object) valOf(m member) []byte { return o.data[m.val:m.valEnd] }

type state struct{ err error }

// smallObject is how many members are looked up by scanning instead of through a map.
const smallObject = 24

// root allocates the top object, its error state and room for a typical payload's members
// in one go.
type root struct {
	obj Object
	st  state
	buf [smallObject]member
}

// Parse validates payload as one JSON object (whitespace around it allowed) with no
// repeated key at any depth. Its error is a rejection: ReasonBadJSON or
// ReasonDuplicateMember.
func Parse(payload []byte) (*Object, error) {
	r := new(root)
	r.obj.st = &r.st
	r.obj.members = r.buf[:0]
	i := jsonscan.SkipSpace(payload, 0)
	if i >= len(payload) || payload[i] != '{' {
		return nil, provider.BadRequest(provider.ReasonBadJSON, errors.New("body is not a JSON object"))
	}
	end, err := r.obj.load(payload, i, 0)
	if err != nil {
		return nil, err
	}
	if jsonscan.SkipSpace(payload, end) != len(payload) {
		return nil, provider.BadRequest(provider.ReasonBadJSON, jsonscan.SyntaxErr("data after the object", end))
	}
	return &r.obj, nil
}

// load validates the object at data[i] and collects its members; nested containers are
// checked for repeated keys as well.
func (o *Object) load(data []byte, i, depth int) (int, error) {
	o.data = data
	var dup error
	end, err := jsonscan.Object(data, i, depth, func(k, v []byte) {
		if dup != nil {
			return
		}
		if key := keyText(k); o.lookup(key) >= 0 {
			dup = o.duplicate(key)
			return
		}
		key := o.add(k, v)
		if v[0] == '{' || v[0] == '[' {
			dup = uniqueKeys(v, o, key)
		}
	})
	if err != nil {
		return 0, provider.BadRequest(provider.ReasonBadJSON, err)
	}
	return end, dup
}

func (o *Object) duplicate(key []byte) error {
	return provider.BadRequest(provider.ReasonDuplicateMember, &dupError{path: o.child(string(key))})
}

type dupError struct{ path string }

func (e *dupError) Error() string { return e.path + ": " + ErrDuplicate.Error() }
func (e *dupError) Unwrap() error { return ErrDuplicate }

func (o *Object) indexLast() {
	if o.index == nil {
		o.index = make(map[string]int, 2*len(o.members))
		for i, m := range o.members {
			o.index[string(o.keyOf(m))] = i
		}
		return
	}
	n := len(o.members) - 1
	o.index[string(o.keyOf(o.members[n]))] = n
}

// lookup returns the index of key's member, or -1.
func (o *Object) lookup(key []byte) int {
	if o.index != nil {
		if i, ok := o.index[string(key)]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if string(o.keyOf(o.members[i])) == string(key) {
			return i
		}
	}
	return -1
}

// keyText is a key token's decoded text, aliasing the token when it has no escapes.
func keyText(tok []byte) []byte {
	k, _ := decodeKey(tok)
	return k
}

// decodeKey is keyText that also says whether the text is the token's own bytes.
func decodeKey(tok []byte) (key []byte, plain bool) {
	inner := tok[1 : len(tok)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			return jsonscan.Unquote(tok), false
		}
	}
	return inner, true
}

// child is the dotted path of key inside o.
func (o *Object) child(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// Err is the first problem met while reading, a rejection, or nil.
func (o *Object) Err() error { return o.st.err }

// fail records a problem with key unless one is recorded already.
func (o *Object) fail(reason provider.Reason, key, want string) {
	if o.st.err == nil {
		o.st.err = provider.BadRequest(reason, &FieldError{Path: o.child(key), Want: want})
	}
}

// Invalid records that key's value is not what the provider's own parsing wants (say a
// time layout), naming what was expected. The value itself is never part of the error.
func (o *Object) Invalid(key, want string) { o.fail(provider.ReasonBadField, key, want) }

// Missing records that key is required but absent or empty.
func (o *Object) Missing(key string) { o.fail(provider.ReasonMissingField, key, "") }

// Raw returns key's raw value token, or nil when it is absent or null. The slice aliases
// the payload.
func (o *Object) Raw(key string) []byte {
	if v := o.Sent(key); v != nil && v[0] != 'n' {
		return v
	}
	return nil
}

// Sent is Raw with JSON null kept: nil only when key is absent (or after a problem), for
// the few fields where a consumer should see an explicit null.
func (o *Object) Sent(key string) []byte {
	if o.st.err != nil {
		return nil
	}
	var i int
	if o.index != nil {
		var ok bool
		if i, ok = o.index[key]; !ok {
			return nil
		}
	} else if i = o.find(key); i < 0 {
		return nil
	}
	return o.valOf(o.members[i])
}

func (o *Object) find(key string) int {
	for i := range o.members {
		if string(o.keyOf(o.members[i])) == key {
			return i
		}
	}
	return -1
}

// Has reports whether key is present and not null.
func (o *Object) Has(key string) bool { return o.Raw(key) != nil }

// raw is Raw that records a missing Required member.
func (o *Object) raw(key string, need Need) []byte {
	v := o.Raw(key)
	if v == nil && need == Required {
		o.Missing(key)
	}
	return v
}

// String reads a JSON string. Required also refuses the empty string.
func (o *Object) String(key string, need Need) string {
	v := o.raw(key, need)
	if v == nil {
		return ""
	}
	if v[0] != '"' {
		o.Invalid(key, "a string")
		return ""
	}
	s := jsonscan.UnquoteString(v)
	if s == "" && need == Required {
		o.Missing(key)
	}
	return s
}

// Text reads a JSON string or a number's literal text, for providers that quote some
// numbers and not others. Objects, arrays and booleans are refused. Required also refuses
// the empty string.
func (o *Object) Text(key string, need Need) string {
	v := o.raw(key, need)
	switch {
	case v == nil:
		return ""
	case v[0] == '"':
		s := jsonscan.UnquoteString(v)
		if s == "" && need == Required {
			o.Missing(key)
		}
		return s
	case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
		return string(v)
	}
	o.Invalid(key, "a string or number")
	return ""
}

// Ref reads a reference that goes into an event id or object reference: Text, trimmed,
// and decoded without loss (no lone surrogate escape, no invalid UTF-8), so two different
// references never read as one. Its length is not refused here: event.BoundIDs bounds it
// (a prefix and a digest of the whole), since refusing an authentic delivery for a long
// reference would lose it for good.
func (o *Object) Ref(key string, need Need) string {
	v := o.raw(key, need)
	if v != nil && v[0] == '"' {
		if _, lossy, _ := jsonscan.String(v, 0); lossy {
			o.Invalid(key, "text without lone surrogates")
			return ""
		}
	}
	s := strings.TrimSpace(o.Text(key, need))
	if s == "" && need == Required && o.st.err == nil {
		o.Missing(key)
	}
	return s
}

// Decimal reads a decimal number's literal text, from a JSON number or from a string
// holding one (trimmed), so that no amount passes through a float.
func (o *Object) Decimal(key string, need Need) string {
	s := strings.TrimSpace(o.Text(key, need))
	if s == "" {
		if need == Required && o.st.err == nil {
			o.Missing(key)
		}
		return ""
	}
	if _, err := money.New(s, "XXX"); err != nil {
		o.Invalid(key, "a decimal number")
		return ""
	}
	return s
}

// Currency reads a currency code: a JSON string, trimmed, of the form money.ValidCurrency
// checks (^[A-Za-z0-9._-]{1,32}$, no card number). A currency is copied unmasked into every stored and
// published copy of the event, so free text there (an email, a card number) is refused,
// by its path.
func (o *Object) Currency(key string, need Need) string {
	s := strings.TrimSpace(o.String(key, need))
	switch {
	case s == "" && need == Required && o.st.err == nil:
		o.Missing(key)
	case s != "" && !money.ValidCurrency(s):
		o.Invalid(key, "a currency code (letters, digits, '.', '_' and '-', at most 32)")
		return ""
	}
	return s
}

// Money reads the amount under key (as Decimal) in currency, which the caller read or
// knows. It returns nil when an Optional amount is absent; currency must not be empty
// when the amount is present.
func (o *Object) Money(key, currency string, need Need) *money.Money {
	s := strings.TrimSpace(o.Text(key, need))
	if s == "" {
		if need == Required && o.st.err == nil {
			o.Missing(key)
		}
		return nil
	}
	if strings.TrimSpace(currency) == "" {
		o.Invalid(key, "a currency beside it")
		return nil
	}
	m, err := money.New(s, currency)
	if err != nil {
		o.Invalid(key, "a plain decimal below 10^18 with at most 36 decimals, no card number, beside a currency code")
		return nil
	}
	return &m
}

// Value decodes key's value as encoding/json would into an any, numbers as json.Number.
// It returns nil when key is absent or null.
func (o *Object) Value(key string) any {
	v := o.Raw(key)
	if v == nil {
		return nil
	}
	if v[0] == '"' {
		return jsonscan.UnquoteString(v)
	}
	var out any
	// v was validated with the payload; UseNumber-style decoding keeps number text.
	if err := unmarshalNumber(v, &out); err != nil {
		o.Invalid(key, "JSON")
		return nil
	}
	return out
}

// Object reads a nested object; errors inside it name its path (`data.amount`). When the
// member is absent (or on an earlier problem) the result is an empty object that reads as
// absent, so the caller needs no nil check.
func (o *Object) Object(key string, need Need) *Object {
	v := o.raw(key, need)
	if v == nil {
		return o.empty(key)
	}
	if v[0] != '{' {
		o.Invalid(key, "an object")
		return o.empty(key)
	}
	return o.nested(key, v)
}

// ObjectOrString reads a nested object sent either as an object or as a JSON string
// holding one (a shape some providers use for `data`). For the string form it also
// returns the decoded text, which a caller masking the raw copy needs in its own right.
func (o *Object) ObjectOrString(key string, need Need) (obj *Object, inner []byte) {
	v := o.raw(key, need)
	switch {
	case v == nil:
		return o.empty(key), nil
	case v[0] == '{':
		return o.nested(key, v), nil
	case v[0] != '"':
		o.Invalid(key, "an object or a string holding one")
		return o.empty(key), nil
	}
	inner = jsonscan.Unquote(v)
	i := jsonscan.SkipSpace(inner, 0)
	if i >= len(inner) || inner[i] != '{' {
		o.Invalid(key, "an object or a string holding one")
		return o.empty(key), nil
	}
	c := o.inner(key)
	end, err := c.load(inner, i, 0)
	if err == nil && jsonscan.SkipSpace(inner, end) != len(inner) {
		err = jsonscan.SyntaxErr("data after the object", end)
	}
	if err != nil {
		if _, ok := provider.AsRejection(err); !ok || errors.Is(err, jsonscan.ErrSyntax) {
			o.Invalid(key, "an object or a string holding one")
		} else if o.st.err == nil {
			o.st.err = err
		}
		return o.empty(key), nil
	}
	return c, inner
}

func (o *Object) empty(key string) *Object { return &Object{path: o.child(key), st: o.st} }

// inner allocates a nested object with room for a typical one's members in one go.
func (o *Object) inner(key string) *Object {
	n := new(struct {
		obj Object
		buf [smallObject / 2]member
	})
	n.obj = Object{path: o.child(key), members: n.buf[:0], st: o.st}
	return &n.obj
}

// nested reads a member already validated (and checked for repeated keys) with its parent.
func (o *Object) nested(key string, v []byte) *Object {
	c := o.inner(key)
	c.data = v
	_, _ = jsonscan.Object(v, 0, 0, func(k, val []byte) { c.add(k, val) })
	return c
}

// Keys returns the object's keys in the order sent.
func (o *Object) Keys() []string {
	out := make([]string, len(o.members))
	for i, m := range o.members {
		out[i] = string(o.keyOf(m))
	}
	return out
}

func unmarshalNumber(v []byte, out *any) error {
	dec := json.NewDecoder(strings.NewReader(string(v)))
	dec.UseNumber()
	return dec.Decode(out)
}
