// Package samtemplate reads the parts of template.yaml that other code must agree with:
// functions, their routes and schedules, and IAM statements.
package samtemplate

import (
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Function is an AWS::Serverless::Function.
type Function struct {
	Logical string
	CodeURI string
	// Package is Metadata.GoPackage: the function's main package, ./functions/<dir>, which
	// the Makefile's build-<LogicalId> rule builds.
	Package  string
	Routes   []Route // HttpApi events
	Schedule []string
	Env      map[string]string // the function's own variables, as text (see text)
	// MemorySize (MB) and Timeout (s), the function's own or the Globals'.
	MemorySize, Timeout int
	// Statements are the inline policy statements' actions and resources, as literal text
	// or "!Tag value" for intrinsic functions.
	Actions, Resources []string
}

// Route is an HttpApi event.
type Route struct{ Method, Path string }

// Template is the parsed template.
type Template struct {
	Functions []Function
	// GlobalEnv are Globals.Function.Environment.Variables, as text.
	GlobalEnv map[string]string
	// Defaults are the parameters' default values.
	Defaults map[string]string
	Root     *yaml.Node
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
	globals := get(get(root, "Globals"), "Function")
	t := &Template{Root: root, GlobalEnv: vars(get(globals, "Environment")), Defaults: map[string]string{}}
	if params := get(root, "Parameters"); params != nil {
		for i := 0; i+1 < len(params.Content); i += 2 {
			t.Defaults[params.Content[i].Value] = scalar(get(params.Content[i+1], "Default"))
		}
	}
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
		f := Function{Logical: name, CodeURI: scalar(get(props, "CodeUri")), Package: scalar(get(get(res, "Metadata"), "GoPackage")),
			Env: vars(get(props, "Environment"))}
		for _, n := range []struct {
			key string
			dst *int
		}{{"MemorySize", &f.MemorySize}, {"Timeout", &f.Timeout}} {
			v := scalar(get(props, n.key))
			if v == "" {
				v = scalar(get(globals, n.key))
			}
			*n.dst, _ = strconv.Atoi(v)
		}
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

// Dir is the function's directory under functions/ (the last element of Package).
func (f Function) Dir() string { return path.Base(f.Package) }

// vars reads an Environment's Variables as text.
func vars(env *yaml.Node) map[string]string {
	out := map[string]string{}
	if v := get(env, "Variables"); v != nil {
		for j := 0; j+1 < len(v.Content); j += 2 {
			out[v.Content[j].Value] = text(v.Content[j+1])
		}
	}
	return out
}

// Environment is what f's process sees on AWS: the Globals' variables, then f's own, each
// resolved with refs (logical ids of resources, e.g. EventsTable) and the parameters'
// defaults. A value that names anything else is an error, never a guess.
func (t *Template) Environment(f Function, refs map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, env := range []map[string]string{t.GlobalEnv, f.Env} {
		for k, v := range env {
			r, err := t.resolve(v, refs)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", f.Logical, k, err)
			}
			out[k] = r
		}
	}
	return out, nil
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

func (t *Template) resolve(v string, refs map[string]string) (string, error) {
	lookup := func(name string) (string, error) {
		if r, ok := refs[name]; ok {
			return r, nil
		}
		if d, ok := t.Defaults[name]; ok {
			return d, nil
		}
		return "", fmt.Errorf("no value for %s", name)
	}
	switch {
	case strings.HasPrefix(v, "!Ref "):
		return lookup(strings.TrimPrefix(v, "!Ref "))
	case strings.HasPrefix(v, "!Sub "):
		var err error
		out := subVar.ReplaceAllStringFunc(strings.TrimPrefix(v, "!Sub "), func(m string) string {
			r, e := lookup(m[2 : len(m)-1])
			if e != nil && err == nil {
				err = e
			}
			return r
		})
		return out, err
	case strings.HasPrefix(v, "!"):
		return "", fmt.Errorf("cannot resolve %q", v)
	}
	return v, nil
}

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
