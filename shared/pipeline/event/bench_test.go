package event_test

import (
	"encoding/json"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/support/money"
)

// benchEvent is a webhook-sized event: a few details, a failure, a 1.5 KB raw payload.
func benchEvent() *event.Event {
	amount, _ := money.New("61.91", "USDT")
	ev := base("cardorders:100217231874691123457:FAIL")
	ev.Amount = &amount
	ev.Failure = &event.Failure{Message: "Card recharge rejected by the card issuer"}
	ev.Details = map[string]any{"cardType": "physical", "maskedEmail": "j***@example.com", "rechargeFee": "0.72122094", "network": "TRX"}
	ev.Raw = json.RawMessage(`{"applyFee":"0","cardAmount":"55","cardCurrency":"EUR","cardId":"1232330814012345678","cardNumber":"555474******2345",` +
		`"cardType":"2","cryptoAddress":"","cryptoCurrency":"USDT","cryptoCurrencyExchangeRate":"1","currencyExchangeRate":"1.092759",` +
		`"deliveryFee":"0","email":"j***@example.com","failReason":"Card recharge rejected by the card issuer","network":"TRX",` +
		`"orderAmount":"61.91","orderNo":"100217231874691123457","orderTime":"2024-08-09 15:21:40","orderType":"2","paymentAmount":"61.91",` +
		`"rechargeFee":"0.72122094","rechargeMarkup":"0.99","status":"FAIL","voucherCode":"","items":[{"sku":"A-1","qty":2},{"sku":"B-2","qty":1}]}`)
	return ev
}

// BenchmarkMarshal is what ingest did before Fit: one encoding of the event.
func BenchmarkMarshal(b *testing.B) {
	ev := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ev.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFit is what ingest does now: bounds, masking by value, and the encoding.
func BenchmarkFit(b *testing.B) {
	ev := benchEvent() // Fit is idempotent: every round walks and encodes it all again
	b.ReportAllocs()
	for b.Loop() {
		if _, err := event.Fit(ev); err != nil {
			b.Fatal(err)
		}
	}
}
