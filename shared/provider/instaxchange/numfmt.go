package instaxchange

import (
	"math"
	"strconv"
)

// shortest returns the shortest digits that round-trip f (f > 0, finite) and the decimal
// point position n, so that f = 0.d1d2...dk × 10^n. Both V8 and zend_dtoa mode 0 pick the
// shortest digits closest to the exact value, as strconv does.
func shortest(scratch []byte, f float64) (digits []byte, n int) {
	b := strconv.AppendFloat(scratch[:0], f, 'e', -1, 64) // d.ddde±XX
	e := len(b) - 1
	for b[e] != 'e' {
		e--
	}
	exp, _ := strconv.Atoi(string(b[e+1:]))
	digits = b[:e]
	if len(digits) > 1 { // drop the '.'
		copy(digits[1:], digits[2:])
		digits = digits[:len(digits)-1]
	}
	return digits, exp + 1
}

// appendJSNumber prints f as ECMAScript Number::toString(10) does and as JSON.stringify
// uses it: non-finite values become null.
func appendJSNumber(out []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(out, "null"...)
	}
	if f == 0 {
		return append(out, '0') // also -0
	}
	if f < 0 {
		out = append(out, '-')
		f = -f
	}
	var scratch [32]byte
	d, n := shortest(scratch[:], f)
	k := len(d)
	switch {
	case k <= n && n <= 21:
		out = append(out, d...)
		for i := k; i < n; i++ {
			out = append(out, '0')
		}
	case 0 < n && n <= 21:
		out = append(out, d[:n]...)
		out = append(out, '.')
		out = append(out, d[n:]...)
	case -6 < n && n <= 0:
		out = append(out, '0', '.')
		for i := n; i < 0; i++ {
			out = append(out, '0')
		}
		out = append(out, d...)
	default:
		out = append(out, d[0])
		if k > 1 {
			out = append(out, '.')
			out = append(out, d[1:]...)
		}
		out = append(out, 'e')
		if n-1 >= 0 {
			out = append(out, '+')
		}
		out = strconv.AppendInt(out, int64(n-1), 10)
	}
	return out
}

// appendPHPNumber prints a finite double as json_encode does with serialize_precision -1
// (zend_gcvt(value, 17, '.', 'e') over zend_dtoa mode 0) and without
// JSON_PRESERVE_ZERO_FRACTION.
func appendPHPNumber(out []byte, f float64) []byte {
	if math.Signbit(f) {
		out = append(out, '-')
		f = -f
	}
	if f == 0 {
		return append(out, '0') // -0.0 prints "-0"
	}
	var scratch [32]byte
	d, n := shortest(scratch[:], f)
	const ndigit = 17
	switch {
	case n > ndigit || n < -3:
		out = append(out, d[0], '.')
		if len(d) > 1 {
			out = append(out, d[1:]...)
		} else {
			out = append(out, '0')
		}
		out = append(out, 'e')
		if n-1 < 0 {
			out = append(out, '-')
			out = strconv.AppendInt(out, int64(1-n), 10)
		} else {
			out = append(out, '+')
			out = strconv.AppendInt(out, int64(n-1), 10)
		}
	case n <= 0:
		out = append(out, '0', '.')
		for i := n; i < 0; i++ {
			out = append(out, '0')
		}
		out = append(out, d...)
	default:
		for i := 0; i < n; i++ {
			if i < len(d) {
				out = append(out, d[i])
			} else {
				out = append(out, '0')
			}
		}
		if len(d) > n {
			out = append(out, '.')
			out = append(out, d[n:]...)
		}
	}
	return out
}
