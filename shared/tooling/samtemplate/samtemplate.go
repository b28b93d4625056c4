// Package samtemplate reads the parts of template.yaml that other code must agree with:
// functions, their routes and schedules, and IAM statements.
package samtemplate

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Function is an AWS::Serverless::Function.
type Function struct {
	Logical  string
	CodeURI  string
	Routes   []Route // HttpApi events
	Schedule []string
	Env      map[string]string // literal values only
	// Statements are the inline policy statements' actions and resources, as literal text
	// or "!Tag value" for intrinsic functions.
	Actions, Resources []string
}

// Route is an HttpApi event.
type Route struct{ Method, Path string }

// Template is the parsed template.
type Template struct {
	Functions []Function
	Root      *yaml.Node
}

// Load parses path.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	root := doc.Content[0]
	t := &Template{Root: root}
	resources := get(root, "Resources")
	if resources == nil {
		return nil, fmt.Errorf("%s: no Resources", path)
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i].Value, resources.Content[i+1]
		if scalar(get(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		props := get(res, "Properties")
		f := Function{Logical: name, CodeURI: scalar(get(props, "CodeUri")), Env: map[string]string{}}
		if ev := get(props, "Events"); ev != nil {
			for j := 1; j < len(ev.Content); j += 2 {
				e := ev.Content[j]
				p := get(e, "Properties")
				switch scalar(get(e, "Type")) {
				case "HttpApi":
					f.Routes = append(f.Routes, Route{Method: scalar(get(p, "Method")), Path: scalar(get(p, "Path"))})
				case "Schedule", "ScheduleV2":
					f.Schedule = append(f.Schedule, scalar(get(p, "Schedule"))+scalar(get(p, "ScheduleExpression")))
				}
			}
		}
		if vars := get(get(props, "Environment"), "Variables"); vars != nil {
			for j := 0; j+1 < len(vars.Content); j += 2 {
				f.Env[vars.Content[j].Value] = text(vars.Content[j+1])
			}
		}
		if pol := get(props, "Policies"); pol != nil {
			for _, p := range pol.Content {
				for _, st := range contentOf(get(p, "Statement")) {
					f.Actions = append(f.Actions, texts(get(st, "Action"))...)
					f.Resources = append(f.Resources, texts(get(st, "Resource"))...)
				}
			}
		}
		t.Functions = append(t.Functions, f)
	}
	return t, nil
}

// Get returns the mapping value under key, or nil.
func Get(n *yaml.Node, key string) *yaml.Node { return get(n, key) }

func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func contentOf(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// text renders a value: a scalar as itself, an intrinsic function as "!Tag value".
func text(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Tag != "" && n.Tag[0] == '!' && n.Tag != "!!str" {
		if n.Kind == yaml.ScalarNode {
			return n.Tag + " " + n.Value
		}
		return n.Tag
	}
	return n.Value
}

func texts(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		var out []string
		for _, c := range n.Content {
			out = append(out, text(c))
		}
		return out
	}
	return []string{text(n)}
}
