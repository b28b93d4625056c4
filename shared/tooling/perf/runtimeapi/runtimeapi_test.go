package runtimeapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The protocol as a function's runtime client speaks it: next, then response or error.
func TestNextResponseError(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr() + "/2018-06-01/runtime/"
	s.Enqueue(Invocation{RequestID: "r1", Event: []byte(`{"a":1}`)})
	s.Enqueue(Invocation{RequestID: "r2", Event: []byte(`{}`)})
	for _, tc := range []struct{ id, kind string }{{"r1", KindResponse}, {"r2", KindError}} {
		resp, err := http.Get(base + "invocation/next")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Lambda-Runtime-Aws-Request-Id"); got != tc.id {
			t.Fatalf("request id %q, want %s", got, tc.id)
		}
		if resp.Header.Get("Lambda-Runtime-Deadline-Ms") == "" || resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") == "" {
			t.Fatalf("missing headers: %v", resp.Header)
		}
		if tc.id == "r1" && string(body) != `{"a":1}` {
			t.Fatalf("event %s", body)
		}
		post, err := http.Post(base+"invocation/"+tc.id+"/"+tc.kind, "application/json", strings.NewReader(`"ok"`))
		if err != nil {
			t.Fatal(err)
		}
		post.Body.Close()
		if post.StatusCode != http.StatusAccepted {
			t.Fatalf("post: %d", post.StatusCode)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		res, err := s.Wait(ctx)
		cancel()
		if err != nil || res.RequestID != tc.id || res.Kind != tc.kind || string(res.Body) != `"ok"` {
			t.Fatalf("%+v %v", res, err)
		}
	}
}

// Close releases a function blocked on next.
func TestCloseReleasesNext(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + "/2018-06-01/runtime/invocation/next")
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case <-got:
	case <-time.After(3 * time.Second):
		t.Fatal("next still blocked after Close")
	}
}
