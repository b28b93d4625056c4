package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/app/publishing"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

const root = "../../.."

var fullEmail = regexp.MustCompile(`[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.[A-Za-z]`)

// logs collects every log line of the suite, to prove no secret or card number is written.
var logs = &devstack.Buffer{}

// TestMain checks, once every test has run, that no log line of the whole suite leaked.
func TestMain(m *testing.M) {
	code := stacktest.Main(m)
	if out := logs.String(); code == 0 && out != "" {
		leaks, err := logLeaks(out)
		if err != nil {
			leaks = append(leaks, err.Error())
		}
		for _, l := range leaks {
			fmt.Fprintln(os.Stderr, "FAIL: log scan:", l)
			code = 1
		}
	}
	os.Exit(code)
}

// devDocs are the fake development secrets, by name.
func devDocs(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "dev/secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	return docs
}

type pipeline struct {
	env  *stacktest.Env
	deps *publishing.Deps
}

// newPipeline assembles the functions' dependencies exactly as publishing.FromEnv does, with the
// secrets in moto's Secrets Manager. override changes endpoints to simulate outages.
func newPipeline(t *testing.T, env *stacktest.Env, override func(*app.Settings)) *pipeline {
	t.Helper()
	return newPipelineLogging(t, env, override, logs)
}

// newPipelineLogging is newPipeline logging to log, which should include the suite's logs.
func newPipelineLogging(t *testing.T, env *stacktest.Env, override func(*app.Settings), log io.Writer) *pipeline {
	t.Helper()
	dynamo, moto := stacktest.Endpoints()
	ctx := context.Background()
	if err := devstack.LoadSecrets(ctx, env.Clients.SecretsManager, filepath.Join(root, "dev/secrets.json")); err != nil {
		t.Fatal(err)
	}
	s := app.Settings{Table: env.Table, QueueURL: env.Queues.URL, SecretTTL: time.Minute,
		DynamoDBEndpoint: dynamo, SQSEndpoint: moto, SecretsManagerEndpoint: moto}
	cfg := env.Clients.Config
	if override != nil {
		override(&s)
		if strings.Contains(s.DynamoDBEndpoint+s.SQSEndpoint, "unreachable") {
			var ep string
			cfg, ep = stacktest.Unreachable(cfg)
			s.DynamoDBEndpoint = strings.Replace(s.DynamoDBEndpoint, "unreachable", ep, 1)
			s.SQSEndpoint = strings.Replace(s.SQSEndpoint, "unreachable", ep, 1)
		}
	}
	d := app.New(cfg, s, slog.New(slog.NewJSONHandler(log, nil)))
	d.Metrics = nil
	return &pipeline{env: env, deps: publishing.New(d)}
}

func (p *pipeline) handler(t testing.TB, name string) *webhook.Handler {
	w, ok := registry.Lookup(name)
	if !ok {
		t.Fatalf("no provider %s", name)
	}
	return p.deps.Webhook(w.Provider, w.New)
}

// apiEvent turns a sample into the API Gateway event the route would receive.
func apiEvent(w registry.Webhook, s provider.Sample) events.APIGatewayV2HTTPRequest {
	h := map[string]string{"content-type": "application/json"}
	for k, v := range s.Headers {
		h[strings.ToLower(k)] = v
	}
	path, query := s.SplitPath()
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: s.HTTPMethod() + " " + w.Path, RawPath: path, RawQueryString: query, Headers: h, Body: string(s.Body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: fmt.Sprintf("req-%d", time.Now().UnixNano()), TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: s.HTTPMethod(), Path: path, SourceIP: "203.0.113.10"},
		},
	}
	if strings.Contains(w.Path, "{token}") {
		e.PathParameters = map[string]string{"token": path[strings.LastIndexByte(path, '/')+1:]}
	}
	return e
}

func samples(t testing.TB, w registry.Webhook, doc json.RawMessage) []provider.Sample {
	t.Helper()
	ss, err := w.Samples(doc)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func call(t testing.TB, h *webhook.Handler, e events.APIGatewayV2HTTPRequest) (int, map[string]string) {
	t.Helper()
	resp, err := h.Lambda(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	_ = json.Unmarshal([]byte(resp.Body), &body)
	return resp.StatusCode, body
}

func ixc(t testing.TB, doc json.RawMessage, variant string) (registry.Webhook, provider.Sample) {
	w, _ := registry.Lookup("instaxchange")
	for _, s := range samples(t, w, doc) {
		if s.Name == variant {
			return w, s
		}
	}
	t.Fatalf("no instaxchange sample %s", variant)
	return w, provider.Sample{}
}

func countKinds(t testing.TB, env *stacktest.Env) (eventsN, states int) {
	for _, it := range env.Items(t) {
		pk := fmt.Sprint(it["pk"])
		switch {
		case strings.Contains(pk, "EVENT#"):
			eventsN++
		case strings.Contains(pk, "STATE#"):
			states++
		}
	}
	return
}

// Every sample of every provider: 200, one event item, one state item, one message that
// validates against the JSON Schema.
func TestHappyPathEveryProvider(t *testing.T) {
	docs := devDocs(t)
	for _, w := range registry.Webhooks {
		t.Run(w.Provider, func(t *testing.T) {
			env := stacktest.New(t)
			p := newPipeline(t, env, nil)
			h := p.handler(t, w.Provider)
			ss := samples(t, w, docs[secrets.Name(w.Provider)])
			objects := map[string]bool{}
			accepted := 0
			for _, s := range ss {
				// Some samples are one provider event in two encodings (CXTN's string and
				// object data): the second is rightly a duplicate.
				code, body := call(t, h, apiEvent(w, s))
				if code != 200 || (body["status"] != "accepted" && body["status"] != "duplicate") {
					t.Fatalf("%s: %d %v", s.Name, code, body)
				}
				if body["status"] == "accepted" {
					accepted++
				}
			}
			// Providers retry: every redelivery is answered 200 and publishes nothing.
			for _, s := range ss {
				if code, body := call(t, h, apiEvent(w, s)); code != 200 || body["status"] != "duplicate" {
					t.Fatalf("redelivery of %s: %d %v", s.Name, code, body)
				}
			}
			msgs := env.Messages(t)
			if len(msgs) != accepted || accepted == 0 {
				t.Fatalf("%d messages for %d accepted samples", len(msgs), accepted)
			}
			// No full card number or email reaches the table or the queue.
			var stored strings.Builder
			for _, it := range env.Items(t) {
				fmt.Fprint(&stored, it)
			}
			for _, m := range msgs {
				stored.WriteString(*m.Body)
			}
			if strings.Contains(stored.String(), "5554748800912345") {
				t.Fatal("a full card number was stored or published")
			}
			if m := fullEmail.FindString(stored.String()); m != "" {
				t.Fatalf("an unmasked email address was stored or published: %q", m)
			}
			for _, m := range msgs {
				eventtest.Validate(t, []byte(*m.Body))
				var ev struct{ Provider, ObjectRef, Type string }
				json.Unmarshal([]byte(*m.Body), &ev)
				objects[ev.ObjectRef] = true
				if m.MessageAttributes["provider"].StringValue == nil || *m.MessageAttributes["provider"].StringValue != w.Provider {
					t.Errorf("provider attribute %v", m.MessageAttributes)
				}
				if *m.MessageAttributes["type"].StringValue != ev.Type {
					t.Errorf("type attribute differs from body")
				}
			}
			evN, stN := countKinds(t, env)
			if evN != accepted || stN != len(objects) {
				t.Fatalf("items: %d events, %d states; want %d, %d", evN, stN, accepted, len(objects))
			}
		})
	}
}

func TestRedeliveriesProduceOneMessage(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	h := p.handler(t, "instaxchange")
	docs := devDocs(t)
	w, s := ixc(t, docs["payhooks/instaxchange"], "completed")
	for i := 0; i < 5; i++ {
		code, body := call(t, h, apiEvent(w, s))
		want := "duplicate"
		if i == 0 {
			want = "accepted"
		}
		if code != 200 || body["status"] != want {
			t.Fatalf("delivery %d: %d %v", i, code, body)
		}
	}
	_, failed := ixc(t, docs["payhooks/instaxchange"], "failed")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body := call(t, h, apiEvent(w, failed)); code != 200 {
				t.Errorf("concurrent delivery: %d %v", code, body)
			}
		}()
	}
	wg.Wait()
	if n := len(env.Messages(t)); n != 2 {
		t.Fatalf("%d messages, want 2 (one per distinct event)", n)
	}
}

func TestForgeriesAreRejectedAndNothingStored(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	h := p.handler(t, "instaxchange")
	w, good := ixc(t, devDocs(t)["payhooks/instaxchange"], "completed")
	_, wrong := ixc(t, json.RawMessage(`{"webhookSecrets":["not-the-secret"]}`), "completed")
	tampered := good
	tampered.Body = bytes.Replace(good.Body, []byte("3.74"), []byte("374.00"), 1)
	if bytes.Equal(tampered.Body, good.Body) {
		t.Fatal("tamper did not change the body")
	}
	missing := good
	missing.Headers = nil
	for name, c := range map[string]struct {
		s      provider.Sample
		reason string
	}{
		"tampered body": {tampered, "signature_mismatch"},
		"wrong secret":  {wrong, "signature_mismatch"},
		"missing":       {missing, "missing_signature"},
	} {
		code, body := call(t, h, apiEvent(w, c.s))
		if code != 401 || body["error"] != c.reason {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	if items := env.Items(t); len(items) != 0 {
		t.Fatalf("forgeries stored %d items", len(items))
	}
	// The previous secret of a rotation is still accepted.
	var doc struct{ WebhookSecrets []string }
	json.Unmarshal(devDocs(t)["payhooks/instaxchange"], &doc)
	_, prev := ixc(t, json.RawMessage(fmt.Sprintf(`{"webhookSecrets":[%q]}`, doc.WebhookSecrets[1])), "completed")
	if code, body := call(t, h, apiEvent(w, prev)); code != 200 {
		t.Fatalf("previous secret: %d %v", code, body)
	}
}

// Every provider: a request whose authentication was tampered with is refused with 401 and
// leaves nothing behind.
func TestEveryProviderRefusesForgeries(t *testing.T) {
	docs := devDocs(t)
	for _, w := range registry.Webhooks {
		t.Run(w.Provider, func(t *testing.T) {
			env := stacktest.New(t)
			p := newPipeline(t, env, nil)
			h := p.handler(t, w.Provider)
			s := samples(t, w, docs[secrets.Name(w.Provider)])[0]
			forged := []provider.Sample{}
			// Wrong credentials in every header.
			hs := s
			hs.Headers = map[string]string{}
			for k := range s.Headers {
				hs.Headers[k] = "0123456789abcdef0123456789abcdef"
			}
			if len(s.Headers) > 0 {
				forged = append(forged, hs)
			}
			// A wrong URL token.
			if strings.Contains(w.Path, "{token}") {
				ts := s
				ts.Path = s.Path[:strings.LastIndexByte(s.Path, '/')+1] + "wrongTokenwrongTokenwrongTokenwrongTokenwrong"
				forged = append(forged, ts)
			}
			// AXS: a flipped ciphertext character.
			if w.Provider == "axs" {
				var wrap struct{ Data string }
				json.Unmarshal(s.Body, &wrap)
				parts := strings.Split(wrap.Data, ".")
				c := []byte(parts[3])
				c[0] ^= 1
				if c[0] == '.' || c[0] > 'z' {
					c[0] = 'A'
				}
				parts[3] = string(c)
				b, _ := json.Marshal(map[string]string{"data": strings.Join(parts, ".")})
				as := s
				as.Body = b
				forged = append(forged, as)
			}
			if len(forged) == 0 {
				t.Fatal("no forgery built")
			}
			for i, f := range forged {
				code, body := call(t, h, apiEvent(w, f))
				if code != 401 && code != 400 {
					t.Errorf("forgery %d: %d %v", i, code, body)
				}
				if code == 400 && w.Provider != "axs" {
					t.Errorf("forgery %d: 400 %v, want 401", i, body)
				}
			}
			if items := env.Items(t); len(items) != 0 {
				t.Fatalf("forgeries stored %d items", len(items))
			}
			if n := len(env.Messages(t)); n != 0 {
				t.Fatalf("forgeries published %d messages", n)
			}
		})
	}
}

func TestDynamoDBUnreachableIs503AndNothingPublished(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, func(s *app.Settings) { s.DynamoDBEndpoint = "unreachable" })
	w, s := ixc(t, devDocs(t)["payhooks/instaxchange"], "completed")
	code, body := call(t, p.handler(t, "instaxchange"), apiEvent(w, s))
	if code != 503 || body["error"] != "unavailable" {
		t.Fatalf("%d %v", code, body)
	}
	if n := len(env.Messages(t)); n != 0 {
		t.Fatalf("%d messages published without storage", n)
	}
}

// An SQS outage never reaches the provider: the webhook waits only for DynamoDB.
func TestSQSUnreachableStillAnswers200(t *testing.T) {
	env := stacktest.New(t)
	down := newPipeline(t, env, func(s *app.Settings) { s.SQSEndpoint = "unreachable" })
	w, s := ixc(t, devDocs(t)["payhooks/instaxchange"], "completed")
	code, body := call(t, down.handler(t, "instaxchange"), apiEvent(w, s))
	if code != 200 || body["status"] != "accepted" {
		t.Fatalf("SQS down: %d %v", code, body)
	}
	code, body = call(t, down.handler(t, "instaxchange"), apiEvent(w, s))
	if code != 200 || body["status"] != "duplicate" {
		t.Fatalf("redelivery: %d %v", code, body)
	}
	if n := len(env.Messages(t)); n != 1 {
		t.Fatalf("%d messages, want exactly 1", n)
	}
}

// resign signs body the way InstaXchange does, for hand-made variants.
func resign(t testing.TB, s provider.Sample, body []byte, secret string) provider.Sample {
	canon, err := instaxchange.CanonicalJS(body)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(append(append(canon, ':'), secret...))
	s.Body = body
	s.Headers = map[string]string{"X-InstaXWH-KEY": hex.EncodeToString(sum[:])}
	return s
}

func TestLateNonTerminalDoesNotRegressState(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	h := p.handler(t, "instaxchange")
	var doc struct{ WebhookSecrets []string }
	json.Unmarshal(devDocs(t)["payhooks/instaxchange"], &doc)
	w, done := ixc(t, devDocs(t)["payhooks/instaxchange"], "completed")
	pending := resign(t, done, bytes.Replace(done.Body, []byte(`"status":"completed"`), []byte(`"status":"processing"`), 1), doc.WebhookSecrets[0])
	if bytes.Equal(pending.Body, done.Body) {
		t.Fatal("could not make a pending variant")
	}
	for _, s := range []provider.Sample{done, pending} {
		if code, body := call(t, h, apiEvent(w, s)); code != 200 {
			t.Fatalf("%d %v", code, body)
		}
	}
	var ev struct{ ObjectRef string }
	msgs := env.Messages(t) // the publisher has advanced the state once they are out
	json.Unmarshal([]byte(*msgs[0].Body), &ev)
	st, err := env.Store.GetState(context.Background(), "instaxchange", ev.ObjectRef)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "succeeded" || !st.Terminal {
		t.Fatalf("terminal state regressed to %+v", st)
	}
}

// Every file in events/ for a webhook function answers 200 through lambda.NewHandler.
func TestEventsFilesInvoke(t *testing.T) {
	env := stacktest.New(t)
	p := newPipeline(t, env, nil)
	n := 0
	for _, w := range registry.Webhooks {
		files, _ := filepath.Glob(filepath.Join(root, "events", w.Function+"-*.json"))
		if len(files) == 0 {
			t.Errorf("no events/%s-*.json", w.Function)
		}
		h := lambda.NewHandler(p.handler(t, w.Provider).Lambda)
		for _, f := range files {
			payload, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := h.Invoke(context.Background(), payload)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || !(strings.Contains(resp.Body, `"accepted"`) || strings.Contains(resp.Body, `"duplicate"`)) {
				t.Errorf("%s: %d %s", filepath.Base(f), resp.StatusCode, resp.Body)
			}
			if strings.Contains(resp.Body, `"accepted"`) {
				n++
			}
		}
	}
	if msgs := env.Messages(t); len(msgs) != n {
		t.Errorf("%d messages for %d event files", len(msgs), n)
	}
}

// logLeaks lists what the suite's log holds that it never may: a secret, a token, a full
// card number or a full email address.
func logLeaks(out string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "dev/secrets.json"))
	if err != nil {
		return nil, err
	}
	var docs map[string]any
	if err := json.Unmarshal(b, &docs); err != nil {
		return nil, err
	}
	forbidden := []string{"5554748800912345"}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if len(x) >= 12 {
				forbidden = append(forbidden, x)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if k != "clientId" { // an identifier, not a secret
					walk(e)
				}
			}
		}
	}
	walk(docs)
	var leaks []string
	for _, f := range forbidden {
		if strings.Contains(out, f) {
			leaks = append(leaks, fmt.Sprintf("logs contain %q", f))
		}
	}
	if m := fullEmail.FindString(out); m != "" {
		leaks = append(leaks, fmt.Sprintf("logs contain an unmasked email address %q", m))
	}
	return leaks, nil
}

func webhookRequest(e events.APIGatewayV2HTTPRequest) (*provider.Request, error) {
	req, rej := webhook.FromAPIGateway(&e)
	if rej != nil {
		return nil, rej
	}
	return req, nil
}

func TestLogLeaksFindsWhatMayNotBeLogged(t *testing.T) {
	leaks, err := logLeaks(`{"msg":"x","pan":"5554748800912345","to":"john.doe@example.com"}`)
	if err != nil || len(leaks) != 2 {
		t.Fatalf("logLeaks = %q, %v; want the PAN and the email", leaks, err)
	}
}
