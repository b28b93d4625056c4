package axs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/provider"
)

type vectorFile struct {
	ClientID string   `json:"clientId"`
	Secrets  []string `json:"secrets"`
	Vectors  []vector `json:"vectors"`
}

type vector struct {
	Name        string          `json:"name"`
	SecretIndex int             `json:"secretIndex"`
	Kid         string          `json:"kid"`
	Plaintext   string          `json:"plaintext"`
	Reason      provider.Reason `json:"reason"` // the rejection expected instead of a plaintext
	JWE         string          `json:"jwe"`
}

// interopFiles are the committed tokens of implementations other than Go's: npm jose
// (jose_interop.mjs) and Python joserfc (joserfc_vectors.py).
var interopFiles = []string{"vectors.json", "joserfc.json"}

// Vectors made by npm jose and Python joserfc must decrypt with our code, with neither
// needed to run this test.
func TestInteropVectors(t *testing.T) {
	for _, file := range interopFiles {
		b, err := os.ReadFile(filepath.Join("testdata", "interop", file))
		if err != nil {
			t.Fatal(err)
		}
		var vf vectorFile
		if err := json.Unmarshal(b, &vf); err != nil {
			t.Fatal(err)
		}
		if len(vf.Vectors) < 2 || len(vf.Secrets) == 0 {
			t.Fatalf("%s holds %d vectors and %d secrets", file, len(vf.Vectors), len(vf.Secrets))
		}
		for _, v := range vf.Vectors {
			t.Run(v.Name, func(t *testing.T) { checkVector(t, vf, v) })
		}
	}
}

func checkVector(t *testing.T, vf vectorFile, v vector) {
	doc, _ := json.Marshal(SecretDoc{ClientID: vf.ClientID, ClientSecrets: vf.Secrets})
	p := New(secrets.Static{"payhooks/axs": string(doc)}, "payhooks/axs").(*axsProvider)
	derived := 0
	p.beforeDerive = func(int) { derived++ }
	for _, r := range []*provider.Request{req(wrap(v.JWE)), req([]byte(v.JWE)), {Query: "data=" + v.JWE}} {
		pt, err := p.Verify(context.Background(), r)
		if v.Reason != "" {
			wantRejection(t, err, provider.KindBadRequest, v.Reason)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(pt) != v.Plaintext {
			t.Fatalf("plaintext %s, want %s", pt, v.Plaintext)
		}
		ev, err := p.Normalize(context.Background(), pt)
		if err != nil {
			t.Fatal(err)
		}
		ev.Stamp(time.Now(), event.OriginWebhook)
		eventtest.ValidateEvent(t, &ev)
	}
	if want := 3 * (v.SecretIndex + 1); derived != want {
		t.Errorf("%d derivations, want %d", derived, want)
	}
	if strings.Contains(v.Name, "zip-def") || v.Reason != "" {
		return // the floor does not inflate
	}
	// Our stdlib-only floor decrypts them too.
	pt, err := floorDecrypt(v.JWE, vf.Secrets[v.SecretIndex])
	if err != nil || string(pt) != v.Plaintext {
		t.Errorf("floor: %v %s", err, pt)
	}
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// JWEs our Go code produces (webhook samples and payment-link data) must decrypt with npm
// jose to the same plaintext. Runs only where Node and tools/node_modules/jose are present.
func TestInteropNodeJose(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH: skipping the npm jose interoperability check")
	}
	tools := filepath.Join("..", "..", "..", "tools")
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "jose", "package.json")); err != nil {
		t.Skip("tools/node_modules/jose missing (run `cd tools && npm ci`): skipping the npm jose interoperability check")
	}

	var tokens, plaintexts []string
	samples, err := Samples([]byte(testDoc(testSecret, testPrevious)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		compact, err := compactFrom(sampleReq(s))
		if err != nil {
			t.Fatal(err)
		}
		pt, err := Decrypt(compact, testSecret)
		if err != nil {
			t.Fatal(err)
		}
		tokens, plaintexts = append(tokens, compact), append(plaintexts, string(pt))
	}
	link, err := BuildLink(LinkConfig{ClientID: testClientID, Secret: testSecret, MerchantLinkID: "ml-1"}, LinkRequest{
		Amount: "10.23", MerchantRef: "Ref123", Schemes: []string{"paynow", "credit_card"}, TerminalID: "Terminal-1",
		WebhookURL: "https://example.com/webhooks/axs", SuccessURL: "https://example.com/ok?a=1&b=2", FailURL: "https://example.com/fail",
	})
	if err != nil {
		t.Fatal(err)
	}
	data := strings.SplitN(link, "?data=", 2)[1]
	tokens = append(tokens, data)
	linkPT, err := Decrypt(data, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	plaintexts = append(plaintexts, string(linkPT))
	// The previous secret as the only one jose knows: our encryption with it must open too.
	prev := mustEncrypt(t, []byte(samplePayloads[0].body), testClientID, testPrevious)
	tokens, plaintexts = append(tokens, prev), append(plaintexts, samplePayloads[0].body)

	in, _ := json.Marshal(map[string]any{"secrets": []string{testSecret, testPrevious}, "tokens": tokens})
	cmd := exec.Command(node, filepath.Join("testdata", "interop", "jose_interop.mjs"), "decrypt")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res struct {
		Results []struct {
			Plaintext string         `json:"plaintext"`
			Header    map[string]any `json:"header"`
			Error     string         `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output: %v\n%s", err, out)
	}
	if len(res.Results) != len(tokens) {
		t.Fatalf("%d results for %d tokens", len(res.Results), len(tokens))
	}
	for i, r := range res.Results {
		if r.Error != "" {
			t.Errorf("token %d: jose: %s", i, r.Error)
			continue
		}
		if r.Plaintext != plaintexts[i] {
			t.Errorf("token %d: jose plaintext %s, want %s", i, r.Plaintext, plaintexts[i])
		}
		checkHeader(t, r.Header)
	}
}

// checkHeader asserts the exact AXS header: alg, enc, kid, p2c 1000 and p2s a UUID's text.
func checkHeader(t *testing.T, h map[string]any) {
	t.Helper()
	if len(h) != 5 || h["alg"] != KeyAlgorithm || h["enc"] != ContentEncryption || h["kid"] != testClientID || h["p2c"] != float64(P2C) {
		t.Errorf("header %v", h)
		return
	}
	salt, err := base64.RawURLEncoding.DecodeString(h["p2s"].(string))
	if err != nil || !uuidRe.Match(salt) {
		t.Errorf("p2s %v does not carry a UUID (%q)", h["p2s"], salt)
	}
}
