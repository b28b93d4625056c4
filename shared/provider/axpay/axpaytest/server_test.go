package axpaytest_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/provider/axpay/axpaytest"
)

const (
	clientID = "test-client-0001"
	privKey  = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func signer(t *testing.T, key string, scheme axpay.Scheme, template string) *axpay.Signer {
	t.Helper()
	s, err := axpay.NewSigner(clientID, key, scheme, template)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, base, path, apiKey string, q url.Values) (int, []byte) {
	t.Helper()
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if apiKey != "" {
		req.Header.Set("api-key", apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	return resp.StatusCode, raw
}

const listPath = "/api/appClient/" + clientID + "/transaction"

func TestRejectsWronglySignedKeys(t *testing.T) {
	good := signer(t, privKey, "", "")
	srv := axpaytest.New(t, good.PublicKey(), clientID)
	key, _ := good.APIKey(t0)
	if code, body := get(t, srv.URL, listPath, key, nil); code != 200 {
		t.Fatalf("good key: %d %s", code, body)
	}
	otherKey, _ := signer(t, "0x"+strings.Repeat("22", 32), "", "").APIKey(t0)
	rawKeccak, _ := signer(t, privKey, axpay.SchemeRawKeccak, "").APIKey(t0)
	otherMsg, _ := signer(t, privKey, "", "{clientId}-x").APIKey(t0)
	flipped := []byte(key)
	if flipped[10] == 'a' {
		flipped[10] = 'b'
	} else {
		flipped[10] = 'a'
	}
	for name, k := range map[string]string{
		"other private key":  otherKey,
		"other scheme":       rawKeccak,
		"other message":      otherMsg,
		"flipped digit":      string(flipped),
		"v out of range":     key[:130] + "25",
		"garbage":            "hello",
		"the address itself": good.Address(),
	} {
		code, body := get(t, srv.URL, listPath, k, nil)
		if code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
	if code, _ := get(t, srv.URL, listPath, "", nil); code != http.StatusUnauthorized {
		t.Errorf("missing key: %d", code)
	}
	if code, _ := get(t, srv.URL, "/api/appClient/other/transaction", key, nil); code != http.StatusNotFound {
		t.Errorf("other client: %d", code)
	}
	if srv.Requests() != 10 {
		t.Errorf("requests %d", srv.Requests())
	}
}

func TestFiltersAndOrdering(t *testing.T) {
	s := signer(t, privKey, "", "")
	srv := axpaytest.New(t, s.PublicKey(), clientID)
	srv.Shape = axpaytest.ShapeArray
	txs := axpaytest.MakeTransactions(8, t0)
	txs[5].Amount = "25.750" // numerically equal to tx-000004's 25.75: ties order by id
	srv.Seed(txs...)
	key, _ := s.APIKey(t0)
	tests := []struct {
		name string
		q    url.Values
		want []string
	}{
		{"default createdAt desc", nil, []string{"tx-000008", "tx-000007", "tx-000006", "tx-000005", "tx-000004", "tx-000003", "tx-000002", "tx-000001"}},
		{"orderId", url.Values{"orderId": {"order-1003"}}, []string{"tx-000003"}},
		{"rewardType", url.Values{"rewardType": {"LOYALTY_POINT"}, "order": {"asc"}}, []string{"tx-000003", "tx-000006"}},
		{"webhookStatus", url.Values{"webhookStatus": {"FAILED"}, "order": {"asc"}}, []string{"tx-000004", "tx-000008"}},
		{"amount range exact decimals", url.Values{"amountGte": {"20.50"}, "amountLte": {"35.5"}, "order": {"asc"}}, []string{"tx-000003", "tx-000004", "tx-000005", "tx-000006"}},
		{"rewardRate range", url.Values{"rewardRateGte": {"0.03"}, "rewardRateLte": {"0.05"}, "order": {"asc"}}, []string{"tx-000003", "tx-000006"}},
		{"createdAt range", url.Values{
			"createdAtGte": {"1767225660000"}, "createdAtLte": {"1767225780000"}, "order": {"asc"},
		}, []string{"tx-000002", "tx-000003", "tx-000004"}},
		{"fromEmail", url.Values{"fromEmail": {"PAYER5" + "@" + "example.com"}}, []string{"tx-000005"}},
		{"orderBy amount asc, ties by id", url.Values{"orderBy": {"amount"}, "order": {"asc"}, "limit": {"4"}, "offset": {"2"}}, []string{"tx-000003", "tx-000004", "tx-000006", "tx-000005"}},
		{"orderBy rewardRate desc", url.Values{"orderBy": {"rewardRate"}, "limit": {"3"}}, []string{"tx-000006", "tx-000003", "tx-000008"}},
		{"offset past the end", url.Values{"offset": {"50"}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, srv.URL, listPath, key, tt.q)
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			var list []axpaytest.Transaction
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, tx := range list {
				got = append(got, tx.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBadQueries(t *testing.T) {
	s := signer(t, privKey, "", "")
	srv := axpaytest.New(t, s.PublicKey(), clientID)
	key, _ := s.APIKey(t0)
	for _, q := range []url.Values{
		{"amountGt": {"1"}}, {"limit": {"-1"}}, {"offset": {"x"}}, {"amountGte": {"ten"}},
		{"createdAtGte": {"2026-01-01"}}, {"orderBy": {"id"}}, {"order": {"up"}}, {"rewardType": {"CASHBACK"}},
	} {
		if code, body := get(t, srv.URL, listPath, key, q); code != http.StatusBadRequest {
			t.Errorf("%v: %d %s", q, code, body)
		}
	}
}

func TestFailNext(t *testing.T) {
	s := signer(t, privKey, "", "")
	srv := axpaytest.New(t, s.PublicKey(), clientID)
	key, _ := s.APIKey(t0)
	srv.FailNext(2, http.StatusTooManyRequests, "4")
	for i, want := range []int{429, 429, 200} {
		if code, _ := get(t, srv.URL, listPath, key, nil); code != want {
			t.Fatalf("request %d: %d, want %d", i, code, want)
		}
	}
}

func TestTransactionJSONNormalizes(t *testing.T) {
	for _, tx := range axpaytest.MakeTransactions(4, t0) {
		ev, err := axpay.NormalizeTransaction(tx.JSON())
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != "axpay:"+tx.ID || ev.Amount.Value != string(tx.Amount) || !ev.OccurredAt.Equal(tx.CreatedTime()) {
			t.Fatalf("%+v from %s", ev, tx.JSON())
		}
	}
}

func TestListenAndServe(t *testing.T) {
	s := signer(t, privKey, "", "")
	srv := axpaytest.NewServer(s.PublicKey(), clientID)
	srv.Seed(axpaytest.MakeTransactions(3, t0)...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	c := &axpay.Client{BaseURL: "http://" + ln.Addr().String(), Signer: s}
	page, err := c.ListTransactions(context.Background(), axpay.Filter{})
	if err != nil || len(page.Transactions) != 3 {
		t.Fatalf("%v %d", err, len(page.Transactions))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
