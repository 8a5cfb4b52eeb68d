//go:build !purego

package kernels

import "github.com/simdloss/simdloss/generic"

var (
	crossEntropyAVX2     = generic.CrossEntropyRows
	crossEntropySoftAVX2 = generic.CrossEntropySoftRows
)
