package redact

import (
	"strings"
	"testing"
)

// benchPayload is a webhook-sized body: mostly plain members, a few that mask (an email,
// a card number), some escapes and non-ASCII text, nested objects and arrays.
func benchPayload() []byte {
	at := "@"
	var b strings.Builder
	b.WriteString(`{"id":"evt_1N2b3C4d5E6f7G8h","type":"payment.succeeded","created":1714557600,"livemode":false,`)
	b.WriteString(`"customer":{"name":"Jos\u00e9 Garc\u00eda","email":"john.doe` + at + `example.com","phone":"+44 20 7946 0958",`)
	b.WriteString(`"address":{"line1":"1 Rue de l’Église","city":"Zürich","country":"CH"}},`)
	b.WriteString(`"card":{"number":"4111 1111 1111 1111","brand":"visa","exp_month":12,"exp_year":2030},`)
	b.WriteString(`"amount":"1234.50","currency":"EUR","fee":-0.25e+1,"metadata":{"order":"A-1001","note":"line1\nline2 \"quoted\" \/path"},`)
	b.WriteString(`"items":[`)
	for i := 0; i < 12; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"SKU-000` + string(rune('0'+i%10)) + `","qty":2,"price":19.99,"tags":["a","b",null,true]}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkJSON(b *testing.B) {
	p := benchPayload()
	if _, err := JSON(p); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JSON(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONDigits is the worst case of searching digit runs: a webhook of long
// identifiers, timestamps and amounts (the shape of cardorders and AXS bodies), most of
// them runs of 13 digits or more that hold no card number.
func BenchmarkJSONDigits(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"orderNo":"100217231874691123471","cardId":"8018639715332314491","transactionRef":"1428191406936641536",`)
	sb.WriteString(`"ts":1714557600123,"tsMicros":1714557600123456,"amount":"0.0421399418187522","rate":"1.092759","items":[`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"id":"902549753431474637004","at":"2026-01-16 01:22:46.010508","qty":12345678901234}`)
	}
	sb.WriteString(`]}`)
	p := []byte(sb.String())
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JSON(p); err != nil {
			b.Fatal(err)
		}
	}
}
