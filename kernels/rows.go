//go:build !purego && (amd64 || arm64)

package kernels

import (
	"unsafe"

	"github.com/simdloss/simdloss/generic"
)

// rowAsm is the signature of a generated row kernel: rows >= 1, cols >= 1,
// dst and src point at rows*cols float32 (dst may equal src).
type rowAsm func(dst, src *float32, rows, cols int)

// lseAsm is the signature of a generated log-sum-exp kernel: dst points at
// rows float32; it returns how many of them it set to NaN.
type lseAsm func(dst, src *float32, rows, cols int) int

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

// lseKernel wraps a generated log-sum-exp kernel; rows it marks NaN are
// resolved with generic.LogSumExpSpecial (see generic/CANONICAL.md).
func lseKernel(k lseAsm) rowFunc {
	return func(dst, src []float32, rows, cols int) {
		step := rowChunk(cols)
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			if k(ptr(dst[r:]), ptr(src[r*cols:]), n, cols) == 0 {
				continue
			}
			for i := r; i < r+n; i++ {
				if v := dst[i]; v != v {
					dst[i] = generic.LogSumExpSpecial(src[i*cols : (i+1)*cols])
				}
			}
		}
	}
}
