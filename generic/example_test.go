package generic_test

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/generic"
)

func ExampleFMA32() {
	// x*y = 1 + 2^-11 + 2^-24 needs 25 bits: rounded to float32 first, the
	// 2^-24 is lost; the fused form keeps it, as the SIMD kernels' FMA does.
	x := float32(1 + 0x1p-12)
	y := x
	z := -float32(1 + 0x1p-11)
	fmt.Println(float32(x*y)+z, generic.FMA32(x, y, z)) // the conversion rounds (and forbids fusing)
	// Output: 0 5.9604645e-08
}

func ExampleExpNeg() {
	// The canonical exponential of the softmax family, for x <= 0: within
	// 2 ulp of e^x, +0 below about -87.34 (no subnormal results).
	for _, x := range []float32{0, -1, -20, -87, -88, float32(math.Inf(-1))} {
		fmt.Println(x, generic.ExpNeg(x), float32(math.Exp(float64(x))))
	}
	// Output:
	// 0 1 1
	// -1 0.36787948 0.36787945
	// -20 2.0611535e-09 2.0611537e-09
	// -87 1.6458115e-38 1.6458115e-38
	// -88 0 6.054601e-39
	// -Inf 0 0
}
