package axs

import (
	"bytes"
	"context"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit/golden"
)

// mustEncryptDEF makes a "zip":"DEF" token with go-jose, as AXS's plugin library can.
func mustEncryptDEF(t testing.TB, plaintext []byte) string {
	t.Helper()
	return goJoseEncrypt(t, plaintext, &jose.EncrypterOptions{Compression: jose.DEFLATE})
}

// goJoseEncrypt makes a token with go-jose (not our encrypter) under opts.
func goJoseEncrypt(t testing.TB, plaintext []byte, opts *jose.EncrypterOptions) string {
	t.Helper()
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{
		Algorithm: jose.PBES2_HS512_A256KW, Key: []byte(testSecret), KeyID: testClientID, PBES2Count: P2C,
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// deliveries are every form one token can arrive in.
func deliveries(compact string) map[string]*provider.Request {
	r := func(method, query string, body []byte) *provider.Request {
		return &provider.Request{Route: method + " /webhooks/axs", Query: query, Body: body}
	}
	escaped := ""
	for _, c := range []byte(compact) { // every byte percent-encoded, as a cautious sender may
		escaped += "%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15]))
	}
	return map[string]*provider.Request{
		"query POST":         r("POST", "data="+compact, nil),
		"query GET":          r("GET", "data="+compact, nil),
		"query among others": r("GET", "wc-api=axs_checkout&data="+compact+"&x=%zz", nil),
		"url-encoded query":  r("GET", "data="+escaped, nil),
		"query wins":         r("POST", "data="+compact, []byte(`{"data":"garbage"}`)),
		"json body":          r("POST", "", wrap(compact)),
		"form body":          r("POST", "", []byte("data="+url.QueryEscape(compact))),
		"form body, fields":  r("POST", "", []byte("a=1&data="+compact+"&b=")),
		"raw body":           r("POST", "", []byte(compact+"\n")),
	}
}

// One token in every delivery form decrypts to the same plaintext and so the same event id;
// a "zip":"DEF" token is one more token in the same forms.
func TestDeliveryForms(t *testing.T) {
	plaintext := fixture(t, "success.json")
	for name, compact := range map[string]string{
		"plain": mustEncrypt(t, plaintext, testClientID, testSecret),
		"DEF":   mustEncryptDEF(t, plaintext),
	} {
		for form, r := range deliveries(compact) {
			t.Run(name+"/"+form, func(t *testing.T) {
				p, _ := newTest(t)
				got, err := p.Verify(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plaintext) {
					t.Fatalf("plaintext %s", got)
				}
				ev, err := p.Normalize(context.Background(), got)
				if err != nil || ev.ID != "axs:1428191406936641536:SUCCESS" {
					t.Fatalf("id %q, %v", ev.ID, err)
				}
			})
		}
	}
}

func TestDeliveryFormRejections(t *testing.T) {
	good := mustEncrypt(t, fixture(t, "success.json"), testClientID, testSecret)
	tests := []struct {
		name, query string
		body        []byte
		reason      provider.Reason
	}{
		{"data twice in the query", "data=" + good + "&data=" + good, nil, ReasonBadJWE},
		{"empty data in the query", "data=", []byte(good), ReasonBadJWE},
		{"query without data, empty body", "wc-api=axs_checkout", nil, ReasonBadJWE},
		{"form body without data", "", []byte("jwe=" + good), ReasonBadJWE},
		{"form body data twice", "", []byte("data=" + good + "&data=x"), ReasonBadJWE},
		{"json body data twice", "", []byte(`{"data":"` + good + `","data":"` + good + `"}`), ReasonBadJWE},
		{"query data not a JWE", "data=hello", nil, ReasonBadJWE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, derived := newTest(t)
			_, err := p.Verify(context.Background(), &provider.Request{Query: tt.query, Body: tt.body})
			wantRejection(t, err, provider.KindBadRequest, tt.reason)
			if *derived != 0 {
				t.Errorf("%d key derivations for a malformed delivery", *derived)
			}
		})
	}
}

// An authentic DEF token that inflates past MaxInflated is refused with a typed 400, having
// held at most MaxInflated+1 bytes of it: 8 MiB compress to ~10 KB, well inside a body.
func TestInflateBomb(t *testing.T) {
	bomb := append(append([]byte(`{"status":"SUCCESS","x":"`), bytes.Repeat([]byte("0"), 8<<20)...), `"}`...)
	compact := mustEncryptDEF(t, bomb)
	if len(compact) > 64<<10 {
		t.Fatalf("bomb token is %d bytes", len(compact))
	}
	p, _ := newTest(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := p.Verify(context.Background(), &provider.Request{Query: "data=" + compact})
	runtime.ReadMemStats(&after)
	wantRejection(t, err, provider.KindBadRequest, ReasonInflatedTooLarge)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4*MaxInflated {
		t.Errorf("refusing the bomb allocated %d bytes, want under %d", n, 4*MaxInflated)
	}

	// Exactly at the bound is accepted; one byte more is not.
	for size, want := range map[int]provider.Reason{MaxInflated: "", MaxInflated + 1: ReasonInflatedTooLarge} {
		pt := append(append([]byte(`{"status":"SUCCESS","x":"`), bytes.Repeat([]byte("a"), size-len(`{"status":"SUCCESS","x":""}`))...), `"}`...)
		_, err := p.Verify(context.Background(), &provider.Request{Body: []byte(mustEncryptDEF(t, pt))})
		if want == "" && err != nil {
			t.Errorf("%d bytes: %v", size, err)
		}
		if want != "" {
			wantRejection(t, err, provider.KindBadRequest, want)
		}
	}
}

// A DEF token whose authentic plaintext is not a whole DEFLATE stream is malformed (400).
func TestInflateCorrupt(t *testing.T) {
	for name, compressed := range map[string][]byte{
		"not deflate": []byte(`{"status":"SUCCESS"}`),
		"truncated":   deflated(t, fixture(t, "success.json"))[:20],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := inflate(compressed)
			wantRejection(t, err, provider.KindBadRequest, ReasonBadJWE)
		})
	}
}

func deflated(t *testing.T, b []byte) []byte {
	t.Helper()
	tok := mustEncryptDEF(t, b)
	parsed, err := parseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	salt := append(append([]byte(KeyAlgorithm), 0), parsed.header.P2S...)
	raw, ok := parsed.open(testSecret, salt)
	if !ok {
		t.Fatal("open failed")
	}
	return raw
}

// Every status AXS documents, in two letter cases: one type, terminal flag and state each,
// and one spelling in the id. Anything else is stored as event.unsupported, never published.
func TestStatusTable(t *testing.T) {
	tests := []struct {
		status   string
		typ      event.Type
		state    event.Status
		terminal bool
		idStatus string
	}{
		{"SUCCESS", "payment.succeeded", event.Succeeded, true, "SUCCESS"},
		{"success", "payment.succeeded", event.Succeeded, true, "SUCCESS"},
		{"DECLINED", "payment.failed", event.Failed, true, "DECLINED"},
		{"Declined", "payment.failed", event.Failed, true, "DECLINED"},
		{"EXPIRED", "payment.expired", event.Expired, true, "EXPIRED"},
		{"expired", "payment.expired", event.Expired, true, "EXPIRED"},
		{"REFUNDED", event.TypeUnsupported, event.Pending, false, "REFUNDED"},
		{"pending", event.TypeUnsupported, event.Pending, false, "PENDING"},
	}
	p, _ := newTest(t)
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			body := `{"amount":"10.23","currency":"SGD","transactionRef":"1428191406936641536","status":"` + tt.status + `","responseCode":"05"}`
			ev, err := p.Normalize(context.Background(), []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			ev.Stamp(ev.OccurredAt, event.OriginWebhook)
			if ev.Type != tt.typ || ev.Status != tt.state || ev.Terminal != tt.terminal || ev.ID != "axs:1428191406936641536:"+tt.idStatus {
				t.Errorf("got %s %s terminal=%v %s", ev.Type, ev.Status, ev.Terminal, ev.ID)
			}
			if ev.Publishable() == (tt.typ == event.TypeUnsupported) {
				t.Errorf("publishable %v for %s", ev.Publishable(), ev.Type)
			}
		})
	}
}

// README's table for AXS says what the code does (golden.READMEStatuses).
func TestREADMEStatusTable(t *testing.T) {
	golden.READMEStatuses(t, "AXS", statuses, 1)
}

// A token carrying any registered JWE header member (RFC 7516 §4.1) besides PBES2's own is
// accepted, as a JOSE library may add them; made with go-jose, not our encrypter.
func TestRegisteredHeaderMembersAccepted(t *testing.T) {
	p, _ := newTest(t)
	plaintext := fixture(t, "success.json")
	opts := (&jose.EncrypterOptions{}).WithType("JWE").WithContentType("JSON").
		WithHeader("x5t", "dGh1bWJwcmludA").WithHeader("x5t#S256", "dGh1bWJwcmludA").WithHeader("jku", "https://axs.example/keys")
	compact := goJoseEncrypt(t, plaintext, opts)
	got, err := p.Verify(context.Background(), req(wrap(compact)))
	if err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("%v", err)
	}
}
