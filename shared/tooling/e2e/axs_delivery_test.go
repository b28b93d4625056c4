package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axs"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/gateway"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// interopVectors are the tokens made outside Go (npm jose: vectors.json; Python joserfc:
// joserfc.json), by name, and the secret document that opens them.
func interopVectors(t *testing.T) (map[string]string, axs.SecretDoc) {
	t.Helper()
	tokens := map[string]string{}
	var doc axs.SecretDoc
	for _, file := range []string{"vectors.json", "joserfc.json"} {
		b, err := os.ReadFile(filepath.Join(root, "shared/provider/axs/testdata/interop", file))
		if err != nil {
			t.Fatal(err)
		}
		var vf struct {
			ClientID string   `json:"clientId"`
			Secrets  []string `json:"secrets"`
			Vectors  []struct{ Name, JWE string }
		}
		if err := json.Unmarshal(b, &vf); err != nil {
			t.Fatal(err)
		}
		if doc.ClientID == "" {
			doc = axs.SecretDoc{ClientID: vf.ClientID, ClientSecrets: vf.Secrets}
		}
		for _, v := range vf.Vectors {
			tokens[v.Name] = v.JWE
		}
	}
	return tokens, doc
}

// axsGateway serves the AXS routes (POST and GET) through the local gateway over a real
// stack, with the interop vectors' secret in moto's Secrets Manager.
func axsGateway(t *testing.T, env *stacktest.Env, doc axs.SecretDoc) string {
	t.Helper()
	b, _ := json.Marshal(map[string]axs.SecretDoc{"payhooks/axs-interop": doc})
	file := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := devstack.LoadSecrets(t.Context(), env.Clients.SecretsManager, file); err != nil {
		t.Fatal(err)
	}
	p := newPipeline(t, env, nil)
	w, _ := registry.Lookup("axs")
	h := p.deps.Webhook(w.Provider, func(src secrets.Source, _ string) provider.Provider {
		return w.New(src, "payhooks/axs-interop")
	})
	var routes []gateway.Route
	for _, m := range w.Methods() {
		routes = append(routes, gateway.Route{Method: m, Path: w.Path, Handler: h.Lambda})
	}
	srv := httptest.NewServer(gateway.New(routes, webhook.MaxBody, h.Log))
	t.Cleanup(srv.Close)
	return srv.URL + w.Path
}

type axsDelivery struct {
	method, query, contentType string
	body                       string
}

// axsForm puts a token in one delivery form.
func axsForm(form, jwe string) axsDelivery {
	switch form {
	case "query-post":
		return axsDelivery{method: "POST", query: "data=" + jwe}
	case "query-get":
		return axsDelivery{method: "GET", query: "data=" + jwe}
	case "query-urlencoded":
		// Every '.' and '-' escaped, as a cautious URL builder may: the gateway hands the raw
		// query on and the provider decodes it.
		return axsDelivery{method: "GET", query: "wc-api=axs_checkout&data=" + strings.NewReplacer(".", "%2E", "-", "%2D").Replace(jwe)}
	case "json-body":
		b, _ := json.Marshal(map[string]string{"data": jwe})
		return axsDelivery{method: "POST", contentType: "application/json", body: string(b)}
	case "form-body":
		return axsDelivery{method: "POST", contentType: "application/x-www-form-urlencoded", body: "data=" + url.QueryEscape(jwe)}
	case "raw-body":
		return axsDelivery{method: "POST", contentType: "application/jose", body: jwe}
	}
	panic("unknown form " + form)
}

func (d axsDelivery) send(t *testing.T, endpoint string) (int, map[string]string) {
	t.Helper()
	u := endpoint
	if d.query != "" {
		u += "?" + d.query
	}
	req, err := http.NewRequestWithContext(t.Context(), d.method, u, strings.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	if d.contentType != "" {
		req.Header.Set("content-type", d.contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]string
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// AXS through the local gateway, one delivery form each, with tokens made outside Go: each
// gives exactly one message; the same token again in another form answers duplicate and
// sends nothing; an authentic inflate bomb is refused with 400 inflated_too_large.
func TestAXSDeliveryFormsThroughGateway(t *testing.T) {
	tokens, doc := interopVectors(t)
	env := stacktest.New(t)
	endpoint := axsGateway(t, env, doc)
	cases := []struct {
		name, vector, form, redeliverAs string
	}{
		{"query POST", "delivery-query-post", "query-post", "json-body"},
		{"query GET", "delivery-query-get", "query-get", "raw-body"},
		{"URL-encoded query", "delivery-query-urlencoded", "query-urlencoded", "form-body"},
		{"JSON body", "delivery-json-body", "json-body", "query-get"},
		{"form body", "delivery-form-body", "form-body", "query-post"},
		{"raw body", "delivery-raw-body", "raw-body", "query-urlencoded"},
		{"zip DEF (npm jose)", "delivery-zip-def", "query-get", "json-body"},
		{"zip DEF (Python joserfc)", "joserfc-zip-def", "query-post", "form-body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jwe := tokens[c.vector]
			if jwe == "" {
				t.Fatalf("no vector %s", c.vector)
			}
			code, body := axsForm(c.form, jwe).send(t, endpoint)
			if code != 200 || body["status"] != "accepted" {
				t.Fatalf("%d %v", code, body)
			}
			msgs := env.Messages(t)
			if len(msgs) != 1 || !strings.Contains(*msgs[0].Body, `"id":"`+body["eventId"]+`"`) {
				t.Fatalf("%d messages for %s", len(msgs), body["eventId"])
			}
			code, again := axsForm(c.redeliverAs, jwe).send(t, endpoint)
			if code != 200 || again["status"] != "duplicate" {
				t.Fatalf("redelivery as %s: %d %v", c.redeliverAs, code, again)
			}
			if n := len(env.Messages(t)); n != 0 {
				t.Fatalf("redelivery as %s sent %d messages", c.redeliverAs, n)
			}
		})
	}
	t.Run("inflate bomb", func(t *testing.T) {
		for _, form := range []string{"query-get", "json-body"} {
			code, body := axsForm(form, tokens["bomb-zip-def"]).send(t, endpoint)
			if code != 400 || body["error"] != string(axs.ReasonInflatedTooLarge) {
				t.Fatalf("%s: %d %v", form, code, body)
			}
		}
		if n := len(env.Messages(t)); n != 0 {
			t.Fatalf("%d messages for a refused bomb", n)
		}
	})
}
