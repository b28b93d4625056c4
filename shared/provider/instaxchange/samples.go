package instaxchange

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/payhooks/payhooks/shared/provider"
)

// SamplePath is where InstaXchange deliveries arrive.
const SamplePath = "/webhooks/instaxchange"

// The address is assembled so that no tool on the way rewrites it.
const sampleEmail = "john.doe" + "@" + "example.com"

// Sample bodies follow the doc's examples, in the sender's key order and compact as
// JSON.stringify sends them, with realistic values where the doc shows masks. The card
// number is masked by InstaXchange itself.
var sampleBodies = []struct{ name, body string }{
	{"completed", `{"webhookId":"wh-3f9d2c7e81a64b05","transactionId":"ixc-tx-7f3a9c21","reference":"order-10042",` +
		`"data":{"amountInFiat":3.74,"fiatCurrency":"USD","amountInCrypto":0.0421399418187522,"cryptoCurrency":"LTC",` +
		`"status":"completed","statusReason":null,"walletAddress":"ltc1qg82m7w3kq0v5x9ts4c8yzjw6d3lh5f7e2n9rp4",` +
		`"additionalData":{"wdId":"123"},"sessionId":"ixc-sess-b41e7d09","createdAt":"2024-05-22T19:58:54.097Z"},` +
		`"invoiceData":{"Email":"` + sampleEmail + `","Name":"John Doe","Credit_card_number":"4****1111",` +
		`"Invoice_ID":"INV-20240522-0042","Status":"completed","Wallet_address":"ltc1qg82m7w3kq0v5x9ts4c8yzjw6d3lh5f7e2n9rp4",` +
		`"Details":"3.74 USD => 0.043 LTC","Invoice_date":"22nd May, 2024","Deposit_tx_ID":"dep-9b2f61c4",` +
		`"Deposit_tx_amount":"3.74 USD","Deposit_tx_status":"completed",` +
		`"Withdraw_tx_ID":"a3f1c9e07b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",` +
		`"Withdraw_tx_amount":"0.0421399418187522 LTC","Withdraw_tx_status":"completed"},` +
		`"createdAt":"2024-05-22T19:59:05.913Z"}`},
	{"failed", `{"webhookId":"wh-8c41e0b7d2f95a36","transactionId":"ixc-tx-c5e80b14","reference":null,` +
		`"data":{"amountInFiat":5,"fiatCurrency":"USD","amountInCrypto":4.78,"cryptoCurrency":"USDT-AVALANCHE",` +
		`"status":"failed","statusReason":"Do Not Honor","walletAddress":"0x4b9e2a71c3d05f68e1a7b2c9d0e3f4a5b6c7d8e9",` +
		`"additionalData":null,"sessionId":"ixc-sess-2d7a90f3","createdAt":"2024-05-24T06:48:39.279Z"},` +
		`"invoiceData":{"Email":"` + sampleEmail + `","Name":"John Doe","Credit_card_number":"4****1111",` +
		`"Invoice_ID":"INV-20240524-0117","Status":"failed","Wallet_address":"0x4b9e2a71c3d05f68e1a7b2c9d0e3f4a5b6c7d8e9",` +
		`"Details":"5 USD => 4.78 USDT-AVALANCHE","Invoice_date":"24th May, 2024","Deposit_tx_ID":"dep-51c7e2a8",` +
		`"Deposit_tx_amount":"5 USD","Deposit_tx_status":"completed",` +
		`"Withdraw_tx_ID":"7e0d4c2b9a8f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d",` +
		`"Withdraw_tx_amount":"4.78 USDT-AVALANCHE","Withdraw_tx_status":"failed"},` +
		`"createdAt":"2024-05-24T06:53:29.503Z"}`},
}

// Samples returns signed "completed" and "failed" deliveries, signed with the first
// secret of secretDoc as InstaXchange's TypeScript sender signs them.
func Samples(secretDoc []byte) ([]provider.Sample, error) {
	var doc SecretDoc
	if err := json.Unmarshal(secretDoc, &doc); err != nil {
		return nil, fmt.Errorf("instaxchange: secret document: %w", err)
	}
	if len(doc.WebhookSecrets) == 0 || strings.TrimSpace(doc.WebhookSecrets[0]) == "" {
		return nil, errors.New("instaxchange: secret document lists no webhookSecrets")
	}
	out := make([]provider.Sample, 0, len(sampleBodies))
	for _, s := range sampleBodies {
		sig, err := Sign([]byte(s.body), doc.WebhookSecrets[0])
		if err != nil {
			return nil, fmt.Errorf("instaxchange: sample %s: %w", s.name, err)
		}
		out = append(out, provider.Sample{
			Name:    s.name,
			Path:    SamplePath,
			Headers: map[string]string{SignatureHeader: sig},
			Body:    []byte(s.body),
		})
	}
	return out, nil
}

var _ provider.SampleFunc = Samples
