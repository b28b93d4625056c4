package chainstatusfn

import "testing"

func TestParseConfirmations(t *testing.T) {
	c, err := ParseConfirmations(" ltc=3, *=2 ,USDT-TRON=25")
	if err != nil || c["LTC"] != 3 || c["*"] != 2 || c["USDT-TRON"] != 25 || c["BTC"] != 2 {
		t.Fatalf("%v %v", c, err)
	}
	for _, bad := range []string{"LTC", "LTC=0", "=3", "LTC=x", "LTC=6,"} {
		if _, err := ParseConfirmations(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
