// Command avx2rows generates the AVX2+FMA softmax-family kernels of simdloss
// (kernels/asm/rows_amd64.s and its Go declarations). Each kernel renders the
// canonical algorithm of package generic (generic/CANONICAL.md) one row at a
// time: a max pass, an exp-and-sum pass into 32 partial sums, and a final
// pass; tails use masked loads and stores, so no row is read or written past
// its end.
//
//	go run -C gen ./avx2rows -out ../kernels/asm/rows_amd64.s -stubs ../kernels/asm/rows_amd64.go -pkg asm
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

func main() {
	ConstraintExpr("!purego")
	consts = newConstTable()
	softmaxKernel(softmax)
	softmaxKernel(logSoftmax)
	softmaxKernel(logSumExp)
	for _, g := range []bool{false, true} {
		for _, w := range []bool{false, true} {
			for _, s := range []bool{false, true} {
				crossEntropyKernel(g, w, s)
			}
			crossEntropySoftKernel(g, w)
		}
	}
	squaredL2RowsEpsKernel()
	tripletGradKernel(false)
	tripletGradKernel(true)
	Generate()
}
