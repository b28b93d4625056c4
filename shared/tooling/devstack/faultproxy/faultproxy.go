// Package faultproxy is a loopback HTTP proxy that sits between payhooks and a local
// service (DynamoDB Local, moto) and injects the faults production meets: latency,
// connection resets, 5xx answers and outright outages. Tests switch modes mid-stream.
package faultproxy

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how the proxy treats the next requests.
type Mode int32

const (
	Pass     Mode = iota // forward untouched
	Latency              // forward after Delay
	Reset                // close the connection without an answer
	Error500             // answer 500 like an AWS InternalFailure
	Down                 // refuse connections, as if the service were killed
)

// Proxy forwards to one target.
type Proxy struct {
	URL   string // what clients point at
	Delay time.Duration

	mode     atomic.Int32
	target   *url.URL
	rp       *httputil.ReverseProxy
	ln       net.Listener
	srv      *http.Server
	mu       sync.Mutex
	requests atomic.Int64
}

// Start proxies to target (e.g. http://127.0.0.1:8000) from a free loopback port.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), target: u, ln: ln, Delay: 2 * time.Second}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ErrorLog = log.New(io.Discard, "", 0) // injected faults are expected, not news
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(&gate{Listener: ln, p: p}) }()
	return p, nil
}

// Set switches the mode for requests from now on.
func (p *Proxy) Set(m Mode) { p.mode.Store(int32(m)) }

// Requests counts requests seen (refused connections are not requests).
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	switch Mode(p.mode.Load()) {
	case Latency:
		select {
		case <-time.After(p.Delay):
		case <-r.Context().Done():
			return
		}
	case Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				_ = c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Error500:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("content-type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}`)
		return
	case Down:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
	}
	p.rp.ServeHTTP(w, r)
}

// gate refuses new connections while the proxy is Down.
type gate struct {
	net.Listener
	p *Proxy
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if Mode(g.p.mode.Load()) == Down {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
			continue
		}
		return c, nil
	}
}
