package simdloss

import "math"

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
