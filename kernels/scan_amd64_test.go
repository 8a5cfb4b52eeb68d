//go:build !purego

package kernels

import (
	"math"
	"reflect"
	"testing"

	"github.com/simdloss/simdloss/kernels/asm"
)

// TestFirstOutsideAVX2Vector pins the kernel itself (the wrapper would
// hide a vector flagged wrongly): it returns the start of the vector of the
// first element outside [0, 1], or n, with 0, -0 and 1 (in range) around.
func TestFirstOutsideAVX2Vector(t *testing.T) {
	for _, n := range []int{8, 16, 64} {
		x := make([]float32, n)
		for i := range x {
			x[i] = []float32{0, float32(math.Copysign(0, -1)), 1, 0.5}[i%4]
		}
		if got := asm.FirstOutsideAVX2(&x[0], n, 0, 1); got != n {
			t.Fatalf("n=%d, all in range: %d", n, got)
		}
		for pos := 0; pos < n; pos++ {
			for _, bad := range []float32{float32(math.NaN()), -0x1p-149, 1.0000001} {
				y := append([]float32(nil), x...)
				y[pos] = bad
				if got := asm.FirstOutsideAVX2(&y[0], n, 0, 1); got != pos&^7 {
					t.Fatalf("n=%d: %g at %d: vector %d, want %d", n, bad, pos, got, pos&^7)
				}
			}
		}
	}
}

// TestAmd64SetsComplete checks that the amd64 sets fill every kernel of a
// Set: a nil one would silently run generic's code (the same bits, so the
// differential tests could not tell).
func TestAmd64SetsComplete(t *testing.T) {
	for _, s := range []*Set{AVX2, AVX512} {
		v := reflect.ValueOf(s).Elem()
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.Kind() == reflect.Func && f.IsNil() {
				t.Errorf("%s: %s is nil", s.name, v.Type().Field(i).Name)
			}
		}
	}
}
