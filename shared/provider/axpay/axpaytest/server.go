// Package axpaytest is a fake AXpay transaction API for tests and for local runs: seeded
// transactions, the documented filters, ordering and limit/offset paging, real API-key
// checking (the signer is recovered from the signature, so a signing bug fails), and
// injectable failures for retry tests.
package axpaytest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

// Transaction is one AXpay transaction as the fake serves it. Amount and RewardRate are
// decimal literals, emitted as JSON numbers.
type Transaction struct {
	ID                string      `json:"id"`
	OrderID           string      `json:"orderId,omitempty"`
	Amount            json.Number `json:"amount"`
	Currency          string      `json:"currency"`
	RewardType        string      `json:"rewardType,omitempty"`
	RewardRate        json.Number `json:"rewardRate,omitempty"`
	FromEmail         string      `json:"fromEmail,omitempty"`
	WebhookStatus     string      `json:"webhookStatus,omitempty"`
	WebhookStatusCode []int       `json:"webhookStatusCode"`
	CreatedAt         int64       `json:"createdAt"` // Unix milliseconds
	Status            string      `json:"status,omitempty"`
}

// JSON is the transaction as a webhook body or list element.
func (t Transaction) JSON() json.RawMessage {
	b, err := json.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("axpaytest: transaction %s does not marshal: %v", t.ID, err))
	}
	return b
}

// CreatedTime is CreatedAt as a time.
func (t Transaction) CreatedTime() time.Time { return time.UnixMilli(t.CreatedAt).UTC() }

// MakeTransactions returns n completed transactions, one minute apart from start, with
// varied amounts, reward types and webhook statuses.
func MakeTransactions(n int, start time.Time) []Transaction {
	out := make([]Transaction, n)
	for i := range out {
		rt, rate := "CASH_BACK", "0.02"
		if i%3 == 2 {
			rt, rate = "LOYALTY_POINT", "0.05"
		}
		ws, codes := "COMPLETED", []int{200}
		if i%4 == 3 {
			ws, codes = "FAILED", []int{500, 500, 502, 500, 500}
		}
		out[i] = Transaction{
			ID:                fmt.Sprintf("tx-%06d", i+1),
			OrderID:           fmt.Sprintf("order-%d", 1001+i),
			Amount:            json.Number(fmt.Sprintf("%d.%02d", 10+i*5, (i*25)%100)),
			Currency:          "USD",
			RewardType:        rt,
			RewardRate:        json.Number(rate),
			FromEmail:         fmt.Sprintf("payer%d", i+1) + "@" + "example.com",
			WebhookStatus:     ws,
			WebhookStatusCode: codes,
			CreatedAt:         start.Add(time.Duration(i) * time.Minute).UnixMilli(),
		}
	}
	return out
}

// Shape is how list responses are wrapped; the real shape is unpublished.
type Shape string

const (
	ShapeData         Shape = "data"         // {"data": [...], "total": n} (default)
	ShapeArray        Shape = "array"        // [...]
	ShapeTransactions Shape = "transactions" // {"transactions": [...], "count": n}
	ShapeItems        Shape = "items"        // {"items": [...]}
	ShapeDocs         Shape = "docs"         // {"data": {"docs": [...], "totalDocs": n}}
)

type failure struct {
	status     int
	retryAfter string
}

// Server is the fake API. Set the exported fields before the first request.
type Server struct {
	URL      string // set by Start and New
	ClientID string
	Scheme   axpay.Scheme
	// Messages lists the messages a valid key may sign; default {ClientID}. Set it when
	// the template holds {timestampMs}: a signature can only be checked against a message.
	Messages func() []string
	Shape    Shape
	MaxLimit int // when > 0, larger limits are silently cut, as real APIs often do
	// NoTotal leaves the total out of every shape, as many APIs do.
	NoTotal bool
	// RepeatBoundary starts every page asked with an offset one row early, so it repeats
	// the last row of the page before (an off-by-one offset).
	RepeatBoundary bool
	// Page, when set, rewrites every page before it is sent (called without the lock
	// held, so it may Seed): a hostile API repeating rows, or rows inserted while paging.
	Page func(q url.Values, page []Transaction) []Transaction

	pub *secp256k1.PublicKey
	hs  *httptest.Server

	mu       sync.Mutex
	txs      []Transaction
	requests int
	queries  []url.Values
	failures []failure
}

// NewServer returns the fake as an http.Handler, not listening: serve it yourself or call
// ListenAndServe. pub is the public key whose signatures are accepted.
func NewServer(pub *secp256k1.PublicKey, clientID string) *Server {
	return &Server{pub: pub, ClientID: clientID, Scheme: axpay.SchemeEIP191, Shape: ShapeData}
}

// Start serves the fake on a local port; call Close when done.
func Start(pub *secp256k1.PublicKey, clientID string) *Server {
	s := NewServer(pub, clientID)
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	return s
}

// New starts the fake for a test and closes it when the test ends.
func New(t testing.TB, pub *secp256k1.PublicKey, clientID string) *Server {
	t.Helper()
	s := Start(pub, clientID)
	t.Cleanup(s.Close)
	return s
}

// Close stops a server made by Start or New.
func (s *Server) Close() {
	if s.hs != nil {
		s.hs.Close()
	}
}

// ListenAndServe serves on addr (e.g. "127.0.0.1:4010") until ctx ends, for local runs.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends; it returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	})
	defer stop()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Seed adds transactions (a transaction with an existing id replaces it).
func (s *Server) Seed(txs ...Transaction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range txs {
		if i := slices.IndexFunc(s.txs, func(x Transaction) bool { return x.ID == t.ID }); i >= 0 {
			s.txs[i] = t
			continue
		}
		s.txs = append(s.txs, t)
	}
}

// FailNext makes the next n requests answer status (before authentication), with a
// Retry-After header when retryAfter is not empty.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, failure{status: status, retryAfter: retryAfter})
	}
}

// Requests is how many requests arrived, failed ones included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Queries returns the query of every request, in order.
func (s *Server) Queries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

// LastQuery is the query of the latest request, nil if none.
func (s *Server) LastQuery() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queries) == 0 {
		return nil
	}
	return s.queries[len(s.queries)-1]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": msg})
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.queries = append(s.queries, r.URL.Query())
	var f *failure
	if len(s.failures) > 0 {
		f = &s.failures[0]
		s.failures = s.failures[1:]
	}
	s.mu.Unlock()
	if f != nil {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		fail(w, f.status, http.StatusText(f.status))
		return
	}

	rest, ok := strings.CutPrefix(r.URL.Path, "/api/appClient/")
	clientID, tail, _ := strings.Cut(rest, "/")
	if !ok || tail != "transaction" {
		fail(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodGet {
		fail(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	key := r.Header.Get("api-key")
	if key == "" {
		fail(w, http.StatusUnauthorized, "api-key is required")
		return
	}
	if !s.authentic(key) {
		fail(w, http.StatusUnauthorized, "invalid api-key")
		return
	}
	if clientID != s.ClientID {
		fail(w, http.StatusNotFound, "app client not found")
		return
	}
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	if s.RepeatBoundary && q.offset > 0 {
		q.offset--
	}
	list := q.apply(s.txs, s.MaxLimit)
	rewrite, noTotal := s.Page, s.NoTotal
	s.mu.Unlock()
	if rewrite != nil {
		list.page = rewrite(r.URL.Query(), list.page)
	}
	var total any = list.total
	if noTotal {
		total = nil
	}

	items := make([]json.RawMessage, len(list.page))
	for i, t := range list.page {
		items[i] = t.JSON()
	}
	switch s.Shape {
	case ShapeArray:
		writeJSON(w, http.StatusOK, items)
	case ShapeTransactions:
		writeJSON(w, http.StatusOK, map[string]any{"transactions": items, "count": total})
	case ShapeItems:
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
	case ShapeDocs:
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": map[string]any{"docs": items, "totalDocs": total}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"data": items, "total": total})
	}
}

func (s *Server) authentic(key string) bool {
	msgs := []string{s.ClientID}
	if s.Messages != nil {
		msgs = s.Messages()
	}
	for _, m := range msgs {
		if axpay.VerifyAPIKey(s.Scheme, key, m, s.pub) == nil {
			return true
		}
	}
	return false
}

type query struct {
	limit, offset                      int
	orderID, rewardType, webhookStatus string
	fromEmail                          string
	amountGte, amountLte               *big.Rat
	rateGte, rateLte                   *big.Rat
	createdGte, createdLte             *int64
	orderBy                            string
	desc                               bool
}

var knownParams = map[string]bool{
	"limit": true, "offset": true, "orderId": true, "rewardType": true, "webhookStatus": true,
	"amountGte": true, "amountLte": true, "rewardRateGte": true, "rewardRateLte": true,
	"createdAtGte": true, "createdAtLte": true, "fromEmail": true, "orderBy": true, "order": true,
}

// parseQuery refuses unknown parameters, so a misspelt filter in the client fails tests
// instead of being silently ignored.
func parseQuery(v url.Values) (query, error) {
	q := query{limit: -1, orderBy: "createdAt", desc: true}
	for k := range v {
		if !knownParams[k] {
			return q, fmt.Errorf("unknown query parameter %q", k)
		}
	}
	var err error
	nonNeg := func(k string) int {
		s := v.Get(k)
		if s == "" || err != nil {
			return -1
		}
		n, e := strconv.Atoi(s)
		if e != nil || n < 0 {
			err = fmt.Errorf("%s must be a non-negative integer", k)
		}
		return n
	}
	rat := func(k string) *big.Rat {
		s := v.Get(k)
		if s == "" || err != nil {
			return nil
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			err = fmt.Errorf("%s must be a number", k)
		}
		return r
	}
	ms := func(k string) *int64 {
		s := v.Get(k)
		if s == "" || err != nil {
			return nil
		}
		n, e := strconv.ParseInt(s, 10, 64)
		if e != nil {
			err = fmt.Errorf("%s must be Unix milliseconds", k)
		}
		return &n
	}
	q.limit = nonNeg("limit")
	if off := nonNeg("offset"); off > 0 {
		q.offset = off
	}
	q.orderID, q.rewardType, q.webhookStatus = v.Get("orderId"), v.Get("rewardType"), v.Get("webhookStatus")
	q.fromEmail = v.Get("fromEmail")
	q.amountGte, q.amountLte = rat("amountGte"), rat("amountLte")
	q.rateGte, q.rateLte = rat("rewardRateGte"), rat("rewardRateLte")
	q.createdGte, q.createdLte = ms("createdAtGte"), ms("createdAtLte")
	if err != nil {
		return q, err
	}
	switch ob := v.Get("orderBy"); ob {
	case "", "createdAt", "amount", "rewardRate":
		if ob != "" {
			q.orderBy = ob
		}
	default:
		return q, fmt.Errorf("orderBy must be createdAt, amount or rewardRate")
	}
	switch o := v.Get("order"); o {
	case "", "desc":
	case "asc":
		q.desc = false
	default:
		return q, fmt.Errorf("order must be asc or desc")
	}
	if rt := q.rewardType; rt != "" && rt != "CASH_BACK" && rt != "LOYALTY_POINT" {
		return q, fmt.Errorf("rewardType must be CASH_BACK or LOYALTY_POINT")
	}
	return q, nil
}

type result struct {
	page  []Transaction
	total int
}

func num(n json.Number) *big.Rat {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return new(big.Rat)
	}
	return r
}

func (q query) apply(all []Transaction, maxLimit int) result {
	var list []Transaction
	for _, t := range all {
		switch {
		case q.orderID != "" && t.OrderID != q.orderID,
			q.rewardType != "" && t.RewardType != q.rewardType,
			q.webhookStatus != "" && t.WebhookStatus != q.webhookStatus,
			q.fromEmail != "" && !strings.EqualFold(t.FromEmail, q.fromEmail),
			q.amountGte != nil && num(t.Amount).Cmp(q.amountGte) < 0,
			q.amountLte != nil && num(t.Amount).Cmp(q.amountLte) > 0,
			q.rateGte != nil && num(t.RewardRate).Cmp(q.rateGte) < 0,
			q.rateLte != nil && num(t.RewardRate).Cmp(q.rateLte) > 0,
			q.createdGte != nil && t.CreatedAt < *q.createdGte,
			q.createdLte != nil && t.CreatedAt > *q.createdLte:
			continue
		}
		list = append(list, t)
	}
	slices.SortStableFunc(list, func(a, b Transaction) int {
		var c int
		switch q.orderBy {
		case "amount":
			c = num(a.Amount).Cmp(num(b.Amount))
		case "rewardRate":
			c = num(a.RewardRate).Cmp(num(b.RewardRate))
		default:
			c = cmp.Compare(a.CreatedAt, b.CreatedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.desc {
			c = -c
		}
		return c
	})
	total := len(list)
	if q.offset >= len(list) {
		return result{page: []Transaction{}, total: total}
	}
	list = list[q.offset:]
	limit := q.limit
	if maxLimit > 0 && (limit < 0 || limit > maxLimit) {
		limit = maxLimit
	}
	if limit >= 0 && limit < len(list) {
		list = list[:limit]
	}
	return result{page: list, total: total}
}
