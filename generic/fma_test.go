package generic

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// exactFMA32 computes x*y+z exactly with math/big and rounds once to float32.
func exactFMA32(x, y, z float32) float32 {
	if isSpecial(x) || isSpecial(y) || isSpecial(z) {
		return float32(float64(x)*float64(y) + float64(z))
	}
	bx := new(big.Float).SetPrec(300).SetFloat64(float64(x))
	by := new(big.Float).SetPrec(300).SetFloat64(float64(y))
	bz := new(big.Float).SetPrec(300).SetFloat64(float64(z))
	r := new(big.Float).SetPrec(300).Mul(bx, by)
	r.Add(r, bz)
	if r.Sign() == 0 {
		// IEEE: an exact zero sum is +0 unless both addends are -0.
		return float32(float64(x)*float64(y) + float64(z))
	}
	// big.Float has no subnormals: round the magnitude to a float32 by hand
	// through float64 rounded to odd (correct for the 24-bit target).
	f, acc := r.Float64()
	if acc != big.Exact && !math.IsInf(f, 0) {
		b := math.Float64bits(f)
		if b&1 == 0 {
			// truncate toward zero, then set the sticky bit
			if (acc == big.Above) == (f > 0) {
				b--
			}
			b |= 1
			f = math.Float64frombits(b)
		}
	}
	return float32(f)
}

func isSpecial(v float32) bool { return v != v || math.IsInf(float64(v), 0) }

func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestFMA32Exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(x, y, z float32) {
		t.Helper()
		got, want := FMA32(x, y, z), exactFMA32(x, y, z)
		if !sameBits(got, want) {
			t.Fatalf("FMA32(%g, %g, %g) = %g (%#08x), want %g (%#08x)", x, y, z, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, 3, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 0x1p-126, 0x1.fffffep-127,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0x1.000002p0, 0x1.fffffep0}
	for _, x := range specials {
		for _, y := range specials {
			for _, z := range specials {
				check(x, y, z)
			}
		}
	}
	// Random operands of every magnitude, and operands built to make the
	// float64 sum land on a float32 tie (the double-rounding case).
	n := 300000
	if testing.Short() {
		n = 20000
	}
	for i := 0; i < n; i++ {
		x := math.Float32frombits(rng.Uint32())
		y := math.Float32frombits(rng.Uint32())
		z := math.Float32frombits(rng.Uint32())
		check(x, y, z)
		// near ties: x*y has up to 48 significant bits; pick z to cancel the
		// top and leave a tie pattern plus a tiny remainder
		a := float32(1 + float64(rng.IntN(1<<23))*0x1p-23)
		b := float32(1 + float64(rng.IntN(1<<23))*0x1p-23)
		p := float64(a) * float64(b)
		c := float32(-p)
		check(a, b, c)
		check(a, b, float32(p)+math.Float32frombits(math.Float32bits(float32(p))&0x80000000|0x33800000))
		check(a*0x1p-130, b, c*0x1p-130)
	}
}

func BenchmarkFMA32(b *testing.B) {
	x, y, z := float32(1.1), float32(0.7), float32(-0.3)
	for i := 0; i < b.N; i++ {
		z = FMA32(x, y, z)
	}
	sink = z
}

var sink float32
