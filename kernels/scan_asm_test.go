//go:build !purego && (amd64 || arm64)

package kernels

import (
	"math"
	"testing"
)

// checkFirstOutsideBlocks pins a generated FirstOutside kernel's contract,
// which the wrapper's generic scan of the block it names would otherwise
// hide: it returns the start of the first block of 8 holding an element
// outside [0, 1] (NaN, the least negative subnormal, the next float above
// 1), or n, with 0, -0, 1 and 0.5 (in range) around.
func checkFirstOutsideBlocks(t *testing.T, k func(x *float32, n int, lo, hi float32) int) {
	t.Helper()
	for _, n := range []int{8, 16, 64} {
		x := make([]float32, n)
		for i := range x {
			x[i] = []float32{0, float32(math.Copysign(0, -1)), 1, 0.5}[i%4]
		}
		if got := k(&x[0], n, 0, 1); got != n {
			t.Fatalf("n=%d, all in range: %d", n, got)
		}
		for pos := 0; pos < n; pos++ {
			for _, bad := range []float32{float32(math.NaN()), -0x1p-149, 1.0000001} {
				y := append([]float32(nil), x...)
				y[pos] = bad
				if got := k(&y[0], n, 0, 1); got != pos&^7 {
					t.Fatalf("n=%d: %g at %d: block %d, want %d", n, bad, pos, got, pos&^7)
				}
			}
		}
	}
}
