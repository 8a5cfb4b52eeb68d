//go:build !purego && (amd64 || arm64)

package kernels

import "unsafe"

// rowAsm is the signature of a generated row kernel: rows >= 1, cols >= 1,
// dst and src point at rows*cols float32 (dst may equal src).
type rowAsm func(dst, src *float32, rows, cols int)

func ptr(s []float32) *float32 { return unsafe.SliceData(s) }

// rowKernel wraps a generated row kernel into a rowFunc that feeds it
// rowChunk rows per call.
func rowKernel(k rowAsm) rowFunc {
	return func(dst, src []float32, rows, cols int) {
		step := rowChunk(cols)
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			k(ptr(dst[r*cols:]), ptr(src[r*cols:]), n, cols)
		}
	}
}
