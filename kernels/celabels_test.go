package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
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
func (c ceLabelsCase) run(s *kernels.Set, v int, mk func(n int) []float32) (done int, grad, loss []float32, sum [generic.Sum64Lanes]float64) {
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
	done, sum = s.CrossEntropyLabelRows(grad, c.z, w, c.labels, sw, c.keep, c.inv, loss, c.cols)
	return done, grad, loss, sum
}

// ceLabelSets is allSets with each amd64 set twice, its short-row path
// finding z_y once by compares and once by a gather (kernels.GatherSets,
// which covers every supported amd64 set; elsewhere it is empty).
func ceLabelSets() []*kernels.Set {
	if g := kernels.GatherSets(); len(g) > 0 {
		return append([]*kernels.Set{kernels.Generic}, g...)
	}
	return allSets()
}

// TestCrossEntropyLabelRowsMatchGeneric compares every set's fused
// hard-label kernel (all 8 variants) with generic.CrossEntropyLabelRows on
// the rows it reports done, checks that it leaves the other rows alone, and
// that the amd64 sets take every row.
func TestCrossEntropyLabelRowsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 4))
	colsList := []int{31, 32, 33, 47, 64, 100, 129, 257}
	for cols := 1; cols <= 20; cols++ {
		colsList = append(colsList, cols)
	}
	for _, cols := range colsList {
		rowsList := []int{0, 1, 7, 8, 9, 16, 23, 40}
		if cols <= 16 {
			// the AVX2 short-row path computes its losses 8 blocks (64 rows)
			// at a time: a full ring, then one and then the part left
			rowsList = append(rowsList, 64, 71, 136)
		}
		for _, rows := range rowsList {
			off := (cols + rows) % 8
			buf := func(n int) []float32 { return make([]float32, n+8)[off : off+n] }
			for _, kind := range tu.Kinds {
				c := newCELabelsCase(rng, rows, cols, kind, buf)
				for v := 0; v < 8; v++ {
					for _, s := range ceLabelSets() {
						done, grad, loss, sum := c.run(s, v, buf)
						want := 0
						if runtime.GOARCH == "amd64" && s != kernels.Generic {
							want = rows
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
						var wantSum [generic.Sum64Lanes]float64
						generic.Sum64Partials(wl[:done], 0, &wantSum)
						for k := range sum {
							if math.Float64bits(sum[k]) != math.Float64bits(wantSum[k]) && !(sum[k] != sum[k] && wantSum[k] != wantSum[k]) { // NaNs: any payload (see tu.Same)
								t.Fatalf("%s cols=%d rows=%d kind=%v variant=%03b: loss partial sum %d = %v, want %v", s.Name(), cols, rows, kind, v, k, sum[k], wantSum[k])
							}
						}
					}
				}
			}
		}
	}
}

// TestCrossEntropyLabelRowsChunks runs the fused kernel on rows wide enough
// that the amd64 sets split the call into chunks of 8 rows (labelsChunk),
// the partial sums carried across them, against generic.
func TestCrossEntropyLabelRowsChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 6))
	for _, sh := range [][2]int{{19, 20000}, {9, 70001}} {
		rows, cols := sh[0], sh[1]
		buf := func(n int) []float32 { return make([]float32, n) }
		c := newCELabelsCase(rng, rows, cols, tu.Normal, buf)
		for v := 0; v < 8; v++ {
			var gw, sww []float32
			if v&2 != 0 {
				gw = c.w
			}
			if v&1 != 0 {
				sww = c.sw
			}
			wl := make([]float32, rows)
			var wg []float32
			if v&4 != 0 {
				wg = make([]float32, rows*cols)
			}
			generic.CrossEntropyLabelRows(wg, c.z, gw, c.labels, sww, c.keep, c.inv, wl, rows, cols)
			var wantSum [generic.Sum64Lanes]float64
			generic.Sum64Partials(wl, 0, &wantSum)
			for _, s := range allSets() {
				done, grad, loss, sum := c.run(s, v, buf)
				want := 0
				if runtime.GOARCH == "amd64" && s != kernels.Generic {
					want = rows // the amd64 sets' fused kernels take every row
				}
				if done != want {
					t.Fatalf("%s %dx%d variant=%03b: did %d rows, want %d", s.Name(), rows, cols, v, done, want)
				}
				if done == 0 {
					continue // no fused kernel (generic, neon): the caller's path
				}
				if msg := tu.DiffMsg(loss, wl); msg != "" {
					t.Fatalf("%s %dx%d variant=%03b: loss: %s", s.Name(), rows, cols, v, msg)
				}
				if msg := tu.DiffMsg(grad, wg); msg != "" {
					t.Fatalf("%s %dx%d variant=%03b: grad: %s", s.Name(), rows, cols, v, msg)
				}
				if sum != wantSum {
					t.Fatalf("%s %dx%d variant=%03b: partial sums %v, want %v", s.Name(), rows, cols, v, sum, wantSum)
				}
			}
		}
	}
}

// TestCrossEntropyLabelRowsGeneric pins generic.CrossEntropyLabelRows to its
// definition: CrossEntropyRows with a = c = (s·inv)·(keep·w_y) and scale =
// 1, then the label's loss term (wy·(L - (z_y - m)), times s) and gradient
// term (-c), with ignored rows zeroed.
func TestCrossEntropyLabelRowsGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 6))
	for _, cols := range []int{1, 2, 10, 17, 100} {
		const rows = 13
		c := newCELabelsCase(rng, rows, cols, tu.Adversarial, func(n int) []float32 { return make([]float32, n) })
		for v := 0; v < 8; v++ {
			_, grad, loss, _ := c.run(kernels.Generic, v, func(n int) []float32 { return make([]float32, n) })
			generic.CrossEntropyLabelRows(grad, c.z, pick(v&2 != 0, c.w), c.labels, pick(v&1 != 0, c.sw), c.keep, c.inv, loss, rows, cols)
			wy, cw, ones, mx, lsum := make([]float32, rows), make([]float32, rows), make([]float32, rows), make([]float32, rows), make([]float32, rows)
			for i, y := range c.labels {
				wy[i] = c.keep
				if y >= 0 && v&2 != 0 {
					wy[i] = c.keep * c.w[y]
				}
				sv := c.inv
				if v&1 != 0 {
					sv = c.sw[i] * c.inv
				}
				cw[i], ones[i] = sv*wy[i], 1
			}
			var wg []float32
			if grad != nil {
				wg = make([]float32, rows*cols)
			}
			kernels.Generic.CrossEntropyRows(wg, c.z, nil, 0, cw, ones, mx, lsum, nil, cols)
			wl := make([]float32, rows)
			for i, y := range c.labels {
				if y < 0 {
					if wg != nil {
						clear(wg[i*cols : (i+1)*cols])
					}
					continue
				}
				wl[i] = wy[i] * (lsum[i] - (c.z[i*cols+int(y)] - mx[i]))
				if v&1 != 0 {
					wl[i] *= c.sw[i]
				}
				if wg != nil {
					wg[i*cols+int(y)] -= cw[i]
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

// TestLabelWeightsMatchGeneric compares every set's LabelWeights with
// generic's: labels in range, ignored (-100) and out of range (at every
// position of a block and in the tail), with and without class and sample
// weights whose magnitudes span 2^±30, so that the float64 sum rounds and
// its order shows in the bits.
func TestLabelWeightsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(34, 7))
	wide := func() float32 { return float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(61)-30)) }
	for _, cols := range []int{1, 2, 7, 8, 9, 16, 17, 100} {
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 40, 67} {
			off := (cols + n) % 8
			labels := make([]int32, n+8)[off : off+n]
			w, s := make([]float32, cols+8)[off:off+cols], make([]float32, n+8)[off:off+n]
			for i := range w {
				w[i] = wide()
			}
			for i := range s {
				s[i] = wide()
			}
			for trial := 0; trial < 6; trial++ {
				for i := range labels {
					labels[i] = int32(rng.IntN(cols))
					if trial%2 == 1 && rng.IntN(5) == 0 {
						labels[i] = -100
					}
				}
				if trial >= 2 && n > 0 { // one bad label: too large, negative, or -100 with ignore off
					labels[rng.IntN(n)] = [...]int32{int32(cols), -1, -100, math.MaxInt32}[trial-2]
				}
				for v := 0; v < 4; v++ {
					ww, ss := pick(v&2 != 0, w), pick(v&1 != 0, s)
					for _, ignore := range []int32{-100, 0} {
						wantSum, wantBad, wantIg := generic.LabelWeights(labels, ww, ss, cols, ignore)
						for _, set := range allSets() {
							sum, bad, ig := set.LabelWeights(labels, ww, ss, cols, ignore)
							if bad != wantBad || ig != wantIg || (bad < 0 && math.Float64bits(sum) != math.Float64bits(wantSum)) {
								t.Fatalf("%s cols=%d n=%d trial=%d variant=%02b ignore=%d: got (%v, %d, %v), generic (%v, %d, %v)",
									set.Name(), cols, n, trial, v, ignore, sum, bad, ig, wantSum, wantBad, wantIg)
							}
						}
					}
				}
			}
		}
	}
}

// TestLabelWeightsGeneric pins generic.LabelWeights to its definition on a
// small case: the kept rows' w·s, added into partial i mod 8, folded.
func TestLabelWeightsGeneric(t *testing.T) {
	labels := []int32{0, 2, -100, 1, 1, 0, 2, 2, 1, -100, 0}
	w := []float32{0.5, 3, 0x1p40}
	s := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	var p [8]float64
	for i, y := range labels {
		if y >= 0 {
			p[i%8] += float64(w[y]) * float64(s[i])
		}
	}
	want := ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]))
	sum, bad, ig := generic.LabelWeights(labels, w, s, 3, -100)
	if sum != want || bad != -1 || !ig {
		t.Fatalf("got (%v, %d, %v), want (%v, -1, true)", sum, bad, ig, want)
	}
	if _, bad, _ := generic.LabelWeights(labels, w, s, 3, 0); bad != 2 {
		t.Fatalf("ignore off: bad = %d, want 2 (the first -100)", bad)
	}
	// Long runs of labels in range (generic's 8-row loop), with weights
	// whose magnitudes make the order of the additions show in the bits.
	rng := rand.New(rand.NewPCG(35, 8))
	for _, cols := range []int{3, 17, 100} {
		w := make([]float32, cols)
		for i := range w {
			w[i] = float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(61)-30))
		}
		for _, n := range []int{8, 37, 64, 101} {
			labels := make([]int32, n)
			for i := range labels {
				labels[i] = int32(rng.IntN(cols))
			}
			if n > 40 {
				labels[n-5] = -100
			}
			var p [8]float64
			for i, y := range labels {
				if y >= 0 {
					p[i%8] += float64(w[y])
				}
			}
			want := ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]))
			if sum, bad, _ := generic.LabelWeights(labels, w, nil, cols, -100); sum != want || bad != -1 {
				t.Fatalf("cols=%d n=%d: got (%v, %d), want (%v, -1)", cols, n, sum, bad, want)
			}
		}
	}
}

func TestCrossEntropyLabelRowsPanics(t *testing.T) {
	mk := func(n int) []float32 { return make([]float32, n) }
	shared := mk(200)
	labels := make([]int32, 8)
	for _, c := range []struct {
		name            string
		g, z, w, sw, ls []float32
		cols            int
	}{
		{"cols 0", nil, mk(80), nil, nil, mk(8), 0},
		{"short z", nil, mk(79), nil, nil, mk(8), 10},
		{"short loss", nil, mk(80), nil, nil, mk(7), 10},
		{"short w", nil, mk(80), mk(9), nil, mk(8), 10},
		{"short sw", nil, mk(80), nil, mk(7), mk(8), 10},
		{"short grad", mk(79), mk(80), nil, nil, mk(8), 10},
		{"grad overlaps z", shared[:80], shared[40:120], nil, nil, mk(8), 10},
		{"loss overlaps z", nil, shared[:80], nil, nil, shared[70:78], 10},
		{"loss overlaps grad", shared[:80], mk(80), nil, nil, shared[79:87], 10},
	} {
		for _, s := range allSets() {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "simdloss: CrossEntropyLabelRows") {
						t.Errorf("%s %s: recovered %v, want a simdloss: panic", s.Name(), c.name, r)
					}
				}()
				s.CrossEntropyLabelRows(c.g, c.z, c.w, labels, c.sw, 1, 1, c.ls, c.cols)
			}()
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "simdloss: LabelWeights") {
						t.Errorf("%s LabelWeights, short w and sw: recovered %v, want a simdloss: panic", s.Name(), r)
					}
				}()
				s.LabelWeights(labels, mk(9), mk(7), 10, -100)
			}()
		}
	}
}
