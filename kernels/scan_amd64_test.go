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
	if !AVX2.Supported() {
		t.Skip("this CPU lacks AVX2 and FMA")
	}
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
	checkLabelWeightsTakes(t, labelWeightsAVX2)
}

// TestLabelWeightsAVX512Takes is TestLabelWeightsAVX2Takes for the AVX-512
// kernel over blocks of 16 and the AVX2 kernel after it: a bad label in
// either half of a block of 16 stops them at its block of 8.
func TestLabelWeightsAVX512Takes(t *testing.T) {
	if !AVX512.Supported() {
		t.Skip("no AVX-512 on this CPU")
	}
	checkLabelWeightsTakes(t, labelWeightsAVX512)
}

func checkLabelWeightsTakes(t *testing.T, f labelWeightsFunc) {
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, cols := range []int{1, 8, 9, 16, 17} {
		for _, n := range []int{8, 15, 16, 24, 31, 32, 40, 47, 48} {
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
			_, done, ig := f(labels, ww, nil, cols, -100)
			if done != n&^7 || !ig {
				t.Fatalf("cols=%d n=%d: done=%d ignored=%v, want %d, true", cols, n, done, ig, n&^7)
			}
			for _, bad := range []int{0, 7, 8, 15, 16, 23, n - 1} {
				if bad >= n {
					continue
				}
				y := labels[bad]
				labels[bad] = int32(cols) // out of range
				if _, done, _ := f(labels, ww, nil, cols, -100); done != bad&^7 {
					t.Fatalf("cols=%d n=%d, bad label at %d: done=%d, want %d", cols, n, bad, done, bad&^7)
				}
				labels[bad] = y
			}
		}
	}
}

// TestLabelWeightsAVX512Kernel pins the AVX-512 kernel's own share (the
// AVX2 kernel after it would hide a kernel that stops at once): it does
// every whole block of 16 of labels in range or ignored, stops at the block
// of 16 with a bad label, and matches the AVX2 kernel's partials.
func TestLabelWeightsAVX512Kernel(t *testing.T) {
	if !AVX512.Supported() {
		t.Skip("no AVX-512 on this CPU")
	}
	tab := [16]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0.5}
	s := make([]float32, 48)
	labels := make([]int32, 48)
	for i := range labels {
		labels[i], s[i] = int32(i*7%16), float32(i)+0.25
		if i%9 == 4 {
			labels[i] = -100
		}
	}
	type kernel func(labels *int32, tab, s *float32, n, cols int, ignore int32, p *float64) (int, int)
	for v, pair := range [][2]kernel{
		{asm.LabelWeightsPlainAVX512, asm.LabelWeightsPlainAVX2}, {asm.LabelWeightsSAVX512, asm.LabelWeightsSAVX2},
		{asm.LabelWeightsWAVX512, asm.LabelWeightsWAVX2}, {asm.LabelWeightsWSAVX512, asm.LabelWeightsWSAVX2},
	} {
		var p, q [8]float64
		done, ig := pair[0](&labels[0], &tab[0], &s[0], 48, 16, -100, &p[0])
		done2, ig2 := pair[1](&labels[0], &tab[0], &s[0], 48, 16, -100, &q[0])
		if done != 48 || done2 != 48 || ig == 0 || ig2 == 0 || p != q {
			t.Fatalf("variant %d: AVX-512 (%d, %d, %v), AVX2 (%d, %d, %v)", v, done, ig, p, done2, ig2, q)
		}
		labels[37] = 16 // out of range: the kernel stops at 32
		p = [8]float64{}
		if done, _ := pair[0](&labels[0], &tab[0], &s[0], 48, 16, -100, &p[0]); done != 32 {
			t.Fatalf("variant %d, a bad label at 37: done = %d, want 32", v, done)
		}
		labels[37] = 3
	}
}
