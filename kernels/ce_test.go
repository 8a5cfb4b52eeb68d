package kernels_test

import (
	"fmt"
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
		a, scale := []float32{1.5, 0.25, 3}, []float32{0.5, 2, 1e-3}
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

// TestCrossEntropyRowsGuardPages runs the cross-entropy kernels with every
// input and output against PROT_NONE pages.
func TestCrossEntropyRowsGuardPages(t *testing.T) {
	for _, s := range allSets() {
		for _, cols := range []int{1, 3, 8, 9, 17, 31, 32, 33, 70} {
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
				z, q, w, a, scale := mk(rows*cols), mk(rows*cols), mk(cols), mk(rows), mk(rows)
				tu.Fill(rand.New(rand.NewPCG(1, uint64(cols))), z, cols, tu.Normal)
				for i := range w {
					w[i], q[i] = 1, 0.5
				}
				a[0], a[1], scale[0], scale[1] = 1, 1, 1, 1
				for v := 0; v < 8; v++ {
					ceCall(s, false, v&4 != 0, v&2 != 0, v&1 != 0, z, q, w, a, scale, rows, cols, mk)
					ceCall(s, true, v&4 != 0, v&2 != 0, false, z, q, w, a, scale, rows, cols, mk)
				}
				for _, g := range gs {
					g.Free()
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
