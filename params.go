package simdloss

import (
	"fmt"
	"math"
	"strings"
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

// checkPaired validates the shapes shared by the losses on paired rows:
// inputs of equal length, rows of dim, a per-row output and gradients
// (nil when not wanted) of the inputs' length that overlap no input and no
// other gradient. It returns the row count.
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
	for i, g := range grads {
		if g.x == nil {
			continue
		}
		if len(g.x) != n {
			return 0, fmt.Errorf("%s: len(%s) = %d, want %d", op, g.name, len(g.x), n)
		}
		for _, in := range inputs {
			if overlaps(g.x, in.x) {
				return 0, fmt.Errorf("%s: %s overlaps an input", op, g.name)
			}
		}
		for _, h := range grads[i+1:] {
			if h.x != nil && overlaps(g.x, h.x) {
				return 0, fmt.Errorf("%s: %s overlaps %s", op, g.name, h.name)
			}
		}
	}
	return rows, nil
}
