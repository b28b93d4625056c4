package cxtn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/payhooks/payhooks/shared/support/httpapi"
)

const bearer = "test-bearer-token-NOT-REAL"

// docResponse is the doc's create response.
const docResponse = `{
"Content": {"Model": {"ApiStatusCode": 100, "ApiStatus": "IsValid", "ApiStatusDescription": "Valid Operation"},
 "ExpectedResponses": ["IsValid"]},
"AuthorisedClientModel": {"ClientId": "<clientid>", "ClientRef": "<clientref>", "ApiStatusCode": 100, "ApiStatus": "IsValid", "ApiStatusDescription": "Valid Operation"},
"AuthorisedUserModel": {"UserId": "<userid>", "AppVersion": "20231117.1", "ApiLoginType": 1, "ApiStatusCode": 100, "ApiStatus": "IsValid", "ApiStatusDescription": "Valid Operation"}
}`

type call struct {
	method, path string
	body         map[string]any // nil when no body is expected
}

// fakeCXTN checks each request against the documented shape and answers with response.
func fakeCXTN(t *testing.T, want call, status int, response string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != want.method || r.URL.Path != want.path {
			t.Errorf("request %s %s, want %s %s", r.Method, r.URL.Path, want.method, want.path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+bearer {
			t.Errorf("Authorization = %q", got)
		}
		b, _ := io.ReadAll(r.Body)
		if want.body == nil {
			if len(b) != 0 {
				t.Errorf("unexpected body %s", b)
			}
		} else {
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, want.body) {
				t.Errorf("body %s, want %v", b, want.body)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, response)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestEndpointCalls(t *testing.T) {
	const hook = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/cxtn/tok"
	tests := []struct {
		name string
		want call
		run  func(c *Client) (*Result, error)
	}{
		{"enable", call{"POST", "/api/webhooks/enable", nil},
			func(c *Client) (*Result, error) { return c.Enable(context.Background()) }},
		{"list", call{"GET", "/api/webhooks/endpoints", nil},
			func(c *Client) (*Result, error) { return c.List(context.Background()) }},
		{"create", call{"POST", "/api/webhooks/endpoints", map[string]any{"WebhookEventType": "Payment", "EndpointUrl": hook}},
			func(c *Client) (*Result, error) { return c.Create(context.Background(), EventPayment, hook) }},
		{"edit", call{"PUT", "/api/webhooks/endpoints", map[string]any{"WebhookEventType": "AccountTransaction", "EndpointUrl": hook}},
			func(c *Client) (*Result, error) { return c.Edit(context.Background(), EventAccountTransaction, hook) }},
		{"status", call{"PUT", "/api/webhooks/endpoints/status", map[string]any{"WebhookEventType": "Payment", "Status": "Paused"}},
			func(c *Client) (*Result, error) {
				return c.UpdateStatus(context.Background(), EventPayment, StatusPaused)
			}},
		{"deactivate", call{"PUT", "/api/webhooks/deactivate", nil},
			func(c *Client) (*Result, error) { return c.Deactivate(context.Background()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := fakeCXTN(t, tt.want, http.StatusOK, docResponse)
			res, err := tt.run(&Client{BaseURL: srv.URL + "/", Token: bearer, HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 1 {
				t.Fatalf("%d calls", calls.Load())
			}
			if res.Status == nil || res.Status.Status != Valid || res.Status.Code != 100 || len(res.Content) == 0 {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

func TestEndpointErrors(t *testing.T) {
	invalid := strings.Replace(docResponse, `"ApiStatusCode": 100, "ApiStatus": "IsValid", "ApiStatusDescription": "Valid Operation"}`,
		`"ApiStatusCode": 201, "ApiStatus": "InvalidEndpointUrl", "ApiStatusDescription": "Endpoint url is invalid"}`, 1)
	expired := `{"AuthorisedUserModel": {"ApiStatusCode": 401, "ApiStatus": "TokenExpired", "ApiStatusDescription": "Token expired"}}`
	list := call{"GET", "/api/webhooks/endpoints", nil}

	t.Run("http error", func(t *testing.T) {
		srv, _ := fakeCXTN(t, list, http.StatusUnauthorized, `{"message":"Authorization has been denied"}`)
		_, err := (&Client{BaseURL: srv.URL, Token: bearer}).List(context.Background())
		var he *httpapi.StatusError
		if !errors.As(err, &he) || !errors.Is(err, httpapi.ErrUnauthorized) || !strings.Contains(he.Message, "denied") {
			t.Fatalf("err = %v, want StatusError 401", err)
		}
		if strings.Contains(err.Error(), bearer) {
			t.Fatal("error reveals the bearer token")
		}
	})
	for name, body := range map[string]string{"content model": invalid, "user model": expired} {
		t.Run(name, func(t *testing.T) {
			srv, _ := fakeCXTN(t, list, http.StatusOK, body)
			_, err := (&Client{BaseURL: srv.URL, Token: bearer}).List(context.Background())
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status == Valid || ae.Status == "" {
				t.Fatalf("err = %v, want APIError", err)
			}
		})
	}
	t.Run("not json", func(t *testing.T) {
		srv, _ := fakeCXTN(t, list, http.StatusOK, `<html>gateway</html>`)
		if _, err := (&Client{BaseURL: srv.URL, Token: bearer}).List(context.Background()); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("invalid arguments send nothing", func(t *testing.T) {
		srv, calls := fakeCXTN(t, list, http.StatusOK, docResponse)
		c := &Client{BaseURL: srv.URL, Token: bearer}
		ctx := context.Background()
		for _, err := range []error{
			func() error { _, err := c.Create(ctx, "Wallets", "https://example.com/h"); return err }(),
			func() error { _, err := c.Create(ctx, EventPayment, "ftp://example.com/h"); return err }(),
			func() error { _, err := c.Edit(ctx, EventPayment, "/relative"); return err }(),
			func() error { _, err := c.UpdateStatus(ctx, EventPayment, "Deleted"); return err }(),
			func() error { _, err := (&Client{BaseURL: srv.URL}).List(ctx); return err }(),
			func() error { _, err := (&Client{BaseURL: "not a url", Token: bearer}).List(ctx); return err }(),
		} {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
		}
		if calls.Load() != 0 {
			t.Fatalf("%d requests sent", calls.Load())
		}
	})
}
