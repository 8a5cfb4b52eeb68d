//go:build !purego

package kernels_test

import (
	"math/rand/v2"
	"testing"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels/asm"
)

// TestNEONSumSquaresGuardPages runs the SumSquares kernel (which no Set
// method calls directly) with its input and output against PROT_NONE pages.
// The other NEON kernels are covered by TestGuardPages through the Set.
func TestNEONSumSquaresGuardPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	ga, gd := tu.NewGuarded(4*300), tu.NewGuarded(64)
	defer ga.Free()
	defer gd.Free()
	for dim := 1; dim <= 300; dim++ {
		for _, atEnd := range []bool{true, false} {
			rows := 3
			a, dst := ga.Start(rows*dim), gd.End(rows)
			if atEnd {
				a, dst = ga.End(rows*dim), gd.Start(rows)
			}
			tu.Fill(rng, a, dim, tu.Normal)
			asm.SumSquaresNEON(f32ptr(dst), f32ptr(a), rows, dim)
			for r := 0; r < rows; r++ {
				if want := generic.SumSquares(a[r*dim : (r+1)*dim]); !tu.Same(dst[r], want) {
					t.Fatalf("dim=%d row %d: %g, want %g", dim, r, dst[r], want)
				}
			}
		}
	}
}
