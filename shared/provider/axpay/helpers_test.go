package axpay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/provider/axpay"
)

func httpServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func plainClient(t *testing.T, srv *httptest.Server) *axpay.Client {
	t.Helper()
	signer, err := axpay.NewSigner(testClient, testPrivKey, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return &axpay.Client{
		BaseURL: srv.URL,
		Signer:  signer,
		Sleep:   func(context.Context, time.Duration) error { return nil },
	}
}
