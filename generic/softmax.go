package generic

import (
	"math"

	"github.com/simdloss/simdloss/internal/check"
)

// Softmax writes the softmax of each row of the row-major rows×cols matrix src
// to dst (dst may be src). See the package doc for the contract.
//
// Per row: m = RowMax(x); e_i = ExpNeg(x_i - m) stored in dst;
// s = canonical sum; dst_i = e_i * (1/s).
func Softmax(dst, src []float32, cols int) {
	rows := check.Rows("Softmax", len(dst), len(src), cols, cols)
	check.Overlap("Softmax", "dst", "src", dst, src)
	for r := 0; r < rows; r++ {
		x := src[r*cols : (r+1)*cols]
		y := dst[r*cols : (r+1)*cols]
		m := RowMax(x)
		inv := 1 / SumExp(y, x, m)
		for i := range y {
			y[i] *= inv
		}
	}
}

// LogSoftmax writes the log-softmax of each row of src to dst (dst may be src).
//
// Per row: m = RowMax(x); L = LogPos(canonical sum of ExpNeg(x_i - m));
// dst_i = (x_i - m) - L.
func LogSoftmax(dst, src []float32, cols int) {
	rows := check.Rows("LogSoftmax", len(dst), len(src), cols, cols)
	check.Overlap("LogSoftmax", "dst", "src", dst, src)
	for r := 0; r < rows; r++ {
		x := src[r*cols : (r+1)*cols]
		y := dst[r*cols : (r+1)*cols]
		m := RowMax(x)
		l := LogPos(SumExp(nil, x, m))
		for i, v := range x {
			y[i] = (v - m) - l
		}
	}
}

// LogSumExp writes log Σ_i exp(x_i) of each row of src to dst[row]
// (len(dst) >= rows; dst may start where src starts).
//
// Per row: m = RowMax(x); dst = m + LogPos(canonical sum of ExpNeg(x_i - m)).
// That is NaN exactly for the rows holding NaN, +Inf or only -Inf; such rows
// are resolved by LogSumExpSpecial.
func LogSumExp(dst, src []float32, cols int) {
	rows := check.Rows("LogSumExp", len(dst), len(src), cols, 1)
	check.Overlap("LogSumExp", "dst", "src", dst, src)
	for r := 0; r < rows; r++ {
		x := src[r*cols : (r+1)*cols]
		m := RowMax(x)
		v := m + LogPos(SumExp(nil, x, m))
		if v != v {
			v = LogSumExpSpecial(x)
		}
		dst[r] = v
	}
}

// LogSumExpSpecial is the log-sum-exp of a row whose fast formula gave NaN:
// NaN if the row holds a NaN, else +Inf if it holds +Inf, else -Inf (every
// element is -Inf). Kernel sets call it for the rows their kernel marks.
func LogSumExpSpecial(x []float32) float32 {
	inf := false
	for _, v := range x {
		if v != v {
			return float32(math.NaN())
		}
		if v > math.MaxFloat32 {
			inf = true
		}
	}
	if inf {
		return float32(math.Inf(1))
	}
	return float32(math.Inf(-1))
}
