package money

import (
	"regexp"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		value, currency string
		minor           int64
		hasMinor        bool
		wantErr         bool
	}{
		{"10.23", "SGD", 1023, true, false},
		{"3.74", "USD", 374, true, false},
		{"55", "EUR", 5500, true, false},
		{"-10", "GBP", -1000, true, false},
		{"1000", "JPY", 1000, true, false},
		{"1.5", "JPY", 0, false, false},
		{"10.235", "USD", 0, false, false},
		{"1e2", "USD", 10000, true, false},
		{"0.0421399418187522", "LTC", 0, false, false},
		{"61.91", "USDT", 0, false, false},
		{"1.234", "KWD", 1234, true, false},
		{"abc", "USD", 0, false, true},
		{"1.", "USD", 0, false, true},
		{"01", "USD", 0, false, true},
		{"1", "", 0, false, true},
		{"NaN", "USD", 0, false, true},
		{"1e999", "USD", 0, false, true},
		{"-1e999", "USD", 0, false, true},
		{"1e-999", "LTC", 0, false, true},
		{"1e18", "USD", 0, false, true},
		{"999999999999999999", "USDT", 0, false, false},
		{"1e-7", "LTC", 0, false, false},
		{"0e99999", "USD", 0, false, true},
		{"0e5", "USD", 0, true, false},
		{"0." + strings.Repeat("0", 200000), "USD", 0, false, true},
		{"1", strings.Repeat("C", 33), 0, false, true},
		{"1", "USDT-AVALANCHE", 0, false, false},
		{"1", "john.doe@example.com", 0, false, true},
		{"1", "4111 1111 1111 1111", 0, false, true},
		{"1", "US D", 0, false, true},
		{"1", "usdt-tron", 0, false, false},
		{"1", "USDT_TRC20", 0, false, false},
		{"1", "USDC.e", 0, false, false},
		{"1", "4111111111111111", 0, false, true},
		{"1", "4111-1111-1111-1111", 0, false, true},
		{"1", "USD%40", 0, false, true},
		// Amounts whose integer digits hold a card number, as sent or as valued.
		{"5555555555554444", "USD", 0, false, true},
		{"-5555555555554444", "USD", 0, false, true},
		{"5555555555554444e0", "USD", 0, false, true},
		{"5555555555554444.0", "USD", 0, false, true},
		{"5555555555554444E-3", "USD", 0, false, true},
		{"5.555555555554444e15", "USD", 0, false, true},
		{"95555555555554444", "USDT", 0, false, true},
		{"8226161561168607", "USDT", 0, false, false},  // no 13–19 of its digits pass Luhn
		{"0.5555555555554444", "LTC", 0, false, false}, // digits after the point are not looked at
	}
	for _, tt := range tests {
		m, err := New(tt.value, tt.currency)
		if (err != nil) != tt.wantErr {
			t.Fatalf("New(%q,%q) err=%v", tt.value, tt.currency, err)
		}
		if err != nil {
			continue
		}
		if m.Value != tt.value {
			t.Errorf("value changed: %q -> %q", tt.value, m.Value)
		}
		if (m.Minor != nil) != tt.hasMinor || (m.Minor != nil && *m.Minor != tt.minor) {
			t.Errorf("New(%q,%q) minor=%v want %d/%v", tt.value, tt.currency, m.Minor, tt.minor, tt.hasMinor)
		}
	}
}

func TestAbs(t *testing.T) {
	m, _ := New("-10.50", "GBP")
	a := m.Abs()
	if a.Value != "10.50" || *a.Minor != 1050 {
		t.Fatalf("Abs = %+v", a)
	}
}

// TestFastPathsMatchReference: isDecimal is the regular expression it replaces, and the
// integer minor-unit computation agrees with the exact rational one.
func TestFastPathsMatchReference(t *testing.T) {
	re := regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	values := []string{
		"", "-", "0", "-0", "00", "01", "0.0", "0.", ".5", "1", "10", "10.23", "10.230", "10.2300001",
		"-10.235", "1e2", "1E+2", "1e-2", "1.5e1", "1e", "1e+", "--1", "1..2", "1.2.3", "+1", " 1",
		"999999999999999999", "9999999999999999.99", "99999999999999999.99", "-9223372036854775808",
		"92233720368547758.07", "92233720368547758.08", "0.001", "0.010", "12345678901234567890",
		"1.000000000000000000000000000000", "0e999999", "0e9223372036854775807", "0e-9223372036854775808", "1e9223372036854775807", "-0.00E+99999999999999999999", "1e101", "1e-101",
		"1.5e-1", "123e-2", "1e16", "1e17", "0.0000000000000000000000000000000000000000000000000000000000000000000001", "abc", "1a", "0x10", "١",
	}
	for _, v := range values {
		if got, want := isDecimal(v), re.MatchString(v); got != want {
			t.Errorf("isDecimal(%q)=%v, regexp %v", v, got, want)
		}
		if !isDecimal(v) {
			continue
		}
		for exp := 0; exp <= 3; exp++ {
			gm, gok := toMinor(v, exp)
			wm, wok := exactMinor(v, exp)
			if gm != wm || gok != wok {
				t.Errorf("toMinor(%q,%d)=%d,%v; exact %d,%v", v, exp, gm, gok, wm, wok)
			}
		}
	}
}

func FuzzNew(f *testing.F) {
	for _, v := range []string{"10.23", "-0.0010", "1e2", "99999999999999999.99", "01"} {
		f.Add(v, 2)
	}
	re := regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	f.Fuzz(func(t *testing.T, v string, exp int) {
		if got, want := isDecimal(v), re.MatchString(v); got != want {
			t.Fatalf("isDecimal(%q)=%v, regexp %v", v, got, want)
		}
		if !isDecimal(v) || exp < 0 || exp > 3 {
			return
		}
		gm, gok := toMinor(v, exp)
		wm, wok := exactMinor(v, exp)
		if gm != wm || gok != wok {
			t.Fatalf("toMinor(%q,%d)=%d,%v; exact %d,%v", v, exp, gm, gok, wm, wok)
		}
	})
}

// exactMinor is the reference: big.Rat, with toMinor's 64-character limit.
func exactMinor(v string, exp int) (int64, bool) {
	if len(v) > 64 {
		return 0, false
	}
	return ratMinor(v, exp)
}
