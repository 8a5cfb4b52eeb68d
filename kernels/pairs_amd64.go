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

func circleLogitsAVX2(dst, s []float32, gamma, m float32) {
	asm.CircleLogitsAVX2(ptr(dst), ptr(s), len(s), gamma, m)
}

func circleGradsAVX2(s, p []float32, c, m float32) {
	asm.CircleGradsAVX2(ptr(s), ptr(p), len(s), c, m)
}

// sum64AVX2 runs the kernel over the whole vectors and generic's code over
// the tail and the fold.
func sum64AVX2(x []float32) float64 {
	var p [generic.Sum64Lanes]float64
	n8 := len(x) &^ 7
	if n8 > 0 {
		asm.Sum64AVX2(ptr(x), n8, &p[0])
	}
	generic.Sum64Partials(x, n8, &p)
	return generic.Sum64Fold(&p)
}

var firstOutsideAVX2 = firstOutsideKernel(asm.FirstOutsideAVX2)

var (
	squaredL2RowsIdxAVX2 = squaredL2RowsIdxKernel(asm.SquaredL2RowsIdxAVX2)
	axpbyRowsIdxAVX2     = axpbyRowsIdxKernel(asm.AxpbyRowsIdxAVX2)
)
