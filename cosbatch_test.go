package simdloss

import (
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
)

// TestSymmetrize compares the tiled a + aᵀ with the plain double loop,
// across tile boundaries and on the power-of-two widths its tiling is for.
func TestSymmetrize(t *testing.T) {
	for _, n := range []int{1, 5, 31, 32, 33, 64, 70, 128} {
		a := make([]float32, n*n)
		for i := range a {
			a[i] = float32(i%97)*0.37 - 9
		}
		want := make([]float32, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				want[i*n+j] = a[i*n+j] + a[j*n+i]
			}
		}
		symmetrize(a, n)
		if msg := tu.DiffMsg(a, want); msg != "" {
			t.Fatalf("n=%d: %s", n, msg)
		}
	}
}
