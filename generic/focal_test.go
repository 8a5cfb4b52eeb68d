package generic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// focal64 is one row's focal loss and gradient factor in float64, from
// log p: -α(1-p)^γ log p and α((1-p)^γ - γ(1-p)^(γ-1)·p·log p).
func focal64(l, alpha, gamma float64) (loss, coef float64) {
	q, p := -math.Expm1(l), math.Exp(l)
	m := math.Pow(q, gamma)
	loss = -alpha * m * l
	if q == 0 {
		return loss, alpha * m
	}
	return loss, alpha * (m - gamma*math.Pow(q, gamma-1)*p*l)
}

// TestFocalTermsAccuracy compares FocalTerms with the float64 formula over
// log p from -30 to the last float32 below 0, both sides of the -0.35
// switch included: relative errors of a few float32 ulps.
func TestFocalTermsAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 77))
	lp := []float32{-0.35, math.Nextafter32(-0.35, 0), math.Nextafter32(-0.35, -1), -1e-7, -1e-30, -0x1p-149, -30}
	for range 20000 {
		lp = append(lp, -float32(rng.ExpFloat64()*2), -float32(rng.Float64()*0.7), -float32(math.Pow(10, -rng.Float64()*8)))
	}
	n := len(lp)
	loss, coef, alpha := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range alpha {
		alpha[i] = []float32{1, 0.25, 0.75}[i%3]
	}
	for _, gamma := range []float32{0, 1, 2, 3, 5, 0.5, 2.5} {
		t.Run(fmt.Sprint("gamma=", gamma), func(t *testing.T) {
			FocalTerms(loss, coef, lp, alpha, gamma, 1)
			worstL, worstC := 0.0, 0.0
			for i, l := range lp {
				wl, wc := focal64(float64(l), float64(alpha[i]), float64(gamma))
				el := math.Abs(float64(loss[i])-wl) / math.Max(math.Abs(wl), 1e-38)
				ec := math.Abs(float64(coef[i])-wc) / math.Max(math.Abs(wc), 1e-38)
				if wl < 1e-30 { // underflowing (1-p)^γ
					el = 0
				}
				worstL, worstC = math.Max(worstL, el), math.Max(worstC, ec)
				if el > 4e-6 || ec > 4e-6 {
					t.Fatalf("log p = %g: loss %g, coef %g; float64 %g, %g", l, loss[i], coef[i], wl, wc)
				}
			}
			t.Logf("worst relative error: loss %.2g, coef %.2g", worstL, worstC)
		})
	}
}
