package kernels_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// TestSymmetrize compares every set's a + aᵀ with the plain double loop,
// across the 8×8 block boundaries and on power-of-two widths, with special
// values in the matrix.
func TestSymmetrize(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 8))
	ns := []int{0, 128, 256, 512}
	for n := 1; n <= 41; n++ {
		ns = append(ns, n)
	}
	for _, n := range ns {
		a := make([]float32, n*n+3)[3:] // misaligned
		tu.Fill(rng, a, max(n, 1), tu.Kind(n%len(tu.Kinds)))
		want := make([]float32, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				want[i*n+j] = a[i*n+j] + a[j*n+i]
			}
		}
		for _, s := range allSets() {
			got := append([]float32(nil), a...)
			s.Symmetrize(got, n)
			if msg := tu.DiffMsg(got, want); msg != "" {
				t.Fatalf("%s n=%d: %s", s.Name(), n, msg)
			}
		}
	}
}

// TestMaskedAffineMatchGeneric compares every set with generic, bit for
// bit (the maximum included), for every length 0..300 at offsets 0..7,
// with special values in x and thresholds that split it, in place too.
func TestMaskedAffineMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(82, 8))
	for n := 0; n <= 300; n++ {
		off := n % 8
		x := make([]float32, n+8)[off : off+n]
		tu.Fill(rng, x, max(n, 1), tu.Kind(n%len(tu.Kinds)))
		for k := range x {
			if rng.IntN(9) == 0 {
				x[k] = tu.NegInf // the masked label group
			}
		}
		thr := []float32{0.1, tu.PosInf, tu.NegInf, 0, -1}[n%5]
		eps, beta, base := float32(0.1), float32(40), float32(0.5)
		want := make([]float32, n)
		wm := kernels.Generic.MaskedAffine(want, x, thr, eps, beta, base)
		for _, s := range sets {
			what := fmt.Sprintf("%s n=%d thr=%g", s.Name(), n, thr)
			got := make([]float32, n+8)[off : off+n]
			m := s.MaskedAffine(got, x, thr, eps, beta, base)
			if msg := tu.DiffMsg(got, want); msg != "" || !tu.Same(m, wm) {
				t.Fatalf("%s: max %g, generic %g; %s", what, m, wm, msg)
			}
			in := append([]float32(nil), x...)
			m = s.MaskedAffine(in, in, thr, eps, beta, base)
			if msg := tu.DiffMsg(in, want); msg != "" || !tu.Same(m, wm) {
				t.Fatalf("%s in place: max %g, generic %g; %s", what, m, wm, msg)
			}
		}
	}
}

// TestMaskedAffine pins generic.MaskedAffine's maximum: NaN never wins, a
// zero maximum is +0, an empty or all-NaN x gives -Inf.
func TestMaskedAffine(t *testing.T) {
	for _, c := range []struct {
		x    []float32
		want float32
	}{
		{nil, tu.NegInf},
		{[]float32{tu.NaN, tu.NaN}, tu.NegInf},
		{[]float32{tu.NegZ, tu.NaN}, 0},
		{[]float32{tu.NegInf, 2, tu.NaN, 1}, 2},
	} {
		dst := make([]float32, len(c.x))
		for _, s := range allSets() {
			if m := s.MaskedAffine(dst, c.x, 0, 0, 1, 0); !tu.Same(m, c.want) {
				t.Errorf("%s: max of %v = %g, want %g", s.Name(), c.x, m, c.want)
			}
		}
	}
}

// TestCircleKernelsMatchGeneric compares CircleLogits (also in place) and
// CircleGrads of every set with generic, bit for bit, for every length
// 0..300 at offsets 0..7, with special values (NaN, ±Inf, -0, subnormals)
// in the similarities.
func TestCircleKernelsMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(83, 8))
	for n := 0; n <= 300; n++ {
		off := n % 8
		buf := func() []float32 { return make([]float32, n+8)[off : off+n] }
		s, p := buf(), buf()
		tu.Fill(rng, s, max(n, 1), tu.Kind(n%len(tu.Kinds)))
		tu.Fill(rng, p, max(n, 1), tu.Normal)
		gamma, m := float32(80), []float32{0.25, 0, -0.4}[n%3]
		wl := make([]float32, n)
		kernels.Generic.CircleLogits(wl, s, gamma, m)
		wg := append([]float32(nil), s...)
		kernels.Generic.CircleGrads(wg, p, 0.3, m)
		for _, set := range sets {
			what := fmt.Sprintf("%s n=%d m=%g", set.Name(), n, m)
			l := buf()
			set.CircleLogits(l, s, gamma, m)
			if msg := tu.DiffMsg(l, wl); msg != "" {
				t.Fatalf("%s: CircleLogits: %s", what, msg)
			}
			copy(l, s)
			set.CircleLogits(l, l, gamma, m)
			if msg := tu.DiffMsg(l, wl); msg != "" {
				t.Fatalf("%s: CircleLogits in place: %s", what, msg)
			}
			copy(l, s)
			set.CircleGrads(l, p, 0.3, m)
			if msg := tu.DiffMsg(l, wg); msg != "" {
				t.Fatalf("%s: CircleGrads: %s", what, msg)
			}
		}
	}
}
