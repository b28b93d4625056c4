// Package registry lists payhooks' webhook providers for the tools that serve or exercise
// all of them at once (the local gateway, `payhooks send`, the events/ generator, tests).
// Lambda functions never import it, so each binary links only its own provider.
package registry

import (
	"strings"

	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/provider/axs"
	"github.com/payhooks/payhooks/shared/provider/cardorders"
	"github.com/payhooks/payhooks/shared/provider/cxtn"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
)

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

// Webhooks are all webhook providers.
var Webhooks = []Webhook{
	{"instaxchange", "instaxchange-webhook", "InstaXchangeWebhookFunction", "POST", "/webhooks/instaxchange", instaxchange.New, instaxchange.Samples, nil},
	{"axpay", "axpay-webhook", "AXpayWebhookFunction", "POST", "/webhooks/axpay", axpay.New, axpay.Samples, nil},
	{"axs", "axs-webhook", "AXSWebhookFunction", "POST", "/webhooks/axs", axs.New, axs.Samples, []string{"GET"}},
	{"cardorders", "cardorders-webhook", "CardordersWebhookFunction", "POST", "/webhooks/cardorders/{token}", cardorders.New, cardorders.Samples, nil},
	{"cxtn", "cxtn-webhook", "CXTNWebhookFunction", "POST", "/webhooks/cxtn/{token}", cxtn.New, cxtn.Samples, nil},
}

// Lookup finds a provider by name.
func Lookup(name string) (Webhook, bool) {
	for _, w := range Webhooks {
		if strings.EqualFold(w.Provider, name) {
			return w, true
		}
	}
	return Webhook{}, false
}
