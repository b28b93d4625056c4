package cxtn

import (
	"encoding/json"
	"fmt"

	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/urltoken"
)

// docSamples are the doc's notifications: its eventIds, and data as compact JSON text with
// the numbers exactly as the doc writes them. stringData says in which form the doc shows
// data; the other form is offered as a variant.
var docSamples = []struct {
	name, eventID, event, data string
	stringData                 bool
}{
	{"funds-in", "wh_f79f07d55bcd4cb893c41575b7c1b8f6", "account_credit",
		`{"objectId":654254,"userId":"C00081866","source":"deposit","origin":"Automatic Allocation","amount":1000.00,"baseCcyCode":"GBP","ccyCode":"GBP","transactionDateTime":"2023-12-18T16:28:28.3027309"}`, true},
	{"payment-completed", "wh_4d9373d27e4e4c24bbb39c00b6dcd3e7", "payment_completed",
		`{"objectId":162953,"userId":"C00081866","amount":10.00,"currency":"GBP"}`, true},
	{"trade-settled", "wh_b5bc5ac1b6734f18b9701db5cd153a4e", "trade_settled",
		`{"objectId":282564,"userId":"C00084146","sellCurrency":"GBP","sellAmount":218.70,"buyCurrency":"AED","buyAmount":1000.00,"balanceDue":null,"fundedAmount":null}`, true},
	{"account-credit", "wh_c3f042548b624eb1a0ba9a57be8290f4", "account_credit",
		`{"objectId":661428,"userId":"AP00085025","source":"account_to_account_transfer","origin":"Automatic Allocation","amount":10,"baseCcyCode":"GBP","ccyCode":"GBP","transactionDateTime":"2024-02-21T11:58:01.9953917"}`, false},
	{"account-debit", "wh_61d20530f4d34936a38ac82979d3f5e2", "account_debit",
		`{"objectId":661427,"userId":"C00081866","source":"account_to_account_transfer","origin":"Automatic Allocation","amount":-10,"baseCcyCode":"GBP","ccyCode":"GBP","transactionDateTime":"2024-02-21T11:58:01.9016343"}`, false},
	{"pot-credit", "wh_3d0e35a456274850b59e59411ad37d48", "account_credit",
		`{"objectId":661414,"userId":"C00081866","source":"account_internal_transfer","origin":"Automatic Allocation","amount":10,"baseCcyCode":"GBP","ccyCode":"CC-GBP","transactionDateTime":"2024-02-21T11:43:22.2079875"}`, false},
	// The doc's "Pot Debit" is the main-account side of moving money into the pot (its
	// ccyCode is GBP, a third of a second before the pot credit), so it is not a pot movement.
	{"pot-debit", "wh_71f5a5f7d15544a5a1e70b395e2d7980", "account_debit",
		`{"objectId":661413,"userId":"C00081866","source":"account_internal_transfer","origin":"Automatic Allocation","amount":-10,"baseCcyCode":"GBP","ccyCode":"GBP","transactionDateTime":"2024-02-21T11:43:21.8642125"}`, false},
}

// variantID derives the other form's eventId from the doc's by advancing its last hex
// digit, so that each sample is a distinct event yet recognisably the doc's.
func variantID(id string) string {
	const hex = "0123456789abcdef"
	last := id[len(id)-1]
	for i := 0; i < len(hex); i++ {
		if hex[i] == last {
			return id[:len(id)-1] + string(hex[(i+1)%len(hex)])
		}
	}
	return id + "0"
}

func envelope(eventID, name, data string, stringData bool) ([]byte, error) {
	id, err := json.Marshal(eventID)
	if err != nil {
		return nil, err
	}
	ev, err := json.Marshal(name)
	if err != nil {
		return nil, err
	}
	d := []byte(data)
	if stringData {
		if d, err = json.Marshal(data); err != nil {
			return nil, err
		}
	}
	body := fmt.Sprintf(`{"eventId":%s,"event":%s,"data":%s}`, id, ev, d)
	if !json.Valid([]byte(body)) {
		return nil, fmt.Errorf("sample %s is not JSON", eventID)
	}
	return []byte(body), nil
}

// Samples returns every doc notification in the form the doc shows it and in the other
// data form (suffix -object or -string), addressed with the secret's active token.
func Samples(secretDoc []byte) ([]provider.Sample, error) {
	var s Secret
	if err := json.Unmarshal(secretDoc, &s); err != nil {
		return nil, fmt.Errorf("cxtn secret: %w", err)
	}
	tok, err := s.Active()
	if err != nil {
		return nil, fmt.Errorf("cxtn secret: %w", err)
	}
	path := urltoken.Path(Name, tok)
	out := make([]provider.Sample, 0, 2*len(docSamples))
	for _, d := range docSamples {
		suffix := "-object"
		if !d.stringData {
			suffix = "-string"
		}
		for _, v := range []struct {
			name, id   string
			stringData bool
		}{
			{d.name, d.eventID, d.stringData},
			{d.name + suffix, variantID(d.eventID), !d.stringData},
		} {
			body, err := envelope(v.id, d.event, d.data, v.stringData)
			if err != nil {
				return nil, err
			}
			out = append(out, provider.Sample{Name: v.name, Path: path, Headers: map[string]string{}, Body: body})
		}
	}
	return out, nil
}
