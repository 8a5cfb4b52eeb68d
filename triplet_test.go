package simdloss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// refTriplet is a float64 reference of the triplet loss written from the
// definitions; it returns the reduced loss, per-row losses and the gradients.
func refTriplet(t *Triplet, a, p, n []float64, dim int) (float64, []float64, [3][]float64) {
	rows := len(a) / dim
	eps := 0.0
	if t.Distance == Euclidean {
		eps = float64(t.Eps)
	}
	dist := func(x, y []float64) (float64, []float64) { // d and ∂d/∂x
		s := 0.0
		for k := range x {
			u := x[k] - y[k] + eps
			s += u * u
		}
		g := make([]float64, len(x))
		d := s
		if t.Distance == Euclidean {
			d = math.Sqrt(s)
		}
		for k := range x {
			u := x[k] - y[k] + eps
			switch {
			case t.Distance == SquaredEuclidean:
				g[k] = 2 * u
			case d > 0:
				g[k] = u / d
			}
		}
		return d, g
	}
	per := make([]float64, rows)
	var grads [3][]float64
	for i := range grads {
		grads[i] = make([]float64, len(a))
	}
	scale := 1.0
	if t.Reduction == Mean {
		scale = 1 / float64(rows)
	}
	for i := 0; i < rows; i++ {
		ai, pi, ni := a[i*dim:(i+1)*dim], p[i*dim:(i+1)*dim], n[i*dim:(i+1)*dim]
		dap, gap := dist(ai, pi)
		dan, gan := dist(ai, ni)
		useSwap := false
		var gpn []float64
		dneg := dan
		if t.Swap {
			var dpn float64
			dpn, gpn = dist(pi, ni)
			if float32(dpn) < float32(dan) {
				dneg, useSwap = dpn, true
			}
		}
		x := dap - dneg + float64(t.Margin)
		var g float64
		if t.SoftMargin {
			per[i] = math.Log1p(math.Exp(x))
			g = 1 / (1 + math.Exp(-x))
		} else if x >= 0 {
			per[i], g = x, 1
		}
		g *= scale
		for k := 0; k < dim; k++ {
			o := i*dim + k
			grads[0][o] += g * gap[k] // ∂d(a,p)/∂a
			grads[1][o] -= g * gap[k] // ∂d(a,p)/∂p = -∂/∂a
			if useSwap {
				grads[1][o] -= g * gpn[k] // -∂d(p,n)/∂p
				grads[2][o] += g * gpn[k] // -∂d(p,n)/∂n
			} else {
				grads[0][o] -= g * gan[k]
				grads[2][o] += g * gan[k]
			}
		}
	}
	total := 0.0
	for _, v := range per {
		total += v
	}
	if t.Reduction == Mean {
		total /= float64(rows)
	}
	return total, per, grads
}

func tripletCases() []Triplet {
	var ts []Triplet
	for _, d := range []Distance{SquaredEuclidean, Euclidean} {
		for _, swap := range []bool{false, true} {
			for _, soft := range []bool{false, true} {
				for _, red := range []Reduction{Mean, Sum, None} {
					ts = append(ts, Triplet{Margin: 0.5, Distance: d, Eps: 1e-6, Swap: swap, SoftMargin: soft, Reduction: red})
				}
			}
		}
	}
	return ts
}

func tripletName(t Triplet) string {
	return fmt.Sprintf("%s/swap=%v/soft=%v/%s", t.Distance, t.Swap, t.SoftMargin, t.Reduction)
}

func tripletInputs(rng *rand.Rand, rows, dim int) (a, p, n []float32) {
	a, p, n = make([]float32, rows*dim), make([]float32, rows*dim), make([]float32, rows*dim)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
		p[i] = a[i] + float32(rng.NormFloat64()*0.7)
		n[i] = a[i] + float32(rng.NormFloat64()*0.8)
	}
	return
}

func TestTripletReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	for _, dim := range []int{1, 3, 8, 33, 128} {
		rows := 40
		for _, tc := range tripletCases() {
			a, p, n := tripletInputs(rng, rows, dim)
			per := make([]float32, rows)
			g := [3][]float32{make([]float32, rows*dim), make([]float32, rows*dim), make([]float32, rows*dim)}
			got, err := tc.Forward(a, p, n, dim, per, g[0], g[1], g[2])
			if err != nil {
				t.Fatal(err)
			}
			want, wantPer, wantG := refTriplet(&tc, f64(a), f64(p), f64(n), dim)
			if math.Abs(float64(got)-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("dim=%d %s: loss %v, reference %v", dim, tripletName(tc), got, want)
			}
			for i := range per {
				if math.Abs(float64(per[i])-wantPer[i]) > 1e-5*math.Max(1, math.Abs(wantPer[i])) {
					t.Fatalf("dim=%d %s: perRow[%d] = %v, reference %v", dim, tripletName(tc), i, per[i], wantPer[i])
				}
			}
			for w := range g {
				for i := range g[w] {
					if math.Abs(float64(g[w][i])-wantG[w][i]) > 1e-5*math.Max(1, math.Abs(wantG[w][i])) {
						t.Fatalf("dim=%d %s: grad %c[%d] = %v, reference %v", dim, tripletName(tc), "APN"[w], i, g[w][i], wantG[w][i])
					}
				}
			}
		}
	}
}

func TestTripletFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 2))
	const rows, dim = 5, 4
	for _, tc := range tripletCases() {
		a, p, n := tripletInputs(rng, rows, dim)
		x := [3][]float64{f64(a), f64(p), f64(n)}
		_, _, g := refTriplet(&tc, x[0], x[1], x[2], dim)
		for w := range x {
			for i := range x[w] {
				loss := func(h float64) float64 {
					old := x[w][i]
					x[w][i] += h
					l, per, _ := refTriplet(&tc, x[0], x[1], x[2], dim)
					x[w][i] = old
					if tc.Reduction == None {
						return per[i/dim]
					}
					return l
				}
				const h = 1e-6
				fd := (loss(h) - loss(-h)) / (2 * h)
				if math.Abs(fd-g[w][i]) > 1e-5*math.Max(1, math.Abs(fd)) {
					t.Fatalf("%s: reference grad %c[%d] = %v, central difference %v", tripletName(tc), "APN"[w], i, g[w][i], fd)
				}
			}
		}
	}
}

func TestTripletSetsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 3))
	for _, dim := range []int{1, 2, 7, 8, 9, 31, 32, 33, 64, 100, 128, 257} {
		rows := 300
		for _, tc := range tripletCases() {
			a, p, n := tripletInputs(rng, rows, dim)
			tu.Fill(rng, a[:3*dim], dim, tu.Adversarial)
			run := func(set *kernels.Set) (float32, []float32, [3][]float32) {
				tc := tc
				tc.Kernels = set
				per := make([]float32, rows)
				g := [3][]float32{make([]float32, rows*dim), make([]float32, rows*dim), make([]float32, rows*dim)}
				l, err := tc.Forward(a, p, n, dim, per, g[0], g[1], g[2])
				if err != nil {
					t.Fatal(err)
				}
				return l, per, g
			}
			want, wantPer, wantG := run(kernels.Generic)
			for _, set := range kernels.Sets()[1:] {
				if !set.Supported() {
					continue
				}
				got, per, g := run(set)
				if !tu.Same(got, want) {
					t.Fatalf("%s dim=%d %s: loss %v, generic %v", set.Name(), dim, tripletName(tc), got, want)
				}
				if msg := tu.DiffMsg(per, wantPer); msg != "" {
					t.Fatalf("%s dim=%d %s: perRow: %s", set.Name(), dim, tripletName(tc), msg)
				}
				for w := range g {
					if msg := tu.DiffMsg(g[w], wantG[w]); msg != "" {
						t.Fatalf("%s dim=%d %s: grad %c: %s", set.Name(), dim, tripletName(tc), "APN"[w], msg)
					}
				}
			}
		}
	}
}

// TestTripletPartialGradients asks for some gradients only; they must equal
// the same gradients of a call that asks for all three.
func TestTripletPartialGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 4))
	a, p, n := tripletInputs(rng, 300, 17)
	tc := Triplet{Margin: 1, Distance: Euclidean, Eps: 1e-6, Swap: true}
	all := [3][]float32{make([]float32, len(a)), make([]float32, len(a)), make([]float32, len(a))}
	if _, err := tc.Forward(a, p, n, 17, nil, all[0], all[1], all[2]); err != nil {
		t.Fatal(err)
	}
	for mask := 1; mask < 7; mask++ {
		var g [3][]float32
		for w := range g {
			if mask&(1<<w) != 0 {
				g[w] = make([]float32, len(a))
			}
		}
		if _, err := tc.Forward(a, p, n, 17, nil, g[0], g[1], g[2]); err != nil {
			t.Fatal(err)
		}
		for w := range g {
			if g[w] != nil {
				if msg := tu.DiffMsg(g[w], all[w]); msg != "" {
					t.Fatalf("mask %03b: grad %c: %s", mask, "APN"[w], msg)
				}
			}
		}
	}
}

func TestTripletSpecial(t *testing.T) {
	// zero Euclidean distance: zero gradient, no NaN
	tc := Triplet{Margin: 1, Distance: Euclidean}
	a := []float32{1, 2}
	ga, gp, gn := make([]float32, 2), make([]float32, 2), make([]float32, 2)
	l, err := tc.Forward(a, []float32{1, 2}, []float32{1, 2}, 2, nil, ga, gp, gn)
	if err != nil || l != 1 {
		t.Errorf("identical triplet: loss %v (%v), want the margin 1", l, err)
	}
	for _, v := range append(append(ga, gp...), gn...) {
		if v != 0 {
			t.Errorf("identical triplet: gradients %v %v %v, want zeros", ga, gp, gn)
			break
		}
	}
	// hinge argument exactly 0: subgradient 1
	sq := Triplet{Margin: 1, Reduction: Sum}
	ga = make([]float32, 2)
	// d(a,p) = 1, d(a,n) = 2, margin 1: the hinge argument is exactly 0
	l, _ = sq.Forward([]float32{0, 0}, []float32{1, 0}, []float32{1, 1}, 2, nil, ga, nil, nil)
	if l != 0 || ga[0] != 0 || ga[1] != 2 {
		t.Errorf("hinge at 0: loss %v, dA %v; want 0 and the subgradient 2(n-p) = [0 2]", l, ga)
	}
	// NaN propagates
	if l, _ := sq.Forward([]float32{tu.NaN}, []float32{1}, []float32{2}, 1, nil, nil, nil, nil); l == l {
		t.Errorf("NaN embedding: loss %v, want NaN", l)
	}
	// empty batch
	if l, err := (&Triplet{}).Forward(nil, nil, nil, 4, nil, nil, nil, nil); err != nil || l == l {
		t.Errorf("empty batch, Mean: %v %v, want NaN", l, err)
	}
}

func TestTripletErrors(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	cases := []struct {
		name, want string
		t          Triplet
		a, p, n    []float32
		dim        int
		per, g     int
	}{
		{"length", "must be equal", Triplet{}, x, x[:2], x, 2, 2, 4},
		{"dim", "not a multiple", Triplet{}, x, x, x, 3, 1, 4},
		{"dim zero", "dim = 0", Triplet{}, x, x, x, 0, 1, 4},
		{"margin NaN", "Margin = NaN", Triplet{Margin: tu.NaN}, x, x, x, 2, 2, 4},
		{"margin Inf", "Margin = +Inf", Triplet{Margin: tu.PosInf}, x, x, x, 2, 2, 4},
		{"eps", "Eps = -1", Triplet{Distance: Euclidean, Eps: -1}, x, x, x, 2, 2, 4},
		{"distance", "unknown Distance", Triplet{Distance: 9}, x, x, x, 2, 2, 4},
		{"reduction", "unknown Reduction", Triplet{Reduction: 9}, x, x, x, 2, 2, 4},
		{"perRow", "len(perRow) = 3", Triplet{}, x, x, x, 2, 3, 4},
		{"grad", "len(gradA) = 3", Triplet{}, x, x, x, 2, 2, 3},
	}
	for _, c := range cases {
		per, g := tu.Filled(c.per), tu.Filled(c.g)
		_, err := c.t.Forward(c.a, c.p, c.n, c.dim, per, g, nil, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "simdloss: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if !tu.Untouched(per, g) {
			t.Errorf("%s: an output was written despite the error", c.name)
		}
	}
	buf := make([]float32, 8)
	if _, err := (&Triplet{}).Forward(x, x, x, 2, nil, buf[:4], buf[2:6], nil); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("overlapping gradients: %v", err)
	}
	if _, err := (&Triplet{}).Forward(buf[:4], x, x, 2, nil, buf[:4], nil, nil); err == nil || !strings.Contains(err.Error(), "gradA overlaps anchor") {
		t.Errorf("gradient overlapping an input: %v", err)
	}
}

func TestTripletNoAllocs(t *testing.T) {
	if tu.Race {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	a, p, n := tripletInputs(rand.New(rand.NewPCG(1, 2)), 600, 64)
	g := make([]float32, len(a))
	tc := Triplet{Margin: 1, Distance: Euclidean, Eps: 1e-6, Swap: true}
	_, _ = tc.Forward(a, p, n, 64, nil, g, nil, nil)
	if allocs := testing.AllocsPerRun(10, func() { _, _ = tc.Forward(a, p, n, 64, nil, g, nil, nil) }); allocs != 0 {
		t.Errorf("Triplet.Forward allocates %v times per call", allocs)
	}
}
