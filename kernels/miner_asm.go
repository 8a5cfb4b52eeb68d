//go:build !purego && (amd64 || arm64)

package kernels

import (
	"math"

	"github.com/simdloss/simdloss/generic"
)

// The wrappers of the miners' generated kernels (PairUpdates, FirstMinBits,
// HingeCounts, AboveMin), shared by the AVX2 and NEON sets.

// pairUpdatesAsm is the signature of a generated PairUpdates kernel: n >= 1
// pairs (pi, pj, k) of rows of dim >= 1 elements of grad and emb.
type pairUpdatesAsm func(grad, emb *float32, pi, pj *int32, k *float32, n, dim int)

// pairUpdatesKernel wraps a generated PairUpdates kernel into one that
// feeds it at most rowChunk pairs per call.
func pairUpdatesKernel(k pairUpdatesAsm) func(grad, emb []float32, pi, pj []int32, c []float32, dim int) {
	return func(grad, emb []float32, pi, pj []int32, c []float32, dim int) {
		step := rowChunk(dim)
		for t := 0; t < len(c); t += step {
			n := min(step, len(c)-t)
			k(&grad[0], &emb[0], &pi[t], &pj[t], &c[t], n, dim)
		}
	}
}

// firstMinBitsKernel wraps a generated FirstMinBits kernel (n >= 1
// elements): it runs on rows of up to 1<<20 elements at a time (each
// part's first least, then the least of those, the first of equals).
func firstMinBitsKernel(k func(row *float32, n int) int) func(row []float32) int {
	return func(row []float32) int {
		const part = 1 << 20
		best, idx := uint32(0), -1
		for o := 0; o < len(row); o += part {
			i := o + k(&row[o], min(part, len(row)-o))
			if b := math.Float32bits(row[i]); idx < 0 || b < best {
				best, idx = b, i
			}
		}
		return idx
	}
}

// hingeCountsAsm is the signature of a generated HingeCounts kernel:
// generic.HingePartials over row[0:n], n a positive multiple of 8, writing
// the partials (from +0) to sums[8s+j] and the counts to counts[s].
type hingeCountsAsm func(row, crow *float32, n int, dp *float32, margin float32, sums *float32, counts *int32)

// hingeCountsKernel wraps a generated HingeCounts kernel: it runs over the
// whole blocks of 8 of the row and generic.HingePartials over the tail,
// then folds the partials as generic.
func hingeCountsKernel(k hingeCountsAsm) func(row, crow []float32, dp [4]float32, margin float32) ([4]int, [4]float32) {
	return func(row, crow []float32, dp [4]float32, margin float32) (on [4]int, sum [4]float32) {
		var p [4][generic.HingeLanes]float32
		n8 := len(row) &^ 7
		if n8 > 0 {
			var cnt [4]int32
			k(ptr(row), ptr(crow), n8, &dp[0], margin, &p[0][0], &cnt[0])
			for s, c := range cnt {
				on[s] = int(c)
			}
		}
		generic.HingePartials(row, crow, n8, &dp, margin, &p, &on)
		return on, generic.HingeFold(&p)
	}
}

// aboveMinKernel wraps a generated AboveMin kernel (over row[0:n], n a
// positive multiple of 8, merging its lanes itself: least value, then
// lowest index) and finishes the tail with generic.AboveMinFrom.
func aboveMinKernel(k func(row *float32, n int, t *float32, mins *float32, idx *int32)) func(row []float32, t [4]float32) [4]int {
	return func(row []float32, t [4]float32) [4]int {
		inf := float32(math.Inf(1))
		best := [4]float32{inf, inf, inf, inf}
		idx := [4]int{-1, -1, -1, -1}
		n8 := len(row) &^ 7
		if n8 > 0 {
			var ix [4]int32
			k(ptr(row), n8, &t[0], &best[0], &ix[0])
			for s, i := range ix {
				idx[s] = int(i)
			}
		}
		generic.AboveMinFrom(row, n8, &t, &best, &idx)
		return idx
	}
}
