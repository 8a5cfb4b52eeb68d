//go:build !purego

package kernels

import "github.com/simdloss/simdloss/kernels/asm"

var (
	softmaxAVX2    = rowKernel(asm.SoftmaxAVX2)
	logSoftmaxAVX2 = rowKernel(asm.LogSoftmaxAVX2)
	logSumExpAVX2  = lseKernel(asm.LogSumExpAVX2)
)
