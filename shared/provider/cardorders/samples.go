package cardorders

import (
	"encoding/json"
	"fmt"

	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
)

// docExample is the doc's "Return Example" (a recharge of a physical EUR card), with a
// real-looking address where the scraped copy lost the email.
func docExample() map[string]string {
	return map[string]string{
		"applyFee":                   "0",
		"cardAmount":                 "55",
		"cardCurrency":               "EUR",
		"cardId":                     "1232330814012345678",
		"cardNumber":                 "5554748800912345",
		"cardType":                   "2",
		"cryptoAddress":              "",
		"cryptoCurrency":             "USDT",
		"cryptoCurrencyExchangeRate": "1",
		"currencyExchangeRate":       "1.092759",
		"deliveryFee":                "0",
		"email":                      "john.doe" + "@" + "example.com",
		"failReason":                 "",
		"network":                    "TRX",
		"orderAmount":                "61.91",
		"orderNo":                    "100217231874691123456",
		"orderTime":                  "2024-08-09 15:11:09",
		"orderType":                  "2",
		"paymentAmount":              "61.91",
		"rechargeFee":                "0.72122094",
		"rechargeMarkup":             "0.99",
		"status":                     "SUCCESS",
		"voucherCode":                "",
	}
}

// sampleVariants derive every order type and status from the doc's example, each with its
// own orderNo so that every sample is a new event.
var sampleVariants = []struct {
	name   string
	fields map[string]string
}{
	{"SUCCESS", map[string]string{}},
	{"FAIL", map[string]string{
		"orderNo": "100217231874691123457", "orderTime": "2024-08-09 15:21:40", "status": "FAIL",
		"failReason": "Card recharge rejected by the card issuer",
	}},
	{"CANCEL", map[string]string{
		// The user never paid before the order timed out.
		"orderNo": "100217231874691123458", "orderTime": "2024-08-09 16:02:17", "status": "CANCEL",
		"paymentAmount": "0",
	}},
	// The older version of the doc's statuses: created and not paid yet; paid, the recharge
	// failed and the payment is on its way back.
	{"INIT", map[string]string{"orderNo": "100217231874691123462", "orderTime": "2024-08-09 17:20:00", "status": "INIT", "paymentAmount": "0"}},
	{"REFUNDING", map[string]string{"orderNo": "100217231874691123463", "orderTime": "2024-08-09 17:45:12", "status": "REFUNDING", "failReason": "Card recharge rejected by the card issuer"}},
	{"issue-SUCCESS", issue(map[string]string{
		"orderNo": "100217231874691123459", "orderTime": "2024-08-10 09:30:05", "status": "SUCCESS",
		"cardNumber": "5554748800967890", "cardId": "1232330814012349876",
	})},
	{"issue-FAIL", issue(map[string]string{
		"orderNo": "100217231874691123460", "orderTime": "2024-08-10 09:41:52", "status": "FAIL",
		"failReason": "Card application declined by the card issuer",
	})},
	{"issue-CANCEL", issue(map[string]string{
		"orderNo": "100217231874691123461", "orderTime": "2024-08-10 10:15:33", "status": "CANCEL",
		"paymentAmount": "0",
	})},
}

// issue describes a new virtual EUR card loaded with 20 EUR: application fee, load and
// fees, no card until the order succeeds.
func issue(over map[string]string) map[string]string {
	m := map[string]string{
		"orderType": "1", "cardType": "1", "cardNumber": "", "cardId": "",
		"applyFee": "10", "cardAmount": "20", "rechargeFee": "0.26", "rechargeMarkup": "0.35",
		"orderAmount": "32.47", "paymentAmount": "32.47",
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

// Samples returns one delivery per order type and status, addressed with the secret's
// active token.
func Samples(secretDoc []byte) ([]provider.Sample, error) {
	var s Secret
	if err := json.Unmarshal(secretDoc, &s); err != nil {
		return nil, fmt.Errorf("cardorders secret: %w", err)
	}
	tok, err := s.Active()
	if err != nil {
		return nil, fmt.Errorf("cardorders secret: %w", err)
	}
	out := make([]provider.Sample, 0, len(sampleVariants))
	for _, v := range sampleVariants {
		body := docExample()
		for k, val := range v.fields {
			body[k] = val
		}
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		out = append(out, provider.Sample{
			Name:    v.name,
			Path:    urltoken.Path(Name, tok),
			Headers: map[string]string{},
			Body:    b,
		})
	}
	return out, nil
}
