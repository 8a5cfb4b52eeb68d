package generic

// Expm1 polynomial of the focal terms: expm1(x) = x·P(x) on [-0.35, 0],
// P the Taylor polynomial 1 + x/2 + x²/6 + ... + x⁷/8! (the next term is
// below 2e-9 there), coefficients rounded to float32.
const (
	FocalSmall float32 = -0.35 // at or above: the polynomial; below: ExpNeg(x) - 1
	focalE7    float32 = 1.0 / 40320
	focalE6    float32 = 1.0 / 5040
	focalE5    float32 = 1.0 / 720
	focalE4    float32 = 1.0 / 120
	focalE3    float32 = 1.0 / 24
	focalE2    float32 = 1.0 / 6
	focalE1    float32 = 1.0 / 2
)

// FocalCoefs are the coefficients of P from x⁷'s down to x's (P's constant
// term is 1), for the SIMD renderings.
var FocalCoefs = [...]float32{focalE7, focalE6, focalE5, focalE4, focalE3, focalE2, focalE1}

// FocalTerms is the per-row kernel of the softmax focal loss. For each row
// i with l = min(logp[i], 0) (log of the label's probability; NaN stays NaN)
// and a = alpha[i], in float32, each operation rounded once:
//
//	l >= -0.35:  P = 1 + l·(1/2 + l·(1/6 + ...)) (Horner with fma: P7, then
//	             p = fma(p, l, c) down to c = 1/2, then p = fma(p, l, 1));
//	             q = -(l·P);  p = 1 - q
//	l < -0.35:   p = ExpNeg(l);  q = 1 - p
//	m = q^γ: m = 1, then m = m·q γ times (γ not an integer in
//	         [0, SigmoidFocalMaxGamma]: float32(math.Pow(q, γ)) in float64)
//	r = l / q where q > 0, else -1        (log p / (1 - p) -> -1 as p -> 1)
//	w = a·m
//	loss[i] = -(w·l)                       (-α(1-p)^γ log p)
//	coef[i] = (w·(1 - (γ·p)·r))·scale      (α((1-p)^γ - γ(1-p)^(γ-1)·p·log p))
//
// coef is the factor of the row's gradient, softmax - onehot. logp = -Inf
// (p = 0) gives loss +Inf and a NaN coef, as the formula does.
func FocalTerms(loss, coef, logp, alpha []float32, gamma, scale float32) {
	n := len(logp)
	loss, coef, alpha = loss[:n], coef[:n], alpha[:n]
	intGamma := SigmoidFocalGamma(gamma)
	for i, lv := range logp {
		l := min(lv, 0)
		var p, q float32
		if l >= FocalSmall {
			c := FocalCoefs[0]
			for _, k := range FocalCoefs[1:] {
				c = FMA32(c, l, k)
			}
			c = FMA32(c, l, 1)
			q = -float32(l * c)
			p = 1 - q
		} else {
			p = ExpNeg(l)
			q = 1 - p
		}
		m := focalPow(q, gamma, intGamma)
		r := float32(-1)
		if q > 0 {
			r = l / q
		}
		w := float32(alpha[i] * m)
		loss[i] = -float32(w * l)
		coef[i] = float32(float32(w*(1-float32(float32(gamma*p)*r))) * scale)
	}
}
