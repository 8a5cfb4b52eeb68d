//go:build goexperiment.simd && amd64

package main

import (
	"math"
	"os"
	"simd/archsimd"
	"strings"
)

// The archsimd peers are written with Go 1.26's experimental simd/archsimd
// package (GOEXPERIMENT=simd): 256-bit Float32x8 vectors (AVX, AVX2, FMA),
// in plain Go that the compiler turns into vector instructions. archsimd has
// arithmetic, FMA, min/max, rounding, conversions and shifts but no exp or
// log, so the exp below is our own: round(x·log2e) range reduction, a
// degree-6 Taylor polynomial on |r| <= ln2/2 (about 2 ulp), and 2^n built in
// the exponent bits. Tails shorter than a vector run in scalar float64 math.
// This is what a Go programmer can write today without assembly; it is not
// simdloss's algorithm (no shared code, no bit-exactness).
//
// Two things of the experiment matter for speed (Go 1.26):
//   - the compiler does not emit VZEROUPPER: code that leaves the upper
//     halves of the vector registers dirty makes the legacy-SSE scalar float
//     code that follows (any Go float64 math) pay a penalty on Intel CPUs, so
//     every function here calls archsimd.ClearAVXUpperBits before scalar
//     work and before returning, as the package documentation advises;
//   - helpers with vector arguments are not inlined when large, so the exp
//     is written out inside its one loop, with its constants hoisted.
// A GOEXPERIMENT=simd binary also slows every column's scalar float code
// after asynchronous preemptions unless GODEBUG=asyncpreemptoff=1 (see
// preemptWarning).

var archsimdSupported = archsimd.X86.AVX2() && archsimd.X86.FMA()

func archsimdOK() bool { return archsimdSupported }

const archsimdBuilt = true

func archsimdNote() string {
	if archsimdSupported {
		return "simd/archsimd Float32x8 (AVX2+FMA), exp written here"
	}
	return "built with GOEXPERIMENT=simd, but this CPU lacks AVX2+FMA"
}

// archsimdImpl is the archsimd column, or a placeholder that is not run
// where the CPU lacks AVX2+FMA.
func archsimdImpl(run func(), out func() []float64) impl {
	if !archsimdSupported {
		return impl{name: implArchsimd}
	}
	return impl{implArchsimd, run, out}
}

// preemptWarning is why this GOEXPERIMENT=simd run's times may be wrong:
// on Go 1.26 an asynchronously preempted goroutine resumes with the upper
// halves of the vector registers dirty, and every legacy-SSE instruction
// after that (all of Go's scalar float code: naive, generic, gonum, tails)
// runs many times slower on Intel CPUs. GODEBUG=asyncpreemptoff=1 avoids it.
func preemptWarning() string {
	for _, kv := range strings.Split(os.Getenv("GODEBUG"), ",") {
		if kv == "asyncpreemptoff=1" {
			return ""
		}
	}
	return "built with GOEXPERIMENT=simd but GODEBUG=asyncpreemptoff=1 is not set: after asynchronous preemptions " +
		"Go's scalar float code (naive, generic, gonum, every tail) can run many times slower on Intel CPUs; " +
		"rerun as GOEXPERIMENT=simd GODEBUG=asyncpreemptoff=1 go run ./bench"
}

type f8 = archsimd.Float32x8

func bcast(x float32) f8   { return archsimd.BroadcastFloat32x8(x) }
func load8(s []float32) f8 { return archsimd.LoadFloat32x8Slice(s) }
func vzeroupper()          { archsimd.ClearAVXUpperBits() }

func scalarExp(x float32) float32  { return float32(math.Exp(float64(x))) }
func scalarLog(x float32) float32  { return float32(math.Log(float64(x))) }
func scalarSqrt(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// hsum and hmax reduce a vector through memory, clearing the upper halves
// before the scalar adds.
func hsum(v f8) float32 {
	var a [8]float32
	v.Store(&a)
	vzeroupper()
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

func hmax(v f8) float32 {
	var a [8]float32
	v.Store(&a)
	vzeroupper()
	return max(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
}

// Range-reduction constants: ln 2 split so that n·ln2Hi is exact for |n| < 2^9.
const (
	ln2Hi = 0.693359375
	ln2Lo = math.Ln2 - ln2Hi
)

func vmax(x []float32) float32 {
	m := float32(math.Inf(-1))
	i := 0
	if len(x) >= 8 {
		m0, m1 := load8(x), load8(x)
		for ; i+16 <= len(x); i += 16 {
			m0 = m0.Max(load8(x[i:]))
			m1 = m1.Max(load8(x[i+8:]))
		}
		for ; i+8 <= len(x); i += 8 {
			m0 = m0.Max(load8(x[i:]))
		}
		m = hmax(m0.Max(m1))
	}
	for ; i < len(x); i++ {
		m = max(m, x[i])
	}
	return m
}

// vexpSum stores dst[i] = e^(x[i]+c) when dst is non-nil and returns the
// sum. e^y is 0 below -87.3 (where it is no longer a normal float32) and
// clamped at 88.7 above.
func vexpSum(dst, x []float32, c float32) float32 {
	vc := bcast(c)
	lo, hi, log2e := bcast(-87.3), bcast(88.7), bcast(math.Log2E)
	mhi, mlo := bcast(-ln2Hi), bcast(-ln2Lo)
	p6, p5, p4, p3, p2, one := bcast(1.0/720), bcast(1.0/120), bcast(1.0/24), bcast(1.0/6), bcast(0.5), bcast(1)
	bias, shift := archsimd.BroadcastInt32x8(127), archsimd.BroadcastInt32x8(23)
	sum := bcast(0)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		y := load8(x[i:]).Add(vc)
		keep := y.GreaterEqual(lo)
		y = y.Max(lo).Min(hi)
		n := y.Mul(log2e).RoundToEven()
		r := n.MulAdd(mhi, y)
		r = n.MulAdd(mlo, r)
		p := p6.MulAdd(r, p5)
		p = p.MulAdd(r, p4)
		p = p.MulAdd(r, p3)
		p = p.MulAdd(r, p2)
		p = p.MulAdd(r, one)
		p = p.MulAdd(r, one)
		scale := n.ConvertToInt32().Add(bias).ShiftLeft(shift).AsFloat32x8()
		e := p.Mul(scale).Masked(keep)
		if dst != nil {
			e.StoreSlice(dst[i:])
		}
		sum = sum.Add(e)
	}
	s := hsum(sum)
	for ; i < len(x); i++ {
		e := scalarExp(x[i] + c)
		if dst != nil {
			dst[i] = e
		}
		s += e
	}
	return s
}

// vaxpb stores dst[i] = a·x[i] + b.
func vaxpb(dst, x []float32, a, b float32) {
	va, vb := bcast(a), bcast(b)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		load8(x[i:]).MulAdd(va, vb).StoreSlice(dst[i:])
	}
	vzeroupper()
	for ; i < len(x); i++ {
		dst[i] = a*x[i] + b
	}
}

func vdot(a, b []float32) float32 {
	s0, s1, s2, s3 := bcast(0), bcast(0), bcast(0), bcast(0)
	i := 0
	for ; i+32 <= len(a); i += 32 {
		s0 = load8(a[i:]).MulAdd(load8(b[i:]), s0)
		s1 = load8(a[i+8:]).MulAdd(load8(b[i+8:]), s1)
		s2 = load8(a[i+16:]).MulAdd(load8(b[i+16:]), s2)
		s3 = load8(a[i+24:]).MulAdd(load8(b[i+24:]), s3)
	}
	for ; i+8 <= len(a); i += 8 {
		s0 = load8(a[i:]).MulAdd(load8(b[i:]), s0)
	}
	s := hsum(s0.Add(s1).Add(s2.Add(s3)))
	for ; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}

// vsqdist is Σ (a[i] - b[i] + eps)².
func vsqdist(a, b []float32, eps float32) float32 {
	ve := bcast(eps)
	s0, s1 := bcast(0), bcast(0)
	i := 0
	for ; i+16 <= len(a); i += 16 {
		d0 := load8(a[i:]).Sub(load8(b[i:])).Add(ve)
		d1 := load8(a[i+8:]).Sub(load8(b[i+8:])).Add(ve)
		s0, s1 = d0.MulAdd(d0, s0), d1.MulAdd(d1, s1)
	}
	for ; i+8 <= len(a); i += 8 {
		d := load8(a[i:]).Sub(load8(b[i:])).Add(ve)
		s0 = d.MulAdd(d, s0)
	}
	s := hsum(s0.Add(s1))
	for ; i < len(a); i++ {
		d := a[i] - b[i] + eps
		s += d * d
	}
	return s
}

func archsimdSoftmax(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x, y := src[r:r+cols], dst[r:r+cols]
		s := vexpSum(y, x, -vmax(x))
		vaxpb(y, y, 1/s, 0)
	}
}

func archsimdLSE(x []float32) float32 {
	m := vmax(x)
	return m + scalarLog(vexpSum(nil, x, -m))
}

func archsimdLogSoftmax(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x := src[r : r+cols]
		vaxpb(dst[r:r+cols], x, 1, -archsimdLSE(x))
	}
}

func archsimdLogSumExp(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		dst[r/cols] = archsimdLSE(src[r : r+cols])
	}
}

func archsimdCrossEntropy(z []float32, labels []int32, w []float32, cols int, grad []float32) float32 {
	var den float32
	for _, y := range labels {
		den += w[y]
	}
	var total float32
	for r, y := range labels {
		x := z[r*cols : (r+1)*cols]
		lse := archsimdLSE(x)
		wy := w[y]
		total += wy * (lse - x[y])
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			vexpSum(g, x, -lse)
			vaxpb(g, g, wy/den, 0)
			g[y] -= wy / den
		}
	}
	return total / den
}

func archsimdTriplet(a, p, n []float32, dim int, ga, gp, gn []float32) float32 {
	rows := len(a) / dim
	var total float32
	for i := 0; i < rows; i++ {
		lo, hi := i*dim, (i+1)*dim
		ai, pi, ni := a[lo:hi], p[lo:hi], n[lo:hi]
		dap, dan := scalarSqrt(vsqdist(ai, pi, tripletEps)), scalarSqrt(vsqdist(ai, ni, tripletEps))
		x := dap - dan + tripletMargin
		if x > 0 {
			total += x
		}
		if ga == nil {
			continue
		}
		var cp, cn float32
		if x > 0 {
			g := 1 / float32(rows)
			cp, cn = -g/dap, g/dan
		}
		tripletGrad(ga[lo:hi], gp[lo:hi], gn[lo:hi], ai, pi, ni, cp, cn)
	}
	return total / float32(rows)
}

// tripletGrad: u = a-p+eps, v = a-n+eps; gp = cp·u, gn = cn·v, ga = -(gp+gn).
func tripletGrad(ga, gp, gn, a, p, n []float32, cp, cn float32) {
	ve, vp, vn, neg := bcast(tripletEps), bcast(cp), bcast(cn), bcast(-1)
	i := 0
	for ; i+8 <= len(a); i += 8 {
		va := load8(a[i:])
		u := va.Sub(load8(p[i:])).Add(ve).Mul(vp)
		v := va.Sub(load8(n[i:])).Add(ve).Mul(vn)
		u.StoreSlice(gp[i:])
		v.StoreSlice(gn[i:])
		u.Add(v).Mul(neg).StoreSlice(ga[i:])
	}
	vzeroupper()
	for ; i < len(a); i++ {
		u, v := cp*(a[i]-p[i]+tripletEps), cn*(a[i]-n[i]+tripletEps)
		gp[i], gn[i], ga[i] = u, v, -(u + v)
	}
}

func archsimdSquaredL2Rows(dst, a, b []float32, dim int) {
	for i := range dst[:len(a)/dim] {
		dst[i] = vsqdist(a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim], 0)
	}
}

// archsimdSquaredL2 is ||a_i||² + ||b_j||² - 2 a_i·b_j (clamped at 0) with one
// vector dot product per pair: what a straightforward archsimd user writes
// (no packing or register blocking).
func archsimdSquaredL2(dst, a, b []float32, dim int) {
	n := len(b) / dim
	nb := make([]float32, n)
	for j := range nb {
		bj := b[j*dim : (j+1)*dim]
		nb[j] = vdot(bj, bj)
	}
	for i := 0; i < len(a)/dim; i++ {
		ai := a[i*dim : (i+1)*dim]
		ni := vdot(ai, ai)
		row := dst[i*n : (i+1)*n]
		for j := range row {
			row[j] = max(ni+nb[j]-2*vdot(ai, b[j*dim:(j+1)*dim]), 0)
		}
	}
}

func archsimdDots(dst, a, b []float32, dim int) {
	n := len(b) / dim
	for i := 0; i < len(a)/dim; i++ {
		ai := a[i*dim : (i+1)*dim]
		row := dst[i*n : (i+1)*n]
		for j := range row {
			row[j] = vdot(ai, b[j*dim:(j+1)*dim])
		}
	}
}
