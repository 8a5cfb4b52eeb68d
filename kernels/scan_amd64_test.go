//go:build !purego

package kernels

import (
	"reflect"
	"testing"

	"github.com/simdloss/simdloss/kernels/asm"
)

// TestFirstOutsideAVX2Vector pins the kernel itself (see
// checkFirstOutsideBlocks).
func TestFirstOutsideAVX2Vector(t *testing.T) {
	checkFirstOutsideBlocks(t, asm.FirstOutsideAVX2)
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

// TestLabelWeightsAVX2Takes pins the kernel's share of the work (the
// differential test cannot see a kernel that hands every block back to
// generic's code): with labels in range or ignored it does every whole
// block of 8, and with a bad label it stops at that label's block.
func TestLabelWeightsAVX2Takes(t *testing.T) {
	if !AVX2.Supported() {
		t.Skip("no AVX2 on this CPU")
	}
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, cols := range []int{1, 8, 9, 16, 17} {
		for _, n := range []int{8, 15, 16, 40} {
			labels := make([]int32, n)
			for i := range labels {
				labels[i] = int32(i % cols)
				if i%5 == 3 {
					labels[i] = -100
				}
			}
			var ww []float32
			if cols <= 16 {
				ww = w[:cols]
			}
			_, done, ig := labelWeightsAVX2(labels, ww, nil, cols, -100)
			if done != n&^7 || !ig {
				t.Fatalf("cols=%d n=%d: done=%d ignored=%v, want %d, true", cols, n, done, ig, n&^7)
			}
			labels[n-1] = int32(cols) // out of range
			if _, done, _ := labelWeightsAVX2(labels, ww, nil, cols, -100); done != (n-1)&^7 {
				t.Fatalf("cols=%d n=%d, bad label at %d: done=%d, want %d", cols, n, n-1, done, (n-1)&^7)
			}
		}
	}
}
