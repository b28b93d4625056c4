package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/tooling/gateway"
	"github.com/payhooks/payhooks/shared/tooling/samtemplate"
)

const root = "../../.."

// The local gateway serves exactly the routes template.yaml deploys.
func TestRoutesMatchTemplate(t *testing.T) {
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	deployed := map[string]string{}
	for _, f := range tpl.Functions {
		for _, r := range f.Routes {
			deployed[r.Method+" "+r.Path] = f.Logical
		}
	}
	for _, w := range Webhooks {
		for _, m := range w.Methods() {
			key := m + " " + w.Path
			if deployed[key] != w.Logical {
				t.Errorf("%s: template has %q for %s", w.Provider, deployed[key], key)
			}
			delete(deployed, key)
		}
	}
	for k := range deployed {
		t.Errorf("template route %s is not served locally", k)
	}
}

// The providers the local tools serve are exactly the functions/*-webhook directories, each
// named <provider>-webhook (the linking test pairs a webhook with its provider by that name).
func TestProvidersAreTheWebhookFunctions(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(root, "functions", "*-webhook"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, d := range dirs {
		want[filepath.Base(d)] = true
	}
	for _, w := range Webhooks {
		if w.Function != w.Provider+"-webhook" {
			t.Errorf("%s: function directory %s, want %s-webhook", w.Provider, w.Function, w.Provider)
		}
		if !want[w.Function] {
			t.Errorf("%s: functions/%s is not a webhook directory", w.Provider, w.Function)
		}
		delete(want, w.Function)
	}
	for d := range want {
		t.Errorf("functions/%s is not served by the local tools (run make generate)", d)
	}
}

// TestEventsFiles writes events/<function>-<variant>.json (API Gateway v2 events signed
// with the fake development secrets) when PAYHOOKS_UPDATE_EVENTS=1 (`make events`);
// otherwise it checks that every file is what `make events` would write, byte for byte.
func TestEventsFiles(t *testing.T) {
	update := os.Getenv("PAYHOOKS_UPDATE_EVENTS") == "1"
	for path, want := range eventFiles(t) {
		if update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale (run make events)", path)
		}
	}
}

// `make events` twice writes the same bytes, so a rerun leaves the tree clean.
func TestEventsDeterministic(t *testing.T) {
	a, b := eventFiles(t), eventFiles(t)
	for path := range a {
		if !bytes.Equal(a[path], b[path]) {
			t.Errorf("%s differs between two runs", path)
		}
	}
}

// eventFiles renders every sample as the event API Gateway would hand its function. There
// is no requestContext.time/timeEpoch: the function then stamps receivedAt when invoked, so
// an event sent today is received today (the pollers look back hours, not to a fixed date).
func eventFiles(t *testing.T) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "dev/secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, w := range Webhooks {
		samples, err := w.Samples(docs[secrets.Name(w.Provider)])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			path := filepath.Join(root, "events", fmt.Sprintf("%s-%s.json", w.Function, strings.ToLower(s.Name)))
			headers := map[string]string{"content-type": "application/json", "user-agent": w.Provider + "-webhooks"}
			for k, v := range s.Headers {
				headers[strings.ToLower(k)] = v
			}
			reqPath, query := s.SplitPath()
			method := s.HTTPMethod()
			if len(s.Body) == 0 {
				delete(headers, "content-type")
			}
			e := events.APIGatewayV2HTTPRequest{
				Version: "2.0", RouteKey: method + " " + w.Path, RawPath: reqPath, RawQueryString: query, Headers: headers, Body: string(s.Body),
				QueryStringParameters: gateway.QueryParameters(query),
				RequestContext: events.APIGatewayV2HTTPRequestContext{
					AccountID: "123456789012", APIID: "local", DomainName: "local.execute-api.localhost",
					RequestID: "sample-" + w.Provider + "-" + strings.ToLower(s.Name), RouteKey: method + " " + w.Path, Stage: "$default",
					HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: reqPath, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10", UserAgent: headers["user-agent"]},
				},
			}
			if strings.Contains(w.Path, "{token}") {
				e.PathParameters = map[string]string{"token": reqPath[strings.LastIndexByte(reqPath, '/')+1:]}
			}
			out, _ := json.MarshalIndent(e, "", "  ")
			files[path] = append(out, '\n')
		}
	}
	return files
}
