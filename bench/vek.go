package main

import (
	"math"

	"github.com/viterin/vek/vek32"
)

// The vek peers compose github.com/viterin/vek's float32 vector operations
// (AVX2+FMA assembly where the CPU has both, pure Go otherwise; see vekInfo):
// Max, SubNumber, Exp, Sum, MulNumber, Dot, Distance, MatMul. vek has no
// row-wise or fused operations, so a softmax row is several passes over the
// row, as a vek user would write it. Its MatMul multiplies an m×k by a k×n
// matrix, so a·bᵀ first transposes b (per call: the inputs are the same
// row-major a and b as every column's). vek's MatMul splits large products
// over runtime.NumCPU() goroutines, which -cpu 1 runs on one core.

func vekSoftmax(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x, y := src[r:r+cols], dst[r:r+cols]
		vek32.SubNumber_Into(y, x, vek32.Max(x))
		vek32.Exp_Inplace(y)
		vek32.MulNumber_Inplace(y, 1/vek32.Sum(y))
	}
}

// vekLSE returns log Σ exp(x) using s (len(x)) as scratch.
func vekLSE(x, s []float32) float32 {
	m := vek32.Max(x)
	vek32.SubNumber_Into(s, x, m)
	vek32.Exp_Inplace(s)
	return m + float32(math.Log(float64(vek32.Sum(s))))
}

func vekLogSoftmax(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x, y := src[r:r+cols], dst[r:r+cols]
		vek32.SubNumber_Into(y, x, vekLSE(x, y))
	}
}

func vekLogSumExp(dst, src []float32, cols int, scratch []float32) {
	for r := 0; r+cols <= len(src); r += cols {
		dst[r/cols] = vekLSE(src[r:r+cols], scratch)
	}
}

// vekCrossEntropy is the class-weighted mean cross-entropy, with its gradient
// when grad is non-nil; scratch is cols long.
func vekCrossEntropy(z []float32, labels []int32, w []float32, cols int, grad, scratch []float32) float32 {
	var den float32
	for _, y := range labels {
		den += w[y]
	}
	var total float32
	for r, y := range labels {
		x := z[r*cols : (r+1)*cols]
		lse := vekLSE(x, scratch)
		wy := w[y]
		total += wy * (lse - x[y])
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			vek32.SubNumber_Into(g, x, lse)
			vek32.Exp_Inplace(g)
			vek32.MulNumber_Inplace(g, wy/den)
			g[y] -= wy / den
		}
	}
	return total / den
}

// vekTriplet is the mean Euclidean triplet loss with PyTorch's eps, with its
// gradients when ga is non-nil; u and v are dim-long scratch rows.
func vekTriplet(a, p, n []float32, dim int, ga, gp, gn, u, v []float32) float32 {
	rows := len(a) / dim
	var total float32
	for i := 0; i < rows; i++ {
		lo, hi := i*dim, (i+1)*dim
		vek32.Sub_Into(u, a[lo:hi], p[lo:hi])
		vek32.AddNumber_Inplace(u, tripletEps)
		vek32.Sub_Into(v, a[lo:hi], n[lo:hi])
		vek32.AddNumber_Inplace(v, tripletEps)
		dap, dan := vek32.Norm(u), vek32.Norm(v)
		x := dap - dan + tripletMargin
		if x > 0 {
			total += x
		}
		if ga == nil {
			continue
		}
		if x <= 0 {
			clear(ga[lo:hi])
			clear(gp[lo:hi])
			clear(gn[lo:hi])
			continue
		}
		g := 1 / float32(rows)
		vek32.MulNumber_Into(gp[lo:hi], u, -g/dap)
		vek32.MulNumber_Into(gn[lo:hi], v, g/dan)
		vek32.Add_Into(ga[lo:hi], gp[lo:hi], gn[lo:hi])
		vek32.Neg_Inplace(ga[lo:hi])
	}
	return total / float32(rows)
}

// vekSquaredL2Rows squares vek's one-pass Euclidean distance of each pair.
func vekSquaredL2Rows(dst, a, b []float32, dim int) {
	for i := range dst[:len(a)/dim] {
		d := vek32.Distance(a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim])
		dst[i] = d * d
	}
}

// vekMatrix is SquaredL2 and Dots with vek's MatMul on bᵀ.
type vekMatrix struct {
	a, b, bt, c []float32
	na, nb      []float32
	dim         int
}

func newVekMatrix(a, b []float32, dim int) *vekMatrix {
	m, n := len(a)/dim, len(b)/dim
	return &vekMatrix{a: a, b: b, bt: make([]float32, len(b)), c: make([]float32, m*n),
		na: make([]float32, m), nb: make([]float32, n), dim: dim}
}

func (v *vekMatrix) product() {
	d, n := v.dim, len(v.b)/v.dim
	for j := 0; j < n; j++ {
		for k, x := range v.b[j*d : (j+1)*d] {
			v.bt[k*n+j] = x
		}
	}
	vek32.MatMul_Into(v.c, v.a, v.bt, d)
}

func (v *vekMatrix) dots() { v.product() }

func (v *vekMatrix) squaredL2() {
	d := v.dim
	for i := range v.na {
		r := v.a[i*d : (i+1)*d]
		v.na[i] = vek32.Dot(r, r)
	}
	for j := range v.nb {
		r := v.b[j*d : (j+1)*d]
		v.nb[j] = vek32.Dot(r, r)
	}
	v.product()
	n := len(v.nb)
	for i, ni := range v.na {
		row := v.c[i*n : (i+1)*n]
		for j, nj := range v.nb {
			row[j] = max(ni+nj-2*row[j], 0)
		}
	}
}

func (v *vekMatrix) result() []float64 { return widen(v.c) }
