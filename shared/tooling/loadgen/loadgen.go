// Package loadgen drives a payhooks gateway with a realistic mix of deliveries from every
// provider: fresh events, redeliveries and forgeries. It knows which answers are right
// and checks afterwards that what was stored and published is exactly what should be.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axs"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// Kind of a request in the mix.
type Kind int

const (
	Fresh     Kind = iota // a new, valid event: 200 accepted
	Duplicate             // a redelivery of an earlier fresh one: 200 duplicate
	Forged                // a bad credential: 401
)

// Request is one planned delivery.
type Request struct {
	Kind     Kind
	Provider string
	EventKey string // provider + unique id, for fresh and duplicate requests
	Sample   provider.Sample
}

// idField is the field each provider's event id is derived from. A fresh delivery needs
// it (and mutate's re-signing), so the load covers the providers named here; a provider
// added since is left out of the load, never sent with a stale id.
var idField = map[string]string{
	"instaxchange": "transactionId",
	"axpay":        "id",
	"axs":          "transactionRef",
	"cardorders":   "orderNo",
	"cxtn":         "eventId",
}

// Plan builds n requests: about dupRate redeliveries and forgedRate forgeries, the rest
// fresh events spread over every provider.
func Plan(docs map[string]json.RawMessage, n int, dupRate, forgedRate float64, seed uint64) ([]Request, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := map[string]provider.Sample{}
	var names []string
	for _, w := range registry.Webhooks {
		if _, ok := idField[w.Provider]; !ok {
			continue
		}
		ss, err := w.Samples(docs[secrets.Name(w.Provider)])
		if err != nil {
			return nil, err
		}
		base[w.Provider] = ss[0]
		names = append(names, w.Provider)
	}
	var out []Request
	var fresh []Request
	for i := 0; i < n; i++ {
		r := rng.Float64()
		switch {
		case r < forgedRate:
			p := names[rng.IntN(len(names))]
			s, err := mutate(p, base[p], docs[secrets.Name(p)], fmt.Sprintf("load-forged-%d", i), true)
			if err != nil {
				return nil, err
			}
			out = append(out, Request{Kind: Forged, Provider: p, Sample: s})
		case r < forgedRate+dupRate && len(fresh) > 0:
			d := fresh[rng.IntN(len(fresh))]
			d.Kind = Duplicate
			out = append(out, d)
		default:
			p := names[i%len(names)]
			key := fmt.Sprintf("load-%d-%d", seed, i)
			s, err := mutate(p, base[p], docs[secrets.Name(p)], key, false)
			if err != nil {
				return nil, err
			}
			req := Request{Kind: Fresh, Provider: p, EventKey: p + ":" + key, Sample: s}
			fresh = append(fresh, req)
			out = append(out, req)
		}
	}
	return out, nil
}

// mutate gives a sample a new unique id and re-authenticates it (or, forged, breaks the
// authentication).
func mutate(p string, s provider.Sample, doc json.RawMessage, id string, forged bool) (provider.Sample, error) {
	var sec struct {
		WebhookSecrets []string `json:"webhookSecrets"`
		ClientID       string   `json:"clientId"`
		ClientSecrets  []string `json:"clientSecrets"`
	}
	_ = json.Unmarshal(doc, &sec)
	out := s
	out.Headers = map[string]string{}
	for k, v := range s.Headers {
		out.Headers[k] = v
	}
	body := s.Body
	if p == "axs" {
		var wrap struct{ Data string }
		if err := json.Unmarshal(s.Body, &wrap); err != nil {
			return out, err
		}
		plain, err := axs.Decrypt(wrap.Data, sec.ClientSecrets...)
		if err != nil {
			return out, err
		}
		body = plain
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return out, err
	}
	m[idField[p]] = id
	body, err := json.Marshal(m)
	if err != nil {
		return out, err
	}
	switch p {
	case "instaxchange":
		secret := sec.WebhookSecrets[0]
		if forged {
			secret = "forged"
		}
		sig, err := instaxchange.Sign(body, secret)
		if err != nil {
			return out, err
		}
		out.Headers = map[string]string{instaxchange.SignatureHeader: sig}
	case "axs":
		secret := sec.ClientSecrets[0]
		if forged {
			secret = "forged-secret-forged-secret"
		}
		jwe, err := axs.Encrypt(body, sec.ClientID, secret)
		if err != nil {
			return out, err
		}
		body, _ = json.Marshal(map[string]string{"data": jwe})
	case "axpay":
		if forged {
			for k := range out.Headers {
				out.Headers[k] = "forged-api-key"
			}
		}
	default: // URL-token providers
		if forged {
			out.Path = out.Path[:strings.LastIndexByte(out.Path, '/')+1] + "forgedTokenForgedTokenForgedTokenForgedToken0"
		}
	}
	out.Body = body
	return out, nil
}

// Result is a run's figures.
type Result struct {
	Requests, Errors int
	ByKind           map[Kind]int
	Duration         time.Duration
	P50, P99, Max    time.Duration
	UniqueValid      int
	Unexpected       []string
}

// Run sends the plan to gateway with the given concurrency. A request that meets a 5xx
// is retried (as providers do) up to 5 times.
func Run(ctx context.Context, gateway string, plan []Request, concurrency int) Result {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	lat := make([]time.Duration, len(plan))
	var mu sync.Mutex
	res := Result{Requests: len(plan), ByKind: map[Kind]int{}}
	valid := map[string]bool{}
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := plan[i]
				var code int
				var body string
				t0 := time.Now()
				for try := 0; try < 5; try++ {
					code, body = send(ctx, client, gateway, r.Sample)
					if code < 500 {
						break
					}
				}
				lat[i] = time.Since(t0)
				ok := expected(r.Kind, code, body)
				mu.Lock()
				res.ByKind[r.Kind]++
				if r.Kind == Fresh {
					valid[r.EventKey] = true
				}
				if !ok {
					res.Errors++
					if len(res.Unexpected) < 10 {
						res.Unexpected = append(res.Unexpected, fmt.Sprintf("%s kind %d: %d %s", r.Provider, r.Kind, code, body))
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := range plan {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	res.Duration = time.Since(start)
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	if len(sorted) > 0 {
		res.P50 = sorted[len(sorted)/2]
		res.P99 = sorted[len(sorted)*99/100]
		res.Max = sorted[len(sorted)-1]
	}
	res.UniqueValid = len(valid)
	return res
}

// expected says whether an answer is the right one for the kind. A duplicate sent before
// its original finished may rightly be "accepted" instead of "duplicate" (the two race;
// exactly one of them stores).
func expected(k Kind, code int, body string) bool {
	switch k {
	case Fresh:
		return code == 200 && (strings.Contains(body, `"accepted"`) || strings.Contains(body, `"duplicate"`))
	case Duplicate:
		return code == 200
	default:
		return code == 401 || code == 400
	}
}

func send(ctx context.Context, c *http.Client, gateway string, s provider.Sample) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gateway+s.Path, bytes.NewReader(s.Body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("content-type", "application/json")
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 599, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b)
}
