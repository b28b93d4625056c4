// Package registry lists payhooks' webhook providers for the tools that serve or exercise
// all of them at once (the local gateway, `payhooks send`, the events/ generator, tests).
// The list, Webhooks, is generated (providers_gen.go, by ./gen) from template.yaml and the
// functions' main.go files, so a new provider is never added here by hand. Lambda
// functions never import it, so each binary links only its own provider.
package registry

import (
	"strings"

	"github.com/payhooks/payhooks/shared/provider"
)

//go:generate go run ./gen

// Webhook is one provider's webhook function.
type Webhook struct {
	Provider string              // e.g. "instaxchange"; the secret is payhooks/<Provider>
	Function string              // directory under functions/
	Logical  string              // logical id in template.yaml
	Method   string              // HTTP method of the route
	Path     string              // route path, as in template.yaml
	New      provider.Factory    // builds the provider
	Samples  provider.SampleFunc // signed sample deliveries
	// Also lists further methods served on Path by the same function (AXS: GET, because
	// its sender puts the token in the URL whatever the method).
	Also []string
}

// Methods are every method the route serves, Method first.
func (w Webhook) Methods() []string { return append([]string{w.Method}, w.Also...) }

// Lookup finds a provider by name.
func Lookup(name string) (Webhook, bool) {
	for _, w := range Webhooks {
		if strings.EqualFold(w.Provider, name) {
			return w, true
		}
	}
	return Webhook{}, false
}
