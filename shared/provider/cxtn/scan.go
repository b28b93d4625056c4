package cxtn

import (
	"fmt"

	"github.com/payhooks/payhooks/shared/support/jsonscan"
)

// A small validating JSON walk in place of decoding into generic maps: jsonscan accepts
// exactly what encoding/json accepts (json.Valid, the same nesting limit) and hands out the
// raw member spans of one object, so that Normalize reads only the members it needs,
// matched by exact key like map keys, the last of repeated keys winning like a decoded
// map, and numbers keeping their literal text.

// members validates data as one JSON object (whitespace around it allowed) and calls fn
// with each member's raw key token (quotes included) and raw value, in order. On error,
// whatever fn was given must be discarded.
func members(data []byte, fn func(key, val []byte)) error {
	i := jsonscan.SkipSpace(data, 0)
	if i < len(data) && data[i] != '{' {
		if end, err := jsonscan.Value(data, i, 0); err == nil && jsonscan.SkipSpace(data, end) == len(data) {
			return fmt.Errorf("%s, not an object", jsonKind(data[i:end]))
		}
	}
	if i >= len(data) || data[i] != '{' {
		return jsonscan.SyntaxErr("expected an object", i)
	}
	i, err := jsonscan.Object(data, i, 0, fn)
	if err != nil {
		return err
	}
	if i = jsonscan.SkipSpace(data, i); i != len(data) {
		return jsonscan.SyntaxErr("data after the object", i)
	}
	return nil
}

// jsonKind names the kind of the valid JSON value v.
func jsonKind(v []byte) string {
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
