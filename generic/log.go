package generic

import "math"

// Constants of the canonical logarithm LogPos (the Cephes logf polynomial).
const (
	LogSqrtHalfBits uint32  = 0x3F3504F3 // bits of float32(sqrt(1/2))
	LogP8           float32 = 7.0376836292e-2
	LogP7           float32 = -1.1514610310e-1
	LogP6           float32 = 1.1676998740e-1
	LogP5           float32 = -1.2420140846e-1
	LogP4           float32 = 1.4249322787e-1
	LogP3           float32 = -1.6668057665e-1
	LogP2           float32 = 2.0000714765e-1
	LogP1           float32 = -2.4999993993e-1
	LogP0           float32 = 3.3333331174e-1
	LogLn2Lo        float32 = -2.12194440e-4 // ln(2) = LogLn2Hi + LogLn2Lo
	LogLn2Hi        float32 = 0.693359375
)

// LogPos is the canonical natural logarithm of the kernels, used once per
// row on the sum of exponentials (which lies in [1, cols] for ordinary rows).
//
// Domain: positive normal finite x, where it is within 1 ulp of ln(x) for
// x >= 1 and within 2 ulp elsewhere. NaN and +Inf give NaN; zero, negative
// and subnormal inputs give unspecified (but deterministic) values.
//
// Algorithm (integer operations on the bit pattern i of x):
//
//	k = int32(i - bits(sqrt(1/2))) >> 23   // arithmetic shift
//	f = frombits(i - k<<23) - 1            // exact, f in [sqrt(1/2)-1, sqrt(2)-1)
//	e = float32(k); z = f*f
//	p = Horner(P8..P0, f) with fma         // p = fma(p, f, P_j)
//	y = (p*f)*z
//	y = fma(e, ln2_lo, y)
//	y = fma(z, -0.5, y)
//	r = f + y
//	r = fma(e, ln2_hi, r)
//	r = r + (x - x)                        // NaN (and Inf) in, NaN out
func LogPos(x float32) float32 {
	i := math.Float32bits(x)
	k := int32(i-LogSqrtHalfBits) >> 23
	f := math.Float32frombits(i-uint32(k<<23)) - 1
	e := float32(k)
	z := float32(f * f)
	p := FMA32(LogP8, f, LogP7)
	p = FMA32(p, f, LogP6)
	p = FMA32(p, f, LogP5)
	p = FMA32(p, f, LogP4)
	p = FMA32(p, f, LogP3)
	p = FMA32(p, f, LogP2)
	p = FMA32(p, f, LogP1)
	p = FMA32(p, f, LogP0)
	y := float32(float32(p*f) * z)
	y = FMA32(e, LogLn2Lo, y)
	y = FMA32(z, -0.5, y)
	r := f + y
	r = FMA32(e, LogLn2Hi, r)
	return r + (x - x)
}
