package axs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestBuildLinkRoundTrip(t *testing.T) {
	// Fixed randomness for the p2s UUID: 16 bytes of 0x11 give this version-4 UUID.
	const wantUUID = "11111111-1111-4111-9111-111111111111"
	cfg := LinkConfig{ClientID: testClientID, Secret: testSecret, MerchantLinkID: "7dc5b3e2", Rand: bytes.NewReader(bytes.Repeat([]byte{0x11}, 16))}
	req := LinkRequest{
		Amount: "10.23", MerchantRef: "Ref123", Schemes: []string{"paynow", "Credit_Card", "paynow"}, TerminalID: "Terminal-1",
		WebhookURL: "https://webhook.site/fc1903f3-09a3-4141-af96-63c2ad029373",
		SuccessURL: "https://axs.com.sg?session=243556&x=<1>", FailURL: "http://localhost:8080/fail",
		Expiry: 300,
	}
	link, err := BuildLink(cfg, req)
	if err != nil {
		t.Fatal(err)
	}
	prefix := UATBaseURL + "7dc5b3e2?data="
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("link %s does not start with %s", link, prefix)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	data := u.Query().Get("data")
	if data != strings.TrimPrefix(link, prefix) {
		t.Error("the JWE should need no escaping in a query")
	}

	// Exact header.
	rawHeader, _ := base64.RawURLEncoding.DecodeString(strings.Split(data, ".")[0])
	var h map[string]any
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		t.Fatal(err)
	}
	checkHeader(t, h)
	if h["p2s"] != base64.RawURLEncoding.EncodeToString([]byte(wantUUID)) {
		t.Errorf("p2s %v, want base64url(%s)", h["p2s"], wantUUID)
	}

	// Exact plaintext, in the doc's field order, URLs unescaped.
	pt, err := Decrypt(data, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"clientId":"5fc53a20-e563-4f45-8dcc-4fd1f20f649c","amount":"1023","currency":"SGD","merchantRef":"Ref123",` +
		`"scheme":"paynow,credit_card","terminalId":"Terminal-1","webhookUrl":"https://webhook.site/fc1903f3-09a3-4141-af96-63c2ad029373",` +
		`"successUrl":"https://axs.com.sg?session=243556&x=<1>","failUrl":"http://localhost:8080/fail","expiry":300}`
	if string(pt) != want {
		t.Errorf("plaintext\n%s\nwant\n%s", pt, want)
	}

	// ParseLink gives the same parameters, and the floor agrees too.
	params, err := ParseLink(link, testPrevious, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	wantParams, _ := req.Params(testClientID)
	if params != wantParams {
		t.Errorf("params %+v, want %+v", params, wantParams)
	}
	if fp, err := floorDecrypt(data, testSecret); err != nil || string(fp) != want {
		t.Errorf("floor: %v %s", err, fp)
	}
	if _, err := ParseLink(link, testPrevious); err == nil {
		t.Error("link decrypted with a secret that did not make it")
	}
}

func TestBuildLinkOptionalAndBase(t *testing.T) {
	cfg := LinkConfig{ClientID: testClientID, Secret: testSecret, MerchantLinkID: "a b/c", BaseURL: "https://checkout.example.com/hpp/checkout"}
	link, err := BuildLink(cfg, LinkRequest{MerchantRef: "Ref-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://checkout.example.com/hpp/checkout/a%20b%2Fc?data=") {
		t.Fatalf("link %s", link)
	}
	p, err := ParseLink(link, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if p != (LinkParams{ClientID: testClientID, Currency: "SGD", MerchantRef: "Ref-1"}) {
		t.Errorf("params %+v: empty optional fields should be left out", p)
	}
	// Two links for the same payment never share a salt.
	other, _ := BuildLink(cfg, LinkRequest{MerchantRef: "Ref-1"})
	if other == link {
		t.Error("two links are identical")
	}
}

func TestLinkAmounts(t *testing.T) {
	for in, want := range map[string]string{
		"10.23": "1023", "0.01": "1", "10": "1000", "10.2": "1020", "9999999.00": "999999900", "9999999": "999999900", "0.10": "10",
	} {
		p, err := LinkRequest{Amount: in, MerchantRef: "r"}.Params("c")
		if err != nil || p.Amount != want {
			t.Errorf("amount %q -> %q, %v; want %q", in, p.Amount, err, want)
		}
	}
}

func TestLinkFieldErrors(t *testing.T) {
	ok := LinkRequest{Amount: "10.23", MerchantRef: "Ref123"}
	cfg := LinkConfig{ClientID: testClientID, Secret: testSecret, MerchantLinkID: "ml"}
	tests := []struct {
		name  string
		cfg   func(*LinkConfig)
		req   func(*LinkRequest)
		field string
	}{
		{"amount zero", nil, func(r *LinkRequest) { r.Amount = "0" }, "amount"},
		{"amount zero cents", nil, func(r *LinkRequest) { r.Amount = "0.00" }, "amount"},
		{"amount negative", nil, func(r *LinkRequest) { r.Amount = "-1.00" }, "amount"},
		{"amount three decimals", nil, func(r *LinkRequest) { r.Amount = "10.234" }, "amount"},
		{"amount above max", nil, func(r *LinkRequest) { r.Amount = "9999999.01" }, "amount"},
		{"amount far above max", nil, func(r *LinkRequest) { r.Amount = "123456789" }, "amount"},
		{"amount exponent", nil, func(r *LinkRequest) { r.Amount = "1e3" }, "amount"},
		{"amount comma", nil, func(r *LinkRequest) { r.Amount = "1,000.00" }, "amount"},
		{"amount leading zero", nil, func(r *LinkRequest) { r.Amount = "010.00" }, "amount"},
		{"amount trailing dot", nil, func(r *LinkRequest) { r.Amount = "10." }, "amount"},
		{"amount cents given", nil, func(r *LinkRequest) { r.Amount = " 10.23" }, "amount"},
		{"merchantRef empty", nil, func(r *LinkRequest) { r.MerchantRef = "" }, "merchantRef"},
		{"merchantRef blank", nil, func(r *LinkRequest) { r.MerchantRef = "   " }, "merchantRef"},
		{"merchantRef 41", nil, func(r *LinkRequest) { r.MerchantRef = strings.Repeat("x", 41) }, "merchantRef"},
		{"merchantRef control", nil, func(r *LinkRequest) { r.MerchantRef = "a\nb" }, "merchantRef"},
		{"scheme unknown", nil, func(r *LinkRequest) { r.Schemes = []string{"paynow", "visa"} }, "scheme"},
		{"scheme comma inside", nil, func(r *LinkRequest) { r.Schemes = []string{"paynow,alipay"} }, "scheme"},
		{"terminal control", nil, func(r *LinkRequest) { r.TerminalID = "t\x00" }, "terminalId"},
		{"expiry negative", nil, func(r *LinkRequest) { r.Expiry = -1 }, "expiry"},
		{"expiry above a day", nil, func(r *LinkRequest) { r.Expiry = MaxExpiry + 1 }, "expiry"},
		{"webhook http", nil, func(r *LinkRequest) { r.WebhookURL = "http://example.com/hook" }, "webhookUrl"},
		{"webhook relative", nil, func(r *LinkRequest) { r.WebhookURL = "/webhooks/axs" }, "webhookUrl"},
		{"webhook credentials", nil, func(r *LinkRequest) { r.WebhookURL = "https://u:p@example.com/" }, "webhookUrl"},
		{"success javascript", nil, func(r *LinkRequest) { r.SuccessURL = "javascript:alert(1)" }, "successUrl"},
		{"success ftp", nil, func(r *LinkRequest) { r.SuccessURL = "ftp://example.com/" }, "successUrl"},
		{"fail localhost lookalike", nil, func(r *LinkRequest) { r.FailURL = "http://localhost.example.com/" }, "failUrl"},
		{"fail not a url", nil, func(r *LinkRequest) { r.FailURL = "https://exa mple.com/%zz" }, "failUrl"},
		{"no client id", func(c *LinkConfig) { c.ClientID = "" }, nil, "clientId"},
		{"no secret", func(c *LinkConfig) { c.Secret = "" }, nil, "secret"},
		{"no merchant link id", func(c *LinkConfig) { c.MerchantLinkID = "" }, nil, "merchantLinkId"},
		{"base http", func(c *LinkConfig) { c.BaseURL = "http://checkout.example.com/" }, nil, "baseUrl"},
		{"base with query", func(c *LinkConfig) { c.BaseURL = "https://checkout.example.com/?x=1" }, nil, "baseUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, r := cfg, ok
			if tt.cfg != nil {
				tt.cfg(&c)
			}
			if tt.req != nil {
				tt.req(&r)
			}
			link, err := BuildLink(c, r)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("want FieldError for %s, got link %q err %v", tt.field, link, err)
			}
			if fe.Field != tt.field {
				t.Fatalf("field %q (%v), want %q", fe.Field, fe, tt.field)
			}
		})
	}
}

func TestLinkAccepts(t *testing.T) {
	cfg := LinkConfig{ClientID: testClientID, Secret: testSecret, MerchantLinkID: "ml"}
	for name, r := range map[string]LinkRequest{
		"40 runes":       {MerchantRef: strings.Repeat("é", 40)},
		"every scheme":   {MerchantRef: "r", Schemes: Schemes},
		"localhost http": {MerchantRef: "r", WebhookURL: "http://127.0.0.1:3000/webhooks/axs", SuccessURL: "http://[::1]/ok", FailURL: "http://LOCALHOST/fail"},
	} {
		if _, err := BuildLink(cfg, r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
