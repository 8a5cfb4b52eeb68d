package generic

import "math"

// Constants of the canonical exponential ExpNeg. The generators in gen/ read
// these, so the SIMD kernels and this file share one definition.
const (
	ExpLog2e     float32 = 0x1.715476p+0  // log2(e), rounded
	ExpMagic     float32 = 0x1.8000FEp23  // 1.5*2^23 + 127: rounds to an integer and biases it for the exponent field
	ExpMinusLn2H float32 = -0x1.62E400p-1 // -ln(2), high part: n*ExpMinusLn2H is exact for |n| <= 2^8
	ExpMinusLn2L float32 = -0x1.7F7D1Cp-20
	ExpC5        float32 = 0x1.0F9F9Cp-7 // p(t) = c1 + c2*t + ... + c5*t^4 ≈ (e^t-1)/t on [-ln2/2, ln2/2] (c_k ≈ 1/k!), so e^t ≈ 1 + t*p(t)
	ExpC4        float32 = 0x1.573A1Ap-5
	ExpC3        float32 = 0x1.555A80p-3
	ExpC2        float32 = 0x1.FFFDC6p-2
	ExpC1        float32 = 0x1.FFFFF6p-1
	ExpCutoff    float32 = -0x1.5D589Ep6 // below this e^x is subnormal; ExpNeg returns +0
)

// ExpNeg is the canonical exponential of the softmax family: the one every
// kernel set evaluates, step for step, on each x_i - max.
//
// Domain: x <= 0 or NaN. There it is within 2 ulp of e^x for x >= ExpCutoff
// (about -87.34), returns +0 below (including -Inf), and NaN for NaN. For
// x > 0 the result is unspecified (but still deterministic).
//
// Algorithm (one FMA per line where written fma):
//
//	n = fma(x, log2e, magic)     // round(x*log2e) + 127 in the low bits
//	s = bits(n) << 23            // 2^round(x*log2e) as a float32
//	n = n - magic
//	t = fma(n, -ln2_hi, x)       // Cody–Waite reduction, t in [-ln2/2, ln2/2]
//	t = fma(n, -ln2_lo, t)
//	p = fma(fma(fma(fma(c5, t, c4), t, c3), t, c2), t, c1)
//	t = t * s
//	f = fma(t, p, s)             // s * (1 + t*p)
//	f = x < cutoff ? +0 : f      // NaN compares false and stays NaN
func ExpNeg(x float32) float32 {
	n := FMA32(x, ExpLog2e, ExpMagic)
	s := math.Float32frombits(math.Float32bits(n) << 23)
	n -= ExpMagic
	t := FMA32(n, ExpMinusLn2H, x)
	t = FMA32(n, ExpMinusLn2L, t)
	p := FMA32(ExpC5, t, ExpC4)
	p = FMA32(p, t, ExpC3)
	p = FMA32(p, t, ExpC2)
	p = FMA32(p, t, ExpC1)
	t = float32(t * s)
	f := FMA32(t, p, s)
	if x < ExpCutoff {
		return 0
	}
	return f
}
