package redact

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/payhooks/payhooks/shared/support/jsonscan"
)

// ErrSyntax reports input that is not one JSON value.
var ErrSyntax = jsonscan.ErrSyntax

// JSON returns raw with every email and card number masked exactly as Value masks them:
// emails anywhere, card numbers under card-number keys. It validates raw as one JSON value
// (what json.Valid accepts) and copies it compactly in one pass without building a tree,
// so key order, repeated keys and number text stay as sent. Strings are copied as sent
// unless masked; one that holds invalid UTF-8 or a lone surrogate escape is rewritten
// with U+FFFD, as encoding/json would decode it, so the copy is valid UTF-8.
func JSON(raw []byte) (json.RawMessage, error) {
	return JSONReplacing(raw)
}

// Member names a top-level member and the string its value should read in the masked copy.
type Member struct{ Key, Value string }

// JSONReplacing is JSON, except that each top-level member of an object whose key is named
// in repl gets repl's string (masked as Value would mask it) instead of the value sent,
// every time the key occurs. A caller that has masked or re-encoded a field its own way
// keeps the archive copy consistent with it. Keys not sent are not added.
func JSONReplacing(raw []byte, repl ...Member) (json.RawMessage, error) {
	w := walker{data: raw, dst: make([]byte, 0, len(raw)), repl: repl}
	return w.run()
}

func (w *walker) run() (json.RawMessage, error) {
	i := jsonscan.SkipSpace(w.data, 0)
	i, err := w.value(i, nil, 0)
	if err != nil {
		return nil, err
	}
	if i = jsonscan.SkipSpace(w.data, i); i != len(w.data) {
		return nil, jsonscan.SyntaxErr("data after the value", i)
	}
	return w.dst, nil
}

type walker struct {
	data, dst []byte
	repl      []Member
	verbatim  bool // copy strings unmasked (their member is replaced)
	lim       Limits
	cuts      Cuts
}

// Limits bound what Bound copies; a zero field sets no bound.
type Limits struct {
	// Depth is how many containers deep the copy may nest (the outermost one counts as
	// one); a container deeper than that is replaced by the string DepthMarker.
	Depth int
	// String is the most bytes one string (its quotes included) may take in the copy;
	// a longer one is cut to fit and ends with CutMarker.
	String int
}

// Cuts says what Bound left out.
type Cuts struct {
	Depth bool // a part nested too deeply was replaced by DepthMarker
	Text  bool // a string was cut and ends with CutMarker
}

// DepthMarker replaces a value nested deeper than the bound.
const DepthMarker = "[cut: nested too deeply]"

// Bound is JSON with limits: it masks as JSON does and also keeps the copy within lim.
func Bound(raw []byte, lim Limits) (json.RawMessage, Cuts, error) {
	w := walker{data: raw, dst: make([]byte, 0, len(raw)), lim: lim}
	out, err := w.run()
	return out, w.cuts, err
}

// value copies the value at data[i] (no leading space), masked as found under key (a raw
// key token, nil at the top), and returns the index after it.
func (w *walker) value(i int, key []byte, depth int) (int, error) {
	data := w.data
	if i >= len(data) {
		return 0, jsonscan.SyntaxErr("unexpected end", i)
	}
	switch b := data[i]; {
	case b == '"':
		end, rewrite, err := jsonscan.String(data, i)
		if err != nil {
			return 0, err
		}
		w.str(data[i:end], key, rewrite)
		return end, nil
	case b == '{' || b == '[':
		return w.container(i, key, depth)
	}
	// A number or a literal: copied as sent.
	var end int
	var err error
	if b := data[i]; b == '-' || b >= '0' && b <= '9' {
		end, err = jsonscan.Number(data, i)
	} else {
		end, err = jsonscan.Value(data, i, depth)
	}
	if err != nil {
		return 0, err
	}
	if c := data[i]; !w.verbatim && (c == '-' || c >= '0' && c <= '9') {
		// A card number sent as a JSON number is still a card number.
		if tok := data[i:end]; key != nil && cardKey(jsonscan.UnquoteString(key)) {
			w.dst = appendString(w.dst, PAN(string(tok)))
			return end, nil
		} else if sensitive(tok) {
			if out := maskPANs(tok, true); out != nil {
				w.dst = appendString(w.dst, string(out))
				return end, nil
			}
		}
	}
	w.dst = append(w.dst, data[i:end]...)
	return end, nil
}

func (w *walker) container(i int, key []byte, depth int) (int, error) {
	data := w.data
	if depth >= jsonscan.MaxDepth {
		return 0, jsonscan.SyntaxErr("nested too deeply", i)
	}
	if w.lim.Depth > 0 && depth >= w.lim.Depth {
		return w.cutDeep(i, depth)
	}
	open := data[i]
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	w.dst = append(w.dst, open)
	i = jsonscan.SkipSpace(data, i+1)
	if i < len(data) && data[i] == closer {
		w.dst = append(w.dst, closer)
		return i + 1, nil
	}
	for {
		var err error
		memberKey := key // array elements are masked by their array's key, as Value does
		if open == '{' {
			if memberKey, i, err = w.memberName(i); err != nil {
				return 0, err
			}
		}
		if i, err = w.member(i, memberKey, open == '{' && depth == 0, depth); err != nil {
			return 0, err
		}
		i = jsonscan.SkipSpace(data, i)
		if i >= len(data) {
			return 0, jsonscan.SyntaxErr("unterminated object or array", i)
		}
		if data[i] == closer {
			w.dst = append(w.dst, closer)
			return i + 1, nil
		}
		if data[i] != ',' {
			return 0, jsonscan.SyntaxErr("expected comma or closing bracket", i)
		}
		w.dst = append(w.dst, ',')
		i = jsonscan.SkipSpace(data, i+1)
	}
}

// cutDeep validates the value at i and writes the depth marker in its place: consumers'
// parsers have smaller nesting limits than ours.
func (w *walker) cutDeep(i, depth int) (int, error) {
	end, err := jsonscan.Value(w.data, i, depth)
	if err != nil {
		return 0, err
	}
	w.cuts.Depth = true
	w.dst = appendString(w.dst, DepthMarker)
	return end, nil
}

// memberName copies the object key at i and its colon; it returns the key token and where
// the member's value starts.
func (w *walker) memberName(i int) ([]byte, int, error) {
	data := w.data
	if i >= len(data) || data[i] != '"' {
		return nil, 0, jsonscan.SyntaxErr("expected object key", i)
	}
	ks := i
	i, rewrite, err := jsonscan.String(data, i)
	if err != nil {
		return nil, 0, err
	}
	name := data[ks:i]
	if rewrite || sensitive(name) {
		// A key is text too: an email or card number in it is masked.
		w.key(name, rewrite)
	} else {
		w.dst = append(w.dst, name...)
	}
	i = jsonscan.SkipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return nil, 0, jsonscan.SyntaxErr("expected colon", i)
	}
	w.dst = append(w.dst, ':')
	return name, jsonscan.SkipSpace(data, i+1), nil
}

// member copies the value at i, masked; a top-level member with a replacement is still
// validated, but what was sent is dropped for the replacement.
func (w *walker) member(i int, key []byte, top bool, depth int) (int, error) {
	var repl *Member
	if top && len(w.repl) > 0 {
		repl = w.replacement(key)
	}
	start := len(w.dst)
	w.verbatim = repl != nil
	i, err := w.value(i, key, depth+1)
	w.verbatim = false
	if err != nil {
		return 0, err
	}
	if repl != nil {
		w.dst = appendString(w.dst[:start], mask(repl.Key, repl.Value))
	}
	return i, nil
}

// key copies the valid key token tok, masked.
func (w *walker) key(tok []byte, rewrite bool) {
	k := jsonscan.UnquoteString(tok)
	if m := Text(k); rewrite || m != k {
		w.dst = appendString(w.dst, m)
		return
	}
	w.dst = append(w.dst, tok...)
}

func (w *walker) replacement(rawKey []byte) *Member {
	k := rawKey[1 : len(rawKey)-1]
	for i := range w.repl {
		if string(k) == w.repl[i].Key {
			return &w.repl[i]
		}
	}
	if strings.IndexByte(string(k), '\\') >= 0 {
		s := jsonscan.UnquoteString(rawKey)
		for i := range w.repl {
			if s == w.repl[i].Key {
				return &w.repl[i]
			}
		}
	}
	return nil
}

// str copies the valid string token tok found under key, masked.
func (w *walker) str(tok, key []byte, rewrite bool) {
	long := w.lim.String > 0 && len(tok) > w.lim.String
	if !rewrite && !long && (w.verbatim || !maybeSensitive(key, tok)) {
		w.dst = append(w.dst, tok...)
		return
	}
	s, k := jsonscan.UnquoteString(tok), ""
	if key != nil {
		k = jsonscan.UnquoteString(key)
	}
	m := s
	if !w.verbatim {
		m = mask(k, s)
	}
	if long {
		var cut bool
		m, cut = CutText(m, w.lim.String)
		w.cuts.Text = w.cuts.Text || cut
	}
	if rewrite || m != s {
		w.dst = appendString(w.dst, m)
		return
	}
	w.dst = append(w.dst, tok...)
}

// maybeSensitive is a cheap pre-filter before mask: an email needs an '@' and a card
// number 13 digits in a run (written as is or as \u escapes), and every card-number key
// cardKey knows names a card, a PAN, an account or a number. It errs towards asking mask.
func maybeSensitive(key, tok []byte) bool {
	if sensitive(tok) {
		return true
	}
	if len(key) == 0 {
		return false
	}
	var buf [64]byte
	letters := buf[:0]
	for _, c := range key {
		switch {
		case c >= 'a' && c <= 'z':
			letters = append(letters, c)
		case c >= 'A' && c <= 'Z':
			letters = append(letters, c+'a'-'A')
		case c >= 0x80 || c == '\\':
			return true // not plain ASCII: let cardKey decide
		}
		if len(letters) == cap(letters) {
			return true
		}
	}
	for i, c := range letters {
		var w string
		switch c {
		case 'c':
			w = "card"
		case 'p':
			w = "pan"
		case 'a':
			w = "account"
		case 'n':
			w = "number"
		default:
			continue
		}
		if strings.HasPrefix(string(letters[i:]), w) {
			return true
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as JSON without HTML escaping; invalid UTF-8 (PAN masks bytes, so
// it can split a character) becomes U+FFFD, as encoding/json writes it.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n - 1
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
