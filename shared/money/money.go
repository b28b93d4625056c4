// Package money holds amounts as payments providers send them: decimal strings that are
// never turned into floats, with integer minor units where the currency has them.
package money

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Money is an amount exactly as the provider sent it. Minor is set only when the value is a
// whole number of the currency's ISO 4217 minor units, so consumers never round.
type Money struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
	Minor    *int64 `json:"minor,omitempty"`
}

// ErrInvalid reports an amount that is not a JSON-style decimal number.
var ErrInvalid = errors.New("invalid amount")

var decimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// New validates value as a decimal number and derives minor units when the currency has an
// ISO exponent. Crypto and unknown currencies keep every digit and carry no minor units.
func New(value, currency string) (Money, error) {
	value = strings.TrimSpace(value)
	currency = strings.TrimSpace(currency)
	if !decimal.MatchString(value) {
		return Money{}, fmt.Errorf("%w: %q", ErrInvalid, truncate(value))
	}
	if currency == "" {
		return Money{}, fmt.Errorf("%w: missing currency", ErrInvalid)
	}
	m := Money{Value: value, Currency: currency}
	if exp, ok := MinorExponent(currency); ok {
		if minor, ok := toMinor(value, exp); ok {
			m.Minor = &minor
		}
	}
	return m, nil
}

// Abs returns the amount with a leading minus removed; a debit's direction lives in the
// event type, not in the sign.
func (m Money) Abs() Money {
	if !strings.HasPrefix(m.Value, "-") {
		return m
	}
	out := Money{Value: m.Value[1:], Currency: m.Currency}
	if m.Minor != nil {
		v := -*m.Minor
		out.Minor = &v
	}
	return out
}

func toMinor(value string, exp int) (int64, bool) {
	// Exponent notation is rare but legal JSON; big.Rat keeps it exact.
	if len(value) > 64 {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(value)
	if !ok {
		return 0, false
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)
	r.Mul(r, new(big.Rat).SetInt(scale))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// MinorExponent is the ISO 4217 number of minor-unit digits for fiat currencies.
func MinorExponent(currency string) (int, bool) {
	e, ok := exponents[strings.ToUpper(currency)]
	return e, ok
}

var exponents = map[string]int{
	"AED": 2, "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2,
	"GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "MXN": 2, "MYR": 2, "NOK": 2,
	"NZD": 2, "PHP": 2, "PLN": 2, "RON": 2, "SEK": 2, "SGD": 2, "THB": 2, "TRY": 2, "TWD": 2,
	"USD": 2, "ZAR": 2, "SAR": 2, "QAR": 2, "NGN": 2, "KES": 2, "EGP": 2, "UAH": 2, "GEL": 2,
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "XAF": 0, "XOF": 0, "UGX": 0, "PYG": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
}
