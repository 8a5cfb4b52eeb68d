//go:build !purego

package kernels

import (
	"math"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels/asm"
)

var hingeCountsAVX2 = hingeCountsKernel(asm.HingeCountsAVX2)

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
