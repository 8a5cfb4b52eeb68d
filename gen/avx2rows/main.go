// Command avx2rows generates the row kernels of simdloss for x86: the
// softmax family, the fused cross-entropy rows, and (AVX2 only) the triplet,
// AxpbyRows and FlushSubnormals kernels. Each kernel renders the canonical
// algorithm of package generic (generic/CANONICAL.md) one row at a time: a
// max pass, an exp-and-sum pass into 32 partial sums, and a final pass,
// with the next row's max pass running inside this row's exp-and-sum pass
// (its loads, often from beyond L1, then overlap with the exponentials);
// tails use masked loads and stores, so no row is read or written past its
// end. The AVX2 kernels also take rows of at most 16 columns 8 at a time,
// transposed (block.go).
//
// -isa avx2 (AVX2+FMA, 4 accumulators of 8 lanes) or -isa avx512 (AVX-512F,
// 2 accumulators of 16 lanes, K-register tails):
//
//	go run -C gen ./avx2rows -out ../kernels/asm/rows_amd64.s -stubs ../kernels/asm/rows_amd64.go -pkg asm
//	go run -C gen ./avx2rows -isa avx512 -out ../kernels/asm/rows512_amd64.s -stubs ../kernels/asm/rows512_amd64.go -pkg asm
package main

import (
	"flag"
	"log"

	. "github.com/mmcloughlin/avo/build"
)

var isa = flag.String("isa", "avx2", "instruction set: avx2 or avx512")

func main() {
	flag.Parse()
	switch *isa {
	case "avx2":
		w = avx2
	case "avx512":
		w = avx512
	default:
		log.Fatalf("unknown -isa %q (avx2 or avx512)", *isa)
	}
	ConstraintExpr("!purego")
	consts = newConstTable()
	softmaxKernel(softmax)
	softmaxKernel(logSoftmax)
	softmaxKernel(logSumExp)
	for _, g := range []bool{false, true} {
		for _, wt := range []bool{false, true} {
			for _, s := range []bool{false, true} {
				crossEntropyKernel(g, wt, s)
			}
			crossEntropySoftKernel(g, wt)
		}
	}
	for _, g := range []bool{false, true} {
		for _, wt := range []bool{false, true} {
			for _, sw := range []bool{false, true} {
				crossEntropyLabelsKernel(g, wt, sw)
			}
		}
	}
	if w.zmm {
		for _, wt := range []bool{false, true} {
			for _, sw := range []bool{false, true} {
				labelWeights512Kernel(wt, sw)
			}
		}
	}
	if !w.zmm { // memory-bound: the AVX2 kernels serve both sets
		for _, wt := range []bool{false, true} {
			for _, sw := range []bool{false, true} {
				labelWeightsKernel(wt, sw)
			}
		}
		squaredL2RowsEpsKernel()
		tripletGradKernel(false)
		tripletGradKernel(true)
		axpbyRowsKernel(false)
		axpbyRowsKernel(true)
		sigmoidFocalKernel()
		hingeCountsKernel()
		aboveMinKernel()
		firstMinBitsKernel()
		symmetrizeKernel()
		pairUpdatesKernel()
		maskedAffineKernel()
		circleKernels()
		sum64Kernel()
		firstOutsideKernel()
		focalTermsKernel()
		flushKernel()
	}
	Generate()
}
