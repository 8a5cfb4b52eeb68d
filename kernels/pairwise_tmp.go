//go:build !purego && amd64

package kernels

import "github.com/simdloss/simdloss/generic"

// Placeholders until the AVX2 pairwise kernels land: they forward to generic.
func squaredL2AVX2(dst, a, b []float32, _, _, dim int)  { generic.SquaredL2(dst, a, b, dim) }
func dotsAVX2(dst, a, b []float32, _, _, dim int)       { generic.Dots(dst, a, b, dim) }
func squaredL2RowsAVX2(dst, a, b []float32, _, dim int) { generic.SquaredL2Rows(dst, a, b, dim) }
func dotRowsAVX2(dst, a, b []float32, _, dim int)       { generic.DotRows(dst, a, b, dim) }
