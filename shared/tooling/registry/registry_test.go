package registry

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

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

// TestEventsFiles writes events/<function>-<variant>.json (API Gateway v2 events signed
// with the fake development secrets) when PAYHOOKS_UPDATE_EVENTS=1 (`make events`);
// otherwise it checks that every sample has its file.
func TestEventsFiles(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "dev/secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("PAYHOOKS_UPDATE_EVENTS") == "1"
	for _, w := range Webhooks {
		samples, err := w.Samples(docs["payhooks/"+w.Provider])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			path := filepath.Join(root, "events", fmt.Sprintf("%s-%s.json", w.Function, strings.ToLower(s.Name)))
			if !update {
				if _, err := os.Stat(path); err != nil {
					t.Errorf("missing %s (run make events)", path)
				}
				continue
			}
			headers := map[string]string{"content-type": "application/json", "user-agent": w.Provider + "-webhooks"}
			for k, v := range s.Headers {
				headers[strings.ToLower(k)] = v
			}
			now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
			reqPath, query := s.SplitPath()
			method := s.HTTPMethod()
			if len(s.Body) == 0 {
				delete(headers, "content-type")
			}
			e := events.APIGatewayV2HTTPRequest{
				Version: "2.0", RouteKey: method + " " + w.Path, RawPath: reqPath, RawQueryString: query, Headers: headers, Body: string(s.Body),
				RequestContext: events.APIGatewayV2HTTPRequestContext{
					AccountID: "123456789012", APIID: "local", DomainName: "local.execute-api.localhost",
					RequestID: "sample-" + w.Provider + "-" + strings.ToLower(s.Name), RouteKey: method + " " + w.Path, Stage: "$default",
					Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
					HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: reqPath, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10", UserAgent: headers["user-agent"]},
				},
			}
			if q, _ := url.ParseQuery(query); len(q) > 0 {
				e.QueryStringParameters = map[string]string{}
				for k, v := range q {
					e.QueryStringParameters[k] = strings.Join(v, ",")
				}
			}
			if strings.Contains(w.Path, "{token}") {
				e.PathParameters = map[string]string{"token": reqPath[strings.LastIndexByte(reqPath, '/')+1:]}
			}
			out, _ := json.MarshalIndent(e, "", "  ")
			if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
