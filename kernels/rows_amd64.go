//go:build !purego

package kernels

import (
	"math"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels/asm"
)

var (
	softmaxAVX2    = rowChained(asm.SoftmaxAVX2, math.MaxInt)
	logSoftmaxAVX2 = rowChained(asm.LogSoftmaxAVX2, math.MaxInt)
	logSumExpAVX2  = lseChained(asm.LogSumExpAVX2)
)

// The amd64 softmax-family kernels chain their max passes across calls:
// a call takes the maxima of up to two rows after its last in its
// exponential passes (chain>>1 says how many exist) and leaves them in
// carry, and with chain&1 takes its first rows' maxima from there instead
// of max passes. So no call's first rows need max passes of their own:
// every row's max pass runs inside an earlier row's exponential pass,
// which keeps its reads of the row from L2 (or L1). chain must be 0 for
// rows of at most blockCols columns (the AVX2 kernels' short-row path).

// rowChainAsm is a generated softmax or log-softmax kernel.
type rowChainAsm func(dst, src *float32, rows, cols int, carry *float32, chain int)

// lseChainAsm is a generated log-sum-exp kernel: it returns how many rows
// it did, stopping at a special row.
type lseChainAsm func(dst, src *float32, rows, cols int, carry *float32, chain int) int

// chainCols512 is the widest softmax or log-softmax row whose max passes
// chain across calls in the AVX-512 kernels (wider rows come one to a
// call, with a max pass of their own): chained, the AVX-512 kernels took
// 1.06-1.07× the time at 262144 columns (0.95-0.99× at 131072) in A/B
// runs, while the AVX2 kernels took 0.88-1.0× at those widths and chain at
// every width, as does log-sum-exp, which stores nothing.
const chainCols512 = 1 << 16

// chainArg is the chain argument of a call: in (1: carry holds the first
// rows' maxima) and how many of the rows after the call's last exist, up
// to 2.
func chainArg(in, after int) int { return in | min(2, after)<<1 }

// rowChained feeds a softmax or log-softmax kernel rowChunk rows per call,
// chained for rows of at most maxCols columns.
func rowChained(k rowChainAsm, maxCols int) rowFunc {
	return func(dst, src []float32, rows, cols int) {
		step := rowChunk(cols)
		var carry [2]float32
		in := 0
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			chain := 0
			if cols > blockCols && cols <= maxCols {
				chain = chainArg(in, rows-r-n)
			}
			k(ptr(dst[r*cols:]), ptr(src[r*cols:]), n, cols, &carry[0], chain)
			in = min(1, chain>>1)
		}
	}
}

// lseChained is lseKernel for the amd64 kernels: rowChunk rows per call,
// chained. Rows too long to come more than one or two to a call (32K
// columns and more: large vocabularies) then keep every read of the row
// after the first from L2 (or L1) instead of only those of the rows after
// a call's first. A special row (which the kernel leaves to
// generic.LogSumExpSpecial) breaks the chain; the next call takes its
// first maxima itself.
func lseChained(k lseChainAsm) rowFunc {
	return func(dst, src []float32, rows, cols int) {
		step := rowChunk(cols)
		var carry [2]float32
		in := 0
		for r := 0; r < rows; {
			n := min(step, rows-r)
			chain := 0
			if cols > blockCols {
				chain = chainArg(in, rows-r-n)
			}
			done := k(ptr(dst[r:]), ptr(src[r*cols:]), n, cols, &carry[0], chain)
			r += done
			in = 0
			if done < n {
				dst[r] = generic.LogSumExpSpecial(src[r*cols : (r+1)*cols])
				r++
			} else {
				in = min(1, chain>>1)
			}
		}
	}
}
