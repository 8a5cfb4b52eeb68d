//go:build !purego && (amd64 || arm64)

package kernels

// The wrappers of the gathered-row kernels (SquaredL2RowsIdx, AxpbyRowsIdx:
// the centre loss's rows of class centres), shared by the AVX2 and NEON
// sets: each runs its kernel on at most rowChunk rows per call, as the
// other row kernels.

func squaredL2RowsIdxKernel(k func(dst, a, b *float32, idx *int32, rows, dim int)) func(dst, a, b []float32, idx []int32, dim int) {
	return func(dst, a, b []float32, idx []int32, dim int) {
		step := rowChunk(dim)
		for r := 0; r < len(idx); r += step {
			n := min(step, len(idx)-r)
			k(&dst[r], &a[r*dim], ptr(b), &idx[r], n, dim)
		}
	}
}

func axpbyRowsIdxKernel(k func(dst, a, b, ca, cb *float32, idx *int32, rows, dim int)) func(dst, a, b, ca, cb []float32, idx []int32, dim int) {
	return func(dst, a, b, ca, cb []float32, idx []int32, dim int) {
		step := rowChunk(dim)
		for r := 0; r < len(idx); r += step {
			n := min(step, len(idx)-r)
			k(&dst[r*dim], &a[r*dim], ptr(b), &ca[r], &cb[r], &idx[r], n, dim)
		}
	}
}
