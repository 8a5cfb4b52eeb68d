//go:build !purego && (amd64 || arm64)

package kernels

import "github.com/simdloss/simdloss/generic"

// firstOutsideKernel wraps a generated FirstOutside kernel (the start of
// the first block of 8 of x[0:n], n a multiple of 8, holding an element
// outside [lo, hi], or n): generic's scan finds the element in that block,
// and takes the tail.
func firstOutsideKernel(k func(x *float32, n int, lo, hi float32) int) func(x []float32, lo, hi float32) int {
	return func(x []float32, lo, hi float32) int {
		n8 := len(x) &^ 7
		if n8 > 0 {
			if i := k(ptr(x), n8, lo, hi); i < n8 {
				return i + generic.FirstOutside(x[i:i+8], lo, hi)
			}
		}
		if j := generic.FirstOutside(x[n8:], lo, hi); j >= 0 {
			return n8 + j
		}
		return -1
	}
}

// sum64Kernel wraps a generated Sum64 kernel (generic.Sum64Partials over
// x[0:n], n a multiple of 8, from zero partials): generic's code takes the
// tail and the fold.
func sum64Kernel(k func(x *float32, n int, p *float64)) func(x []float32) float64 {
	return func(x []float32) float64 {
		var p [generic.Sum64Lanes]float64
		n8 := len(x) &^ 7
		if n8 > 0 {
			k(ptr(x), n8, &p[0])
		}
		generic.Sum64Partials(x, n8, &p)
		return generic.Sum64Fold(&p)
	}
}
