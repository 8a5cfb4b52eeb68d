package generic

import "github.com/simdloss/simdloss/internal/check"

// blockB is how many rows of b the pairwise functions take at a time; their
// norms live in a stack array of this size, so nothing is allocated.
const blockB = 128

// SquaredL2 writes dst[i*n+j] = ||a_i - b_j||^2 for the m rows of a and the n
// rows of b (each dim long): m = len(a)/dim, n = len(b)/dim.
//
// Canonical form: na_i = SumSquares(a_i), nb_j = SumSquares(b_j),
// d = Dot(a_i, b_j), dst = ClampL2(fma(-2, d, na_i + nb_j)).
func SquaredL2(dst, a, b []float32, dim int) {
	m, n := check.Pairwise("SquaredL2", len(dst), len(a), len(b), dim, false)
	check.Disjoint("SquaredL2", "dst", "a", dst, a)
	check.Disjoint("SquaredL2", "dst", "b", dst, b)
	pairsWithEpilogue(dst, a, b, m, n, dim, SumSquares, L2Epilogue)
}

// pairsWithEpilogue writes dst[i*n+j] = ep(Dot(a_i, b_j), side(a_i),
// side(b_j)), the per-row side values of b taken blockB rows at a time into
// a stack array, so nothing is allocated.
func pairsWithEpilogue(dst, a, b []float32, m, n, dim int, side func([]float32) float32, ep func(dot, sa, sb float32) float32) {
	var sb [blockB]float32
	for j0 := 0; j0 < n; j0 += blockB {
		j1 := min(j0+blockB, n)
		for j := j0; j < j1; j++ {
			sb[j-j0] = side(b[j*dim : (j+1)*dim])
		}
		for i := 0; i < m; i++ {
			ai := a[i*dim : (i+1)*dim]
			sa := side(ai)
			row := dst[i*n : (i+1)*n]
			for j := j0; j < j1; j++ {
				row[j] = ep(Dot(ai, b[j*dim:(j+1)*dim]), sa, sb[j-j0])
			}
		}
	}
}

// L2Epilogue turns a canonical dot product and the two squared norms into a
// squared distance: t = na + nb; y = fma(-2, dot, t); y < 0 becomes +0 (NaN
// stays NaN). It is the epilogue of the SquaredL2 micro-kernels.
func L2Epilogue(dot, na, nb float32) float32 {
	y := FMA32(-2, dot, na+nb)
	if y < 0 {
		return 0
	}
	return y
}

// Dots writes dst[i*n+j] = Dot(a_i, b_j): the plain a·bᵀ matrix of the m rows
// of a and the n rows of b.
func Dots(dst, a, b []float32, dim int) {
	m, n := check.Pairwise("Dots", len(dst), len(a), len(b), dim, false)
	check.Disjoint("Dots", "dst", "a", dst, a)
	check.Disjoint("Dots", "dst", "b", dst, b)
	for i := 0; i < m; i++ {
		ai := a[i*dim : (i+1)*dim]
		row := dst[i*n : (i+1)*n]
		for j := range row {
			row[j] = Dot(ai, b[j*dim:(j+1)*dim])
		}
	}
}

// SquaredL2Rows writes dst[i] = SumSquaredDiff(a_i, b_i) for paired rows.
func SquaredL2Rows(dst, a, b []float32, dim int) {
	m, _ := check.Pairwise("SquaredL2Rows", len(dst), len(a), len(b), dim, true)
	check.Overlap("SquaredL2Rows", "dst", "a", dst, a)
	check.Overlap("SquaredL2Rows", "dst", "b", dst, b)
	for i := 0; i < m; i++ {
		dst[i] = SumSquaredDiff(a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim])
	}
}

// DotRows writes dst[i] = SumProducts(a_i, b_i) for paired rows.
func DotRows(dst, a, b []float32, dim int) {
	m, _ := check.Pairwise("DotRows", len(dst), len(a), len(b), dim, true)
	check.Overlap("DotRows", "dst", "a", dst, a)
	check.Overlap("DotRows", "dst", "b", dst, b)
	for i := 0; i < m; i++ {
		dst[i] = SumProducts(a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim])
	}
}

// SquaredL2RowsIdx writes dst[i] = SumSquaredDiff(a_i, b_{idx[i]}) for the
// rows of a (len(idx) of them): the paired distances to gathered rows of b,
// such as each embedding's class centre, without copying the rows. Shapes
// and indices are the caller's to check (kernels.Set.SquaredL2RowsIdx).
func SquaredL2RowsIdx(dst, a, b []float32, idx []int32, dim int) {
	for i, k := range idx {
		dst[i] = SumSquaredDiff(a[i*dim:(i+1)*dim], b[int(k)*dim:(int(k)+1)*dim])
	}
}
