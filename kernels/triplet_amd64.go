//go:build !purego

package kernels

import "github.com/simdloss/simdloss/kernels/asm"

var (
	squaredL2RowsEpsAVX2 = epsRowsKernel(asm.SquaredL2RowsEpsAVX2)
	tripletGradAVX2      = tripletGradKernel(asm.TripletGradAVX2, asm.TripletGradSwapAVX2)
)
