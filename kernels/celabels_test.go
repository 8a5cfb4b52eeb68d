package kernels_test

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// ceLabelsCase is one input of CrossEntropyLabelRows.
type ceLabelsCase struct {
	z, w, sw  []float32
	labels    []int32
	keep, inv float32
	rows      int
	cols      int
}

// newCELabelsCase fills a case: logits of the given kind, labels in
// [0, cols) with about one row in 8 ignored (-100), weights in [0, 2).
func newCELabelsCase(rng *rand.Rand, rows, cols int, kind tu.Kind, buf func(n int) []float32) ceLabelsCase {
	c := ceLabelsCase{z: buf(rows * cols), w: buf(cols), sw: buf(rows), labels: make([]int32, rows), keep: 0.75, inv: 1 / float32(rows+1), rows: rows, cols: cols}
	tu.Fill(rng, c.z, cols, kind)
	for i := range c.w {
		c.w[i] = rng.Float32() * 2
	}
	for i := range c.sw {
		c.sw[i] = rng.Float32() * 2
	}
	for i := range c.labels {
		c.labels[i] = int32(rng.IntN(cols))
		if rng.IntN(8) == 0 {
			c.labels[i] = -100
		}
	}
	return c
}

// run calls s.CrossEntropyLabelRows for variant v (grad<<2 | weights<<1 |
// sample weights) on outputs made by mk, prefilled with a sentinel, and
// returns the rows it did and the outputs.
func (c ceLabelsCase) run(s *kernels.Set, v int, mk func(n int) []float32) (done int, grad, loss []float32) {
	w, sw := c.w, c.sw
	if v&2 == 0 {
		w = nil
	}
	if v&1 == 0 {
		sw = nil
	}
	if v&4 != 0 {
		grad = mk(c.rows * c.cols)
		for i := range grad {
			grad[i] = 7
		}
	}
	loss = mk(c.rows)
	for i := range loss {
		loss[i] = 7
	}
	done = s.CrossEntropyLabelRows(grad, c.z, w, c.labels, sw, c.keep, c.inv, loss, c.cols)
	return done, grad, loss
}

// TestCrossEntropyLabelRowsMatchGeneric compares every set's fused
// hard-label kernel (all 8 variants) with generic.CrossEntropyLabelRows on
// the rows it reports done, checks that it leaves the other rows alone, and
// that the amd64 sets take every whole block of 8 rows up to 16 columns.
func TestCrossEntropyLabelRowsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 4))
	for cols := 1; cols <= 20; cols++ {
		for _, rows := range []int{0, 1, 7, 8, 9, 16, 23, 40} {
			off := (cols + rows) % 8
			buf := func(n int) []float32 { return make([]float32, n+8)[off : off+n] }
			for _, kind := range tu.Kinds {
				c := newCELabelsCase(rng, rows, cols, kind, buf)
				for v := 0; v < 8; v++ {
					for _, s := range allSets() {
						done, grad, loss := c.run(s, v, buf)
						want := 0
						if runtime.GOARCH == "amd64" && s != kernels.Generic && cols <= 16 {
							want = rows &^ 7
						}
						if done != want {
							t.Fatalf("%s cols=%d rows=%d: did %d rows, want %d", s.Name(), cols, rows, done, want)
						}
						wg := make([]float32, rows*cols)
						wl := make([]float32, rows)
						var gw, sww []float32
						if v&2 != 0 {
							gw = c.w
						}
						if v&1 != 0 {
							sww = c.sw
						}
						if grad == nil {
							wg = nil
						}
						generic.CrossEntropyLabelRows(wg, c.z, gw, c.labels, sww, c.keep, c.inv, wl, done, cols)
						// Rows past done keep the sentinel.
						for i := done; i < rows; i++ {
							wl[i] = 7
							for j := range cols {
								if wg != nil {
									wg[i*cols+j] = 7
								}
							}
						}
						if msg := tu.DiffMsg(loss, wl); msg != "" {
							t.Fatalf("%s cols=%d rows=%d kind=%v variant=%03b: loss: %s", s.Name(), cols, rows, kind, v, msg)
						}
						if msg := tu.DiffMsg(grad, wg); msg != "" {
							t.Fatalf("%s cols=%d rows=%d kind=%v variant=%03b: grad: %s", s.Name(), cols, rows, kind, v, msg)
						}
					}
				}
			}
		}
	}
}

// TestCrossEntropyLabelRowsGeneric pins generic.CrossEntropyLabelRows to its
// definition: CrossEntropyRows with a = keep·w_y and scale = s·inv, then the
// label's loss and gradient terms, with ignored rows zeroed.
func TestCrossEntropyLabelRowsGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 6))
	for _, cols := range []int{1, 2, 10, 17, 100} {
		const rows = 13
		c := newCELabelsCase(rng, rows, cols, tu.Adversarial, func(n int) []float32 { return make([]float32, n) })
		for v := 0; v < 8; v++ {
			_, grad, loss := c.run(kernels.Generic, v, func(n int) []float32 { return make([]float32, n) })
			generic.CrossEntropyLabelRows(grad, c.z, pick(v&2 != 0, c.w), c.labels, pick(v&1 != 0, c.sw), c.keep, c.inv, loss, rows, cols)
			a, scale, mx, lsum := make([]float32, rows), make([]float32, rows), make([]float32, rows), make([]float32, rows)
			for i, y := range c.labels {
				a[i], scale[i] = c.keep, c.inv
				if y >= 0 && v&2 != 0 {
					a[i] = c.keep * c.w[y]
				}
				if v&1 != 0 {
					scale[i] = c.sw[i] * c.inv
				}
			}
			var wg []float32
			if grad != nil {
				wg = make([]float32, rows*cols)
			}
			kernels.Generic.CrossEntropyRows(wg, c.z, nil, 0, a, scale, mx, lsum, nil, cols)
			wl := make([]float32, rows)
			for i, y := range c.labels {
				if y < 0 {
					if wg != nil {
						clear(wg[i*cols : (i+1)*cols])
					}
					continue
				}
				wl[i] = a[i] * (lsum[i] - (c.z[i*cols+int(y)] - mx[i]))
				if v&1 != 0 {
					wl[i] *= c.sw[i]
				}
				if wg != nil {
					wg[i*cols+int(y)] -= float32(scale[i] * a[i]) // no fused multiply-add
				}
			}
			if msg := tu.DiffMsg(loss, wl); msg != "" {
				t.Fatalf("cols=%d variant=%03b: loss: %s", cols, v, msg)
			}
			if msg := tu.DiffMsg(grad, wg); msg != "" {
				t.Fatalf("cols=%d variant=%03b: grad: %s", cols, v, msg)
			}
		}
	}
}

func pick(on bool, x []float32) []float32 {
	if on {
		return x
	}
	return nil
}
