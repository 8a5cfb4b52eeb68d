//go:build !purego

package kernels_test

import (
	"math/rand/v2"
	"testing"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
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

// TestNEONPairwiseGuardPages runs SquaredL2 and Dots of the NEON set with a,
// b and dst against PROT_NONE pages, with whole 8-row tiles, edge tiles and
// edge panels (TestGuardPages stops at 7 rows).
func TestNEONPairwiseGuardPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	const maxDim, maxRows = 70, 17
	ga, gb, gd := tu.NewGuarded(maxRows*maxDim), tu.NewGuarded(maxRows*maxDim), tu.NewGuarded(maxRows*maxRows)
	defer ga.Free()
	defer gb.Free()
	defer gd.Free()
	for dim := 1; dim <= maxDim; dim += 3 {
		for _, m := range []int{8, 9, 16, 17} {
			for _, n := range []int{1, 7, 8, 9, 17} {
				for _, atEnd := range []bool{true, false} {
					a, b, dst := ga.Start(m*dim), gb.End(n*dim), gd.Start(m*n)
					if atEnd {
						a, b, dst = ga.End(m*dim), gb.Start(n*dim), gd.End(m*n)
					}
					tu.Fill(rng, a, dim, tu.Normal)
					tu.Fill(rng, b, dim, tu.Normal)
					want := make([]float32, m*n)
					generic.SquaredL2(want, a, b, dim)
					kernels.NEON.SquaredL2(dst, a, b, dim)
					if msg := tu.DiffMsg(dst, want); msg != "" {
						t.Fatalf("SquaredL2 %dx%dx%d: %s", m, n, dim, msg)
					}
					generic.Dots(want, a, b, dim)
					kernels.NEON.Dots(dst, a, b, dim)
					if msg := tu.DiffMsg(dst, want); msg != "" {
						t.Fatalf("Dots %dx%dx%d: %s", m, n, dim, msg)
					}
				}
			}
		}
	}
}
