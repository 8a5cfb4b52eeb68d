package kernels_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// sigmoidTargets fills t with hard (0, 1), soft and extreme targets in
// [0, 1], subnormal and -0 included.
func sigmoidTargets(rng *rand.Rand, t []float32) {
	edge := []float32{0, tu.NegZ, 1, 0.5, 0x1p-130, 1 - 0x1p-24, 0x1p-126}
	for i := range t {
		switch i % 4 {
		case 0, 1:
			t[i] = float32(rng.IntN(2))
		case 2:
			t[i] = rng.Float32()
		default:
			t[i] = edge[rng.IntN(len(edge))]
		}
	}
}

// TestSigmoidFocalMatchGeneric compares every set with generic bit for bit,
// for every length 0..300 and a few long ones, at every offset 0..7 of the
// four slices, with ordinary, wide, huge, adversarial and subnormal logits,
// for each γ the kernels take (and one they hand to generic), with and
// without the gradient and the α weighting.
func TestSigmoidFocalMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(61, 6))
	lens := make([]int, 0, 310)
	for n := 0; n <= 300; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 1023, 4096+7, 70001)
	params := []struct{ alpha, gamma, scale float32 }{
		{0.25, 2, 1}, {-1, 0, 0.5}, {0.5, 1, 1e-3}, {0.9, 3, 1}, {0.25, 16, 1}, {0.25, 1.5, 1},
	}
	for _, n := range lens {
		off := n % 8
		buf := func() []float32 { return make([]float32, n+8)[off : off+n] }
		x, tg := buf(), buf()
		tu.Fill(rng, x, max(n, 1), tu.Kind(n%len(tu.Kinds)))
		sigmoidTargets(rng, tg)
		p := params[n%len(params)]
		beta := 1 - p.alpha
		wl, wg := make([]float32, n), make([]float32, n)
		kernels.Generic.SigmoidFocal(wl, wg, x, tg, p.alpha, beta, p.gamma, p.scale)
		for _, s := range sets {
			for _, withGrad := range []bool{true, false} {
				l, g := buf(), buf()
				if !withGrad {
					g = nil
				}
				s.SigmoidFocal(l, g, x, tg, p.alpha, beta, p.gamma, p.scale)
				what := fmt.Sprintf("%s n=%d %+v grad=%v", s.Name(), n, p, withGrad)
				if msg := tu.DiffMsg(l, wl); msg != "" {
					t.Fatalf("%s: loss: %s", what, msg)
				}
				if withGrad {
					if msg := tu.DiffMsg(g, wg); msg != "" {
						t.Fatalf("%s: grad: %s", what, msg)
					}
				}
			}
		}
	}
}

// TestSigmoidFocalSpecialValues runs every special value against every
// edge target on each set, bit for bit against generic.
func TestSigmoidFocalSpecialValues(t *testing.T) {
	sets := simdSets(t)
	edge := []float32{0, tu.NegZ, 1, 0.5, 0.25, 0x1p-130, 1 - 0x1p-24}
	var x, tg []float32
	for _, v := range append(tu.Specials, 20, -20, 87, -87, 87.5, -87.5, 1e-7, -1e-7) {
		for _, e := range edge {
			x, tg = append(x, v), append(tg, e)
		}
	}
	n := len(x)
	for _, gamma := range []float32{0, 1, 2, 5} {
		wl, wg := make([]float32, n), make([]float32, n)
		kernels.Generic.SigmoidFocal(wl, wg, x, tg, 0.25, 0.75, gamma, 1)
		for _, s := range sets {
			l, g := make([]float32, n), make([]float32, n)
			s.SigmoidFocal(l, g, x, tg, 0.25, 0.75, gamma, 1)
			for i := range x {
				if !tu.Same(l[i], wl[i]) || !tu.Same(g[i], wg[i]) {
					t.Fatalf("%s γ=%g x=%g t=%g: loss %g grad %g, generic %g %g", s.Name(), gamma, x[i], tg[i], l[i], g[i], wl[i], wg[i])
				}
			}
		}
	}
}

func TestSigmoidFocalShapePanics(t *testing.T) {
	mk := func(n int) []float32 { return make([]float32, n) }
	shared := mk(20)
	for _, c := range []struct {
		name           string
		loss, g, x, tg []float32
	}{
		{"short t", mk(10), nil, mk(10), mk(9)},
		{"short loss", mk(9), nil, mk(10), mk(10)},
		{"short grad", mk(10), mk(9), mk(10), mk(10)},
		{"loss overlaps x", shared[:10], nil, shared[2:12], mk(10)},
		{"grad overlaps loss", shared[:10], shared[5:15], mk(10), mk(10)},
	} {
		for _, s := range allSets() {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "simdloss: SigmoidFocal") {
						t.Errorf("%s %s: recovered %v, want a simdloss: panic", s.Name(), c.name, r)
					}
				}()
				s.SigmoidFocal(c.loss, c.g, c.x, c.tg, 0.25, 0.75, 2, 1)
			}()
		}
	}
}

// TestFocalTermsMatchGeneric compares every set's FocalTerms with generic
// bit for bit for every length 0..300 at offsets 0..7, with log p on both
// sides of the -0.35 switch, at 0, -0, positive (clamped), -Inf and NaN,
// for the γ the kernels take and one they leave to generic.
func TestFocalTermsMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(62, 6))
	edge := []float32{0, tu.NegZ, 1e-3, -0.35, -0.35000002, -0.34999998, -1e-30, tu.NegInf, tu.NaN, -87.5, -100, -0x1p-149}
	for n := 0; n <= 300; n++ {
		off := n % 8
		buf := func() []float32 { return make([]float32, n+8)[off : off+n] }
		lp, al := buf(), buf()
		for i := range lp {
			switch i % 3 {
			case 0:
				lp[i] = edge[rng.IntN(len(edge))]
			case 1:
				lp[i] = -float32(rng.Float64() * 0.7)
			default:
				lp[i] = -float32(rng.ExpFloat64() * 3)
			}
			al[i] = []float32{1, 0.25, 0}[rng.IntN(3)]
		}
		gamma := []float32{2, 0, 1, 3, 16, 1.5}[n%6]
		wl, wc := make([]float32, n), make([]float32, n)
		kernels.Generic.FocalTerms(wl, wc, lp, al, gamma, 0.125)
		for _, s := range sets {
			l, c := buf(), buf()
			s.FocalTerms(l, c, lp, al, gamma, 0.125)
			if msg := tu.DiffMsg(l, wl); msg != "" {
				t.Fatalf("%s n=%d γ=%g: loss: %s", s.Name(), n, gamma, msg)
			}
			if msg := tu.DiffMsg(c, wc); msg != "" {
				t.Fatalf("%s n=%d γ=%g: coef: %s", s.Name(), n, gamma, msg)
			}
		}
	}
}
