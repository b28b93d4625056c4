package webhook

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/provider"
)

// maxEncoded bounds a base64 body before decoding, so an oversized request costs no
// decoding work.
const maxEncoded = (MaxBody+2)/3*4 + 4

// Lambda adapts the handler to API Gateway HTTP API (payload format 2.0). It never returns
// an error: Lambda would turn it into a bare 502 without our typed reason.
func (h *Handler) Lambda(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	req, rej := FromAPIGateway(&e)
	var resp Response
	if rej != nil {
		h.logger().Warn("webhook rejected", "provider", h.Provider.Name(), "route", e.RouteKey,
			"request_id", e.RequestContext.RequestID, "outcome", "rejected", "reason", rej.Reason)
		h.count("rejected", h.Provider.Name(), rej.Reason)
		resp = Reject(rej.Kind.Status(), rej.Reason)
	} else {
		resp = h.Handle(ctx, req)
	}
	return ToAPIGateway(resp), nil
}

// FromAPIGateway turns an API Gateway v2 event into a provider request, starting from the
// exact body bytes.
func FromAPIGateway(e *events.APIGatewayV2HTTPRequest) (*provider.Request, *provider.Rejection) {
	if len(e.Body) > maxEncoded || (!e.IsBase64Encoded && len(e.Body) > MaxBody) {
		return nil, &provider.Rejection{Kind: provider.KindTooLarge, Reason: provider.ReasonTooLarge}
	}
	body := []byte(e.Body)
	if e.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(e.Body)
		if err != nil {
			return nil, &provider.Rejection{Kind: provider.KindBadRequest, Reason: provider.ReasonBadBase64, Err: err}
		}
		body = decoded
	}
	headers := make(map[string]string, len(e.Headers))
	for k, v := range e.Headers {
		headers[strings.ToLower(k)] = v
	}
	received := time.Now()
	if e.RequestContext.TimeEpoch > 0 {
		received = time.UnixMilli(e.RequestContext.TimeEpoch)
	}
	route := e.RouteKey
	if route == "" || route == "$default" {
		// Never fall back to the raw path: for token-authenticated routes it holds the secret.
		route = e.RequestContext.HTTP.Method + " (unrouted)"
	}
	return &provider.Request{
		Route:      route,
		Headers:    headers,
		PathParams: e.PathParameters,
		Query:      rawQuery(e),
		SourceIP:   e.RequestContext.HTTP.SourceIP,
		Body:       body,
		RequestID:  e.RequestContext.RequestID,
		ReceivedAt: received,
	}, nil
}

// rawQuery is the query string as received. Payload 2.0 always carries rawQueryString; an
// event written by hand (sam local invoke) may hold only the parsed parameters.
func rawQuery(e *events.APIGatewayV2HTTPRequest) string {
	if e.RawQueryString != "" || len(e.QueryStringParameters) == 0 {
		return e.RawQueryString
	}
	q := url.Values{}
	for k, v := range e.QueryStringParameters {
		q.Set(k, v)
	}
	return q.Encode()
}

// ToAPIGateway renders a response for API Gateway.
func ToAPIGateway(r Response) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: r.Status,
		Headers:    map[string]string{"content-type": "application/json", "cache-control": "no-store"},
		Body:       string(r.Body),
	}
}
