package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestRouting(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	h := func(_ context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = e
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{"status":"accepted"}`}, nil
	}
	g := New([]Route{{"POST", "/webhooks/a", h}, {"POST", "/webhooks/b/{token}", h}}, 16, slog.Default())
	tests := []struct {
		method, path, body string
		status             int
		route              string
		b64                bool
	}{
		{"POST", "/webhooks/a", "{}", 200, "POST /webhooks/a", false},
		{"POST", "/webhooks/b/tok", "\xff\xfe", 200, "POST /webhooks/b/{token}", true},
		{"GET", "/webhooks/a", "", 405, "", false},
		{"POST", "/webhooks/c", "", 404, "", false},
		{"POST", "/webhooks/b/", "", 404, "", false},
	}
	for _, tt := range tests {
		got = events.APIGatewayV2HTTPRequest{}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
		if rec.Code != tt.status {
			t.Errorf("%s %s: %d want %d", tt.method, tt.path, rec.Code, tt.status)
		}
		if got.RouteKey != tt.route || got.IsBase64Encoded != tt.b64 {
			t.Errorf("%s %s: route %q b64 %v", tt.method, tt.path, got.RouteKey, got.IsBase64Encoded)
		}
		if tt.status == 404 && !strings.Contains(rec.Body.String(), "unknown_route") {
			t.Errorf("404 body %s", rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest("POST", "/webhooks/b/secret-token", strings.NewReader("x")))
	if got.PathParameters["token"] != "secret-token" {
		t.Errorf("path params %v", got.PathParameters)
	}
	_ = http.MethodPost
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
