//go:build !purego

package kernels

import (
	"github.com/klauspost/cpuid/v2"
	"github.com/simdloss/simdloss/kernels/asm"
)

// AVX512 is the amd64 set for CPUs with AVX-512F on top of AVX2 and FMA3:
// the softmax family and the fused cross-entropy rows use 16-lane kernels
// (gen/avx2rows -isa avx512: the 32 partials in 2 registers, K-register
// tails) for rows wider than blockCols; narrow rows keep the AVX2 kernels'
// transposed 8-row path; the pairwise kernels (SquaredL2, Dots, Cosines,
// MatMul) run 16-lane tiles over two panels at a time, and the memory-bound
// row kernels are the AVX2 ones. Every kernel returns the generic set's bits, so the split
// changes speed only.
var AVX512 = withAVX2Glue(&Set{
	name: "avx512",
	supported: func() bool {
		return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F)
	},
	softmax:    byCols(softmaxAVX2, rowChained(asm.SoftmaxAVX512, chainCols512)),
	logSoftmax: byCols(logSoftmaxAVX2, rowChained(asm.LogSoftmaxAVX512, chainCols512)),
	logSumExp:  byCols(logSumExpAVX2, lseChained(asm.LogSumExpAVX512)),
	crossEntropy: ceByCols(crossEntropyAVX2, ceKernel([8]ceAsm{
		asm.CrossEntropyPlainAVX512, asm.CrossEntropySAVX512, asm.CrossEntropyWAVX512, asm.CrossEntropyWSAVX512,
		asm.CrossEntropyGAVX512, asm.CrossEntropyGSAVX512, asm.CrossEntropyGWAVX512, asm.CrossEntropyGWSAVX512,
	})),
	crossEntropyLabels: crossEntropyLabelsAVX512(fastGather),
	crossEntropySoft: ceSoftKernel([4]ceSoftAsm{
		asm.CrossEntropySoftPlainAVX512, asm.CrossEntropySoftWAVX512, asm.CrossEntropySoftGAVX512, asm.CrossEntropySoftGWAVX512,
	}),
	squaredL2:        squaredL2AVX512,
	dots:             dotsAVX512,
	cosines:          cosinesAVX512,
	matMul:           matMulAVX512,
	squaredL2Rows:    squaredL2RowsAVX2,
	dotRows:          dotRowsAVX2,
	squaredL2RowsEps: squaredL2RowsEpsAVX2,
	tripletGrad:      tripletGradAVX2,
	axpbyRows:        axpbyRowsAVX2,
	flushSubnormals:  flushSubnormalsAVX2,
	labelWeights:     labelWeightsAVX512,
})

// blockCols is the widest row the AVX2 kernels take 8 rows at a time.
const blockCols = 16

// byCols runs narrow for rows of at most blockCols columns, wide otherwise.
func byCols(narrow, wide rowFunc) rowFunc {
	return func(dst, src []float32, rows, cols int) {
		if cols <= blockCols {
			narrow(dst, src, rows, cols)
		} else {
			wide(dst, src, rows, cols)
		}
	}
}

// ceByCols is byCols for the hard-label cross-entropy rows.
func ceByCols(narrow, wide ceFunc) ceFunc {
	return func(grad, z, w []float32, k float32, a, scale, mx, lsum, zw []float32, rows, cols int) {
		if cols <= blockCols {
			narrow(grad, z, w, k, a, scale, mx, lsum, zw, rows, cols)
		} else {
			wide(grad, z, w, k, a, scale, mx, lsum, zw, rows, cols)
		}
	}
}
