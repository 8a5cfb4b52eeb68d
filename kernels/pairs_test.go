package kernels_test

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/simdloss/simdloss/generic"
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

// TestRowsIdxMatchGeneric compares SquaredL2RowsIdx and AxpbyRowsIdx (also
// in place) of every set with generic and with their gathered-copy
// equivalents (SquaredL2Rows, AxpbyRows on the copied rows), bit for bit,
// for dims 1..70 at offsets 0..7 with repeated indices and special values.
func TestRowsIdxMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(84, 8))
	for dim := 1; dim <= 70; dim++ {
		rows, nb := 1+dim%13, 1+dim%5
		off := dim % 8
		buf := func(n int) []float32 { return make([]float32, n+8)[off : off+n] }
		a, b := buf(rows*dim), buf(nb*dim)
		tu.Fill(rng, a, dim, tu.Kind(dim%len(tu.Kinds)))
		tu.Fill(rng, b, dim, tu.Normal)
		idx := make([]int32, rows)
		g := make([]float32, rows*dim)
		for i := range idx {
			idx[i] = int32(rng.IntN(nb))
			copy(g[i*dim:(i+1)*dim], b[int(idx[i])*dim:])
		}
		ca, cb := make([]float32, rows), make([]float32, rows)
		for i := range ca {
			ca[i], cb[i] = float32(rng.NormFloat64()), -float32(rng.NormFloat64())
		}
		wd, wa := make([]float32, rows), make([]float32, rows*dim)
		kernels.Generic.SquaredL2Rows(wd, a, g, dim)
		kernels.Generic.AxpbyRows(wa, a, g, ca, cb, dim)
		for _, s := range allSets() {
			what := fmt.Sprintf("%s dim=%d rows=%d", s.Name(), dim, rows)
			d := buf(rows)
			s.SquaredL2RowsIdx(d, a, b, idx, dim)
			if msg := tu.DiffMsg(d, wd); msg != "" {
				t.Fatalf("%s: SquaredL2RowsIdx: %s", what, msg)
			}
			x := buf(rows * dim)
			s.AxpbyRowsIdx(x, a, b, ca, cb, idx, dim)
			if msg := tu.DiffMsg(x, wa); msg != "" {
				t.Fatalf("%s: AxpbyRowsIdx: %s", what, msg)
			}
			copy(x, a)
			s.AxpbyRowsIdx(x, x, b, ca, cb, idx, dim)
			if msg := tu.DiffMsg(x, wa); msg != "" {
				t.Fatalf("%s: AxpbyRowsIdx in place: %s", what, msg)
			}
		}
	}
}

// TestRowsIdxPanics: an index outside b's rows, or dst overlapping b,
// panics with a simdloss: message naming it, before anything is written.
func TestRowsIdxPanics(t *testing.T) {
	a, b, d := make([]float32, 8), make([]float32, 8), tu.Filled(2)
	for _, idx := range [][]int32{{0, 2}, {-1, 0}} {
		for _, s := range allSets() {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "simdloss: SquaredL2RowsIdx: idx[") {
						t.Errorf("%s %v: recovered %v", s.Name(), idx, r)
					}
				}()
				s.SquaredL2RowsIdx(d, a, b, idx, 4)
			}()
			if !tu.Untouched(d) {
				t.Errorf("%s %v: dst written before the panic", s.Name(), idx)
			}
		}
	}
	for _, s := range allSets() {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "dst and b overlap") {
					t.Errorf("%s: dst inside b: recovered %v", s.Name(), r)
				}
			}()
			s.SquaredL2RowsIdx(b[6:8], a, b, []int32{0, 1}, 4)
		}()
	}
}

// TestPairUpdatesMatchGeneric compares PairUpdates of every set with
// generic, bit for bit, for dims 1..70 at offsets 0..7, with rows repeated
// across pairs, a pair of a row with itself, zero and special coefficients,
// and special values in the rows; and pins generic to a float64-free
// restatement on one case.
func TestPairUpdatesMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(85, 9))
	for dim := 1; dim <= 70; dim++ {
		rows, pairs := 2+dim%7, 1+dim%19
		off := dim % 8
		buf := func(n int) []float32 { return make([]float32, n+8)[off : off+n] }
		emb, g0 := buf(rows*dim), buf(rows*dim)
		tu.Fill(rng, emb, dim, tu.Kind(dim%len(tu.Kinds)))
		tu.Fill(rng, g0, dim, tu.Normal)
		pi, pj, k := make([]int32, pairs), make([]int32, pairs), make([]float32, pairs)
		for p := range k {
			pi[p], pj[p] = int32(rng.IntN(rows)), int32(rng.IntN(rows))
			k[p] = float32(rng.NormFloat64())
		}
		// a row with itself on -0 gradients: u = +0 (or NaN), and a kernel
		// must turn -0 into +0 as (-0 + +0) - +0 does (either order of the
		// two updates gives +0: with u = ±0 or NaN the order shows in no
		// result, so it is free)
		pj[0], k[0] = pi[0], 1
		for e := 0; e < dim; e++ {
			g0[int(pi[0])*dim+e] = float32(math.Copysign(0, -1))
		}
		if pairs > 2 {
			k[1] = 0
			k[2] = float32(math.Inf(-1))
		}
		want := buf(rows * dim)
		copy(want, g0)
		kernels.Generic.PairUpdates(want, emb, pi, pj, k, dim)
		for _, s := range allSets() {
			got := buf(rows * dim)
			copy(got, g0)
			s.PairUpdates(got, emb, pi, pj, k, dim)
			if msg := tu.DiffMsg(got, want); msg != "" {
				t.Fatalf("%s dim=%d rows=%d pairs=%d: %s", s.Name(), dim, rows, pairs, msg)
			}
		}
	}
	// generic, restated on one case
	emb := []float32{1, 2, 4, 8, -1, 0.5}
	g := []float32{0, 0, 0, 0, 1, 1}
	generic.PairUpdates(g, emb, []int32{0, 2, 1}, []int32{1, 0, 1}, []float32{0.5, 3, 2}, 2)
	// pair 0: u = 0.5·((1,2)-(4,8)) = (-1.5,-3): g0 = (-1.5,-3), g1 = (1.5,3)
	// pair 1: u = 3·((-1,0.5)-(1,2)) = (-6,-4.5): g2 = (1-6, 1-4.5), g0 = (-1.5+6, -3+4.5)
	// pair 2: a row with itself: u = 0, g1 unchanged
	if want := []float32{4.5, 1.5, 1.5, 3, -5, -3.5}; tu.DiffMsg(g, want) != "" {
		t.Fatalf("generic.PairUpdates: got %v, want %v", g, want)
	}
}

// TestPairUpdatesPanics: a pair outside the rows, short index slices, or
// grad overlapping emb panic with a simdloss: message, before anything is
// written.
func TestPairUpdatesPanics(t *testing.T) {
	emb, g := make([]float32, 8), tu.Filled(8)
	for _, c := range []struct {
		name   string
		g      []float32
		pi, pj []int32
		want   string
	}{
		{"row 2 of 2", g, []int32{0}, []int32{2}, "pair 0 = (0, 2) is not a pair of rows"},
		{"row -1", g, []int32{-1}, []int32{0}, "pair 0 = (-1, 0)"},
		{"short pj", g, []int32{0}, nil, "len(pi) = 1, len(pj) = 0"},
		{"short grad", g[:7], []int32{0}, []int32{1}, "grad"},
		{"grad is emb", emb, []int32{0}, []int32{1}, "overlap"},
	} {
		for _, s := range allSets() {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "simdloss: PairUpdates: ") || !strings.Contains(fmt.Sprint(r), c.want) {
						t.Errorf("%s %s: recovered %v", s.Name(), c.name, r)
					}
				}()
				s.PairUpdates(c.g, emb, c.pi, c.pj, []float32{1}, 4)
			}()
			if !tu.Untouched(g) {
				t.Errorf("%s %s: grad written before the panic", s.Name(), c.name)
			}
		}
	}
}

// TestAxpbyRowsShortDst: a dst shorter than rows×dim panics with a
// simdloss: message that gives len(dst) itself, before anything is written.
func TestAxpbyRowsShortDst(t *testing.T) {
	a, b, c := make([]float32, 8), make([]float32, 8), make([]float32, 2)
	for _, s := range allSets() {
		d := tu.Filled(5)
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "simdloss: AxpbyRows: len(dst) = 5") {
					t.Errorf("%s: recovered %v", s.Name(), r)
				}
			}()
			s.AxpbyRows(d, a, b, c, c, 4)
		}()
		if !tu.Untouched(d) {
			t.Errorf("%s: dst written before the panic", s.Name())
		}
	}
}

// TestHugeShapesPanic: shapes whose element counts overflow int (a row or
// column count from one argument times one from another) panic with a
// simdloss: message on every set, instead of reaching the assembly with a
// product that wrapped around to a length the slices pass.
func TestHugeShapesPanic(t *testing.T) {
	const huge = 1 << (bits.UintSize - 2) // 4 × huge wraps around to 0
	z, loss := make([]float32, 16), make([]float32, 4)
	labels := []int32{0, 1, 2, 3}
	for _, s := range allSets() {
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"CrossEntropyLabelRows z", func() { s.CrossEntropyLabelRows(nil, z, nil, labels, nil, 1, 1, loss, huge) }},
			{"CrossEntropyLabelRows grad", func() { s.CrossEntropyLabelRows(make([]float32, 0), z[:4], nil, labels[:1], nil, 1, 1, loss, 4) }},
			{"Symmetrize", func() { s.Symmetrize(z, 1<<(bits.UintSize/2)) }}, // n × n wraps around to 0
			{"SquaredL2RowsIdx", func() { s.SquaredL2RowsIdx(loss, z, z, []int32{0, 0, 0, 0}, huge) }},
			{"AxpbyRowsIdx", func() { s.AxpbyRowsIdx(z, z, z, loss, loss, []int32{0, 0, 0, 0}, huge) }},
		} {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "simdloss: ") {
						t.Errorf("%s %s: recovered %v, want a simdloss: panic", s.Name(), c.name, r)
					}
				}()
				c.f()
			}()
		}
	}
}

// TestRowKernelOverlapPanics: an output of a row kernel overlapping one of
// its per-row or per-column arrays, or another output, panics with a
// simdloss: message on every set (the amd64 kernels read ahead, so such
// aliasing would not even change the results as it changes generic's).
func TestRowKernelOverlapPanics(t *testing.T) {
	const rows, cols = 3, 8
	buf := make([]float32, 256)
	z := func() []float32 { return make([]float32, rows*cols) }
	r := func() []float32 { return make([]float32, rows) }
	labels := []int32{0, 1, 2}
	for _, s := range allSets() {
		for _, c := range []struct {
			name, want string
			f          func()
		}{
			{"CE mx in z", "mx and z", func() { x := z(); s.CrossEntropyRows(nil, x, nil, 0, nil, nil, x[8:11], r(), nil, cols) }},
			{"CE lsum in mx", "mx and lsum", func() { s.CrossEntropyRows(nil, z(), nil, 0, nil, nil, buf[:3], buf[2:5], nil, cols) }},
			{"CE zw in grad", "grad and zw", func() { g := z(); s.CrossEntropyRows(g, z(), nil, 0, r(), r(), r(), r(), g[4:7], cols) }},
			{"CE scale in grad", "grad and scale", func() { g := z(); s.CrossEntropyRows(g, z(), nil, 0, r(), g[20:23], r(), r(), nil, cols) }},
			{"CE w in grad", "grad and w", func() { g := z(); s.CrossEntropyRows(g, z(), g[:cols], 1, r(), r(), r(), r(), nil, cols) }},
			{"soft mass in q", "mass and q", func() { q := z(); s.CrossEntropySoftRows(nil, z(), q, nil, nil, r(), r(), q[1:4], r(), 1, 0, cols) }},
			{"soft grad is z", "grad and z", func() { x := z(); s.CrossEntropySoftRows(x, x, z(), nil, r(), r(), r(), r(), r(), 1, 0, cols) }},
			{"labels loss in w", "loss and w", func() {
				w := make([]float32, cols)
				s.CrossEntropyLabelRows(nil, z(), w, labels, nil, 1, 1, w[2:5], cols)
			}},
			{"labels grad in sw", "grad and sw", func() { g := z(); s.CrossEntropyLabelRows(g, z(), nil, labels, g[5:8], 1, 1, r(), cols) }},
			{"axpby ca in dst", "dst and ca", func() { d := z(); s.AxpbyRows(d, z(), z(), d[:rows], r(), cols) }},
			{"axpby idx cb in dst", "dst and cb", func() { d := z(); s.AxpbyRowsIdx(d, z(), z(), r(), d[3:6], labels, cols) }},
			{"triplet cu in gA", "gA and cu", func() { g := z(); s.TripletGradRows(g, z(), z(), z(), z(), z(), g[:rows], r(), nil, 0, cols) }},
			{"label weights cols < 0", "cols = -1", func() { s.LabelWeights(labels, nil, nil, -1, -100) }},
		} {
			func() {
				defer func() {
					if m := fmt.Sprint(recover()); !strings.HasPrefix(m, "simdloss: ") || !strings.Contains(m, c.want) {
						t.Errorf("%s %s: recovered %q, want a simdloss: panic naming %q", s.Name(), c.name, m, c.want)
					}
				}()
				c.f()
			}()
		}
	}
}
