package generic

import "math"

// SigmoidFocalGamma reports whether the kernels take γ = gamma: an integer
// in [0, SigmoidFocalMaxGamma], where (1 - p_t)^γ is a product. Other γ go
// through SigmoidFocal here on every kernel set (math.Pow in float64).
func SigmoidFocalGamma(gamma float32) bool {
	return gamma >= 0 && gamma <= SigmoidFocalMaxGamma && gamma == float32(int(gamma))
}

// SigmoidFocalMaxGamma is the largest γ the kernels take.
const SigmoidFocalMaxGamma = 16

// SigmoidFocal is the elementwise kernel of the sigmoid focal loss
// (torchvision.ops.sigmoid_focal_loss). For each x_i, t_i it writes the
// element's loss to loss[i] and, when grad is non-nil, scale times its
// derivative to grad[i]. alpha < 0 turns the α weighting off (α_t = 1);
// beta is 1 - alpha, rounded, precomputed by the caller. In float32, each
// operation rounded once (fma: one rounding), in this order:
//
//	a = |x|;  e = ExpNeg(-a);  u = 1 + e;  r = 1 / u
//	l = fma(-((u - 1) - e), r, LogPos(u))        log1p(e) = softplus(-|x|)
//	c = 1 - t
//	x > 0:  spNeg = l,      sp = x + l,  p = r,      q = e*r,  dp = c - q
//	else:   spNeg = a + l,  sp = l,      p = e*r,    q = r,    dp = p - t
//	ce = fma(t, spNeg, c*sp);  o = fma(t, q, c*p)     (o = 1 - p_t)
//	m = o^γ:  m = 1, then m = m*o γ times (γ not an integer in
//	          [0, SigmoidFocalMaxGamma]: float32(math.Pow(o, γ)) in float64)
//	α_t = fma(alpha, t, beta*c)   (alpha < 0: alpha = beta = 1, and α_t = 1
//	                              exactly for t in [0, 1])
//	loss = (α_t*ce)*m
//	g = dp*m;  if γ != 0 and o > 0:  g = g + ((ce*γ)*(m/o)) * ((1 - (t+t))*(p*q))
//	grad = (α_t*g)*scale
//
// ExpNeg returns +0 below its cutoff (|x| > 87.3), so softplus(-|x|) and
// σ(-|x|) are +0 there rather than a subnormal. The result is within a few
// float32 ulps of the float64 formula for ordinary inputs, the gradient
// included: dp is p - t without the cancellation of p ≈ 1 = t (with t = 1
// and large x, c - q is -q exactly), and o = 1 - p_t is never computed as a
// difference. NaN in x gives
// NaN; x = ±Inf gives NaN where the formula has 0·Inf (t = 1 at +Inf, t = 0
// at -Inf, or a soft t), as PyTorch's does.
func SigmoidFocal(loss, grad, x, t []float32, alpha, beta, gamma, scale float32) {
	n := len(x)
	loss = loss[:n]
	t = t[:n]
	if grad != nil {
		grad = grad[:n]
	}
	if alpha < 0 {
		alpha, beta = 1, 1
	}
	intGamma := SigmoidFocalGamma(gamma)
	for i, xv := range x {
		a := float32(math.Abs(float64(xv)))
		e := ExpNeg(-a)
		u := 1 + e
		r := 1 / u
		l := FMA32(-((u - 1) - e), r, LogPos(u))
		lo := float32(e * r)
		tv := t[i]
		c := 1 - tv
		var spNeg, sp, p, q, dp float32
		if xv > 0 {
			spNeg, sp, p, q, dp = l, xv+l, r, lo, c-lo
		} else {
			spNeg, sp, p, q, dp = a+l, l, lo, r, lo-tv
		}
		ce := FMA32(tv, spNeg, float32(c*sp))
		o := FMA32(tv, q, float32(c*p))
		m := focalPow(o, gamma, intGamma)
		at := FMA32(alpha, tv, float32(beta*c))
		loss[i] = float32(float32(at*ce) * m)
		if grad == nil {
			continue
		}
		g := float32(dp * m)
		if gamma != 0 && o > 0 {
			k := float32(float32(ce*gamma) * (m / o))
			d := float32((1 - (tv + tv)) * float32(p*q))
			g += float32(k * d)
		}
		grad[i] = float32(float32(at*g) * scale)
	}
}

// focalPow is o^γ as the focal kernels define it: for integer γ (intGamma)
// m = 1, then m = m·o, γ times; else math.Pow in float64, rounded.
func focalPow(o, gamma float32, intGamma bool) float32 {
	if !intGamma {
		return float32(math.Pow(float64(o), float64(gamma)))
	}
	m := float32(1)
	for range int(gamma) {
		m = float32(m * o)
	}
	return m
}
