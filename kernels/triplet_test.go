package kernels_test

import (
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

type tripletOut struct{ d, gA, gP, gN []float32 }

// tripletCall runs SquaredL2RowsEps (a,b = a,p) and TripletGradRows.
func tripletCall(s *kernels.Set, a, p, n, cu, cv, cw []float32, eps float32, rows, dim int, mk func(int) []float32) tripletOut {
	o := tripletOut{mk(rows), mk(rows * dim), mk(rows * dim), mk(rows * dim)}
	s.SquaredL2RowsEps(o.d, a, p, eps, dim)
	s.TripletGradRows(o.gA, o.gP, o.gN, a, p, n, cu, cv, cw, eps, dim)
	return o
}

func TestTripletRowsMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(31, 1))
	dims := []int{}
	for d := 1; d <= 130; d++ {
		dims = append(dims, d)
	}
	dims = append(dims, 255, 256, 257, 1000)
	if testing.Short() {
		dims = []int{1, 7, 8, 9, 31, 32, 33, 64, 100, 257}
	}
	for _, dim := range dims {
		rows := 3
		off := (dim * 5) % 8
		buf := func(n int) []float32 { return make([]float32, n+8)[off : off+n] }
		a, p, n := buf(rows*dim), buf(rows*dim), buf(rows*dim)
		kind := tu.Kind(dim % len(tu.Kinds))
		tu.Fill(rng, a, dim, kind)
		tu.Fill(rng, p, dim, tu.Normal)
		tu.Fill(rng, n, dim, kind)
		cu, cv, cw := []float32{0.5, -2, 0}, []float32{1.5, 0, 3}, []float32{0, 0.25, -1}
		for _, eps := range []float32{0, 1e-6} {
			for _, swap := range []bool{false, true} {
				c := cw
				if !swap {
					c = nil
				}
				want := tripletCall(kernels.Generic, a, p, n, cu, cv, c, eps, rows, dim, func(k int) []float32 { return make([]float32, k) })
				for _, s := range sets {
					got := tripletCall(s, a, p, n, cu, cv, c, eps, rows, dim, buf)
					for i, pair := range [][2][]float32{{got.d, want.d}, {got.gA, want.gA}, {got.gP, want.gP}, {got.gN, want.gN}} {
						if msg := tu.DiffMsg(pair[0], pair[1]); msg != "" {
							t.Fatalf("%s dim=%d eps=%g swap=%v %s: %s", s.Name(), dim, eps, swap, [...]string{"SquaredL2RowsEps", "gA", "gP", "gN"}[i], msg)
						}
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
				var gs []*tu.Guarded
				mk := func(n int) []float32 {
					g := tu.NewGuarded(n)
					gs = append(gs, g)
					if atEnd {
						return g.End(n)
					}
					return g.Start(n)
				}
				a, p, n := mk(rows*dim), mk(rows*dim), mk(rows*dim)
				cu, cv, cw := mk(rows), mk(rows), mk(rows)
				tripletCall(s, a, p, n, cu, cv, nil, 1e-6, rows, dim, mk)
				tripletCall(s, a, p, n, cu, cv, cw, 1e-6, rows, dim, mk)
				for _, g := range gs {
					g.Free()
				}
			}
		}
	}
}
