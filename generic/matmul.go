package generic

import "math"

// MatMul writes dst = op(a)·op(b) (m×n, row-major) where op(a) is m×k and
// op(b) is k×n: a is m×k row-major, or k×m when transA; b is k×n
// row-major, or n×k when transB. Every output is the canonical Dot chain
// acc = fma(A(i,l), B(l,j), acc) for l = 0..k-1 from +0, whatever the
// layouts. m, n, k >= 1; no shape checks (package kernels checks them).
func MatMul(dst, a, b []float32, m, n, k int, transA, transB bool) {
	matMul(dst, a, b, m, n, k, transA, transB, false)
}

// MatMulAdd is MatMul accumulating into dst: each output's chain starts
// from the value in dst instead of +0 (dst += op(a)·op(b), one chain).
func MatMulAdd(dst, a, b []float32, m, n, k int, transA, transB bool) {
	matMul(dst, a, b, m, n, k, transA, transB, true)
}

func matMul(dst, a, b []float32, m, n, k int, transA, transB, add bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc float32
			if add {
				acc = dst[i*n+j]
			}
			for l := 0; l < k; l++ {
				var x, y float32
				if transA {
					x = a[l*m+i]
				} else {
					x = a[i*k+l]
				}
				if transB {
					y = b[j*k+l]
				} else {
					y = b[l*n+j]
				}
				acc = FMA32(x, y, acc)
			}
			dst[i*n+j] = acc
		}
	}
}

// NormEps is the smallest norm InvNorm divides by (torch.nn.functional.
// normalize's default eps).
const NormEps float32 = 1e-12

// InvNorm returns 1 / max(sqrt(SumSquares(x)), NormEps): the factor that
// L2-normalises x (the square root and the division IEEE-rounded).
func InvNorm(x []float32) float32 {
	return InvNormOf(SumSquares(x))
}

// InvNormOf is InvNorm from a canonical sum of squares s.
func InvNormOf(s float32) float32 {
	r := float32(math.Sqrt(float64(s)))
	if !(r >= NormEps) && r == r {
		r = NormEps
	}
	return 1 / r
}

// CosineEpilogue turns a canonical dot product and the inverse norms of
// its two rows into a cosine similarity: (dot * ra) * rb, each product
// rounded. It is the epilogue of the Cosines micro-kernels.
func CosineEpilogue(dot, ra, rb float32) float32 {
	return float32(float32(dot*ra) * rb)
}

// Cosines writes dst[i*n+j] = CosineEpilogue(Dot(a_i, b_j), InvNorm(a_i),
// InvNorm(b_j)): the cosine similarities of the m rows of a and the n rows
// of b (each dim long), the rows L2-normalised with NormEps.
func Cosines(dst, a, b []float32, m, n, dim int) {
	pairsWithEpilogue(dst, a, b, m, n, dim, InvNorm, CosineEpilogue)
}
