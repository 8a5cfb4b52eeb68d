package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// ceOut holds every output of one cross-entropy row-kernel call.
type ceOut struct{ grad, mx, lsum, zw, mass []float32 }

func (o ceOut) diff(p ceOut) string {
	for i, pair := range [][2][]float32{{o.grad, p.grad}, {o.mx, p.mx}, {o.lsum, p.lsum}, {o.zw, p.zw}, {o.mass, p.mass}} {
		if msg := tu.DiffMsg(pair[0], pair[1]); msg != "" {
			return [...]string{"grad", "mx", "lsum", "zw/zc", "mass"}[i] + ": " + msg
		}
	}
	return ""
}

// ceCall runs one hard (soft == false) or soft row-kernel variant.
func ceCall(s *kernels.Set, soft, grad, weights, smooth bool, z, q, w, a, scale []float32, rows, cols int, mk func(n int) []float32) ceOut {
	var o ceOut
	if grad {
		o.grad = mk(rows * cols)
	}
	o.mx, o.lsum = mk(rows), mk(rows)
	if !weights {
		w = nil
	}
	if soft {
		o.zw, o.mass = mk(rows), mk(rows)
		s.CrossEntropySoftRows(o.grad, z, q, w, scale, o.mx, o.lsum, o.mass, o.zw, 0.9, 0.1/float32(cols), cols)
		return o
	}
	if smooth {
		o.zw = mk(rows)
	}
	s.CrossEntropyRows(o.grad, z, w, 0.05, a, scale, o.mx, o.lsum, o.zw, cols)
	return o
}

// TestCrossEntropyRowsMatchGeneric compares every SIMD set's cross-entropy
// row kernels (all variants) with generic, for every row length 1..130 and
// a sample beyond, misaligned, with adversarial logits.
func TestCrossEntropyRowsMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(12, 1))
	lens := []int{}
	for c := 1; c <= 130; c++ {
		lens = append(lens, c)
	}
	lens = append(lens, 255, 256, 257, 1000, 4099)
	if testing.Short() {
		lens = []int{1, 7, 8, 9, 31, 32, 33, 63, 64, 100, 257}
	}
	for _, cols := range lens {
		rows := 3
		if cols <= 32 {
			rows = 19 // the AVX2 short-row path takes blocks of 8 rows
		}
		off := cols % 8
		buf := func(n int) []float32 { return make([]float32, n+8)[off : off+n] }
		z, q, w := buf(rows*cols), buf(rows*cols), buf(cols)
		tu.Fill(rng, z, cols, tu.Kind(cols%len(tu.Kinds)))
		for i := range q {
			q[i] = rng.Float32()
		}
		for i := range w {
			w[i] = rng.Float32() * 2
		}
		a, scale := make([]float32, rows), make([]float32, rows)
		for i := range a {
			a[i], scale[i] = float32(i%3)+0.25, 1/float32(i+1)
		}
		for _, soft := range []bool{false, true} {
			for v := 0; v < 8; v++ {
				grad, weights, smooth := v&4 != 0, v&2 != 0, v&1 != 0
				if soft && smooth {
					continue
				}
				want := ceCall(kernels.Generic, soft, grad, weights, smooth, z, q, w, a, scale, rows, cols, func(n int) []float32 { return make([]float32, n) })
				for _, s := range sets {
					got := ceCall(s, soft, grad, weights, smooth, z, q, w, a, scale, rows, cols, buf)
					if msg := got.diff(want); msg != "" {
						t.Fatalf("%s cols=%d soft=%v grad=%v weights=%v smooth=%v: %s", s.Name(), cols, soft, grad, weights, smooth, msg)
					}
				}
			}
		}
	}
}

func ExampleSet_CrossEntropyRows() {
	z := []float32{2, 0, 0, 0, 0, 0} // two rows of three logits
	mx, lsum := make([]float32, 2), make([]float32, 2)
	kernels.Best().CrossEntropyRows(nil, z, nil, 0, nil, nil, mx, lsum, nil, 3)
	// -log softmax(z_0)[0] = lsum - (z_00 - mx)
	fmt.Printf("%.4f %.4f\n", lsum[0]-(z[0]-mx[0]), lsum[1]-(z[3]-mx[1]))
	// Output: 0.2395 1.0986
}

// TestCrossEntropyRowsInPlace runs the hard-label kernels with grad == z and
// compares with the generic kernel writing to a separate gradient.
func TestCrossEntropyRowsInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	for _, cols := range []int{1, 5, 8, 10, 16, 17, 33, 64, 100, 257} {
		rows := 19
		z, w := make([]float32, rows*cols), make([]float32, cols)
		tu.Fill(rng, z, cols, tu.Adversarial)
		for i := range w {
			w[i] = rng.Float32() * 2
		}
		a, scale := make([]float32, rows), make([]float32, rows)
		for i := range a {
			a[i], scale[i] = float32(i%4)+0.5, 1/float32(i+2)
		}
		for v := 0; v < 4; v++ {
			weights, smooth := v&2 != 0, v&1 != 0
			ww := w
			if !weights {
				ww = nil
			}
			mk := func() (mx, lsum, zw []float32) {
				mx, lsum = make([]float32, rows), make([]float32, rows)
				if smooth {
					zw = make([]float32, rows)
				}
				return
			}
			wantG := make([]float32, rows*cols)
			wmx, wl, wzw := mk()
			kernels.Generic.CrossEntropyRows(wantG, z, ww, 0.05, a, scale, wmx, wl, wzw, cols)
			for _, s := range allSets() {
				g := append([]float32(nil), z...)
				mx, l, zw := mk()
				s.CrossEntropyRows(g, g, ww, 0.05, a, scale, mx, l, zw, cols)
				for i, pair := range [][2][]float32{{g, wantG}, {mx, wmx}, {l, wl}, {zw, wzw}} {
					if msg := tu.DiffMsg(pair[0], pair[1]); msg != "" {
						t.Fatalf("%s cols=%d weights=%v smooth=%v in place: %s: %s", s.Name(), cols, weights, smooth, [...]string{"grad", "mx", "lsum", "zw"}[i], msg)
					}
				}
			}
		}
	}
}

// TestCrossEntropyNegativeZeroSums pins the padding of the signed sums zw
// and zc: every term is a negative product that underflows to -0, and the
// max's term (z - max = +0, at the end of the row so that its partial is
// already -0) is -0·(+0), so from 33 columns on the generic sums are -0,
// which padding lanes adding +0 would flip.
func TestCrossEntropyNegativeZeroSums(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	for _, set := range kernels.Sets() {
		if !set.Supported() {
			continue
		}
		for cols := 1; cols <= 100; cols++ {
			z, wh, ws, q := make([]float32, cols), make([]float32, cols), make([]float32, cols), make([]float32, cols)
			for i := range z {
				z[i], wh[i], ws[i], q[i] = -0x1p-100, 0x1p-100, 1, 0x1p-100
			}
			z[cols-1], wh[cols-1], ws[cols-1] = 0, negZero, negZero
			out := func(s *kernels.Set) [2]float32 {
				mx, ls, zw := make([]float32, 1), make([]float32, 1), make([]float32, 1)
				s.CrossEntropyRows(nil, z, wh, 0, nil, nil, mx, ls, zw, cols)
				mass, zc := make([]float32, 1), make([]float32, 1)
				s.CrossEntropySoftRows(nil, z, q, ws, nil, mx, ls, mass, zc, 1, 0, cols)
				return [2]float32{zw[0], zc[0]}
			}
			want, got := out(kernels.Generic), out(set)
			if cols >= 33 && (math.Float32bits(want[0]) != 0x80000000 || math.Float32bits(want[1]) != 0x80000000) {
				t.Fatalf("cols=%d: generic zw, zc = %g, %g, want -0 (test premise)", cols, want[0], want[1])
			}
			for k, name := range []string{"zw", "zc"} {
				if !tu.Same(got[k], want[k]) {
					t.Fatalf("%s cols=%d: %s = %g (%#08x), generic %g", set.Name(), cols, name, got[k], math.Float32bits(got[k]), want[k])
				}
			}
		}
	}
}
