//go:build !purego

package kernels

import "github.com/simdloss/simdloss/kernels/asm"

// avx2Pair binds the generated AVX2+FMA kernels (gen/avx2l2) to the pairwise
// driver: 6×16 tiles, 16-wide panels. Blocking: kc <= 256 keeps the tile's
// rows of a (6×kc) and the panel streaming past them (16×kc) well inside a
// 32 KiB L1; a packed block of 64K floats (256 KiB, nc = 256 at kc = 256)
// stays in half of a 512 KiB L2 (Zen3; Intel cores have more).
var avx2Pair = &pairISA{
	mr:          6,
	nr:          16,
	packPanel:   asm.PackPanelAVX2,
	packPanelNN: asm.PackPanelNNAVX2,
	sumSquares:  asm.SumSquaresAVX2,
	tile: [numEpilogues]tileFunc{
		epDot:    asm.TileDotAVX2,
		epL2:     asm.TileL2AVX2,
		epCosine: asm.TileCosineAVX2,
	},
	pairBlocking: pairBlocking{kcMax: 256, kcTarget: 256, packMax: 64 << 10},
}

// avx512Pair is avx2Pair with the AVX-512F tiles (gen/avx2l2 tile512.go):
// the same 6-row tiles, panels and packers, two panels per pass.
var avx512Pair = func() *pairISA {
	p := *avx2Pair
	p.tile = [numEpilogues]tileFunc{
		epDot:    asm.TileDotAVX512,
		epL2:     asm.TileL2AVX512,
		epCosine: asm.TileCosineAVX512,
	}
	return &p
}()

func squaredL2AVX512(dst, a, b []float32, m, n, dim int) {
	avx512Pair.pairwise(epL2, dst, a, b, m, n, dim)
}

func dotsAVX512(dst, a, b []float32, m, n, dim int) {
	avx512Pair.pairwise(epDot, dst, a, b, m, n, dim)
}

func cosinesAVX512(dst, a, b []float32, m, n, dim int) {
	avx512Pair.pairwise(epCosine, dst, a, b, m, n, dim)
}

func matMulAVX512(dst, a, b []float32, m, n, k int, transA, transB, add bool) {
	avx512Pair.matmul(dst, a, b, m, n, k, transA, transB, add)
}

func squaredL2AVX2(dst, a, b []float32, m, n, dim int) {
	avx2Pair.pairwise(epL2, dst, a, b, m, n, dim)
}

func dotsAVX2(dst, a, b []float32, m, n, dim int) {
	avx2Pair.pairwise(epDot, dst, a, b, m, n, dim)
}

func squaredL2RowsAVX2(dst, a, b []float32, rows, dim int) {
	pairedRows(asm.SquaredL2RowsAVX2, dst, a, b, rows, dim)
}

func dotRowsAVX2(dst, a, b []float32, rows, dim int) {
	pairedRows(asm.DotRowsAVX2, dst, a, b, rows, dim)
}

func cosinesAVX2(dst, a, b []float32, m, n, dim int) {
	avx2Pair.pairwise(epCosine, dst, a, b, m, n, dim)
}

func matMulAVX2(dst, a, b []float32, m, n, k int, transA, transB, add bool) {
	avx2Pair.matmul(dst, a, b, m, n, k, transA, transB, add)
}
