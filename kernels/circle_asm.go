//go:build !purego && (amd64 || arm64)

package kernels

// circleKernel wraps a generated circle-loss kernel (CircleLogits: dst, s;
// CircleGrads: s, p; the AVX2 and NEON sets) over all n >= 1 elements,
// tail included.
func circleKernel(k func(a, b *float32, n int, c, m float32)) func(a, b []float32, c, m float32) {
	return func(a, b []float32, c, m float32) {
		k(ptr(a), ptr(b), min(len(a), len(b)), c, m)
	}
}
