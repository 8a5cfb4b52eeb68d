package testutil

import "math"

// The float64 references below follow the mathematical definitions, not the
// canonical algorithm, so accuracy tests measure the kernels against truth.

// RefLogSumExp returns log Σ exp(x_i) in float64 (max-shifted).
func RefLogSumExp(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// RefSoftmax returns the softmax of x in float64.
func RefSoftmax(x []float32) []float64 {
	l := RefLogSumExp(x)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(float64(v) - l)
	}
	return y
}

// RefLogSoftmax returns the log-softmax of x in float64.
func RefLogSoftmax(x []float32) []float64 {
	l := RefLogSumExp(x)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v) - l
	}
	return y
}

// RefSquaredL2 returns ||a - b||^2 in float64.
func RefSquaredL2(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

// RefDot returns a·b in float64.
func RefDot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
