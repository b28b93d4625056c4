// Package chainstatustest is a fake InstaXchange for tests and local runs: the
// blockchain-status endpoint answering from per-transaction scripts (or, on the local stack,
// confirming every payout), and the session API.
package chainstatustest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Answer is one scripted reply of the blockchain-status endpoint.
type Answer struct {
	Status int               // default 200
	Body   string            // sent as is
	Header map[string]string // e.g. Retry-After
	Delay  time.Duration     // wait before answering (or until the request is cancelled)
	Hangup bool              // close the connection without an answer
}

// Pending answers 200 with a status and no hash, in the shape the doc leaves open.
func Pending() Answer { return Answer{Body: `{"status":"pending","hash":null}`} }

// Hash answers 200 with h under "hash".
func Hash(h string) Answer { return Answer{Body: fmt.Sprintf(`{"status":"confirmed","hash":%q}`, h)} }

// Server is the fake.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	settled  bool
	scripts  map[string][]Answer
	calls    map[string]int
	Default  Answer // for transactions without a script (default Pending)
	sessions []json.RawMessage
	// SessionAnswer, when set, replaces the session API's answer.
	SessionAnswer *Answer
	// APIKey, when set, is required in the x-api-key header of session requests.
	APIKey string
}

// New starts a fake closed when t ends (t may be nil: then call Close).
func New(t testing.TB) *Server {
	s := NewServer()
	s.Server = httptest.NewServer(s.mux())
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// NewServer returns the fake without listening, for Serve (local runs).
func NewServer() *Server {
	return &Server{scripts: map[string][]Answer{}, calls: map[string]int{}, Default: Pending()}
}

func (s *Server) mux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /utils/blockchain-status", s.status)
	mux.HandleFunc("POST /api/session", s.session)
	return mux
}

// Serve answers on ln until ctx ends, for a local stack; it returns nil after a clean stop.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.mux(), ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	defer stop()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Confirmed answers 200 with a hash, status confirmed and n confirmations.
func Confirmed(hash string, n int) Answer {
	return Answer{Body: fmt.Sprintf(`{"status":"confirmed","hash":%q,"confirmations":%d}`, hash, n)}
}

// Settled makes the fake answer as the local stack's does for every withdraw transaction
// without a script: confirmed, with 30 confirmations (more than any currency needs by
// default), under a hash derived from the transaction id.
func (s *Server) Settled() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settled = true
}

// Script sets the answers for txID: the n-th call gets the n-th answer, and the last one
// repeats.
func (s *Server) Script(txID string, answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[txID] = answers
}

// Calls is how many times txID was asked about.
func (s *Server) Calls(txID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[txID]
}

// TotalCalls is the number of status requests served.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// Sessions returns the session requests' bodies.
func (s *Server) Sessions() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.sessions...)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	tx := r.URL.Query().Get("txId")
	s.mu.Lock()
	n := s.calls[tx]
	s.calls[tx] = n + 1
	a := s.Default
	switch sc := s.scripts[tx]; {
	case len(sc) > 0:
		a = sc[min(n, len(sc)-1)]
	case s.settled:
		sum := sha256.Sum256([]byte(tx))
		a = Confirmed(hex.EncodeToString(sum[:]), 30)
	}
	s.mu.Unlock()
	write(w, r, a)
}

func write(w http.ResponseWriter, r *http.Request, a Answer) {
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if a.Hangup {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	st := a.Status
	if st == 0 {
		st = http.StatusOK
	}
	w.WriteHeader(st)
	_, _ = io.WriteString(w, a.Body)
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	if s.APIKey != "" && r.Header.Get("x-api-key") != s.APIKey {
		write(w, r, Answer{Status: http.StatusUnauthorized, Body: `{"message":"unauthorized"}`})
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.sessions = append(s.sessions, json.RawMessage(body))
	n := len(s.sessions)
	custom := s.SessionAnswer
	s.mu.Unlock()
	if custom != nil {
		write(w, r, *custom)
		return
	}
	write(w, r, Answer{Body: `{"id":"sess-` + strconv.Itoa(n) + `"}`})
}

// Webhook is an InstaXchange webhook body in the sender's shape (the doc's example with
// realistic values), for transaction txID in status ("completed" or "failed"), created at
// createdAt. An empty withdrawTxID leaves Withdraw_tx_ID out. Sign it with
// instaxchange.Sign.
func Webhook(txID, status, withdrawTxID string, createdAt time.Time) []byte {
	email := "john.doe" + "@" + "example.com"
	inv := map[string]any{
		"Email": email, "Name": "John Doe", "Credit_card_number": "4****1111",
		"Invoice_ID": "INV-" + txID, "Status": status, "Wallet_address": "ltc1qg82m7w3kq0v5x9ts4c8yzjw6d3lh5f7e2n9rp4",
		"Details": "3.74 USD => 0.043 LTC", "Invoice_date": createdAt.Format("2 Jan, 2006"),
		"Deposit_tx_ID": "dep-" + txID, "Deposit_tx_amount": "3.74 USD", "Deposit_tx_status": "completed",
		"Withdraw_tx_amount": "0.0421399418187522 LTC", "Withdraw_tx_status": status,
	}
	if withdrawTxID != "" {
		inv["Withdraw_tx_ID"] = withdrawTxID
	}
	var reason any
	if status == "failed" {
		reason = "Do Not Honor"
	}
	body := map[string]any{
		"webhookId": "wh-" + txID, "transactionId": txID, "reference": "order-" + txID,
		"data": map[string]any{
			"amountInFiat": json.Number("3.74"), "fiatCurrency": "USD",
			"amountInCrypto": json.Number("0.0421399418187522"), "cryptoCurrency": "LTC",
			"status": status, "statusReason": reason, "walletAddress": "ltc1qg82m7w3kq0v5x9ts4c8yzjw6d3lh5f7e2n9rp4",
			"additionalData": nil, "sessionId": "sess-" + txID,
			"createdAt": createdAt.UTC().Format("2006-01-02T15:04:05.000Z"),
		},
		"invoiceData": inv,
		"createdAt":   createdAt.Add(11 * time.Second).UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return b
}
