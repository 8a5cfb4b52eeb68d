package main

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// The gonum peers are what a Go user writes with gonum: the floats package
// for the row operations it has (Max, Sum, Scale, LogSumExp, Dot, Norm, …),
// math.Exp for the rest, and mat/BLAS Gemm for the matrices. floats and mat
// work on float64 only, so these peers run on float64 copies of the same
// inputs (converted once, outside the timed calls), reading and writing twice
// the bytes. gonum32 is gonum's float32 BLAS (blas32.Gemm) for the matrix
// cases. gonum's Gemm uses GOMAXPROCS workers: -cpu 1 (the default) keeps it
// on one core like every other column.

func gonumSoftmax(dst, src []float64, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x, y := src[r:r+cols], dst[r:r+cols]
		m := floats.Max(x)
		for i, v := range x {
			y[i] = math.Exp(v - m)
		}
		floats.Scale(1/floats.Sum(y), y)
	}
}

func gonumLogSoftmax(dst, src []float64, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x, y := src[r:r+cols], dst[r:r+cols]
		lse := floats.LogSumExp(x)
		copy(y, x)
		floats.AddConst(-lse, y)
	}
}

func gonumLogSumExp(dst, src []float64, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		dst[r/cols] = floats.LogSumExp(src[r : r+cols])
	}
}

// gonumCrossEntropy is the class-weighted mean cross-entropy, with its
// gradient when grad is non-nil.
func gonumCrossEntropy(z []float64, labels []int32, w []float64, cols int, grad []float64) float64 {
	den := 0.0
	for _, y := range labels {
		den += w[y]
	}
	total := 0.0
	for r, y := range labels {
		x := z[r*cols : (r+1)*cols]
		lse := floats.LogSumExp(x)
		wy := w[y]
		total += wy * (lse - x[y])
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			for j, v := range x {
				g[j] = math.Exp(v - lse)
			}
			floats.Scale(wy/den, g)
			g[y] -= wy / den
		}
	}
	return total / den
}

// gonumTriplet is the mean Euclidean triplet loss with PyTorch's eps, with
// its gradients when ga is non-nil; u and v are dim-long scratch rows.
func gonumTriplet(a, p, n []float64, dim int, ga, gp, gn, u, v []float64) float64 {
	rows := len(a) / dim
	total := 0.0
	for i := 0; i < rows; i++ {
		lo, hi := i*dim, (i+1)*dim
		floats.SubTo(u, a[lo:hi], p[lo:hi])
		floats.AddConst(tripletEps, u)
		floats.SubTo(v, a[lo:hi], n[lo:hi])
		floats.AddConst(tripletEps, v)
		dap, dan := floats.Norm(u, 2), floats.Norm(v, 2)
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
		g := 1 / float64(rows)
		floats.ScaleTo(gp[lo:hi], -g/dap, u)
		floats.ScaleTo(gn[lo:hi], g/dan, v)
		floats.AddTo(ga[lo:hi], gp[lo:hi], gn[lo:hi])
		floats.Scale(-1, ga[lo:hi])
	}
	return total / float64(rows)
}

// gonumSquaredL2Rows: the squared difference of each pair of rows, with u a
// dim-long scratch row.
func gonumSquaredL2Rows(dst, a, b []float64, dim int, u []float64) {
	for i := range dst[:len(a)/dim] {
		floats.SubTo(u, a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim])
		dst[i] = floats.Dot(u, u)
	}
}

// gonumMatrix is SquaredL2 and Dots with gonum's mat (float64): the distance
// matrix is faiss's formula, C filled with ||a_i||²+||b_j||², then one
// Gemm C = -2·a·bᵀ + C, then the clamp at 0.
type gonumMatrix struct {
	a, b, c *mat.Dense
	na, nb  []float64
}

func newGonumMatrix(a, b []float32, dim int) *gonumMatrix {
	m, n := len(a)/dim, len(b)/dim
	return &gonumMatrix{a: mat.NewDense(m, dim, widen(a)), b: mat.NewDense(n, dim, widen(b)), c: mat.NewDense(m, n, nil),
		na: make([]float64, m), nb: make([]float64, n)}
}

func (g *gonumMatrix) squaredL2() {
	rowNorms64(g.na, g.a)
	rowNorms64(g.nb, g.b)
	c := g.c.RawMatrix()
	for i, ni := range g.na {
		row := c.Data[i*c.Stride : i*c.Stride+c.Cols]
		for j, nj := range g.nb {
			row[j] = ni + nj
		}
	}
	blas64.Gemm(blas.NoTrans, blas.Trans, -2, g.a.RawMatrix(), g.b.RawMatrix(), 1, c)
	for i := 0; i < c.Rows; i++ {
		for j, v := range c.Data[i*c.Stride : i*c.Stride+c.Cols] {
			if v < 0 {
				c.Data[i*c.Stride+j] = 0
			}
		}
	}
}

func (g *gonumMatrix) dots() { g.c.Mul(g.a, g.b.T()) }

func (g *gonumMatrix) result() []float64 {
	r, c := g.c.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		out = append(out, g.c.RawRowView(i)...)
	}
	return out
}

func rowNorms64(dst []float64, x *mat.Dense) {
	for i := range dst {
		r := x.RawRowView(i)
		dst[i] = floats.Dot(r, r)
	}
}

// gonum32Matrix is the same with gonum's float32 BLAS on the float32 inputs.
type gonum32Matrix struct {
	a, b, c blas32.General
	na, nb  []float32
}

func newGonum32Matrix(a, b []float32, dim int) *gonum32Matrix {
	m, n := len(a)/dim, len(b)/dim
	return &gonum32Matrix{
		a:  blas32.General{Rows: m, Cols: dim, Stride: dim, Data: a},
		b:  blas32.General{Rows: n, Cols: dim, Stride: dim, Data: b},
		c:  blas32.General{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)},
		na: make([]float32, m), nb: make([]float32, n)}
}

func rowNorms32(dst []float32, x blas32.General) {
	for i := range dst {
		v := blas32.Vector{N: x.Cols, Inc: 1, Data: x.Data[i*x.Stride : i*x.Stride+x.Cols]}
		dst[i] = blas32.Dot(v, v)
	}
}

func (g *gonum32Matrix) squaredL2() {
	rowNorms32(g.na, g.a)
	rowNorms32(g.nb, g.b)
	c := g.c
	for i, ni := range g.na {
		row := c.Data[i*c.Stride : i*c.Stride+c.Cols]
		for j, nj := range g.nb {
			row[j] = ni + nj
		}
	}
	blas32.Gemm(blas.NoTrans, blas.Trans, -2, g.a, g.b, 1, c)
	for i, v := range c.Data {
		if v < 0 {
			c.Data[i] = 0
		}
	}
}

func (g *gonum32Matrix) dots() { blas32.Gemm(blas.NoTrans, blas.Trans, 1, g.a, g.b, 0, g.c) }

func (g *gonum32Matrix) result() []float64 { return widen(g.c.Data) }
