//go:build !purego

package kernels

import (
	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels/asm"
)

// symmetrizeAVX2 runs the kernel on the whole 8×8 blocks and
// generic.SymmetrizeFrom on the rows and columns past them.
func symmetrizeAVX2(a []float32, n int) {
	nb := n / 8
	if nb > 0 {
		asm.SymmetrizeAVX2(ptr(a), n, nb)
	}
	generic.SymmetrizeFrom(a, n, 8*nb)
}

func maskedAffineAVX2(dst, x []float32, thr, eps, beta, base float32) float32 {
	return asm.MaskedAffineAVX2(ptr(dst), ptr(x), len(x), thr, eps, beta, base)
}

// The AVX2 glue kernels, in the wrappers they share with the NEON set
// (circle_asm.go, scan_asm.go, idx_asm.go).
var (
	circleLogitsAVX2     = circleKernel(asm.CircleLogitsAVX2)
	circleGradsAVX2      = circleKernel(asm.CircleGradsAVX2)
	sum64AVX2            = sum64Kernel(asm.Sum64AVX2)
	firstOutsideAVX2     = firstOutsideKernel(asm.FirstOutsideAVX2)
	squaredL2RowsIdxAVX2 = squaredL2RowsIdxKernel(asm.SquaredL2RowsIdxAVX2)
	axpbyRowsIdxAVX2     = axpbyRowsIdxKernel(asm.AxpbyRowsIdxAVX2)
)
