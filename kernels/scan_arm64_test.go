//go:build !purego

package kernels

import (
	"reflect"
	"slices"
	"testing"

	"github.com/simdloss/simdloss/kernels/asm"
)

// TestFirstOutsideNEONBlock pins the kernel itself (see
// checkFirstOutsideBlocks).
func TestFirstOutsideNEONBlock(t *testing.T) {
	checkFirstOutsideBlocks(t, asm.FirstOutsideNEON)
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
