package generic

import "math"

// FMA32 returns x*y+z computed with a single rounding to float32, exactly as
// a hardware float32 fused multiply-add (x86 VFMADD…PS, arm64 FMLA/FMADD) does.
//
// The product of two float32 values is exact in float64 (24+24 bits < 53), so
// x*y+z in float64 is rounded once to 53 bits; rounding that again to float32
// is correct unless the float64 result landed exactly on a float32 rounding
// boundary (a tie) without being exact — the double-rounding case. That case
// (about one in 2^29 of random inputs) and the float32 subnormal range go to
// fma32Slow, which recomputes the float64 sum rounded to odd, a rounding that
// is innocuous when followed by a rounding to a narrower format.
func FMA32(x, y, z float32) float32 {
	// The float64 product is exact, so whether or not the compiler fuses it
	// with the addition, s is the float64 rounding of the exact x*y+z.
	s := float64(x)*float64(y) + float64(z)
	b := math.Float64bits(s)
	// A float32 tie sits at 1 followed by 28 zeros in the 29 mantissa bits
	// that float32 drops. Below 2^-126 float32 drops more bits: slow path,
	// except for an exact zero (a float sum that rounds to zero is exact).
	if b&(1<<29-1) != 1<<28 && (b&(0x7ff<<52) >= 897<<52 || s == 0) {
		return float32(s)
	}
	return fma32Slow(x, y, z)
}

// fma32Slow computes x*y+z in float64 rounded to odd, then rounds to float32.
func fma32Slow(x, y, z float32) float32 {
	p := float64(float64(x) * float64(y)) // exact
	c := float64(z)
	s := p + c
	// TwoSum: s + e == p + c exactly (no overflow is possible here).
	bb := s - p
	e := (p - (s - bb)) + (c - bb)
	if e != 0 && e == e { // inexact and finite (e is NaN when s is ±Inf or NaN)
		bits := math.Float64bits(s)
		if bits&1 == 0 {
			// The exact value lies strictly between s and its neighbour in the
			// direction of e; the odd one of the two is s±1ulp. Moving the
			// bit pattern up increases the magnitude.
			if (e > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}
