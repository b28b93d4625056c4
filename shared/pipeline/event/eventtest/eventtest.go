// Package eventtest checks produced events against the published JSON Schema.
package eventtest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var compiled *jsonschema.Schema

func schema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	if compiled != nil {
		return compiled
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(event.Schema))
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatalf("schema: %v", err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	compiled = s
	return s
}

// Validate fails the test when body is not a valid schema-1 event.
func Validate(t testing.TB, body []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("event is not JSON: %v\n%s", err, body)
	}
	if err := schema(t).Validate(inst); err != nil {
		t.Fatalf("event does not match schema: %v\n%s", err, body)
	}
}

// ValidateEvent marshals ev as the pipeline does and validates it.
func ValidateEvent(t testing.TB, ev *event.Event) {
	t.Helper()
	body, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	Validate(t, body)
	var back event.Event
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatalf("round trip: %v", err)
	}
}

// Depth returns how deeply the JSON document nests (0 for a scalar); doc must be valid JSON.
func Depth(doc []byte) int {
	depth, max, inStr := 0, 0, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			if depth++; depth > max {
				max = depth
			}
		case '}', ']':
			depth--
		}
	}
	return max
}
