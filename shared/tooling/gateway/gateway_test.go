package gateway

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// Routing as an HTTP API does it: exact paths, a path parameter is one non-empty segment,
// and an unknown route or method is 404 {"message":"Not Found"} without calling the function.
func TestRouting(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	calls := 0
	h := func(_ context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got, calls = e, calls+1
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{"status":"accepted"}`}, nil
	}
	g := New([]Route{{"POST", "/webhooks/a", h}, {"POST", "/webhooks/b/{token}", h}}, 16, slog.Default())
	tests := []struct {
		method, path string
		status       int
		route        string
	}{
		{"POST", "/webhooks/a", 200, "POST /webhooks/a"},
		{"POST", "/webhooks/b/tok", 200, "POST /webhooks/b/{token}"},
		{"GET", "/webhooks/a", 404, ""},
		{"PUT", "/webhooks/b/tok", 404, ""},
		{"POST", "/webhooks/c", 404, ""},
		{"POST", "/webhooks/b/", 404, ""},
		{"POST", "/webhooks/a/", 404, ""},
		{"POST", "/webhooks/b/tok/", 404, ""},
		{"POST", "/webhooks//a", 404, ""},
	}
	for _, tt := range tests {
		got, calls = events.APIGatewayV2HTTPRequest{}, 0
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader("{}")))
		if rec.Code != tt.status || got.RouteKey != tt.route {
			t.Errorf("%s %s: %d route %q, want %d %q", tt.method, tt.path, rec.Code, got.RouteKey, tt.status, tt.route)
		}
		if tt.status == 404 && (rec.Body.String() != `{"message":"Not Found"}`+"\n" || calls != 0) {
			t.Errorf("%s %s: 404 body %q after %d calls", tt.method, tt.path, rec.Body.String(), calls)
		}
	}
	g.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/webhooks/b/secret-token", nil))
	if got.PathParameters["token"] != "secret-token" {
		t.Errorf("path params %v", got.PathParameters)
	}
}

// Bodies: text for text/*, JSON, XML and JavaScript; base64 for anything else, a missing
// content type and form encoding included. Cookies leave the headers for their own list.
func TestPayload(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	h := func(_ context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = e
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Cookies: []string{"a=1; Secure", "b=2"}}, nil
	}
	g := New([]Route{{"POST", "/w", h}}, 1024, slog.Default())
	for _, tt := range []struct {
		contentType, body string
		b64               bool
	}{
		{"application/json", `{"a":1}`, false},
		{"application/json; charset=utf-8", `{"a":1}`, false},
		{"text/plain", "hi", false},
		{"application/xml", "<a/>", false},
		{"", `{"a":1}`, true},
		{"application/x-www-form-urlencoded", "data=x", true},
		{"application/octet-stream", "\xff\xfe", true},
		{"application/vnd.api+json", `{}`, true},
		{"application/json", "", false},
	} {
		req := httptest.NewRequest("POST", "/w", strings.NewReader(tt.body))
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		g.ServeHTTP(httptest.NewRecorder(), req)
		want := tt.body
		if tt.b64 {
			want = base64.StdEncoding.EncodeToString([]byte(tt.body))
		}
		if got.IsBase64Encoded != tt.b64 || got.Body != want {
			t.Errorf("%q %q: body %q b64 %v", tt.contentType, tt.body, got.Body, got.IsBase64Encoded)
		}
	}
	req := httptest.NewRequest("POST", "/w", nil)
	req.Header.Add("Cookie", "s=1; t=2")
	req.Header.Add("Cookie", "u=3")
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	if strings.Join(got.Cookies, "|") != "s=1|t=2|u=3" || got.Headers["cookie"] != "" {
		t.Errorf("cookies %q, cookie header %q", got.Cookies, got.Headers["cookie"])
	}
	if sc := rec.Result().Header.Values("Set-Cookie"); strings.Join(sc, "|") != "a=1; Secure|b=2" {
		t.Errorf("Set-Cookie %q", sc)
	}
}

// A route may serve GET too; the query reaches the handler raw and parsed, as API Gateway
// passes it (repeated names joined by commas).
func TestQueryAndGET(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	h := func(_ context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = e
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}
	g := New([]Route{{"POST", "/webhooks/a", h}, {"GET", "/webhooks/a", h}}, 16, slog.Default())
	for _, method := range []string{"GET", "POST"} {
		got = events.APIGatewayV2HTTPRequest{}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(method, "/webhooks/a?data=a%2Eb&x=1&x=2", nil))
		if rec.Code != 200 || got.RouteKey != method+" /webhooks/a" || got.RequestContext.HTTP.Method != method {
			t.Errorf("%s: %d route %q", method, rec.Code, got.RouteKey)
		}
		if got.RawQueryString != "data=a%2Eb&x=1&x=2" || got.QueryStringParameters["data"] != "a.b" || got.QueryStringParameters["x"] != "1,2" {
			t.Errorf("%s: raw %q params %v", method, got.RawQueryString, got.QueryStringParameters)
		}
	}
	g.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/webhooks/a", nil))
	if got.QueryStringParameters != nil || got.RawQueryString != "" {
		t.Errorf("no query: %v %q", got.QueryStringParameters, got.RawQueryString)
	}
}
