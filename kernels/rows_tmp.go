//go:build !purego && amd64

package kernels

import "github.com/simdloss/simdloss/generic"

// Placeholders until the AVX2 row kernels land: they forward to generic.
func softmaxAVX2(dst, src []float32, _, cols int)    { generic.Softmax(dst, src, cols) }
func logSoftmaxAVX2(dst, src []float32, _, cols int) { generic.LogSoftmax(dst, src, cols) }
func logSumExpAVX2(dst, src []float32, _, cols int)  { generic.LogSumExp(dst, src, cols) }
