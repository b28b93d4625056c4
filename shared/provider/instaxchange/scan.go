package instaxchange

import (
	"bytes"

	"github.com/payhooks/payhooks/shared/support/jsonscan"
)

// A small JSON walker for Normalize, over a payload redact.JSON has already validated: it
// hands out raw member spans so that fields are matched by exact key (encoding/json
// matches struct fields case-insensitively) and numbers keep their literal text, without
// building a generic tree. String values are decoded with jsonscan.UnquoteString; since
// Normalize refuses invalid UTF-8, only a lone surrogate escape becomes U+FFFD, which only
// matters for display: the signature was checked on the canonical form.

// eachMember calls fn with each member's raw key token (quotes included) and raw value
// of the object obj, which must already be known to be valid JSON (redact.JSON has
// checked it): values are skipped, not validated. Repeated keys are all reported, in
// order, so a caller that keeps the last one matches JSON.parse. It reports false when
// obj is not an object.
func eachMember(obj []byte, fn func(key, val []byte)) bool {
	i := jsonscan.SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(obj, i+1)
	for i < len(obj) && obj[i] == '"' {
		ks := i
		ke := skipStringTrusted(obj, i)
		i = jsonscan.SkipSpace(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return false // not reached for valid input; no panic for invalid
		}
		vs := jsonscan.SkipSpace(obj, i+1)
		ve := skipTrusted(obj, vs)
		fn(obj[ks:ke], obj[vs:ve])
		i = jsonscan.SkipSpace(obj, ve)
		if i < len(obj) && obj[i] == ',' {
			i = jsonscan.SkipSpace(obj, i+1)
		}
	}
	return true
}

// skipStringTrusted returns the index after the valid string token at data[i].
func skipStringTrusted(data []byte, i int) int {
	start := i
	i++
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return len(data)
		}
		i += j
		n := 0 // an odd run of backslashes escapes this quote
		for k := i - 1; k > start && data[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// skipTrusted returns the index after the valid JSON value at data[i].
func skipTrusted(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return skipStringTrusted(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipStringTrusted(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// keyIs reports whether the raw key token decodes to name.
func keyIs(rawKey []byte, name string) bool {
	inner := rawKey[1 : len(rawKey)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	return string(jsonscan.Unquote(rawKey)) == name
}
