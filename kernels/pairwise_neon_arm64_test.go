//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
)

// The NEON pairwise kernels (8×8 tiles, 8-wide panels) through the shared
// driver, compared bit for bit with generic (NaN equals NaN): every m, n in
// 1..25 for a range of dims, tiny blocks that make small shapes cross every
// block boundary (partial dot products carried in dst), misaligned slices,
// special values, stray writes (canaries) and allocations.

func neonPairSame(x, y float32) bool {
	return math.Float32bits(x) == math.Float32bits(y) || (x != x && y != y)
}

func neonPairDiff(got, want []float32, cols int) string {
	for i := range want {
		if !neonPairSame(got[i], want[i]) {
			return fmt.Sprintf("[%d,%d]: got %g (%#08x), want %g (%#08x)", i/cols, i%cols,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
	return ""
}

func neonPairRand(rng *rand.Rand, rows, dim int) []float32 {
	x := make([]float32, rows*dim)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func neonPairNaN(x []float32) []float32 {
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// neonPairSub returns the m×n top-left block of the rows×cols matrix x.
func neonPairSub(x []float32, cols, m, n int) []float32 {
	y := make([]float32, 0, m*n)
	for i := 0; i < m; i++ {
		y = append(y, x[i*cols:i*cols+n]...)
	}
	return y
}

const neonCanaries = 16

var neonCanary = float32(-12345.5)

func neonCheckCanaries(t *testing.T, buf []float32, n int, what string) {
	t.Helper()
	for i, v := range buf {
		if (i < neonCanaries || i >= neonCanaries+n) && math.Float32bits(v) != math.Float32bits(neonCanary) {
			t.Fatalf("%s: output of %d elements: element %d outside it was written (%g)", what, n, i-neonCanaries, v)
		}
	}
}

// neonSweep checks every m, n in 1..maxRows with p: output (i, j) depends
// only on a_i and b_j, so each result is the top-left block of generic's.
func neonSweep(t *testing.T, p *pairISA, dims []int, maxRows int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, dim := range dims {
		a, b := neonPairRand(rng, maxRows, dim), neonPairRand(rng, maxRows, dim)
		wantL2 := make([]float32, maxRows*maxRows)
		wantDots := make([]float32, maxRows*maxRows)
		generic.SquaredL2(wantL2, a, b, dim)
		generic.Dots(wantDots, a, b, dim)
		buf := make([]float32, maxRows*maxRows+2*neonCanaries)
		got := buf[neonCanaries : len(buf)-neonCanaries]
		for m := 1; m <= maxRows; m++ {
			for n := 1; n <= maxRows; n++ {
				for i := range buf {
					buf[i] = neonCanary
				}
				p.pairwise(epL2, neonPairNaN(got[:m*n]), a[:m*dim], b[:n*dim], m, n, dim)
				if d := neonPairDiff(got[:m*n], neonPairSub(wantL2, maxRows, m, n), n); d != "" {
					t.Fatalf("SquaredL2 %dx%dx%d: %s", m, n, dim, d)
				}
				p.pairwise(epDot, neonPairNaN(got[:m*n]), a[:m*dim], b[:n*dim], m, n, dim)
				if d := neonPairDiff(got[:m*n], neonPairSub(wantDots, maxRows, m, n), n); d != "" {
					t.Fatalf("Dots %dx%dx%d: %s", m, n, dim, d)
				}
				neonCheckCanaries(t, buf, m*n, fmt.Sprintf("%dx%dx%d", m, n, dim))
			}
		}
	}
}

func TestPairwiseNEONShapes(t *testing.T) {
	dims := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 17, 31, 32, 33, 64, 65, 255, 256, 257, 513}
	if testing.Short() {
		dims = []int{1, 3, 4, 5, 8, 9, 33, 257}
	}
	neonSweep(t, neonPair, dims, 19, 1)
}

// TestPairwiseNEONShapesTinyBlocks shrinks the blocks of k and of columns
// so that every shape crosses them.
func TestPairwiseNEONShapesTinyBlocks(t *testing.T) {
	tiny := *neonPair
	tiny.pairBlocking = pairBlocking{kcMax: 16, kcTarget: 12, packMax: 16 * 16}
	neonSweep(t, &tiny, []int{1, 7, 17, 24, 33, 70}, 19, 2)
}

// neonPairCase compares SquaredL2 and Dots through p with generic.
func neonPairCase(t *testing.T, p *pairISA, a, b []float32, m, n, dim int, what string) {
	t.Helper()
	want := make([]float32, m*n)
	got := neonPairNaN(make([]float32, m*n))
	generic.SquaredL2(want, a, b, dim)
	p.pairwise(epL2, got, a, b, m, n, dim)
	if d := neonPairDiff(got, want, n); d != "" {
		t.Errorf("SquaredL2 %dx%dx%d %s: %s", m, n, dim, what, d)
	}
	generic.Dots(want, a, b, dim)
	p.pairwise(epDot, neonPairNaN(got), a, b, m, n, dim)
	if d := neonPairDiff(got, want, n); d != "" {
		t.Errorf("Dots %dx%dx%d %s: %s", m, n, dim, what, d)
	}
}

// TestPairwiseNEONBlocking crosses the real blocking boundaries.
func TestPairwiseNEONBlocking(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	shapes := []struct{ m, n, dim int }{
		{9, 700, 100},  // nc = 648 at kc = 100: two column blocks
		{17, 45, 513},  // dim > kcMax: three blocks of k
		{5, 300, 1100}, // five blocks of k, two of columns
		{90, 17, 64},   // many row groups, one partial panel
		{8, 8, 1},      // exactly one tile
		{1, 1000, 3},   // one row
	}
	for _, s := range shapes {
		a, b := neonPairRand(rng, s.m, s.dim), neonPairRand(rng, s.n, s.dim)
		neonPairCase(t, neonPair, a, b, s.m, s.n, s.dim, "")
	}
}

// TestPairwiseNEONMisaligned runs on sub-slices at element offsets 0..7.
func TestPairwiseNEONMisaligned(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, s := range []struct{ m, n, dim int }{{7, 19, 37}, {13, 13, 8}, {9, 33, 130}} {
		for off := 0; off < 8; off++ {
			a := neonPairRand(rng, 1, s.m*s.dim+8)[off : off+s.m*s.dim]
			b := neonPairRand(rng, 1, s.n*s.dim+8)[(off*3)%8 : (off*3)%8+s.n*s.dim]
			want := make([]float32, s.m*s.n)
			gotBuf := make([]float32, s.m*s.n+8)
			got := neonPairNaN(gotBuf[(off*5)%8 : (off*5)%8+s.m*s.n])
			generic.SquaredL2(want, a, b, s.dim)
			NEON.SquaredL2(got, a, b, s.dim)
			if d := neonPairDiff(got, want, s.n); d != "" {
				t.Errorf("SquaredL2 %v offset %d: %s", s, off, d)
			}
			generic.Dots(want, a, b, s.dim)
			NEON.Dots(neonPairNaN(got), a, b, s.dim)
			if d := neonPairDiff(got, want, s.n); d != "" {
				t.Errorf("Dots %v offset %d: %s", s, off, d)
			}
		}
	}
}

// TestPairwiseNEONSpecial feeds NaN, ±Inf, -0, subnormals, huge values and
// rows of b equal to rows of a (the L2 clamp at 0).
func TestPairwiseNEONSpecial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	specials := []float32{
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, -0x1p-140, 0x1.fffffep-127,
		1e30, -1e30, 88.7, -88.7, 1e-20, math.MaxFloat32,
	}
	for _, s := range []struct{ m, n, dim int }{{9, 21, 5}, {17, 13, 40}, {11, 25, 70}} {
		for density := 0; density < 3; density++ {
			a, b := neonPairRand(rng, s.m, s.dim), neonPairRand(rng, s.n, s.dim)
			for j := 0; j < s.n; j += 3 {
				copy(b[j*s.dim:(j+1)*s.dim], a[(j%s.m)*s.dim:])
			}
			for _, x := range [][]float32{a, b} {
				for i := range x {
					if rng.IntN(10) < density {
						x[i] = specials[rng.IntN(len(specials))]
					}
				}
			}
			neonPairCase(t, neonPair, a, b, s.m, s.n, s.dim, fmt.Sprintf("specials %d/10", density))
		}
		for _, v := range specials {
			a := make([]float32, s.m*s.dim)
			for i := range a {
				a[i] = v
			}
			b := neonPairRand(rng, s.n, s.dim)
			neonPairCase(t, neonPair, a, b, s.m, s.n, s.dim, fmt.Sprintf("a = %g", v))
		}
	}
	// products that underflow to -0: every dot is -0 from 1 element on
	a, b := make([]float32, 9*33), make([]float32, 10*33)
	for i := range a {
		a[i] = 0x1p-80
	}
	for i := range b {
		b[i] = -0x1p-80
	}
	neonPairCase(t, neonPair, a, b, 9, 10, 33, "-0 products")
}

// TestPairwiseNEONAllocs checks that steady-state calls allocate nothing.
func TestPairwiseNEONAllocs(t *testing.T) {
	if tu.Race {
		t.Skip("-race: sync.Pool drops items at random, so calls may allocate")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	const m, n, dim = 20, 30, 300
	a, b := neonPairRand(rng, m, dim), neonPairRand(rng, n, dim)
	dst := make([]float32, m*n)
	for name, f := range map[string]func(){
		"SquaredL2": func() { NEON.SquaredL2(dst, a, b, dim) },
		"Dots":      func() { NEON.Dots(dst, a, b, dim) },
	} {
		if allocs := testing.AllocsPerRun(10, f); allocs != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, allocs)
		}
	}
}
