//go:build !purego

package kernels

import (
	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels/asm"
)

var (
	softmaxAVX2    = rowKernel(asm.SoftmaxAVX2)
	logSoftmaxAVX2 = rowKernel(asm.LogSoftmaxAVX2)
	logSumExpAVX2  = lseChained(asm.LogSumExpAVX2)
)

// lseChainAsm is lseAsm with the max pass chained across calls: with
// chain&1 the first row's max is *carry, and with chain&2 the kernel may
// read the row after its last one, whose max it leaves in *carry.
type lseChainAsm func(dst, src *float32, rows, cols int, carry *float32, chain int) int

// lseChained is lseKernel for the amd64 kernels: rowChunk rows per call, as
// every row kernel, but no call's first row needs a max pass of its own,
// since the call before took that max in its last exponential pass. Rows
// too long to come more than one or two to a call (32K columns and more:
// large vocabularies) then keep every read of the row after the first
// from L2 (or L1) instead of only those of the rows after a call's first.
// A special row (which the kernel leaves to generic.LogSumExpSpecial) breaks
// the chain; the next call takes its first max itself.
func lseChained(k lseChainAsm) rowFunc {
	return func(dst, src []float32, rows, cols int) {
		step := rowChunk(cols)
		var carry float32
		in := 0
		for r := 0; r < rows; {
			n := min(step, rows-r)
			chain := in
			if cols > blockCols && r+n < rows {
				chain |= 2
			}
			done := k(ptr(dst[r:]), ptr(src[r*cols:]), n, cols, &carry, chain)
			r += done
			in = 0
			if done < n {
				dst[r] = generic.LogSumExpSpecial(src[r*cols : (r+1)*cols])
				r++
			} else {
				in = chain >> 1
			}
		}
	}
}
