// Package gateway is a local stand-in for API Gateway HTTP API: it turns net/http requests
// into payload-format-2.0 events and hands them to the very handler values the Lambda
// functions run, so `make run` exercises production code paths.
package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// HandlerFunc is a Lambda handler for HTTP API events.
type HandlerFunc func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Route is one API route, as in template.yaml: e.g. POST /webhooks/cxtn/{token}.
type Route struct {
	Method  string
	Path    string
	Handler HandlerFunc
}

// Gateway serves routes.
type Gateway struct {
	routes  []Route
	log     *slog.Logger
	maxBody int
	seq     atomic.Int64
}

// New returns a gateway for routes. Bodies are cut at maxBody+1 bytes, enough for the
// handler to see that a body is too large without holding a huge one in memory.
func New(routes []Route, maxBody int, log *slog.Logger) *Gateway {
	return &Gateway{routes: routes, log: log, maxBody: maxBody}
}

// match reports whether path is the route template tmpl, segment by segment, as API
// Gateway matches it: exactly, so "/webhooks/axs/" is not "/webhooks/axs".
func match(tmpl, path string) (map[string]string, bool) {
	ts := strings.Split(tmpl, "/")
	ps := strings.Split(path, "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	var params map[string]string
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[t[1:len(t)-1]] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, false
		}
	}
	return params, true
}

func writeJSON(w http.ResponseWriter, status int, body map[string]string) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var route *Route
	var params map[string]string
	for i := range g.routes {
		if p, ok := match(g.routes[i].Path, r.URL.Path); ok && g.routes[i].Method == r.Method {
			route, params = &g.routes[i], p
			break
		}
	}
	if route == nil {
		// An HTTP API answers an unknown route and a known path with another method alike,
		// before any function runs (no 405, no Allow header).
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(g.maxBody)+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unreadable_body"})
		return
	}
	e := g.event(r, route, params, body)
	resp, err := route.Handler(r.Context(), e)
	if err != nil {
		// Real API Gateway answers a function error with a bare 502.
		g.log.Error("function returned an error", "route", e.RouteKey, "error", err.Error())
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "Internal Server Error"})
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	w.WriteHeader(resp.StatusCode)
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(resp.Body)
		_, _ = w.Write(b)
		return
	}
	_, _ = io.WriteString(w, resp.Body)
}

// QueryParameters is API Gateway's parsed form of the query: repeated names joined by
// commas, absent when there is no query.
func QueryParameters(raw string) map[string]string {
	q, _ := url.ParseQuery(raw)
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = strings.Join(v, ",")
	}
	return out
}

func (g *Gateway) event(r *http.Request, route *Route, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	headers := make(map[string]string, len(r.Header))
	var cookies []string
	for k, v := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			// Payload 2.0 moves cookies out of the headers into their own list.
			for _, line := range v {
				for _, c := range strings.Split(line, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		// API Gateway joins repeated headers with commas and lower-cases names.
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now()
	e := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Method + " " + route.Path,
		RawPath:               r.URL.Path,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: QueryParameters(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:  route.Method + " " + route.Path,
			RequestID: "local-" + strconv.FormatInt(now.UnixNano(), 36) + "-" + strconv.FormatInt(g.seq.Add(1), 10),
			Stage:     "$default",
			Time:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) == 0 {
		return e
	}
	if textual(r.Header.Get("Content-Type")) {
		e.Body = string(body)
	} else {
		e.Body = base64.StdEncoding.EncodeToString(body)
		e.IsBase64Encoded = true
	}
	return e
}

// textual reports whether an HTTP API passes a body of this content type as text. Anything
// else is base64-encoded, a missing content type and application/x-www-form-urlencoded
// included (observed on AWS; the documentation lists no types).
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}
