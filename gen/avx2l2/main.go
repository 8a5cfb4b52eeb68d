// Command avx2l2 generates the AVX2+FMA pairwise kernels of simdloss:
// kernels/asm/l2_amd64.s and its Go declarations. Run it from gen/:
//
//	go run ./avx2l2 -out ../kernels/asm/l2_amd64.s -stubs ../kernels/asm/l2_amd64.go -pkg asm
//
// It emits
//
//   - the row reductions SumSquaresAVX2, SquaredL2RowsAVX2 and DotRowsAVX2
//     (generic.SumSquares, SumSquaredDiff, SumProducts per row; rows.go),
//   - PackPanelAVX2, which packs up to 16 rows of b into one k-major,
//     zero-padded panel (pack.go), and PackPanelNNAVX2, its twin for b
//     given k-major (the a·b products; packnn.go),
//   - one register-blocked 6×16 micro-kernel per epilogue, Tile<Name>AVX2
//     (tile.go, epilogue.go): each output is the canonical generic.Dot chain,
//     then the epilogue (dot, squared L2, …) is applied to the tile,
//   - and the same tiles in AVX-512F, Tile<Name>AVX512, on the same packed
//     panels, two at a time (tile512.go).
//
// Every kernel returns the bits of package generic (see generic/CANONICAL.md).
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

func main() {
	ConstraintExpr("!purego")
	defineConstants()
	rowKernels()
	packPanel()
	packPanelNN()
	defineConstants512()
	for _, ep := range epilogues {
		tileKernel(ep)
	}
	for _, ep := range epilogues {
		tileKernel512(ep)
	}
	Generate()
}
