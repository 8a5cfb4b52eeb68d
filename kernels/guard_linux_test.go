//go:build linux

package kernels_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// TestGuardPages runs every kernel with its inputs and outputs placed right
// against PROT_NONE pages, at the end and at the start of the mapping, for
// every tail length: a read or write past either end of a slice faults.
func TestGuardPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const maxLen = 33 * 300 // the widest pairwise operand: 33 rows of 300
	gs := [3]*tu.Guarded{tu.NewGuarded(maxLen), tu.NewGuarded(maxLen), tu.NewGuarded(maxLen)}
	defer func() {
		for _, g := range gs {
			g.Free()
		}
	}()
	place := func(g *tu.Guarded, n int, atEnd bool) []float32 {
		if atEnd {
			return g.End(n)
		}
		return g.Start(n)
	}
	var lens []int
	for c := 1; c <= 70; c++ {
		lens = append(lens, c)
	}
	lens = append(lens, 127, 128, 129, 255, 256, 257, 300)
	for _, s := range allSets() {
		if s == kernels.Generic && testing.Short() {
			continue
		}
		for _, cols := range lens {
			for _, atEnd := range []bool{true, false} {
				// 8 rows: one block of the AVX2 short-row path, or one full
				// ring of the per-row path, ending at the guard; 9: one row
				// after it; 2: a ring flushed with 2 rows.
				for _, rows := range []int{2, 8, 9} {
					src := place(gs[0], rows*cols, atEnd)
					tu.Fill(rng, src, cols, tu.Adversarial)
					for _, op := range rowOps {
						dst := place(gs[1], rows*op.perRow(cols), !atEnd)
						op.run(s, dst, src, cols)
						dst = place(gs[1], rows*op.perRow(cols), atEnd)
						op.run(s, dst, src, cols)
					}
				}
				// pairwise: a (m x dim), b (n x dim) against guards
				dim := cols
				// {5, 5} for the paired kernels over several rows; {9, 33}
				// for the full 8-row tiles and the AVX-512 tile's last
				// panels of 17-32 columns; dims over 256 run in blocks of k
				// that continue from the partial results in dst.
				for _, mn := range [][2]int{{1, 1}, {2, 3}, {5, 5}, {7, 17}, {9, 33}} {
					m, n := mn[0], mn[1]
					if m*dim > maxLen || n*dim > maxLen {
						continue
					}
					a := place(gs[0], m*dim, atEnd)
					b := place(gs[2], n*dim, !atEnd)
					tu.Fill(rng, a, dim, tu.Normal)
					tu.Fill(rng, b, dim, tu.Normal)
					dst := place(gs[1], m*n, atEnd)
					s.SquaredL2(dst, a, b, dim)
					s.Dots(dst, a, b, dim)
					s.Cosines(dst, a, b, dim)
					// a·b, aᵀ·b and aᵀ·bᵀ with the same buffers: a is m×dim or
					// dim×m, b is dim×n (n×dim)
					s.MatMul(dst, a, b, m, n, dim, false, false)
					s.MatMul(dst, a, b, m, n, dim, true, false)
					s.MatMul(dst, a, b, m, n, dim, true, true)
					s.MatMulAdd(dst, a, b, m, n, dim, false, true)
					s.MatMulAdd(dst, a, b, m, n, dim, true, false)
					if m == n {
						s.SquaredL2Rows(dst[:m], a, b, dim)
						s.DotRows(dst[:m], a, b, dim)
					}
				}
			}
		}
	}
}

func TestTripletRowsGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for _, dim := range []int{1, 3, 8, 9, 31, 32, 33, 70} {
			const rows = 2
			for _, atEnd := range []bool{true, false} {
				mk, free := guarded(atEnd)
				a, p, n := mk(rows*dim), mk(rows*dim), mk(rows*dim)
				cu, cv, cw := mk(rows), mk(rows), mk(rows)
				tripletCall(s, a, p, n, cu, cv, nil, 1e-6, rows, dim, mk)
				tripletCall(s, a, p, n, cu, cv, cw, 1e-6, rows, dim, mk)
				free()
			}
		}
	}
}

func TestAxpbyRowsGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for _, dim := range []int{1, 3, 8, 9, 31, 32, 33, 70} {
			for _, atEnd := range []bool{true, false} {
				mk, free := guarded(atEnd)
				a, b, dst, ca, cb := mk(2*dim), mk(2*dim), mk(2*dim), mk(2), mk(2)
				s.AxpbyRows(dst, a, b, ca, cb, dim)
				free()
			}
		}
	}
}

// TestCrossEntropyRowsGuardPages runs the cross-entropy kernels with every
// input and output against PROT_NONE pages.
func TestCrossEntropyRowsGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for _, cols := range []int{1, 3, 8, 9, 16, 17, 31, 32, 33, 70} {
			rows := 2
			if cols <= 16 {
				rows = 9
			}
			for _, atEnd := range []bool{true, false} {
				mk, free := guarded(atEnd)
				z, q, w, a, scale := mk(rows*cols), mk(rows*cols), mk(cols), mk(rows), mk(rows)
				tu.Fill(rand.New(rand.NewPCG(1, uint64(cols))), z, cols, tu.Normal)
				for i := range w {
					w[i], q[i] = 1, 0.5
				}
				for i := range a {
					a[i], scale[i] = 1, 1
				}
				for v := 0; v < 8; v++ {
					ceCall(s, false, v&4 != 0, v&2 != 0, v&1 != 0, z, q, w, a, scale, rows, cols, mk)
					ceCall(s, true, v&4 != 0, v&2 != 0, false, z, q, w, a, scale, rows, cols, mk)
				}
				free()
			}
		}
	}
}

func TestFlushSubnormalsGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for n := 1; n <= 40; n++ {
			g := tu.NewGuarded(n)
			s.FlushSubnormals(g.End(n))
			s.FlushSubnormals(g.Start(n))
			g.Free()
		}
	}
}

// TestSigmoidFocalGuardPages runs the sigmoid focal kernel and the focal
// terms with their inputs and outputs against PROT_NONE pages, for every
// tail length.
func TestSigmoidFocalGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for n := 1; n <= 70; n++ {
			for _, atEnd := range []bool{true, false} {
				mk, free := guarded(atEnd)
				loss, grad, x, tg := mk(n), mk(n), mk(n), mk(n)
				s.SigmoidFocal(loss, grad, x, tg, 0.25, 0.75, 2, 1)
				s.SigmoidFocal(loss, nil, x, tg, -1, 2, 0, 1)
				s.FocalTerms(loss, grad, x, tg, 2, 1)
				free()
			}
		}
	}
}

// TestMinerScansGuardPages runs HingeCounts and AboveMin with the row and
// crow against PROT_NONE pages, for every tail length.
func TestMinerScansGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for n := 1; n <= 70; n++ {
			for _, atEnd := range []bool{true, false} {
				mk, free := guarded(atEnd)
				row, crow := mk(n), mk(n)
				s.HingeCounts(row, crow, [4]float32{1, 2, 0, -1}, 0.5)
				s.AboveMin(row, [4]float32{-1, 0, 1, tu.PosInf})
				free()
			}
		}
	}
}

// TestPairKernelsGuardPages runs Symmetrize, MaskedAffine and the circle
// kernels with their slices against PROT_NONE pages.
func TestPairKernelsGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for n := 1; n <= 40; n++ {
			for _, atEnd := range []bool{true, false} {
				mk, free := guarded(atEnd)
				s.Symmetrize(mk(n*n), n)
				x, dst := mk(n), mk(n)
				s.MaskedAffine(dst, x, 0, 0.1, 2, 0.5)
				s.MaskedAffine(x, x, 0, 0.1, 2, 0.5)
				s.CircleLogits(dst, x, 80, 0.25)
				s.CircleLogits(x, x, 80, 0.25)
				s.CircleGrads(x, dst, 0.3, 0.25)
				idx := []int32{0, 0}
				a2, c2 := mk(2*n), mk(n)
				s.SquaredL2RowsIdx(dst[:min(2, n)], a2, c2, idx[:min(2, n)], n)
				s.AxpbyRowsIdx(a2, a2, c2, dst, dst, idx[:1], n)
				// two rows, ending at the guard, each against c2's only row
				a3, d3, k2 := mk(2*n), mk(2*n), mk(2)
				s.AxpbyRowsIdx(d3, a3, c2, k2, k2, idx, n)
				s.AxpbyRowsIdx(a3, a3, c2, k2, k2, idx, n)
				// the read-only scans
				s.Sum64(mk(n))
				s.FirstOutside(mk(n), 0, 1)
				emb, g := mk(2*n), mk(2*n)
				s.PairUpdates(g, emb, []int32{0, 1, 1}, []int32{1, 0, 1}, []float32{1, -2, 3}, n)
				r := mk(n)
				for k := range r {
					r[k] = float32(n - k) // the least last
				}
				if got := s.FirstMinBits(r); got != n-1 {
					t.Fatalf("%s n=%d: FirstMinBits = %d, want %d", s.Name(), n, got, n-1)
				}
				free()
			}
		}
	}
}

// guarded returns mk, which maps each slice right against a PROT_NONE page
// (after its end with atEnd, before its start otherwise), and free, which
// unmaps them all.
func guarded(atEnd bool) (mk func(n int) []float32, free func()) {
	var gs []*tu.Guarded
	mk = func(n int) []float32 {
		g := tu.NewGuarded(n)
		gs = append(gs, g)
		if atEnd {
			return g.End(n)
		}
		return g.Start(n)
	}
	return mk, func() {
		for _, g := range gs {
			g.Free()
		}
	}
}

func TestCrossEntropyLabelRowsGuardPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 5))
	for _, s := range ceLabelSets() {
		for _, cols := range []int{1, 3, 8, 9, 10, 15, 16, 17, 31, 33, 100, 130} {
			for _, rows := range []int{9, 16} {
				for _, atEnd := range []bool{true, false} {
					mk, free := guarded(atEnd)
					c := newCELabelsCase(rng, rows, cols, tu.Adversarial, mk)
					lf := mk(rows) // the labels, in a guarded float32 slice
					labels := unsafe.Slice((*int32)(unsafe.Pointer(&lf[0])), rows)
					copy(labels, c.labels)
					c.labels = labels
					for v := 0; v < 8; v++ {
						c.run(s, v, mk)
						s.LabelWeights(labels, pick(v&2 != 0, c.w), pick(v&1 != 0, c.sw), cols, -100)
					}
					if s != kernels.Generic { // generic's code panics on them
						// Labels outside the contract (>= cols, or any
						// negative): unspecified results, no access
						// outside the slices.
						for i := range labels {
							labels[i] = []int32{int32(cols), int32(cols) + 1000, math.MaxInt32, -5, math.MinInt32}[i%5]
						}
						for v := 0; v < 8; v++ {
							c.run(s, v, mk)
						}
					}
					free()
				}
			}
		}
	}
}

// TestChainedGuardPages puts rows long enough to be split over several
// calls (see TestChainedRows) against guard pages: the calls with the last
// rows may not read a row after them.
func TestChainedGuardPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2))
	for _, sh := range [][2]int{{3, 70001}, {5, 40000}, {5, 65536}, {7, 20000}} {
		rows, cols := sh[0], sh[1]
		for _, atEnd := range []bool{true, false} {
			mk, free := guarded(atEnd)
			src, dst, dstL := mk(rows*cols), mk(rows*cols), mk(rows)
			tu.Fill(rng, src, cols, tu.Normal)
			want, wantS, wantL := make([]float32, rows*cols), make([]float32, rows*cols), make([]float32, rows)
			kernels.Generic.LogSoftmax(want, src, cols)
			kernels.Generic.Softmax(wantS, src, cols)
			kernels.Generic.LogSumExp(wantL, src, cols)
			for _, s := range allSets() {
				s.LogSumExp(dstL, src, cols)
				if msg := tu.DiffMsg(dstL, wantL); msg != "" {
					t.Errorf("%s LogSumExp %dx%d: %s", s.Name(), rows, cols, msg)
				}
				s.LogSoftmax(dst, src, cols)
				if msg := tu.DiffMsg(dst, want); msg != "" {
					t.Errorf("%s LogSoftmax %dx%d: %s", s.Name(), rows, cols, msg)
				}
				s.Softmax(dst, src, cols)
				if msg := tu.DiffMsg(dst, wantS); msg != "" {
					t.Errorf("%s Softmax %dx%d: %s", s.Name(), rows, cols, msg)
				}
			}
			free()
		}
	}
}
