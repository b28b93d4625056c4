// Package money holds amounts as payments providers send them: decimal strings that are
// never turned into floats, with integer minor units where the currency has them.
package money

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/payhooks/payhooks/shared/support/redact"
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

// ErrCurrency is wrapped with ErrInvalid when the currency is not a currency code
// (ValidCurrency).
var ErrCurrency = errors.New("not a currency code")

// isDecimal reports whether s matches ^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$,
// JSON's number grammar, written out because every amount of every webhook passes here.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch d := digits(s, i); {
	case d == 0:
		return false
	case s[i] == '0' && d > 1:
		return false
	default:
		i += d
	}
	if i < len(s) && s[i] == '.' {
		d := digits(s, i+1)
		if d == 0 {
			return false
		}
		i += 1 + d
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := digits(s, i)
		if d == 0 {
			return false
		}
		i += d
	}
	return i == len(s)
}

// Bounds of a plausible amount: below 10^MaxMagnitude in size and at most MaxScale digits
// after the point. JSON allows 1e999, which a consumer parsing floats reads as +Inf.
const (
	MaxMagnitude = 18
	MaxScale     = 36
)

// Bounds of the text of an amount. Zeros are unbounded by the rules above ("0.000…" is
// zero), and a currency code is a sender's string: both end up in every stored and
// published copy of the event.
const (
	MaxValueBytes    = 100 // room for 18 + 36 digits, a sign, a point and an exponent
	MaxCurrencyBytes = 32  // ISO 4217 codes are 3; crypto tickers with a network suffix, like USDT-AVALANCHE, more
)

// ValidCurrency reports whether code (already trimmed) has the form of a currency code:
// ^[A-Za-z0-9._-]{1,32}$ and no card number in it. ISO 4217 codes and tickers with a
// network suffix (USDT-AVALANCHE, USDT_TRC20, USDC.e) have it; an email, a card number or
// any other free text in a currency field does not, and a currency is copied into every
// stored and published copy of the event unmasked.
func ValidCurrency(code string) bool {
	if code == "" || len(code) > MaxCurrencyBytes {
		return false
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return !redact.HasPAN(code)
}

// holdsPAN reports whether the integer digits of a valid decimal in range, as sent and as
// valued (5.555555555554444e15), hold a card number: no payment is 10^12 or more, so such
// an amount is a card number typed into the wrong field, and an amount is kept as sent,
// never masked. Digits after the point are not looked at: crypto amounts carry 18.
func holdsPAN(s string) bool {
	mant, exp, _ := strings.Cut(strings.TrimPrefix(s, "-"), "e")
	if i := strings.IndexByte(mant, 'E'); i >= 0 {
		mant, exp = mant[:i], mant[i+1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if len(intPart) >= 13 && redact.HasPAN(intPart) {
		return true
	}
	e, err := strconv.Atoi(strings.TrimPrefix(exp, "+"))
	if err != nil || e <= 0 {
		return false
	}
	digits := intPart + frac // inRange bounds e: at most 18 integer digits
	for len(digits) < len(intPart)+e {
		digits += "0"
	}
	return redact.HasPAN(digits[:len(intPart)+e])
}

// inRange checks a valid decimal against MaxMagnitude and MaxScale without big numbers.
func inRange(s string) bool {
	s = strings.TrimPrefix(s, "-")
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e := strings.TrimPrefix(s[i+1:], "+")
		if len(strings.TrimLeft(strings.TrimPrefix(e, "-"), "0")) > 4 {
			return false
		}
		n, err := strconv.Atoi(e)
		if err != nil {
			return false
		}
		exp = n
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	intDigits := len(strings.TrimLeft(intPart, "0"))
	if intDigits == 0 && strings.Trim(frac, "0") == "" {
		return true // zero, whatever its exponent
	}
	return intDigits+exp <= MaxMagnitude && len(frac)-exp <= MaxScale
}

// digits counts the ASCII digits in s from i.
func digits(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '9' {
		n++
	}
	return n
}

// New validates value as a decimal number and derives minor units when the currency has an
// ISO exponent. Crypto and unknown currencies keep every digit and carry no minor units.
func New(value, currency string) (Money, error) {
	value = strings.TrimSpace(value)
	currency = strings.TrimSpace(currency)
	if len(value) > MaxValueBytes {
		return Money{}, fmt.Errorf("%w: %d characters", ErrInvalid, len(value))
	}
	if currency != "" && !ValidCurrency(currency) {
		return Money{}, fmt.Errorf("%w: %w", ErrInvalid, ErrCurrency)
	}
	if !isDecimal(value) {
		return Money{}, fmt.Errorf("%w: %q", ErrInvalid, redact.Snippet(value, 32))
	}
	if !inRange(value) {
		return Money{}, fmt.Errorf("%w: %q is beyond any payment amount", ErrInvalid, redact.Snippet(value, 32))
	}
	if holdsPAN(value) {
		return Money{}, fmt.Errorf("%w: its integer digits hold a card number", ErrInvalid)
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

// toMinor converts a valid decimal to a whole number of minor units, if it is one.
func toMinor(value string, exp int) (int64, bool) {
	if len(value) > 64 {
		return 0, false // no minor units for absurd lengths; the value itself is kept
	}
	if minor, ok, done := plainMinor(value, exp); done {
		return minor, ok
	}
	return ratMinor(value, exp)
}

// plainMinor handles the common case, a plain decimal that fits in 18 digits, in integer
// arithmetic; done is false for anything else (exponent notation, long values), which
// ratMinor then settles exactly.
func plainMinor(value string, exp int) (minor int64, ok, done bool) {
	if i := strings.IndexAny(value, "eE"); i >= 0 {
		// Settled here without big.Rat, which would spend milliseconds on 1e999999: a
		// zero is zero, and a nonzero mantissa of at most 64 characters scaled by more
		// than 10^100 overflows int64, by less than 10^-100 is not a whole minor unit.
		e, err := strconv.ParseInt(value[i+1:], 10, 64)
		switch {
		case err != nil:
			return 0, false, true // as big.Rat, which refuses an exponent beyond int64
		case strings.Trim(value[:i], "-0.") == "":
			return 0, true, true
		case e > 100 || e < -100:
			return 0, false, true
		}
		return 0, false, false
	}
	neg := strings.HasPrefix(value, "-")
	if neg {
		value = value[1:]
	}
	whole, frac, _ := strings.Cut(value, ".")
	if len(frac) > exp {
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, false, true // finer than the minor unit
		}
		frac = frac[:exp]
	}
	if len(whole)+exp > 18 { // 10^18 < 2^63: no overflow below
		return 0, false, false
	}
	for i := 0; i < len(whole); i++ {
		minor = minor*10 + int64(whole[i]-'0')
	}
	for i := 0; i < exp; i++ {
		minor *= 10
		if i < len(frac) {
			minor += int64(frac[i] - '0')
		}
	}
	if neg {
		minor = -minor
	}
	return minor, true, true
}

// ratMinor is toMinor in exact rational arithmetic, for exponent notation (rare but legal
// JSON) and values too long for plainMinor.
func ratMinor(value string, exp int) (int64, bool) {
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
