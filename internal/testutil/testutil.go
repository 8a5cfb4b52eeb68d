// Package testutil holds what the tests and fuzz targets of simdloss share:
// bitwise comparison, adversarial inputs, float64 references written
// independently of package generic, and guard-page buffers.
package testutil

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Same reports whether a and b are the same float32 bits, counting any NaN
// as equal to any NaN (x86 and Arm differ in NaN payloads).
func Same(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// Diff returns the index of the first element where got and want differ
// (see Same), or -1.
func Diff(got, want []float32) int {
	if len(got) != len(want) {
		return min(len(got), len(want))
	}
	for i := range got {
		if !Same(got[i], want[i]) {
			return i
		}
	}
	return -1
}

// DiffMsg describes the first difference of got and want, or "" if none.
func DiffMsg(got, want []float32) string {
	i := Diff(got, want)
	if i < 0 {
		return ""
	}
	if i >= len(got) || i >= len(want) {
		return fmt.Sprintf("lengths differ: %d vs %d", len(got), len(want))
	}
	return fmt.Sprintf("element %d: got %g (%#08x), want %g (%#08x)", i,
		got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
}

var (
	NaN    = float32(math.NaN())
	PosInf = float32(math.Inf(1))
	NegInf = float32(math.Inf(-1))
	NegZ   = float32(math.Copysign(0, -1))
)

// Specials are the values adversarial inputs are built from.
var Specials = []float32{NaN, PosInf, NegInf, 0, NegZ, math.SmallestNonzeroFloat32,
	-math.SmallestNonzeroFloat32, 0x1p-127, -0x1p-130, 0x1p-126, 88.7, -88.7, 88.72284, -87.33655,
	1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, 1, -1}

// Kind selects how Fill makes values.
type Kind int

const (
	Normal      Kind = iota // N(0, 1)
	Wide                    // N(0, 20): many exponentials underflow
	Huge                    // uniform in ±1e30 mixed with ordinary values
	Adversarial             // ordinary values with special values sprinkled in
	SpecialRows             // rows that are all -Inf, hold +Inf or NaN, or are constant
	Subnormal               // tiny values around the subnormal range, zeros of both signs
)

// Kinds lists every Kind.
var Kinds = []Kind{Normal, Wide, Huge, Adversarial, SpecialRows, Subnormal}

func (k Kind) String() string {
	return [...]string{"normal", "wide", "huge", "adversarial", "special-rows", "subnormal"}[k]
}

// Fill fills x (rows of cols) with values of the given kind.
func Fill(rng *rand.Rand, x []float32, cols int, k Kind) {
	for i := range x {
		switch k {
		case Normal:
			x[i] = float32(rng.NormFloat64())
		case Wide:
			x[i] = float32(rng.NormFloat64() * 20)
		case Huge:
			if rng.IntN(4) == 0 {
				x[i] = float32((rng.Float64()*2 - 1) * 1e30)
			} else {
				x[i] = float32(rng.NormFloat64())
			}
		case Adversarial:
			if rng.IntN(8) == 0 {
				x[i] = Specials[rng.IntN(len(Specials))]
			} else {
				x[i] = float32(rng.NormFloat64() * 10)
			}
		case Subnormal:
			switch rng.IntN(4) {
			case 0:
				x[i] = math.Float32frombits(rng.Uint32() & 0x807FFFFF)
			case 1:
				x[i] = 0
			case 2:
				x[i] = NegZ
			default:
				x[i] = float32(rng.NormFloat64() * 1e-38)
			}
		}
	}
	if k == SpecialRows && cols > 0 {
		for r := 0; r+cols <= len(x); r += cols {
			row := x[r : r+cols]
			c := rng.IntN(6)
			for i := range row {
				switch c {
				case 0:
					row[i] = NegInf
				case 1:
					row[i] = 88.7
				case 2:
					row[i] = -88.7
				default:
					row[i] = float32(rng.NormFloat64())
				}
			}
			switch c {
			case 3:
				row[rng.IntN(cols)] = PosInf
			case 4:
				row[rng.IntN(cols)] = NaN
			case 5:
				row[rng.IntN(cols)] = NegInf
				row[rng.IntN(cols)] = PosInf
			}
		}
	}
}

// Sentinel is the value Filled writes and Untouched looks for.
const Sentinel float32 = 42

// Filled returns n copies of Sentinel: an output buffer whose every element
// shows whether a call wrote it.
func Filled(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = Sentinel
	}
	return x
}

// Untouched reports whether every element of every x still holds Sentinel.
func Untouched(xs ...[]float32) bool {
	for _, x := range xs {
		for _, v := range x {
			if v != Sentinel {
				return false
			}
		}
	}
	return true
}
