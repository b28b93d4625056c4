package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/axs"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/gateway"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// The hostile corpus: authentic, well-formed deliveries whose fields a hostile or broken
// sender filled. Unlike the bad-input table, most of them are valid events and must be
// stored and published — bounded, masked and no deeper than consumers can read.

// Personal data the corpus plants. Split so that no tool on the way rewrites them.
var (
	plantedEmail  = "john.doe" + "@" + "example.com"
	plantedLocal  = "john.doe" + "@" + "localhost"
	plantedPANs   = []string{"4111111111111111", "5555555555554444", "4111 1111 1111 1111", "4111\t1111\t1111\t1111"}
	plantedEmails = []string{plantedEmail, plantedLocal, plantedQuoted, plantedIP, plantedWide, plantedSmall, plantedStar, plantedURL}
	// The forms a review found getting through redaction.
	plantedQuoted = `"jane q"` + "@" + "example.com"
	plantedIP     = "jane.roe" + "@" + "[192.168.0.1]"
	plantedWide   = "jane.roe" + "\uff20" + "example.com"
	plantedSmall  = "jane.roe" + "\ufe6b" + "example.com"
	plantedStar   = "jo*n.doe" + "@" + "example.com"
	plantedURL    = "jane.roe" + "%40" + "example.com"
)

type corpusCase struct {
	provider, variant, name string
	edit                    func(m map[string]any) // on the (decrypted) sample body
	// status is the answer wanted: 200, or a 4xx with reason (the sender's fault), or 0
	// for either. An over-long id is 200: event.BoundIDs bounds it, nothing refuses it.
	status int
	reason provider.Reason
}

func deepJSON(n int) json.RawMessage {
	return json.RawMessage(strings.Repeat(`{"a":`, n) + `"` + plantedEmail + `"` + strings.Repeat(`}`, n))
}

func set(path string, v any) func(m map[string]any) {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = v
	}
}

func edits(fs ...func(map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		for _, f := range fs {
			f(m)
		}
	}
}

func hostileCorpus() []corpusCase {
	ls := strings.Repeat("\u2028", 80000) // 240 KB as sent, 480 KB once JSON-escaped
	long := func(n int) string { return strings.Repeat("9", n) }
	return []corpusCase{
		{"axpay", "completed", "status of 3,000 characters", set("webhookStatus", strings.Repeat("S", 3000)), 200, ""},
		{"axpay", "completed", "card_num as a string", set("card_num", plantedPANs[0]), 200, ""},
		{"axpay", "completed", "card_num as a number", set("card_num", json.Number(plantedPANs[1])), 200, ""},
		{"axpay", "completed", "email with a display name", set("fromEmail", "John Doe <"+plantedEmail+">"), 200, ""},
		{"axpay", "completed", "a field nested 5,000 deep", set("meta", deepJSON(5000)), 200, ""},
		{"axs", "SUCCESS", "transactionRef of 2,100 characters", set("transactionRef", long(2100)), 200, ""},
		{"axs", "SUCCESS", "transactionRef of 1,100 characters", set("transactionRef", long(1100)), 200, ""},
		{"axs", "DECLINED", "email with spaces and a PAN followed by *", edits(
			set("paymentScheme", " "+plantedEmail+" "), set("responseCode", plantedPANs[1]+"*")), 200, ""},
		{"cardorders", "FAIL", "failReason of 80,000 U+2028 in a 240 KB body", set("failReason", ls), 200, ""},
		{"cardorders", "FAIL", "cardNumber followed by *", set("cardNumber", plantedPANs[0]+"*"), 200, ""},
		{"cardorders", "SUCCESS", "emails in every form", edits(
			set("email", "John Doe <"+plantedEmail+">"), set("voucherCode", plantedLocal),
			set("cryptoAddress", plantedEmail+" "), set("failReason", "card "+plantedPANs[2]+" for "+plantedEmail)), 200, ""},
		{"cxtn", "funds-in-object", "transactionDateTime holding an email", set("data.transactionDateTime", plantedEmail), 400, provider.ReasonBadField},
		{"cxtn", "funds-in-object", "card_num and emails in unknown fields", edits(
			set("data.card_num", plantedPANs[2]), set("data.userId", " "+plantedEmail), set("data.note", plantedLocal)), 200, ""},
		{"instaxchange", "completed", "additionalData nested 5,000 deep", set("data.additionalData", deepJSON(5000)), 200, ""},
		{"cardorders", "FAIL", "card numbers grouped by . / _ and double spaces, and glued to digits", edits(
			set("failReason", "cards 5555.5555.5555.4444, 4111/1111/1111/1111 and 4111_1111_1111_1111"),
			set("voucherCode", "5555  5555  5555  4444"), set("cryptoAddress", "99"+plantedPANs[1]+"7")), 200, ""},
		{"axpay", "completed", "card numbers as number tokens, a starred address as fromEmail", edits(
			set("ref_num", json.Number(plantedPANs[1]+"e0")), set("other_num", json.Number(plantedPANs[0]+".0")),
			set("fromEmail", plantedStar)), 200, ""},
		{"instaxchange", "failed", "quoted, IP-literal, look-alike, starred and URL-encoded emails", edits(
			set("invoiceData.Name", plantedQuoted), set("invoiceData.Email", plantedIP),
			set("data.statusReason", "for "+plantedWide+", "+plantedSmall+", "+plantedStar+" and https://x.io/?e="+plantedURL)), 200, ""},
		{"axpay", "completed", "currency holding an email", set("currency", plantedEmail), 400, provider.ReasonBadField},
		{"axs", "SUCCESS", "currency holding a card number", set("currency", plantedPANs[2]), 400, provider.ReasonBadField},
		{"axpay", "completed", "currency holding an unspaced card number", set("currency", plantedPANs[0]), 400, provider.ReasonBadField},
		{"axs", "SUCCESS", "transactionRef a zero-padded card number", set("transactionRef", "000"+plantedPANs[1]), 200, ""},
		{"cardorders", "FAIL", "card numbers grouped by tabs", set("failReason", "card "+plantedPANs[3]), 200, ""},
		{"cardorders", "SUCCESS", "cardCurrency holding an email", set("cardCurrency", plantedLocal), 400, provider.ReasonBadField},
		{"instaxchange", "completed", "amount that is a card number", set("data.amountInFiat", json.Number(plantedPANs[1]+"e0")), 400, provider.ReasonBadField},
		{"cxtn", "funds-in-object", "amount that is a card number", set("data.amount", json.Number(plantedPANs[0]+".0")), 400, provider.ReasonBadField},
		{"instaxchange", "failed", "emails and a PAN in free text", edits(
			set("invoiceData.Name", "John Doe <"+plantedEmail+">"), set("invoiceData.Email", plantedEmail+" "),
			set("data.statusReason", "card "+plantedPANs[0]+"* declined for "+plantedLocal)), 200, ""},
	}
}

// corpusIDField is the member each provider's event id is built from: every case gets its
// own, so that no case is a redelivery of another.
var corpusIDField = map[string]string{
	"axpay": "id", "axs": "transactionRef", "cardorders": "orderNo", "cxtn": "eventId", "instaxchange": "transactionId",
}

// corpusRequest builds case i's delivery with the credential the real sender would send.
func corpusRequest(t *testing.T, i int, c corpusCase) (registry.Webhook, provider.Sample) {
	t.Helper()
	docs := devDocs(t)
	w, _ := registry.Lookup(c.provider)
	doc := docs["payhooks/"+c.provider]
	d := secretOf(t, doc)
	var s provider.Sample
	for _, x := range samples(t, w, doc) {
		if x.Name == c.variant {
			s = x
		}
	}
	if s.Body == nil {
		t.Fatalf("%s: no sample %s", c.provider, c.variant)
	}
	body := s.Body
	if c.provider == "axs" {
		pt, err := axs.Decrypt(axsCompact(t, s.Body), d.ClientSecrets...)
		if err != nil {
			t.Fatal(err)
		}
		body = pt
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	f := corpusIDField[c.provider]
	m[f] = fmt.Sprint(m[f], i)
	c.edit(m)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	// encoding/json escapes U+2028; a sender need not: send the characters themselves.
	edited := bytes.ReplaceAll(bytes.TrimSpace(buf.Bytes()), []byte(`\u2028`), []byte("\u2028"))
	if len(edited) > webhook.MaxBody {
		t.Fatalf("%s: body of %d bytes is over MaxBody", c.name, len(edited))
	}
	if signed, ok := signedAs(t, w, d, s, edited); ok {
		return w, signed
	}
	s.Body = edited
	return w, s
}

// One test sends the whole corpus through the local gateway, each delivery twice, and
// proves over the table, the queue and the log of that run: no 5xx; the same answer on
// redelivery; no full email, card number, token or secret anywhere; every message within
// SQS's 262,144 bytes (attributes included) and 64 levels; every id within 1024 bytes.
func TestHostileCorpusThroughGateway(t *testing.T) {
	env := stacktest.New(t)
	var runLog devstack.Buffer
	p := newPipelineLogging(t, env, nil, io.MultiWriter(logs, &runLog))
	var routes []gateway.Route
	for _, w := range registry.Webhooks {
		routes = append(routes, gateway.Route{Method: w.Method, Path: w.Path, Handler: p.handler(t, w.Provider).Lambda})
	}
	srv := httptest.NewServer(gateway.New(routes, webhook.MaxBody, p.deps.Log))
	defer srv.Close()

	accepted := 0
	for i, c := range hostileCorpus() {
		w, s := corpusRequest(t, i, c)
		name := c.provider + "/" + c.name
		first, firstBody := post(t, srv.URL, w, s)
		again, againBody := post(t, srv.URL, w, s)
		t.Logf("%s: %d %s; redelivery %d %s", name, first, firstBody, again, againBody)
		switch {
		case first >= 500 || again >= 500:
			t.Errorf("%s: %d then %d", name, first, again)
		case again != first || c.status != 0 && first != c.status || first != 200 && (first < 400 || first > 499):
			t.Errorf("%s: %d then %d, want %d", name, first, again, c.status)
		case first == 200 && (!strings.Contains(firstBody, `"accepted"`) || !strings.Contains(againBody, `"duplicate"`)):
			t.Errorf("%s: redelivery answered %s", name, againBody)
		case first != 200 && (againBody != firstBody || !strings.HasPrefix(firstBody, `{"error":"`+string(c.reason))):
			t.Errorf("%s: %s then %s, want reason %q", name, firstBody, againBody, c.reason)
		}
		if first == 200 {
			accepted++
		}
	}

	msgs := env.Messages(t)
	if len(msgs) != accepted {
		t.Errorf("%d messages for %d accepted deliveries", len(msgs), accepted)
	}
	var queue strings.Builder
	for _, m := range msgs {
		body := *m.Body
		size := len(body)
		for k, a := range m.MessageAttributes {
			size += len(k) + len(*a.DataType) + len(*a.StringValue)
		}
		var ev struct{ ID string }
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Errorf("message is not JSON: %v", err)
		}
		eventtest.Validate(t, []byte(body))
		if size > event.MaxMessageBytes || eventtest.Depth([]byte(body)) > event.MaxDepth || len(ev.ID) > event.MaxIDBytes || !utf8.ValidString(body) {
			t.Errorf("message %.80s: %d bytes with attributes, depth %d, id %d bytes", ev.ID, size, eventtest.Depth([]byte(body)), len(ev.ID))
		}
		queue.WriteString(body)
		queue.WriteByte('\n')
	}
	var table strings.Builder
	for _, it := range env.Items(t) {
		if pk := itemS(it, "pk"); len(pk) > 2048 {
			t.Errorf("key of %d bytes", len(pk))
		}
		if id := itemS(it, "eventId"); len(id) > event.MaxIDBytes {
			t.Errorf("event id of %d bytes", len(id))
		}
		b, _ := json.Marshal(it)
		table.Write(b)
		table.WriteByte('\n')
	}
	for where, text := range map[string]string{"table": table.String(), "queue": queue.String(), "log": runLog.String()} {
		for _, l := range corpusLeaks(t, text) {
			t.Errorf("%s: %s", where, l)
		}
	}
	if !strings.Contains(queue.String(), event.DepthMarker) || !strings.Contains(queue.String(), event.CutMarker) {
		t.Error("no message shows the depth or text cut it was given")
	}
}

// post sends the sample through the gateway as the provider would.
func post(t *testing.T, base string, w registry.Webhook, s provider.Sample) (int, string) {
	t.Helper()
	req, err := http.NewRequest(w.Method, base+s.Path, bytes.NewReader(s.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	digitsOnly = regexp.MustCompile(`[ ._/-]`)
	// unescape undoes the JSON escapes an email may hide behind in a stored or sent copy.
	unescape = strings.NewReplacer(`\u0040`, "@", `\uff20`, "\uff20", `\ufe6b`, "\ufe6b", `\"`, `"`, `\t`, "\t")
)

// corpusLeaks lists the planted personal data and the secrets found in text: the planted
// emails and card numbers however they were escaped, and what logLeaks looks for.
func corpusLeaks(t *testing.T, text string) []string {
	t.Helper()
	leaks, err := logLeaks(text)
	if err != nil {
		t.Fatal(err)
	}
	lower := strings.ToLower(text)
	for strings.Contains(lower, `\\`) { // JSON in a JSON string: the table's payload
		lower = strings.ReplaceAll(lower, `\\`, `\`)
	}
	lower = unescape.Replace(lower)
	for _, e := range plantedEmails {
		if strings.Contains(lower, e) {
			leaks = append(leaks, fmt.Sprintf("holds %q", e))
		}
	}
	for _, pan := range plantedPANs {
		if strings.Contains(text, pan) || strings.Contains(text, digitsOnly.ReplaceAllString(pan, "")) {
			leaks = append(leaks, fmt.Sprintf("holds %q", pan))
		}
	}
	return leaks
}
