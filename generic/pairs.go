package generic

import "math"

// Symmetrize replaces the n×n matrix a by a + aᵀ: a_ij = a_ji = a_ij + a_ji
// (a_ii doubles), one float32 addition per pair whatever the order. It
// walks pairs of 8×8 blocks: the mirror block's eight rows, walked down a
// column, stay in a few L1 lines even where n is a power of two (a wider
// tile's column walk maps to the same few cache sets and thrashes them).
func Symmetrize(a []float32, n int) {
	const b = 8
	a = a[:n*n]
	for i0 := 0; i0 < n; i0 += b {
		i1 := min(i0+b, n)
		for j0 := 0; j0 < i0; j0 += b { // the block (i0, j0) and its mirror (j0, i0)
			for i := i0; i < i1; i++ {
				row := a[i*n+j0 : i*n+j0+b]
				for k := range row {
					p := &a[(j0+k)*n+i]
					v := row[k] + *p
					row[k], *p = v, v
				}
			}
		}
		for i := i0; i < i1; i++ { // the diagonal block
			for j := i0; j <= i; j++ {
				v := a[i*n+j] + a[j*n+i]
				a[i*n+j], a[j*n+i] = v, v
			}
		}
	}
}

// SymmetrizeFrom is Symmetrize for the pairs (i, j) with max(i, j) >= m
// only: what is left after the first m rows and columns are done.
func SymmetrizeFrom(a []float32, n, m int) {
	a = a[:n*n]
	for i := m; i < n; i++ {
		for j := 0; j <= i; j++ {
			v := a[i*n+j] + a[j*n+i]
			a[i*n+j], a[j*n+i] = v, v
		}
	}
}

// MaskedAffine writes dst_j = beta·(x_j - base) (two roundings) where
// x_j + eps > thr, and -Inf elsewhere (x_j NaN included), and returns the
// largest non-NaN x_j plus +0 (-Inf if there is none): the negatives pass
// of the multi-similarity miner. dst may be x.
func MaskedAffine(dst, x []float32, thr, eps, beta, base float32) float32 {
	dst = dst[:len(x)]
	ninf := float32(math.Inf(-1))
	m := ninf
	for j, v := range x {
		y := float32(beta * (v - base))
		if !(v+eps > thr) {
			y = ninf
		}
		if v > m {
			m = v
		}
		dst[j] = y
	}
	return m + 0
}

// relu is x where x > 0, else +0 (NaN and -0 included): MAXPS(x, +0) on
// x86, which returns its second source unless x > 0.
func relu(x float32) float32 {
	if x > 0 {
		return x
	}
	return 0
}

// CircleLogits writes circle loss's negative logits dst_j =
// (gamma·relu(s_j + m))·(s_j - m), each operation rounded. dst may be s.
func CircleLogits(dst, s []float32, gamma, m float32) {
	dst = dst[:len(s)]
	for j, x := range s {
		dst[j] = float32(gamma*relu(x+m)) * (x - m)
	}
}

// CircleGrads overwrites s_j with circle loss's negative gradients
// (c·relu(s_j + m))·p_j, each operation rounded (p: the negatives'
// softmax).
func CircleGrads(s, p []float32, c, m float32) {
	p = p[:len(s)]
	for j, x := range s {
		s[j] = float32(c*relu(x+m)) * p[j]
	}
}

// PairUpdates adds the pairs' terms to the rows of grad, in pair order: for
// t = 0, 1, …, with i = pi[t], j = pj[t] and k = k[t], elementwise
// u = k·(x_i - x_j), then g_i += u and g_j -= u (x the rows of emb, g
// those of grad, dim elements each). The sparse gradient of the triplet
// miners (BatchHard, SemiHard).
func PairUpdates(grad, emb []float32, pi, pj []int32, k []float32, dim int) {
	for t, c := range k {
		i, j := int(pi[t])*dim, int(pj[t])*dim
		xi, xj := emb[i:i+dim], emb[j:j+dim]
		gi, gj := grad[i:i+dim], grad[j:j+dim]
		xj, gi, gj = xj[:len(xi)], gi[:len(xi)], gj[:len(xi)]
		for e, v := range xi {
			u := float32(c * (v - xj[e]))
			gi[e] += u
			gj[e] -= u
		}
	}
}
