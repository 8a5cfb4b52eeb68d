//go:build !purego

package kernels

import "github.com/simdloss/simdloss/generic"

// rowAsm is the signature of a generated row kernel: rows >= 1, cols >= 1,
// dst and src point at rows*cols float32 (dst may equal src).
type rowAsm func(dst, src *float32, rows, cols int)

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

// lseAsm is the signature of a generated log-sum-exp kernel: dst points at
// rows float32. It returns the number of rows it completed: fewer than rows
// when the fast formula gave NaN for row n = the return value, which it
// leaves unwritten (so an in-place call still has that row's input).
type lseAsm func(dst, src *float32, rows, cols int) int

// lseKernel wraps a generated log-sum-exp kernel; the rows where it stops
// are resolved with generic.LogSumExpSpecial (see generic/CANONICAL.md).
func lseKernel(k lseAsm) rowFunc {
	return func(dst, src []float32, rows, cols int) {
		step := rowChunk(cols)
		for r := 0; r < rows; {
			n := min(step, rows-r)
			done := k(ptr(dst[r:]), ptr(src[r*cols:]), n, cols)
			r += done
			if done < n {
				dst[r] = generic.LogSumExpSpecial(src[r*cols : (r+1)*cols])
				r++
			}
		}
	}
}
