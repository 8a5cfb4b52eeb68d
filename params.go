package simdloss

import (
	"fmt"
	"math"
	"strings"

	"github.com/simdloss/simdloss/internal/check"
)

// finite32 reports whether x is neither NaN nor ±Inf.
func finite32(x float32) bool { return x-x == 0 }

// positive32 reports whether x is finite and > 0.
func positive32(x float32) bool { return x > 0 && x <= math.MaxFloat32 }

// softplus returns log(1 + exp(x)) and its derivative sigmoid(x), without
// overflow for large |x|.
func softplus(x float64) (float64, float64) {
	if x > 0 {
		e := math.Exp(-x)
		return x + math.Log1p(e), 1 / (1 + e)
	}
	e := math.Exp(x)
	return math.Log1p(e), e / (1 + e)
}

// named is a slice with its parameter name, for error messages.
type named struct {
	name string
	x    []float32
}

// overlaps reports whether a and b share any memory (check.Overlaps, the
// kernels' test).
func overlaps(a, b []float32) bool { return check.Overlaps(a, b) }

// overlapping names the first output that overlaps an input or another
// output ("grad overlaps logits"), or returns "" if none does (nil and
// empty slices overlap nothing). The losses reject such aliasing with an
// error: they write their outputs while still reading their inputs. (The
// kernels' twin, kernels.disjoint, panics instead.)
func overlapping(outs []named, ins ...named) string {
	for i, o := range outs {
		for _, in := range ins {
			if overlaps(o.x, in.x) {
				return o.name + " overlaps " + in.name
			}
		}
		for _, p := range outs[i+1:] {
			if overlaps(o.x, p.x) {
				return o.name + " overlaps " + p.name
			}
		}
	}
	return ""
}

// checkPaired validates the shapes shared by the losses on paired rows:
// inputs of equal length, rows of dim, a per-row output and gradients
// (nil when not wanted) of the inputs' length, none of them overlapping an
// input or another output. It returns the row count.
func checkPaired(op string, dim int, inputs []named, perRow []float32, grads []named) (int, error) {
	n := len(inputs[0].x)
	for _, in := range inputs[1:] {
		if len(in.x) != n {
			var b strings.Builder
			for i, in := range inputs {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "len(%s) = %d", in.name, len(in.x))
			}
			return 0, fmt.Errorf("%s: %s must be equal", op, b.String())
		}
	}
	if n > 0 && dim <= 0 {
		return 0, fmt.Errorf("%s: dim = %d must be positive", op, dim)
	}
	if n > 0 && n%dim != 0 {
		return 0, fmt.Errorf("%s: len(%s) = %d is not a multiple of dim = %d", op, inputs[0].name, n, dim)
	}
	rows := 0
	if dim > 0 {
		rows = n / dim
	}
	if perRow != nil && len(perRow) != rows {
		return 0, fmt.Errorf("%s: len(perRow) = %d, want rows = %d", op, len(perRow), rows)
	}
	for _, g := range grads {
		if g.x != nil && len(g.x) != n {
			return 0, fmt.Errorf("%s: len(%s) = %d, want %d", op, g.name, len(g.x), n)
		}
	}
	var outs [4]named // perRow and up to three gradients, on the stack
	if s := overlapping(append(append(outs[:0], named{"perRow", perRow}), grads...), inputs...); s != "" {
		return 0, fmt.Errorf("%s: %s", op, s)
	}
	return rows, nil
}

// relu is max(0, x) for values known not to be NaN, without the builtin's
// NaN and signed-zero handling (several times cheaper in a loop).
func relu(x float32) float32 {
	if x > 0 {
		return x
	}
	return 0
}

// checkClassRows validates rows x and class rows w (named wName), both of
// dim, with one label in [0, classes) per row, and returns the row and
// class counts: the shapes shared by the losses against class vectors
// (centre, margin-softmax).
func checkClassRows(op string, x, w []float32, wName string, labels []int32, dim int) (rows, classes int, err error) {
	if dim <= 0 {
		return 0, 0, fmt.Errorf("%s: dim = %d must be positive", op, dim)
	}
	if len(x)%dim != 0 || len(w)%dim != 0 || len(w) == 0 {
		return 0, 0, fmt.Errorf("%s: len(x) = %d and len(%s) = %d must be rows and classes >= 1 of dim = %d", op, len(x), wName, len(w), dim)
	}
	rows, classes = len(x)/dim, len(w)/dim
	if len(labels) != rows {
		return 0, 0, fmt.Errorf("%s: len(labels) = %d, want one per row (%d)", op, len(labels), rows)
	}
	for i, y := range labels {
		if y < 0 || int(y) >= classes {
			return 0, 0, fmt.Errorf("%s: labels[%d] = %d is outside [0, %d)", op, i, y, classes)
		}
	}
	return rows, classes, nil
}
