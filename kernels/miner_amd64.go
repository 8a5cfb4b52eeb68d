//go:build !purego

package kernels

import "github.com/simdloss/simdloss/kernels/asm"

// The AVX2 miner kernels, in their shared wrappers (miner_asm.go).
var (
	hingeCountsAVX2  = hingeCountsKernel(asm.HingeCountsAVX2)
	aboveMinAVX2     = aboveMinKernel(asm.AboveMinAVX2)
	firstMinBitsAVX2 = firstMinBitsKernel(asm.FirstMinBitsAVX2)
	pairUpdatesAVX2  = pairUpdatesKernel(asm.PairUpdatesAVX2)
)
