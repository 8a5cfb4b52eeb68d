package kernels_test

import (
	"math"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// TestSum64 compares every set's Sum64 with generic bit for bit (every
// length 0..300 at offsets 0..7, special values included) and generic's
// with the plain float64 sum on exactly representable data.
func TestSum64(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 9))
	for n := 0; n <= 300; n++ {
		off := n % 8
		x := make([]float32, n+8)[off : off+n]
		tu.Fill(rng, x, max(n, 1), tu.Kind(n%len(tu.Kinds)))
		// and values whose exponents span 2^±40, so that the float64 sum
		// rounds and its order of additions shows in the bits
		wide := make([]float32, n+8)[off : off+n]
		for i := range wide {
			wide[i] = float32(math.Ldexp(rng.NormFloat64(), rng.IntN(81)-40))
		}
		for _, v := range [][]float32{x, wide} {
			want := kernels.Generic.Sum64(v)
			for _, s := range allSets() {
				if got := s.Sum64(v); math.Float64bits(got) != math.Float64bits(want) && !(got != got && want != want) {
					t.Fatalf("%s n=%d: %v, generic %v", s.Name(), n, got, want)
				}
			}
		}
		ints, exact := make([]float32, n), 0.0
		for i := range ints {
			ints[i] = float32(rng.IntN(2001) - 1000)
			exact += float64(ints[i])
		}
		if got := kernels.Generic.Sum64(ints); got != exact {
			t.Fatalf("n=%d: Sum64 of integers %v, want %v", n, got, exact)
		}
	}
}

// TestFirstOutside checks every set against the plain scan for every bad
// value at every position of blocks and tails, with -0 and the bounds
// themselves (in range) around it.
func TestFirstOutside(t *testing.T) {
	want := func(x []float32) int {
		for i, v := range x {
			if !(v >= 0 && v <= 1) {
				return i
			}
		}
		return -1
	}
	for n := 0; n <= 27; n++ {
		x := make([]float32, n+3)[3:]
		for i := range x {
			x[i] = float32(i%5) / 4
		}
		for _, s := range allSets() {
			if got := s.FirstOutside(x, 0, 1); got != -1 {
				t.Fatalf("%s n=%d all in range: got %d", s.Name(), n, got)
			}
		}
		for pos := 0; pos < n; pos++ {
			for _, bad := range []float32{tu.NaN, -tu.NaN, -1e-30, -0x1p-149, 1.0000001, tu.PosInf, tu.NegInf, 2} {
				y := append([]float32(nil), x...)
				y[pos] = bad
				if pos > 0 {
					y[pos-1] = tu.NegZ
				}
				if pos+1 < n {
					y[pos+1] = bad // only the first counts
				}
				for _, s := range allSets() {
					if got, w := s.FirstOutside(y, 0, 1), want(y); got != w {
						t.Fatalf("%s n=%d: %g at %d: got %d, want %d", s.Name(), n, bad, pos, got, w)
					}
				}
			}
		}
	}
	for _, s := range allSets() {
		if got := s.FirstOutside([]float32{3, 5, 4, 5, 3, 3, 3, 3, 3, 6}, 3, 5); got != 9 {
			t.Errorf("%s: [3, 5]: got %d, want 9", s.Name(), got)
		}
	}
}
