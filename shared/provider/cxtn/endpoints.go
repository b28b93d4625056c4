package cxtn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/support/httpapi"
)

// DefaultBaseURL is the integration host the doc's example calls; production differs and
// must be configured.
const DefaultBaseURL = "https://caxapi-integration.azurewebsites.net"

// EventType is a webhook event type; only these two are active at CXTN.
type EventType string

const (
	EventPayment            EventType = "Payment"            // payment_completed, trade_settled
	EventAccountTransaction EventType = "AccountTransaction" // account_credit, account_debit
)

// EndpointStatus is what Update Webhook Endpoint Status sets.
type EndpointStatus string

const (
	StatusActive   EndpointStatus = "Active"
	StatusInactive EndpointStatus = "Inactive"
	StatusPaused   EndpointStatus = "Paused"
)

// Paths are the endpoint-management routes under the base URL. Only create is shown in
// the doc (POST <base>/api//webhooks/endpoints, the double slash taken as a typo); the
// others are named in the doc but not spelled out, so the defaults are our best reading
// and must be confirmed with CXTN. They are fields so a correction needs no code change.
type Paths struct {
	Enable     string // POST  Enable Webhooks
	Endpoints  string // GET   Retrieve Webhook Endpoints; POST Create; PUT Edit
	Status     string // PUT   Update Webhook Endpoint Status
	Deactivate string // PUT   DeActivate Webhook (all endpoints)
}

// DefaultPaths are the routes used when Client.Paths is left empty (to be confirmed).
var DefaultPaths = Paths{
	Enable:     "/api/webhooks/enable",
	Endpoints:  "/api/webhooks/endpoints",
	Status:     "/api/webhooks/endpoints/status",
	Deactivate: "/api/webhooks/deactivate",
}

// Client calls CXTN's webhook-endpoint API with a bearer access token.
type Client struct {
	BaseURL    string // default DefaultBaseURL
	Token      string // bearer access token; never logged or put in errors
	HTTPClient *http.Client
	Paths      Paths // zero fields fall back to DefaultPaths
}

// APIStatus is CXTN's verdict on an operation, found in Content.Model and in the
// authorisation models of every response.
type APIStatus struct {
	Code        int    `json:"ApiStatusCode"`
	Status      string `json:"ApiStatus"`
	Description string `json:"ApiStatusDescription"`
}

// Valid is CXTN's ApiStatus for success.
const Valid = "IsValid"

// Result is a successful response. Content is kept whole because the doc shows only the
// create response; for List it holds the endpoints in CXTN's own shape.
type Result struct {
	Status  *APIStatus      // Content.Model, when it is a status object
	Content json.RawMessage // the response's Content
	Body    []byte          // the whole response body
}

// ErrInvalidArgument rejects a call before anything is sent.
var ErrInvalidArgument = errors.New("cxtn: invalid argument")

// APIError is a 2xx answer whose ApiStatus is not IsValid.
type APIError struct {
	Op    string
	Model string // which part of the response said so, e.g. Content.Model
	APIStatus
}

func (e *APIError) Error() string {
	return fmt.Sprintf("cxtn %s: %s: %s (%d): %s", e.Op, e.Model, e.Status, e.Code, e.Description)
}

// Enable turns webhooks on for the account (after CXTN has approved the request).
func (c *Client) Enable(ctx context.Context) (*Result, error) {
	return c.do(ctx, "enable", http.MethodPost, c.path(c.Paths.Enable, DefaultPaths.Enable), nil)
}

// List retrieves the account's webhook endpoints.
func (c *Client) List(ctx context.Context) (*Result, error) {
	return c.do(ctx, "list", http.MethodGet, c.path(c.Paths.Endpoints, DefaultPaths.Endpoints), nil)
}

type endpointRequest struct {
	WebhookEventType EventType `json:"WebhookEventType"`
	EndpointUrl      string    `json:"EndpointUrl"`
}

// Create registers endpointURL for the event type.
func (c *Client) Create(ctx context.Context, t EventType, endpointURL string) (*Result, error) {
	if err := checkEndpoint(t, endpointURL); err != nil {
		return nil, err
	}
	return c.do(ctx, "create", http.MethodPost, c.path(c.Paths.Endpoints, DefaultPaths.Endpoints), endpointRequest{t, endpointURL})
}

// Edit changes the URL of the event type's endpoint (the doc identifies it by type).
func (c *Client) Edit(ctx context.Context, t EventType, endpointURL string) (*Result, error) {
	if err := checkEndpoint(t, endpointURL); err != nil {
		return nil, err
	}
	return c.do(ctx, "edit", http.MethodPut, c.path(c.Paths.Endpoints, DefaultPaths.Endpoints), endpointRequest{t, endpointURL})
}

type statusRequest struct {
	WebhookEventType EventType      `json:"WebhookEventType"`
	Status           EndpointStatus `json:"Status"`
}

// UpdateStatus sets the event type's endpoint Active, Inactive or Paused. The body's
// Status field name is ours (to be confirmed).
func (c *Client) UpdateStatus(ctx context.Context, t EventType, s EndpointStatus) (*Result, error) {
	if err := checkType(t); err != nil {
		return nil, err
	}
	switch s {
	case StatusActive, StatusInactive, StatusPaused:
	default:
		return nil, fmt.Errorf("%w: status %q is not Active, Inactive or Paused", ErrInvalidArgument, s)
	}
	return c.do(ctx, "update status", http.MethodPut, c.path(c.Paths.Status, DefaultPaths.Status), statusRequest{t, s})
}

// Deactivate turns off every webhook of the account.
func (c *Client) Deactivate(ctx context.Context) (*Result, error) {
	return c.do(ctx, "deactivate", http.MethodPut, c.path(c.Paths.Deactivate, DefaultPaths.Deactivate), nil)
}

func checkType(t EventType) error {
	switch t {
	case EventPayment, EventAccountTransaction:
		return nil
	}
	return fmt.Errorf("%w: event type %q is not Payment or AccountTransaction (the only active types)", ErrInvalidArgument, t)
}

func checkEndpoint(t EventType, endpointURL string) error {
	if err := checkType(t); err != nil {
		return err
	}
	u, err := url.Parse(endpointURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%w: endpoint URL must be an absolute http(s) URL", ErrInvalidArgument)
	}
	return nil
}

func (c *Client) path(p, def string) string {
	if p == "" {
		p = def
	}
	return p
}

// maxResponse bounds what is read from CXTN.
const maxResponse = 4 << 20

func (c *Client) do(ctx context.Context, op, method, path string, in any) (*Result, error) {
	if c.Token == "" {
		return nil, fmt.Errorf("%w: no bearer token", ErrInvalidArgument)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: base URL %q is not an absolute http(s) URL", ErrInvalidArgument, base)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("cxtn %s: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, body)
	if err != nil {
		return nil, fmt.Errorf("cxtn %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cxtn %s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("cxtn %s: read response: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, httpapi.NewStatusError("cxtn "+op, resp, raw, time.Now())
	}
	return parseResult(op, raw)
}

func parseResult(op string, raw []byte) (*Result, error) {
	res := &Result{Body: raw}
	if len(bytes.TrimSpace(raw)) == 0 {
		return res, nil
	}
	var env struct {
		Content               json.RawMessage `json:"Content"`
		AuthorisedClientModel *APIStatus      `json:"AuthorisedClientModel"`
		AuthorisedUserModel   *APIStatus      `json:"AuthorisedUserModel"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("cxtn %s: response is not the documented JSON envelope: %w", op, err)
	}
	res.Content = env.Content
	var content struct {
		Model json.RawMessage `json:"Model"`
	}
	if json.Unmarshal(env.Content, &content) == nil && len(content.Model) > 0 && content.Model[0] == '{' {
		var st APIStatus
		if json.Unmarshal(content.Model, &st) == nil && st.Status != "" {
			res.Status = &st
		}
	}
	for _, m := range []struct {
		name string
		st   *APIStatus
	}{
		{"AuthorisedClientModel", env.AuthorisedClientModel},
		{"AuthorisedUserModel", env.AuthorisedUserModel},
		{"Content.Model", res.Status},
	} {
		if m.st != nil && m.st.Status != "" && m.st.Status != Valid {
			return nil, &APIError{Op: op, Model: m.name, APIStatus: *m.st}
		}
	}
	return res, nil
}
