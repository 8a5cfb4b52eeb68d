//go:build !purego

package kernels

import (
	"math"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels/asm"
)

// hingeCountsAVX2 runs the kernel over the whole vectors of the row and
// generic.HingePartials over the tail, then folds the partials as generic.
func hingeCountsAVX2(row, crow []float32, dp [4]float32, margin float32) (on [4]int, sum [4]float32) {
	var p [4][generic.HingeLanes]float32
	n8 := len(row) &^ 7
	if n8 > 0 {
		var cnt [4]int32
		asm.HingeCountsAVX2(ptr(row), ptr(crow), n8, &dp[0], margin, &p[0][0], &cnt[0])
		for s, c := range cnt {
			on[s] = int(c)
		}
	}
	generic.HingePartials(row, crow, n8, &dp, margin, &p, &on)
	return on, generic.HingeFold(&p)
}

// aboveMinAVX2 runs the kernel over the whole vectors of the row (it merges
// its lanes itself: least value, then lowest index) and finishes the tail
// with generic.AboveMinFrom.
func aboveMinAVX2(row []float32, t [4]float32) [4]int {
	inf := float32(math.Inf(1))
	best := [4]float32{inf, inf, inf, inf}
	idx := [4]int{-1, -1, -1, -1}
	n8 := len(row) &^ 7
	if n8 > 0 {
		var ix [4]int32
		asm.AboveMinAVX2(ptr(row), n8, &t[0], &best[0], &ix[0])
		for s, k := range ix {
			idx[s] = int(k)
		}
	}
	generic.AboveMinFrom(row, n8, &t, &best, &idx)
	return idx
}

var firstMinBitsAVX2 = firstMinBitsKernel(asm.FirstMinBitsAVX2)
