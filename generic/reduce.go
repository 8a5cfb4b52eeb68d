package generic

import "math"

// Partials is the number of partial sums of the canonical row reductions:
// element i of a row goes to partial i mod Partials (4 AVX2 registers of 8
// lanes, 8 NEON registers of 4 lanes).
const Partials = 32

// RowMax returns the largest element of x plus +0, or -Inf for an empty x.
// NaN elements are skipped; the +0 turns a -0 maximum into +0, so the result
// does not depend on the order of comparison. (A row holding NaN gives NaN
// through its sum of exponentials whatever RowMax returns.)
func RowMax(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m + 0
}

// TreeSum folds the partial sums in the canonical order:
//
//	v[j] = (p[j] + p[j+16]) + (p[j+8] + p[j+24])   for j in 0..7
//	sum  = ((v0+v1) + (v2+v3)) + ((v4+v5) + (v6+v7))
//
// which is acc0+acc2, acc1+acc3, their sum, then two horizontal-add steps and
// a final add of the two 128-bit halves on AVX2 (FADDP steps on NEON).
func TreeSum(p *[Partials]float32) float32 {
	var v [8]float32
	for j := range v {
		v[j] = (p[j] + p[j+16]) + (p[j+8] + p[j+24])
	}
	return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

// SumExp returns the canonical sum of ExpNeg(x_i - m) over x. When store is
// non-nil (len(store) >= len(x); it may be x itself) each exponential is
// written to store[i] as it is computed.
func SumExp(store, x []float32, m float32) float32 {
	var p [Partials]float32
	if store != nil {
		store = store[:len(x)]
		for i, v := range x {
			e := ExpNeg(v - m)
			store[i] = e
			p[i%Partials] += e
		}
	} else {
		for i, v := range x {
			p[i%Partials] += ExpNeg(v - m)
		}
	}
	return TreeSum(&p)
}

// SumSquares returns the canonical sum of x_i^2: fma(x_i, x_i, p[i mod 32])
// into the partials, then TreeSum.
func SumSquares(x []float32) float32 {
	var p [Partials]float32
	for i, v := range x {
		p[i%Partials] = FMA32(v, v, p[i%Partials])
	}
	return TreeSum(&p)
}

// SumSquaredDiff returns the canonical sum of (a_i - b_i)^2, the difference
// rounded to float32, then fma into the partials, then TreeSum.
func SumSquaredDiff(a, b []float32) float32 {
	var p [Partials]float32
	b = b[:len(a)]
	for i, v := range a {
		d := v - b[i]
		p[i%Partials] = FMA32(d, d, p[i%Partials])
	}
	return TreeSum(&p)
}

// SumProducts returns the canonical sum of a_i*b_i with the same partials and
// tree as SumSquares (used for paired rows).
func SumProducts(a, b []float32) float32 {
	var p [Partials]float32
	b = b[:len(a)]
	for i, v := range a {
		p[i%Partials] = FMA32(v, b[i], p[i%Partials])
	}
	return TreeSum(&p)
}

// Dot returns the canonical dot product of the pairwise kernels: a chain of
// fused multiply-adds in index order from +0, acc = fma(a_k, b_k, acc), which
// is what a register-blocked a·bᵀ micro-kernel computes for each output.
func Dot(a, b []float32) float32 {
	var acc float32
	b = b[:len(a)]
	for k, v := range a {
		acc = FMA32(v, b[k], acc)
	}
	return acc
}
