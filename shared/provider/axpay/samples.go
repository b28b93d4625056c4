package axpay

import (
	"encoding/json"
	"errors"

	"github.com/payhooks/payhooks/shared/provider"
)

// WebhookPath is the route AXpay is configured to call.
const WebhookPath = "/webhooks/axpay"

// SampleTransaction is a realistic completed transaction as AXpay's webhook would carry it.
// AXpay publishes no example body, so the shape follows the fields its list API filters on;
// webhookStatus is PENDING with no codes yet because this is the first delivery attempt.
func SampleTransaction(id, orderID, amount string, createdAtMs int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"id":                id,
		"orderId":           orderID,
		"amount":            json.Number(amount),
		"currency":          "USD",
		"rewardType":        "CASH_BACK",
		"rewardRate":        json.Number("0.02"),
		"fromEmail":         "john.doe" + "@" + "example.com",
		"webhookStatus":     "PENDING",
		"webhookStatusCode": []int{},
		"createdAt":         createdAtMs,
	})
	return b
}

// Samples returns authenticated sample deliveries made with the first webhook API key of
// secretDoc: `completed` (api-key header) and `completed-bearer` (Authorization: Bearer).
func Samples(secretDoc []byte) ([]provider.Sample, error) {
	cfg, err := ParseConfig(secretDoc)
	if err != nil {
		return nil, err
	}
	keys := cfg.WebhookAPIKeys.Reveal()
	if len(keys) == 0 || keys[0] == "" {
		return nil, errors.New("axpay: secret document has no webhookApiKeys")
	}
	key := keys[0]
	// Fixed timestamps keep generated sample files stable between runs.
	return []provider.Sample{
		{
			Name:    "completed",
			Path:    WebhookPath,
			Headers: map[string]string{"api-key": key},
			Body:    SampleTransaction("6650f1c2a9e4b71d2c8e4a01", "order-1001", "25.5", 1767225600000),
		},
		{
			Name:    "completed-bearer",
			Path:    WebhookPath,
			Headers: map[string]string{"authorization": "Bearer " + key},
			Body:    SampleTransaction("6650f1c2a9e4b71d2c8e4a02", "order-1002", "120.00", 1767229200000),
		},
	}, nil
}

var _ provider.SampleFunc = Samples
