package kernels_test

import (
	"math"
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
		// 0.75: eps² is not lost in the sums, so a lane past the end that
		// adds it shows.
		for _, eps := range []float32{0, 1e-6, 0.75} {
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

func TestAxpbyRowsMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(33, 3))
	for dim := 1; dim <= 140; dim++ {
		rows := 3
		off := dim % 8
		buf := func(n int) []float32 { return make([]float32, n+8)[off : off+n] }
		a, b := buf(rows*dim), buf(rows*dim)
		tu.Fill(rng, a, dim, tu.Kind(dim%len(tu.Kinds)))
		tu.Fill(rng, b, dim, tu.Adversarial)
		ca, cb := []float32{0.5, -3, 0}, []float32{2, 0, tu.NegZ}
		want := make([]float32, rows*dim)
		kernels.Generic.AxpbyRows(want, a, b, ca, cb, dim)
		for _, s := range sets {
			got := buf(rows * dim)
			s.AxpbyRows(got, a, b, ca, cb, dim)
			if msg := tu.DiffMsg(got, want); msg != "" {
				t.Fatalf("%s dim=%d: %s", s.Name(), dim, msg)
			}
			inPlace := append([]float32(nil), a...)
			s.AxpbyRows(inPlace, inPlace, b, ca, cb, dim)
			if msg := tu.DiffMsg(inPlace, want); msg != "" {
				t.Fatalf("%s dim=%d in place: %s", s.Name(), dim, msg)
			}
		}
	}
}

func TestFlushSubnormals(t *testing.T) {
	rng := rand.New(rand.NewPCG(34, 4))
	for n := 1; n <= 70; n++ {
		x := make([]float32, n)
		tu.Fill(rng, x, n, tu.Subnormal)
		x[0] = tu.Specials[n%len(tu.Specials)]
		want := append([]float32(nil), x...)
		kernels.Generic.FlushSubnormals(want)
		for i, v := range x {
			small := math.Abs(float64(v)) < 0x1p-126
			if small && (want[i] != 0 || math.Signbit(float64(want[i]))) || !small && !tu.Same(want[i], v) {
				t.Fatalf("generic: %g became %g", v, want[i])
			}
		}
		for _, s := range allSets() {
			y := make([]float32, n+8)[n%8 : n%8+n]
			copy(y, x)
			s.FlushSubnormals(y)
			if msg := tu.DiffMsg(y, want); msg != "" {
				t.Fatalf("%s n=%d: %s", s.Name(), n, msg)
			}
		}
	}
}
