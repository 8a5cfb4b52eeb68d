package generic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sigmoidFocal64 is one element of the sigmoid focal loss in float64, with
// its derivative times scale: softplus through log1p, 1 - p_t and p - t
// without cancellation for hard targets.
// mag bounds the gradient's terms, for judging an error after cancellation.
func sigmoidFocal64(x, t, alpha, gamma, scale float64) (loss, grad, mag float64) {
	l := math.Log1p(math.Exp(-math.Abs(x)))
	spNeg, sp := l+math.Max(-x, 0), l+math.Max(x, 0)
	p, q := 1/(1+math.Exp(-x)), 1/(1+math.Exp(x))
	ce := t*spNeg + (1-t)*sp
	o := t*q + (1-t)*p
	at := 1.0
	if alpha >= 0 {
		at = alpha*t + (1-alpha)*(1-t)
	}
	m := math.Pow(o, gamma)
	loss = at * ce * m
	dp := (1 - t) - q // p - t
	g := dp * m
	mag = (p + t) * m
	if gamma != 0 && o > 0 {
		k := ce * gamma * math.Pow(o, gamma-1) * (1 - 2*t) * p * q
		g += k
		mag += math.Abs(k)
	}
	return loss, at * g * scale, at * mag * scale
}

// TestSigmoidFocalAccuracy compares every element's loss and gradient with
// the float64 formula: relative error for hard targets (no cancellation
// anywhere), and relative to the size of the gradient's terms for soft ones.
func TestSigmoidFocalAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 71))
	const n = 20000
	x, tg := make([]float32, n), make([]float32, n)
	for i := range x {
		if i%2 == 0 {
			x[i] = float32(rng.NormFloat64() * 4)
		} else {
			x[i] = float32(rng.Float64()*170 - 85) // up to ExpNeg's cutoff
		}
		switch i % 4 {
		case 0, 1:
			tg[i] = float32(i % 2)
		case 2:
			tg[i] = 1 - float32(i%8/4)
		default:
			tg[i] = rng.Float32()
		}
	}
	loss, grad := make([]float32, n), make([]float32, n)
	for _, c := range []struct{ alpha, gamma float32 }{
		{0.25, 2}, {-1, 0}, {0.5, 1}, {0.9, 3}, {0.25, 5}, {0.25, 0.5}, {0.75, 1.5}, {-1, 2.5},
	} {
		t.Run(fmt.Sprintf("alpha=%g,gamma=%g", c.alpha, c.gamma), func(t *testing.T) {
			const scale = 0.125
			SigmoidFocal(loss, grad, x, tg, c.alpha, 1-c.alpha, c.gamma, scale)
			worstL, worstG := 0.0, 0.0
			for i := range x {
				wl, wg, mag := sigmoidFocal64(float64(x[i]), float64(tg[i]), float64(c.alpha), float64(c.gamma), scale)
				gscale := math.Abs(wg)
				if tg[i] != 0 && tg[i] != 1 { // the gradient's terms cancel: judge on their size
					gscale = mag
				}
				if wl > 1e-30 && gscale > 1e-30 {
					worstL = math.Max(worstL, math.Abs(float64(loss[i])-wl)/wl)
					worstG = math.Max(worstG, math.Abs(float64(grad[i])-wg)/gscale)
				}
				if d := math.Abs(float64(loss[i]) - wl); !(d <= 4e-6*wl+1e-37) {
					t.Fatalf("x=%g t=%g: loss %g, float64 %g (rel %.2g)", x[i], tg[i], loss[i], wl, d/wl)
				}
				if d := math.Abs(float64(grad[i]) - wg); !(d <= 4e-6*gscale+1e-37) {
					t.Fatalf("x=%g t=%g: grad %g, float64 %g (rel %.2g)", x[i], tg[i], grad[i], wg, d/gscale)
				}
			}
			t.Logf("worst relative error: loss %.2g, gradient %.2g", worstL, worstG)
		})
	}
}

// TestAlphaOff checks that α_t = fma(1, t, 1*(1-t)) is exactly 1 for t in
// [0, 1] (the weighting off): every float32 in [0.5, 1] gives 1 - t exactly,
// and below 0.5 the rounding error of 1 - t is at most 2^-25, so the fused
// sum rounds back to 1. A dense sample of bit patterns and the edges.
func TestAlphaOff(t *testing.T) {
	ts := []float32{0, float32(math.Copysign(0, -1)), 1, 0.5, 0x1p-149, 0x1p-126, 1 - 0x1p-24, 0.5 - 0x1p-25, 0x1p-25, 0x1p-24}
	for b := uint32(0); b <= 0x3F800000; b += 997 {
		ts = append(ts, math.Float32frombits(b))
	}
	for _, tv := range ts {
		if at := FMA32(1, tv, float32(1*(1-tv))); at != 1 {
			t.Fatalf("t = %g (%#08x): α_t = %g, want 1", tv, math.Float32bits(tv), at)
		}
	}
}
