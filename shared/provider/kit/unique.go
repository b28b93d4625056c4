package kit

import (
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/support/jsonscan"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// uniqueKeys refuses a repeated key in any object inside v, the valid value of member key
// of o. Only containers are walked here (the payload is validated once, by load), and the
// keys of one object are compared in place, without allocating for small objects.
func uniqueKeys(v []byte, o *Object, key []byte) error {
	_, dupKey, err := checkValue(v, 0)
	if err != nil {
		return provider.BadRequest(provider.ReasonBadJSON, err)
	}
	if dupKey != nil {
		// The path names field names only (each bounded), never a value.
		path := o.child(string(key)) + sep(dupKey) + redact.Snippet(string(dupKey), 128)
		return provider.BadRequest(provider.ReasonDuplicateMember, &dupError{path: path})
	}
	return nil
}

// checkValue skips the valid value at data[i] and returns the offset after it, or the
// path inside it of the first key found repeated (`a.b`, `list[].c`; built only then).
func checkValue(data []byte, i int) (int, []byte, error) {
	switch data[i] {
	case '{':
		return checkObject(data, i)
	case '[':
		i = jsonscan.SkipSpace(data, i+1)
		if i < len(data) && data[i] == ']' {
			return i + 1, nil, nil
		}
		for {
			end, dup, err := checkValue(data, i)
			if err != nil || dup != nil {
				if dup != nil {
					dup = []byte("[]" + sep(dup) + string(dup))
				}
				return 0, dup, err
			}
			i = jsonscan.SkipSpace(data, end)
			if i >= len(data) {
				return 0, nil, jsonscan.SyntaxErr("unterminated array", i)
			}
			if data[i] == ']' {
				return i + 1, nil, nil
			}
			i = jsonscan.SkipSpace(data, i+1) // the comma
		}
	}
	end, err := jsonscan.Value(data, i, 0)
	return end, nil, err
}

func checkObject(data []byte, i int) (int, []byte, error) {
	var small [16][]byte
	keys := small[:0]
	var seen map[string]struct{}
	i = jsonscan.SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil, nil
	}
	for {
		ke, _, err := jsonscan.String(data, i)
		if err != nil {
			return 0, nil, err
		}
		k := keyText(data[i:ke])
		switch {
		case seen != nil:
			if _, ok := seen[string(k)]; ok {
				return 0, k, nil
			}
			seen[string(k)] = struct{}{}
		default:
			for _, prev := range keys {
				if string(prev) == string(k) {
					return 0, k, nil
				}
			}
			if keys = append(keys, k); len(keys) > len(small) {
				seen = make(map[string]struct{}, 2*len(keys))
				for _, prev := range keys {
					seen[string(prev)] = struct{}{}
				}
			}
		}
		vs := jsonscan.SkipSpace(data, jsonscan.SkipSpace(data, ke)+1) // past the colon
		end, dup, err := checkValue(data, vs)
		if err != nil || dup != nil {
			if dup != nil {
				dup = []byte(string(k) + sep(dup) + string(dup))
			}
			return 0, dup, err
		}
		i = jsonscan.SkipSpace(data, end)
		if i >= len(data) {
			return 0, nil, jsonscan.SyntaxErr("unterminated object", i)
		}
		if data[i] == '}' {
			return i + 1, nil, nil
		}
		i = jsonscan.SkipSpace(data, i+1) // the comma
	}
}

// sep joins a path to the rest of it: no dot before an array step. The rest is empty when
// the repeated key is "" itself.
func sep(rest []byte) string {
	if len(rest) > 0 && rest[0] == '[' {
		return ""
	}
	return "."
}
