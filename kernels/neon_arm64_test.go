//go:build !purego

package kernels_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
	"github.com/simdloss/simdloss/kernels/asm"
)

// The NEON tests compare the NEON set with generic bit for bit (any NaN
// equals any NaN) on the kernels and inputs that the shared row tests do not
// reach: the paired-row and norm kernels, rows built to put special values
// in each part of a kernel (main loop, whole tail vectors, partial vector),
// and the contract of the log-sum-exp kernel itself. Under qemu they take a
// few seconds.

// neonLengths is every length 1..300 (the main loop, all 8 tail registers and
// all 4 partial lengths, several times over) and a sample up to a few thousand.
func neonLengths() []int {
	var n []int
	for c := 1; c <= 300; c++ {
		n = append(n, c)
	}
	return append(n, 511, 512, 513, 1000, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097)
}

func f32ptr(s []float32) *float32 { return unsafe.SliceData(s) }

// pairKinds are the value kinds of the paired-row tests: the shared kinds,
// plus tinyNeg (products that underflow to -0, so that partial sums of
// DotRows are -0) and equal (b == a, so the differences are zero).
const (
	tinyNeg tu.Kind = 100 + iota
	equal
)

var pairKinds = []tu.Kind{tu.Normal, tu.Wide, tu.Huge, tu.Adversarial, tu.Subnormal, tinyNeg, equal}

func kindName(k tu.Kind) string {
	switch k {
	case tinyNeg:
		return "tiny-negative-products"
	case equal:
		return "equal"
	}
	return k.String()
}

func fillPair(rng *rand.Rand, a, b []float32, dim int, k tu.Kind) {
	switch k {
	case tinyNeg:
		for i := range a {
			a[i] = float32(rng.Float64()+0.5) * 0x1p-80
			b[i] = -float32(rng.Float64()+0.5) * 0x1p-80
			if rng.IntN(16) == 0 {
				a[i], b[i] = tu.NegZ, 0
			}
		}
	case equal:
		tu.Fill(rng, a, dim, tu.Adversarial)
		copy(b, a)
	default:
		tu.Fill(rng, a, dim, k)
		tu.Fill(rng, b, dim, k)
	}
}

// TestNEONPairedRowsMatchGeneric checks SquaredL2Rows, DotRows and the
// SumSquares kernel on every length and sub-slice offset.
func TestNEONPairedRowsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	for _, dim := range neonLengths() {
		rows := 3
		if dim > 300 {
			rows = 2
		}
		n := rows * dim
		for _, kind := range pairKinds {
			for off := 0; off < 8; off++ {
				if dim > 300 && off%3 != 1 {
					continue
				}
				aBuf, bBuf := make([]float32, n+8), make([]float32, n+8)
				a, b := aBuf[off:off+n], bBuf[(off*5)%8:(off*5)%8+n]
				fillPair(rng, a, b, dim, kind)
				want := make([]float32, 3*rows)
				for r := 0; r < rows; r++ {
					ar, br := a[r*dim:(r+1)*dim], b[r*dim:(r+1)*dim]
					want[r] = generic.SumSquaredDiff(ar, br)
					want[rows+r] = generic.SumProducts(ar, br)
					want[2*rows+r] = generic.SumSquares(ar)
				}
				dBuf := make([]float32, 3*rows+8)
				got := dBuf[(off*3)%8 : (off*3)%8+3*rows]
				kernels.NEON.SquaredL2Rows(got[:rows], a, b, dim)
				kernels.NEON.DotRows(got[rows:2*rows], a, b, dim)
				asm.SumSquaresNEON(f32ptr(got[2*rows:]), f32ptr(a), rows, dim)
				if i := tu.Diff(got, want); i >= 0 {
					name := [...]string{"SquaredL2Rows", "DotRows", "SumSquares"}[i/rows]
					t.Fatalf("%s dim=%d %v offset=%d row %d: neon %g (%#08x), generic %g (%#08x)",
						name, dim, kindName(kind), off, i%rows, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestNEONPairedRowsInPlace checks dst starting where a or b starts (each
// row is read before its result is written).
func TestNEONPairedRowsInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 21))
	for _, dim := range []int{1, 2, 3, 4, 5, 31, 32, 33, 100} {
		const rows = 9
		a, b := make([]float32, rows*dim), make([]float32, rows*dim)
		fillPair(rng, a, b, dim, tu.Adversarial)
		for _, f := range []struct {
			name     string
			gen, neo func(dst, a, b []float32, dim int)
		}{
			{"SquaredL2Rows", kernels.Generic.SquaredL2Rows, kernels.NEON.SquaredL2Rows},
			{"DotRows", kernels.Generic.DotRows, kernels.NEON.DotRows},
		} {
			want := make([]float32, rows)
			f.gen(want, a, b, dim)
			for _, inA := range []bool{true, false} {
				x, y := append([]float32(nil), a...), append([]float32(nil), b...)
				dst := y
				if inA {
					dst = x
				}
				f.neo(dst, x, y, dim)
				if msg := tu.DiffMsg(dst[:rows], want); msg != "" {
					t.Fatalf("%s dim=%d in place (dst = a: %v): %s", f.name, dim, inA, msg)
				}
			}
		}
	}
}

// rowPattern fills one row with a pattern that puts special values in a
// chosen part of the kernel: the 32-element main loop, the whole tail
// vectors or the partial vector.
type rowPattern struct {
	name string
	fill func(rng *rand.Rand, row []float32)
}

func at(pos func(n int) int, v float32) func(*rand.Rand, []float32) {
	return func(rng *rand.Rand, row []float32) {
		for i := range row {
			row[i] = float32(rng.NormFloat64() * 3)
		}
		row[min(len(row)-1, pos(len(row)))] = v
	}
}

func all(v float32) func(*rand.Rand, []float32) {
	return func(_ *rand.Rand, row []float32) {
		for i := range row {
			row[i] = v
		}
	}
}

var (
	first   = func(int) int { return 0 }
	last    = func(n int) int { return n - 1 }
	partial = func(n int) int { return n &^ 3 }                   // first lane of the partial vector (the last element if n%4 == 0)
	tailVec = func(n int) int { return max(0, (n&^31)+(n%32)/2) } // inside the tail
	block   = func(n int) int { return (n / 2) &^ 31 }            // inside a main-loop block when n >= 64
)

var rowPatterns = []rowPattern{
	{"NaN first", at(first, tu.NaN)},
	{"NaN last", at(last, tu.NaN)},
	{"NaN in the partial vector", at(partial, tu.NaN)},
	{"+Inf last", at(last, tu.PosInf)},
	{"+Inf in the tail", at(tailVec, tu.PosInf)},
	{"-Inf last", at(last, tu.NegInf)},
	{"max last", at(last, 40)},
	{"max in the partial vector", at(partial, 40)},
	{"max in the tail", at(tailVec, 40)},
	{"max in a block", at(block, 40)},
	{"88.7 last", at(last, 88.7)},
	{"1e30 last", at(last, 1e30)},
	{"-1e30 first", at(first, -1e30)},
	{"all -Inf", all(tu.NegInf)},
	{"all -0", all(tu.NegZ)},
	{"all +0", all(0)},
	{"all -88.7", all(-88.7)},
	{"all subnormal", all(-0x1p-140)},
	{"-Inf and one finite", func(rng *rand.Rand, row []float32) {
		all(tu.NegInf)(rng, row)
		row[rng.IntN(len(row))] = -3
	}},
	{"NaN and -Inf", func(rng *rand.Rand, row []float32) {
		all(tu.NegInf)(rng, row)
		row[rng.IntN(len(row))] = tu.NaN
	}},
	{"wide", func(rng *rand.Rand, row []float32) {
		for i := range row {
			row[i] = float32(rng.NormFloat64() * 40)
		}
	}},
	{"specials", func(rng *rand.Rand, row []float32) {
		for i := range row {
			row[i] = tu.Specials[rng.IntN(len(tu.Specials))]
		}
	}},
}

// TestNEONRowPatterns runs every pattern at every length, as the middle row
// of three (so the row loop and the log-sum-exp restart are exercised).
func TestNEONRowPatterns(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 13))
	lengths := neonLengths()
	if testing.Short() {
		lengths = lengths[:80]
	}
	for _, cols := range lengths {
		for _, p := range rowPatterns {
			src := make([]float32, 3*cols)
			tu.Fill(rng, src, cols, tu.Normal)
			p.fill(rng, src[cols:2*cols])
			for _, op := range rowOps {
				want := make([]float32, 3*op.perRow(cols))
				op.run(kernels.Generic, want, src, cols)
				got := make([]float32, len(want))
				op.run(kernels.NEON, got, src, cols)
				if msg := tu.DiffMsg(got, want); msg != "" {
					t.Fatalf("%s cols=%d %s: neon vs generic: %s", op.name, cols, p.name, msg)
				}
			}
		}
	}
}

// TestNEONLogSumExpStops checks the kernel's own contract: it returns the
// index of the first row whose result is NaN and writes nothing from there.
func TestNEONLogSumExpStops(t *testing.T) {
	const cols, rows = 37, 6
	src := make([]float32, rows*cols)
	tu.Fill(rand.New(rand.NewPCG(1, 1)), src, cols, tu.Normal)
	for _, special := range []float32{tu.NaN, tu.PosInf, tu.NegInf} {
		for bad := 0; bad <= rows; bad++ {
			x := append([]float32(nil), src...)
			if bad < rows {
				row := x[bad*cols : (bad+1)*cols]
				if special == tu.NegInf {
					all(tu.NegInf)(nil, row)
				} else {
					row[cols-1] = special
				}
			}
			dst := make([]float32, rows)
			for i := range dst {
				dst[i] = 12345
			}
			done := asm.LogSumExpNEON(f32ptr(dst), f32ptr(x), rows, cols)
			if done != bad {
				t.Fatalf("special %g in row %d: returned %d", special, bad, done)
			}
			for r := 0; r < rows; r++ {
				want := float32(12345)
				if r < bad {
					want = generic.LogPos(generic.SumExp(nil, x[r*cols:(r+1)*cols], generic.RowMax(x[r*cols:(r+1)*cols]))) +
						generic.RowMax(x[r*cols:(r+1)*cols])
				}
				if !tu.Same(dst[r], want) {
					t.Fatalf("special %g in row %d: dst[%d] = %g, want %g", special, bad, r, dst[r], want)
				}
			}
		}
	}
}

// TestNEONPairwiseMatchGeneric checks SquaredL2 and Dots of the NEON set.
func TestNEONPairwiseMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 6))
	for _, dim := range []int{1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 257} {
		for _, mn := range [][2]int{{1, 1}, {1, 9}, {5, 1}, {3, 7}, {9, 13}, {17, 16}} {
			m, n := mn[0], mn[1]
			for _, kind := range []tu.Kind{tu.Normal, tu.Adversarial, tu.Subnormal} {
				a, b := make([]float32, m*dim), make([]float32, n*dim)
				tu.Fill(rng, a, dim, kind)
				tu.Fill(rng, b, dim, kind)
				for _, f := range []struct {
					name     string
					gen, neo func(dst, a, b []float32, dim int)
				}{
					{"SquaredL2", kernels.Generic.SquaredL2, kernels.NEON.SquaredL2},
					{"Dots", kernels.Generic.Dots, kernels.NEON.Dots},
				} {
					want, got := make([]float32, m*n), make([]float32, m*n)
					f.gen(want, a, b, dim)
					f.neo(got, a, b, dim)
					if msg := tu.DiffMsg(got, want); msg != "" {
						t.Fatalf("%s dim=%d %dx%d %v: %s", f.name, dim, m, n, kind, msg)
					}
				}
			}
		}
	}
}

// TestNEONEmpty checks that empty inputs are no-ops.
func TestNEONEmpty(t *testing.T) {
	s := kernels.NEON
	s.Softmax(nil, nil, 3)
	s.LogSoftmax(nil, []float32{}, 1)
	s.LogSumExp(nil, nil, 5)
	s.SquaredL2Rows(nil, nil, nil, 4)
	s.DotRows(nil, nil, nil, 4)
	s.SquaredL2(nil, nil, nil, 4)
	s.Dots(nil, nil, nil, 4)
}
