package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

const cxtnTestBearer = "cli-test-bearer-NOT-REAL"

const cxtnTestOK = `{"Content":{"Model":{"ApiStatusCode":100,"ApiStatus":"IsValid","ApiStatusDescription":"Valid Operation"},"ExpectedResponses":["IsValid"]},` +
	`"AuthorisedClientModel":{"ClientId":"<clientid>","ApiStatusCode":100,"ApiStatus":"IsValid","ApiStatusDescription":"Valid Operation"}}`

type cxtnTestRequest struct {
	method, path, auth string
	body               map[string]any
}

// cxtnFake records requests and answers with status and body.
func cxtnFake(t *testing.T, status int, body string) (*httptest.Server, *[]cxtnTestRequest) {
	t.Helper()
	var got []cxtnTestRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := cxtnTestRequest{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization")}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &req.body); err != nil {
				t.Errorf("request body is not JSON: %s", b)
			}
		}
		got = append(got, req)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestCXTNEndpointsCommand(t *testing.T) {
	const hook = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/cxtn/tok"
	tests := []struct {
		args []string
		want cxtnTestRequest
	}{
		{[]string{"list"}, cxtnTestRequest{"GET", "/api/webhooks/endpoints", "", nil}},
		{[]string{"enable"}, cxtnTestRequest{"POST", "/api/webhooks/enable", "", nil}},
		{[]string{"deactivate"}, cxtnTestRequest{"PUT", "/api/webhooks/deactivate", "", nil}},
		{[]string{"create", "--type", "Payment", "--url", hook},
			cxtnTestRequest{"POST", "/api/webhooks/endpoints", "", map[string]any{"WebhookEventType": "Payment", "EndpointUrl": hook}}},
		{[]string{"update", "--type", "accounttransaction", "--url", hook},
			cxtnTestRequest{"PUT", "/api/webhooks/endpoints", "", map[string]any{"WebhookEventType": "AccountTransaction", "EndpointUrl": hook}}},
		{[]string{"status", "--type", "Payment", "--status", "paused"},
			cxtnTestRequest{"PUT", "/api/webhooks/endpoints/status", "", map[string]any{"WebhookEventType": "Payment", "Status": "Paused"}}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			srv, got := cxtnFake(t, http.StatusOK, cxtnTestOK)
			args := append([]string{"cxtn", "endpoints"}, tt.args...)
			args = append(args, "--token", cxtnTestBearer, "--base-url", srv.URL)
			var out, errOut bytes.Buffer
			if code := runMain(context.Background(), args, &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			tt.want.auth = "Bearer " + cxtnTestBearer
			if len(*got) != 1 || !reflect.DeepEqual((*got)[0], tt.want) {
				t.Fatalf("requests %+v, want %+v", *got, tt.want)
			}
			if !strings.Contains(out.String(), `"ApiStatus": "IsValid"`) {
				t.Fatalf("stdout %s", out.String())
			}
		})
	}
}

func TestCXTNEndpointsCommandTokenFromEnv(t *testing.T) {
	srv, got := cxtnFake(t, http.StatusOK, cxtnTestOK)
	t.Setenv(cxtnTokenEnv, cxtnTestBearer)
	var out, errOut bytes.Buffer
	if code := runMain(context.Background(), []string{"cxtn", "endpoints", "list", "--base-url", srv.URL}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if len(*got) != 1 || (*got)[0].auth != "Bearer "+cxtnTestBearer {
		t.Fatalf("requests %+v", *got)
	}
}

func TestCXTNEndpointsCommandErrors(t *testing.T) {
	t.Setenv(cxtnTokenEnv, "")
	srv, got := cxtnFake(t, http.StatusUnauthorized, `{"Message":"Authorization has been denied for this request."}`)
	invalid, _ := cxtnFake(t, http.StatusOK, strings.Replace(cxtnTestOK, `"ApiStatus":"IsValid","ApiStatusDescription":"Valid Operation"},"Exp`,
		`"ApiStatus":"EndpointAlreadyExists","ApiStatusDescription":"Endpoint already exists"},"Exp`, 1))
	tok := []string{"--token", cxtnTestBearer, "--base-url", srv.URL}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"cxtn"}, "usage"},
		{[]string{"cxtn", "webhooks", "list"}, "usage"},
		{[]string{"cxtn", "endpoints", "delete", "--token", "x"}, "unknown action"},
		{[]string{"cxtn", "endpoints", "list", "--base-url", srv.URL}, "no bearer token"},
		{append([]string{"cxtn", "endpoints", "create", "--type", "Payment"}, tok...), "needs --url"},
		{append([]string{"cxtn", "endpoints", "status", "--type", "Payment"}, tok...), "needs --status"},
		{append([]string{"cxtn", "endpoints", "create", "--type", "Wallet", "--url", "https://x.example/h"}, tok...), "invalid argument"},
		{append([]string{"cxtn", "endpoints", "list"}, tok...), "HTTP 401"},
		{[]string{"cxtn", "endpoints", "create", "--type", "Payment", "--url", "https://x.example/h", "--token", cxtnTestBearer, "--base-url", invalid.URL}, "EndpointAlreadyExists"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := runMain(context.Background(), tt.args, &out, &errOut); code == 0 {
			t.Errorf("%q: exit 0", tt.args)
			continue
		}
		if !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%q: stderr %q, want %q", tt.args, errOut.String(), tt.want)
		}
		if strings.Contains(errOut.String(), cxtnTestBearer) {
			t.Errorf("%q: stderr reveals the bearer token", tt.args)
		}
	}
	if len(*got) != 1 {
		t.Fatalf("%d requests reached the server, want only the 401 one", len(*got))
	}
}
