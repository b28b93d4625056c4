package money

import "testing"

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
