//go:build !purego && (amd64 || arm64)

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
)

// The pairwise driver's tests run on each SIMD set of this GOARCH with its
// pairISA (pairSubjects: AVX2 and AVX512 on amd64, NEON on arm64; see
// pairwise_<arch>_test.go), one subtest each, through pairSet and
// pairTestISA.

type pairSubject struct {
	set *Set
	isa *pairISA
}

var (
	pairSet     *Set
	pairTestISA *pairISA
)

// forEachPair runs f once per subject, as a subtest named for its set.
func forEachPair(t *testing.T, f func(*testing.T)) {
	for _, s := range pairSubjects {
		pairSet, pairTestISA = s.set, s.isa
		t.Run(s.set.Name(), f)
	}
}

func pairSkipUnlessSupported(tb testing.TB) {
	tb.Helper()
	if !pairSet.Supported() {
		tb.Skip("this CPU lacks the " + pairSet.Name() + " kernels")
	}
}

// pairSameBits reports whether x and y have the same bits or are both NaN.
func pairSameBits(x, y float32) bool {
	return math.Float32bits(x) == math.Float32bits(y) || (x != x && y != y)
}

// pairDiff returns a description of the first element where got and want
// differ (see pairSameBits), or "".
func pairDiff(got, want []float32, cols int) string {
	for i := range want {
		if !pairSameBits(got[i], want[i]) {
			return fmt.Sprintf("[%d,%d]: got %g (%#08x), want %g (%#08x)", i/cols, i%cols,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
	return ""
}

func pairRand(rng *rand.Rand, rows, dim int) []float32 {
	x := make([]float32, rows*dim)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// pairNaN fills x with NaN so that an element a kernel fails to write shows.
func pairNaN(x []float32) []float32 {
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// pairSub returns the m×n top-left block of the rows×cols matrix x.
func pairSub(x []float32, cols, m, n int) []float32 {
	y := make([]float32, 0, m*n)
	for i := 0; i < m; i++ {
		y = append(y, x[i*cols:i*cols+n]...)
	}
	return y
}

// pairCanaries is how many elements before and after an output are checked
// for stray writes (a whole tile row and more).
const pairCanaries = 32

const pairCanary = float32(-12345.5)

// pairSetCanaries fills buf (an output at buf[pairCanaries:] with canaries on both
// sides) with pairCanary values.
func pairSetCanaries(buf []float32) {
	for i := range buf {
		buf[i] = pairCanary
	}
}

func pairCheckCanaries(t *testing.T, buf []float32, n int, what string) {
	t.Helper()
	for i, v := range buf {
		if (i < pairCanaries || i >= pairCanaries+n) && math.Float32bits(v) != math.Float32bits(pairCanary) {
			t.Fatalf("%s: output of %d elements: element %d outside it was written (%g)", what, n, i-pairCanaries, v)
		}
	}
}

var pairDims = func() []int {
	var d []int
	for i := 1; i <= 70; i++ {
		d = append(d, i)
	}
	return append(d, 127, 128, 129, 255, 513)
}()

// TestPairwiseShapes checks every m, n in 1..25 for each dim. Output
// (i, j) depends only on rows a_i and b_j, so the m×n result for the first
// m rows of a and n rows of b must be the top-left block of generic's 25×25
// result: one generic call per dim covers all 625 shapes.
func TestPairwiseShapes(t *testing.T) { forEachPair(t, testPairwiseShapes) }

func testPairwiseShapes(t *testing.T) {
	pairSkipUnlessSupported(t)
	const maxRows = 25
	rng := rand.New(rand.NewPCG(1, 1))
	for _, dim := range pairDims {
		a := pairRand(rng, maxRows, dim)
		b := pairRand(rng, maxRows, dim)
		wantL2 := make([]float32, maxRows*maxRows)
		wantDots := make([]float32, maxRows*maxRows)
		generic.SquaredL2(wantL2, a, b, dim)
		generic.Dots(wantDots, a, b, dim)
		// got sits between pairCanaries that no kernel may write
		buf := make([]float32, maxRows*maxRows+2*pairCanaries)
		got := buf[pairCanaries : len(buf)-pairCanaries]
		for m := 1; m <= maxRows; m++ {
			for n := 1; n <= maxRows; n++ {
				pairSetCanaries(buf)
				pairSet.SquaredL2(pairNaN(got[:m*n]), a[:m*dim], b[:n*dim], dim)
				if d := pairDiff(got[:m*n], pairSub(wantL2, maxRows, m, n), n); d != "" {
					t.Fatalf("SquaredL2 %dx%dx%d: %s", m, n, dim, d)
				}
				pairCheckCanaries(t, buf, m*n, "SquaredL2")
				pairSet.Dots(pairNaN(got[:m*n]), a[:m*dim], b[:n*dim], dim)
				if d := pairDiff(got[:m*n], pairSub(wantDots, maxRows, m, n), n); d != "" {
					t.Fatalf("Dots %dx%dx%d: %s", m, n, dim, d)
				}
				pairCheckCanaries(t, buf, m*n, "Dots")
			}
		}
		wantRows := make([]float32, maxRows)
		generic.SquaredL2Rows(wantRows, a, b, dim)
		wantDotRows := make([]float32, maxRows)
		generic.DotRows(wantDotRows, a, b, dim)
		for rows := 1; rows <= maxRows; rows++ {
			pairSetCanaries(buf)
			pairSet.SquaredL2Rows(pairNaN(got[:rows]), a[:rows*dim], b[:rows*dim], dim)
			if d := pairDiff(got[:rows], wantRows[:rows], 1); d != "" {
				t.Fatalf("SquaredL2Rows %dx%d: %s", rows, dim, d)
			}
			pairSet.DotRows(pairNaN(got[:rows]), a[:rows*dim], b[:rows*dim], dim)
			if d := pairDiff(got[:rows], wantDotRows[:rows], 1); d != "" {
				t.Fatalf("DotRows %dx%d: %s", rows, dim, d)
			}
			pairCheckCanaries(t, buf, rows, "SquaredL2Rows, DotRows")
		}
	}
}

// TestPairwiseShapesTinyBlocks repeats the m, n sweep with blocks of k
// and of columns so small that every shape crosses them: partial dot
// products carried in dst between blocks of k, several column blocks, and
// every combination of edge tiles.
func TestPairwiseShapesTinyBlocks(t *testing.T) { forEachPair(t, testPairwiseShapesTinyBlocks) }

func testPairwiseShapesTinyBlocks(t *testing.T) {
	pairSkipUnlessSupported(t)
	const maxRows = 25
	rng := rand.New(rand.NewPCG(10, 10))
	tiny := *pairTestISA
	tiny.pairBlocking = pairBlocking{kcMax: 16, kcTarget: 12, packMax: 16 * 16}
	for _, dim := range []int{1, 7, 8, 17, 24, 33, 70} {
		a := pairRand(rng, maxRows, dim)
		b := pairRand(rng, maxRows, dim)
		wantL2 := make([]float32, maxRows*maxRows)
		wantDots := make([]float32, maxRows*maxRows)
		wantCos := make([]float32, maxRows*maxRows)
		generic.SquaredL2(wantL2, a, b, dim)
		generic.Dots(wantDots, a, b, dim)
		generic.Cosines(wantCos, a, b, maxRows, maxRows, dim)
		buf := make([]float32, maxRows*maxRows+2*pairCanaries)
		got := buf[pairCanaries : len(buf)-pairCanaries]
		for m := 1; m <= maxRows; m++ {
			for n := 1; n <= maxRows; n++ {
				pairSetCanaries(buf)
				tiny.pairwise(epL2, pairNaN(got[:m*n]), a[:m*dim], b[:n*dim], m, n, dim)
				if d := pairDiff(got[:m*n], pairSub(wantL2, maxRows, m, n), n); d != "" {
					t.Fatalf("SquaredL2 %dx%dx%d: %s", m, n, dim, d)
				}
				tiny.pairwise(epDot, pairNaN(got[:m*n]), a[:m*dim], b[:n*dim], m, n, dim)
				if d := pairDiff(got[:m*n], pairSub(wantDots, maxRows, m, n), n); d != "" {
					t.Fatalf("Dots %dx%dx%d: %s", m, n, dim, d)
				}
				tiny.pairwise(epCosine, pairNaN(got[:m*n]), a[:m*dim], b[:n*dim], m, n, dim)
				if d := pairDiff(got[:m*n], pairSub(wantCos, maxRows, m, n), n); d != "" {
					t.Fatalf("Cosines %dx%dx%d: %s", m, n, dim, d)
				}
				pairCheckCanaries(t, buf, m*n, "tiny blocks")
			}
		}
	}
}

// pairCase runs SquaredL2, Dots, Cosines, SquaredL2Rows and DotRows (when m == n) of
// the pairSet (through p for the matrix kernels) and generic on a and b and
// compares the bits.
func pairCase(t *testing.T, p *pairISA, a, b []float32, m, n, dim int, what string) {
	t.Helper()
	want := make([]float32, m*n)
	got := pairNaN(make([]float32, m*n))
	generic.SquaredL2(want, a, b, dim)
	p.pairwise(epL2, got, a, b, m, n, dim)
	if d := pairDiff(got, want, n); d != "" {
		t.Errorf("SquaredL2 %dx%dx%d %s: %s", m, n, dim, what, d)
	}
	generic.Dots(want, a, b, dim)
	p.pairwise(epDot, pairNaN(got), a, b, m, n, dim)
	if d := pairDiff(got, want, n); d != "" {
		t.Errorf("Dots %dx%dx%d %s: %s", m, n, dim, what, d)
	}
	generic.Cosines(want, a, b, m, n, dim)
	p.pairwise(epCosine, pairNaN(got), a, b, m, n, dim)
	if d := pairDiff(got, want, n); d != "" {
		t.Errorf("Cosines %dx%dx%d %s: %s", m, n, dim, what, d)
	}
	if m != n {
		return
	}
	generic.SquaredL2Rows(want[:m], a, b, dim)
	pairSet.SquaredL2Rows(pairNaN(got[:m]), a, b, dim)
	if d := pairDiff(got[:m], want[:m], 1); d != "" {
		t.Errorf("SquaredL2Rows %dx%d %s: %s", m, dim, what, d)
	}
	generic.DotRows(want[:m], a, b, dim)
	pairSet.DotRows(pairNaN(got[:m]), a, b, dim)
	if d := pairDiff(got[:m], want[:m], 1); d != "" {
		t.Errorf("DotRows %dx%d %s: %s", m, dim, what, d)
	}
}

// TestPairwiseBlocking crosses every blocking boundary: several blocks
// of columns (nc), of k (kc, with partial results carried in dst) and
// partial tiles at the ends, with the real blocking and with a tiny one
// that makes small shapes cross many blocks.
func TestPairwiseBlocking(t *testing.T) { forEachPair(t, testPairwiseBlocking) }

func testPairwiseBlocking(t *testing.T) {
	pairSkipUnlessSupported(t)
	rng := rand.New(rand.NewPCG(2, 2))
	tiny := *pairTestISA
	tiny.pairBlocking = pairBlocking{kcMax: 16, kcTarget: 12, packMax: 3 * 16 * 16}
	shapes := []struct{ m, n, dim int }{
		{13, 700, 100}, // nc = 640 at kc = 100: two column blocks
		{31, 45, 513},  // dim > kcMax: three blocks of k
		{7, 300, 1100}, // five blocks of k, two of columns
		{200, 17, 64},  // many row groups, one partial panel
		{6, 16, 1},     // exactly one tile
		{1, 1000, 3},   // one row
	}
	for _, s := range shapes {
		a, b := pairRand(rng, s.m, s.dim), pairRand(rng, s.n, s.dim)
		pairCase(t, pairTestISA, a, b, s.m, s.n, s.dim, "")
	}
	for _, s := range []struct{ m, n, dim int }{{13, 50, 17}, {20, 97, 40}, {7, 33, 100}, {25, 25, 33}} {
		a, b := pairRand(rng, s.m, s.dim), pairRand(rng, s.n, s.dim)
		pairCase(t, &tiny, a, b, s.m, s.n, s.dim, "(tiny blocks)")
	}
}

// TestPairwiseMisaligned runs every kernel on sub-slices starting at
// element offsets 0..7, so that rows, panels and outputs cross vector and
// cache-line boundaries everywhere.
func TestPairwiseMisaligned(t *testing.T) { forEachPair(t, testPairwiseMisaligned) }

func testPairwiseMisaligned(t *testing.T) {
	pairSkipUnlessSupported(t)
	rng := rand.New(rand.NewPCG(3, 3))
	for _, s := range []struct{ m, n, dim int }{{7, 19, 37}, {13, 13, 8}, {6, 33, 130}} {
		for off := 0; off < 8; off++ {
			a := pairRand(rng, 1, s.m*s.dim+8)[off : off+s.m*s.dim]
			b := pairRand(rng, 1, s.n*s.dim+8)[off : off+s.n*s.dim]
			want := make([]float32, s.m*s.n)
			gotBuf := make([]float32, s.m*s.n+8)
			got := pairNaN(gotBuf[off : off+s.m*s.n])
			generic.SquaredL2(want, a, b, s.dim)
			pairSet.SquaredL2(got, a, b, s.dim)
			if d := pairDiff(got, want, s.n); d != "" {
				t.Errorf("SquaredL2 %v offset %d: %s", s, off, d)
			}
			generic.Dots(want, a, b, s.dim)
			pairSet.Dots(pairNaN(got), a, b, s.dim)
			if d := pairDiff(got, want, s.n); d != "" {
				t.Errorf("Dots %v offset %d: %s", s, off, d)
			}
			if s.m == s.n {
				pairCase(t, pairTestISA, a, b, s.m, s.n, s.dim, fmt.Sprintf("offset %d", off))
			}
		}
	}
}

// TestPairwiseSpecial feeds special values: NaN, ±Inf, -0, subnormals,
// huge and exp-limit values, and rows equal to each other (so that the
// L2 clamp at 0 is exercised).
func TestPairwiseSpecial(t *testing.T) { forEachPair(t, testPairwiseSpecial) }

func testPairwiseSpecial(t *testing.T) {
	pairSkipUnlessSupported(t)
	rng := rand.New(rand.NewPCG(4, 4))
	specials := []float32{
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, -0x1p-140, 0x1.fffffep-127,
		1e30, -1e30, 88.7, -88.7, 1e-20, math.MaxFloat32,
	}
	for _, s := range []struct{ m, n, dim int }{{9, 21, 5}, {13, 17, 40}, {25, 25, 70}, {7, 35, 129}} {
		for density := 0; density < 3; density++ {
			a := pairRand(rng, s.m, s.dim)
			b := pairRand(rng, s.n, s.dim)
			// rows of b repeat rows of a (distance 0 up to rounding)
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
			pairCase(t, pairTestISA, a, b, s.m, s.n, s.dim, fmt.Sprintf("specials %d/10", density))
			pairCase(t, pairTestISA, a[:min(s.m, s.n)*s.dim], b[:min(s.m, s.n)*s.dim], min(s.m, s.n), min(s.m, s.n), s.dim, "specials, paired")
		}
		// every element one special value
		for _, v := range specials {
			a := make([]float32, s.m*s.dim)
			b := pairRand(rng, s.n, s.dim)
			for i := range a {
				a[i] = v
			}
			pairCase(t, pairTestISA, a, b, s.m, s.n, s.dim, fmt.Sprintf("a = %g", v))
			pairCase(t, pairTestISA, b[:s.m*s.dim], a, s.m, s.m, s.dim, fmt.Sprintf("b = %g", v))
		}
	}
	// subnormal-only data: products underflow, sums stay subnormal
	a := make([]float32, 6*33)
	b := make([]float32, 17*33)
	for i := range a {
		a[i] = float32(rng.NormFloat64()) * 0x1p-130
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64()) * 0x1p-10
	}
	pairCase(t, pairTestISA, a, b, 6, 17, 33, "subnormal")
	// products that underflow to -0: every dot is -0 from one element on
	a, b = make([]float32, 9*33), make([]float32, 10*33)
	for i := range a {
		a[i] = 0x1p-80
	}
	for i := range b {
		b[i] = -0x1p-80
	}
	pairCase(t, pairTestISA, a, b, 9, 10, 33, "-0 products")
}

// TestPairedRowsInPlace checks dst == a for the paired-row kernels.
func TestPairedRowsInPlace(t *testing.T) { forEachPair(t, testPairedRowsInPlace) }

func testPairedRowsInPlace(t *testing.T) {
	pairSkipUnlessSupported(t)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, dim := range []int{1, 2, 9, 33} {
		const rows = 40
		a, b := pairRand(rng, rows, dim), pairRand(rng, rows, dim)
		for _, k := range []struct {
			name      string
			avx2, gen func(dst, a, b []float32, dim int)
		}{{"SquaredL2Rows", pairSet.SquaredL2Rows, generic.SquaredL2Rows}, {"DotRows", pairSet.DotRows, generic.DotRows}} {
			want := make([]float32, rows)
			k.gen(want, a, b, dim)
			x := append([]float32(nil), a...)
			k.avx2(x[:rows], x, b, dim)
			if d := pairDiff(x[:rows], want, 1); d != "" {
				t.Errorf("%s in place, dim %d: %s", k.name, dim, d)
			}
		}
	}
}

// TestPairwiseAccuracy compares with a float64 reference.
func TestPairwiseAccuracy(t *testing.T) { forEachPair(t, testPairwiseAccuracy) }

func testPairwiseAccuracy(t *testing.T) {
	pairSkipUnlessSupported(t)
	rng := rand.New(rand.NewPCG(6, 6))
	for _, s := range []struct{ m, n, dim int }{{20, 30, 3}, {17, 40, 128}, {9, 9, 1000}} {
		a, b := pairRand(rng, s.m, s.dim), pairRand(rng, s.n, s.dim)
		for i := range a {
			a[i] += 0.5 // not centred: |a|² and |a-b|² differ in size
		}
		l2 := make([]float32, s.m*s.n)
		dots := make([]float32, s.m*s.n)
		rows := make([]float32, s.m)
		pairSet.SquaredL2(l2, a, b, s.dim)
		pairSet.Dots(dots, a, b, s.dim)
		if s.m == s.n {
			pairSet.SquaredL2Rows(rows, a, b, s.dim)
		}
		for i := 0; i < s.m; i++ {
			for j := 0; j < s.n; j++ {
				var d2, dot, na, nb float64
				for k := 0; k < s.dim; k++ {
					x, y := float64(a[i*s.dim+k]), float64(b[j*s.dim+k])
					d2 += (x - y) * (x - y)
					dot += x * y
					na += x * x
					nb += y * y
				}
				tol := 1e-5 * (na + nb)
				if e := math.Abs(float64(l2[i*s.n+j]) - d2); e > tol {
					t.Errorf("SquaredL2 %v [%d,%d] = %g, float64 %g (error %g > %g)", s, i, j, l2[i*s.n+j], d2, e, tol)
				}
				if e := math.Abs(float64(dots[i*s.n+j]) - dot); e > tol {
					t.Errorf("Dots %v [%d,%d] = %g, float64 %g (error %g > %g)", s, i, j, dots[i*s.n+j], dot, e, tol)
				}
				if s.m == s.n && i == j {
					if e := math.Abs(float64(rows[i]) - d2); e > tol {
						t.Errorf("SquaredL2Rows %v [%d] = %g, float64 %g", s, i, rows[i], d2)
					}
				}
			}
		}
	}
}

// TestPairwiseAllocs checks that steady-state calls allocate nothing.
func TestPairwiseAllocs(t *testing.T) { forEachPair(t, testPairwiseAllocs) }

func testPairwiseAllocs(t *testing.T) {
	pairSkipUnlessSupported(t)
	if tu.Race {
		t.Skip("-race: sync.Pool drops items at random, so calls may allocate")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	const m, n, dim = 50, 70, 600
	a, b := pairRand(rng, m, dim), pairRand(rng, n, dim)
	dst := make([]float32, m*n)
	for name, f := range map[string]func(){
		"SquaredL2":     func() { pairSet.SquaredL2(dst, a, b, dim) },
		"Dots":          func() { pairSet.Dots(dst, a, b, dim) },
		"SquaredL2Rows": func() { pairSet.SquaredL2Rows(dst, a, b[:m*dim], dim) },
		"DotRows":       func() { pairSet.DotRows(dst, a, b[:m*dim], dim) },
	} {
		if allocs := testing.AllocsPerRun(20, f); allocs != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, allocs)
		}
	}
}

// pairBenchSets returns the sets a pairwise benchmark runs on: generic
// (when asked) and every SIMD set of this GOARCH that the CPU supports.
func pairBenchSets(b *testing.B, generic bool) []*Set {
	sets := []*Set{}
	if generic {
		sets = append(sets, Generic)
	}
	for _, s := range pairSubjects {
		if s.set.Supported() {
			sets = append(sets, s.set)
		}
	}
	return sets
}

// BenchmarkSquaredL2 reports GFLOP/s as 2*m*n*d per call.
func BenchmarkSquaredL2(b *testing.B) {
	for _, s := range []struct{ m, n, dim int }{{256, 256, 128}, {1024, 1024, 128}, {1024, 1024, 512}, {4096, 4096, 64}} {
		rng := rand.New(rand.NewPCG(8, 8))
		x, y := pairRand(rng, s.m, s.dim), pairRand(rng, s.n, s.dim)
		dst := make([]float32, s.m*s.n)
		for _, set := range pairBenchSets(b, s.m == 256) {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", s.m, s.n, s.dim, set.Name()), func(b *testing.B) {
				for b.Loop() {
					set.SquaredL2(dst, x, y, s.dim)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.dim)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSquaredL2Rows reports GFLOP/s as 3*rows*d per call (a subtraction
// and a multiply-add per element) and the bytes of a and b read as GB/s.
func BenchmarkSquaredL2Rows(b *testing.B) {
	for _, s := range []struct{ rows, dim int }{{1024, 128}, {1024, 512}} {
		rng := rand.New(rand.NewPCG(9, 9))
		x, y := pairRand(rng, s.rows, s.dim), pairRand(rng, s.rows, s.dim)
		dst := make([]float32, s.rows)
		for _, set := range pairBenchSets(b, s.dim == 128) {
			b.Run(fmt.Sprintf("%dx%d/%s", s.rows, s.dim, set.Name()), func(b *testing.B) {
				b.SetBytes(int64(8 * s.rows * s.dim))
				for b.Loop() {
					set.SquaredL2Rows(dst, x, y, s.dim)
				}
				b.ReportMetric(3*float64(s.rows*s.dim)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
