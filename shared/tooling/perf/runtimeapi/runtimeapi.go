// Package runtimeapi is a minimal stand-in for the AWS Lambda Runtime API, enough to run a
// real `bootstrap` outside Lambda and time its cold start: it hands out queued invocations
// on GET /2018-06-01/runtime/invocation/next and records what the function posts back.
package runtimeapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const prefix = "/2018-06-01/runtime/"

// Invocation is one event to hand to the function.
type Invocation struct {
	RequestID   string
	Event       []byte
	Deadline    time.Duration // from the moment the function picks it up; default 30s
	FunctionARN string        // default arn:aws:lambda:us-east-1:123456789012:function:bench
}

// Kinds of Result.
const (
	KindResponse  = "response"
	KindError     = "error"
	KindInitError = "init_error"
)

// Result is what the function posted.
type Result struct {
	Kind      string
	RequestID string // empty for init errors
	Body      []byte
	At        time.Time // when the post arrived, before its body was read
}

// Server serves the Runtime API on a loopback port.
type Server struct {
	ln      net.Listener
	srv     *http.Server
	queue   chan Invocation
	results chan Result
	done    chan struct{}
	once    sync.Once
}

// Start listens on a free loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, queue: make(chan Invocation, 64), results: make(chan Result, 64), done: make(chan struct{})}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API (host:port, no scheme).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Enqueue queues an invocation for the next GET .../invocation/next.
func (s *Server) Enqueue(inv Invocation) { s.queue <- inv }

// Wait returns the next posted result, or ctx's error.
func (s *Server) Wait(ctx context.Context) (Result, error) {
	select {
	case r := <-s.results:
		return r, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Close releases functions blocked on next and stops the server.
func (s *Server) Close() error {
	s.once.Do(func() { close(s.done) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	path, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		s.next(w, r)
	case r.Method == http.MethodPost && path == "init/error":
		s.record(w, r, Result{Kind: KindInitError, At: at})
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, kind, ok := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if !ok || id == "" || (kind != KindResponse && kind != KindError) {
			http.NotFound(w, r)
			return
		}
		s.record(w, r, Result{Kind: kind, RequestID: id, At: at})
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	var inv Invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.done:
		// Like Lambda freezing an idle sandbox: the function never gets another event.
		w.WriteHeader(http.StatusGone)
		return
	}
	if r.Context().Err() != nil {
		// The caller went away (a killed function) while this was queued: keep it for the
		// next caller instead of writing it to a dead connection.
		s.queue <- inv
		return
	}
	if inv.Deadline == 0 {
		inv.Deadline = 30 * time.Second
	}
	if inv.FunctionARN == "" {
		inv.FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:bench"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.RequestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(inv.Deadline).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.FunctionARN)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.Event)
}

func (s *Server) record(w http.ResponseWriter, r *http.Request, res Result) {
	res.Body, _ = io.ReadAll(r.Body)
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
	select {
	case s.results <- res:
	case <-s.done:
	}
}
