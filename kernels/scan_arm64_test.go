//go:build !purego

package kernels

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/simdloss/simdloss/kernels/asm"
)

// TestFirstOutsideNEONBlock pins the kernel's contract (the start of the
// first block of 8 holding an element outside [lo, hi], or n), which the
// wrapper's generic scan of that block would otherwise hide.
func TestFirstOutsideNEONBlock(t *testing.T) {
	for _, n := range []int{8, 16, 64} {
		x := make([]float32, n)
		for i := range x {
			x[i] = []float32{0, float32(math.Copysign(0, -1)), 1, 0.5}[i%4]
		}
		if got := asm.FirstOutsideNEON(&x[0], n, 0, 1); got != n {
			t.Fatalf("n=%d, all in range: %d", n, got)
		}
		for pos := 0; pos < n; pos++ {
			for _, bad := range []float32{float32(math.NaN()), -0x1p-149, 1.0000001} {
				y := append([]float32(nil), x...)
				y[pos] = bad
				if got := asm.FirstOutsideNEON(&y[0], n, 0, 1); got != pos&^7 {
					t.Fatalf("n=%d: %g at %d: block %d, want %d", n, bad, pos, got, pos&^7)
				}
			}
		}
	}
}

// neonGeneric lists the kernels the NEON set leaves to generic's Go code
// (see the README): a kernel missing from the set would run generic's code
// with the same bits, which no differential test can tell.
var neonGeneric = []string{
	"crossEntropyLabels",
	"labelWeights",
}

func TestNEONSetKernels(t *testing.T) {
	v := reflect.ValueOf(NEON).Elem()
	var missing []string
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Func && f.IsNil() {
			missing = append(missing, v.Type().Field(i).Name)
		}
	}
	slices.Sort(missing)
	want := slices.Clone(neonGeneric)
	slices.Sort(want)
	if !slices.Equal(missing, want) {
		t.Errorf("the NEON set leaves %v to generic, want %v", missing, want)
	}
}
