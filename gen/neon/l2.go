package main

import (
	"github.com/simdloss/simdloss/gen/a64"
)

// Registers of the paired-row kernels.
var (
	lDst  = a64.R(0) // dst: the current element
	lA    = a64.R(1) // a: the current row
	lB    = a64.R(2) // b: the current row
	lRows = a64.R(3) // rows left
	lDim  = a64.R(4) // dim
	lPA   = a64.R(5) // pass: a pointer
	lPB   = a64.R(6) // pass: b pointer
	lN    = a64.R(7) // pass: elements left
	lR    = a64.R(8) // tail: dim % 4
	lT    = a64.R(9) // scratch
	lQA   = a64.R(10)
	lQB   = a64.R(11)
	lOnes = a64.R(12) // all ones, for lane masks
	lIdx  = a64.R(13) // the Idx kernel: the current row's index into b

	vXA   = a64.V(8)  // tail: the partial vector of a (+0 past the end)
	vXB   = a64.V(9)  // tail: the partial vector of b (+0 or -0 past the end)
	vEps  = a64.V(10) // eps, in every lane
	vMask = a64.V(11) // tail: all ones in the lanes of the partial vector
)

type l2Kind int

const (
	sumSquares l2Kind = iota
	squaredL2Rows
	dotRows
	squaredL2RowsEps
	squaredL2RowsIdx
)

func (k l2Kind) name() string {
	return [...]string{"SumSquaresNEON", "SquaredL2RowsNEON", "DotRowsNEON", "SquaredL2RowsEpsNEON", "SquaredL2RowsIdxNEON"}[k]
}

func (g *gen) l2File() {
	g.rowReduction(sumSquares,
		"SumSquaresNEON writes dst[i] = generic.SumSquares(a_i) for the rows×dim row-major a",
		"(rows, dim >= 1), bit for bit.")
	g.rowReduction(squaredL2Rows,
		"SquaredL2RowsNEON writes dst[i] = generic.SumSquaredDiff(a_i, b_i) for paired rows",
		"of a and b (rows, dim >= 1), bit for bit.")
	g.rowReduction(dotRows,
		"DotRowsNEON writes dst[i] = generic.SumProducts(a_i, b_i) for paired rows of a and b",
		"(rows, dim >= 1), bit for bit.")
	g.rowReduction(squaredL2RowsEps,
		"SquaredL2RowsEpsNEON writes dst[i] = generic.SumSquaredDiffEps(a_i, b_i, eps), the canonical",
		"sum of ((a - b) + eps)², for paired rows of a and b (rows, dim >= 1), bit for bit.")
	g.rowReduction(squaredL2RowsIdx,
		"SquaredL2RowsIdxNEON writes dst[i] = generic.SumSquaredDiff(a_i, b_idx[i]) for the rows of a",
		"and the rows of b that idx names (rows, dim >= 1): generic.SquaredL2RowsIdx, bit for bit.")
	g.pairwiseKernels()
}

// rowReduction emits a kernel that reduces each row (or pair of rows) into
// the 32 canonical partials and stores their TreeSum.
func (g *gen) rowReduction(k l2Kind, doc ...string) {
	paired := k != sumSquares
	switch {
	case k == squaredL2RowsEps:
		g.text(k.name(), "func(dst, a, b *float32, eps float32, rows, dim int)", doc...)
	case k == squaredL2RowsIdx:
		g.text(k.name(), "func(dst, a, b *float32, idx *int32, rows, dim int)", doc...)
	case paired:
		g.text(k.name(), "func(dst, a, b *float32, rows, dim int)", doc...)
	default:
		g.text(k.name(), "func(dst, a *float32, rows, dim int)", doc...)
	}
	g.Load("dst", lDst)
	g.Load("a", lA)
	if paired {
		g.Load("b", lB)
	}
	if k == squaredL2RowsIdx {
		g.Load("idx", lIdx)
	}
	g.Load("rows", lRows)
	g.Load("dim", lDim)
	if k == squaredL2RowsEps {
		g.Comment("eps in every lane; all ones for the tail's lane mask")
		g.LoadFAll("eps", vEps)
		g.I("MOVW", "$-1", lOnes.String())
	}

	xa := []a64.VReg{a64.V(16), a64.V(17), a64.V(18), a64.V(19), a64.V(20), a64.V(21), a64.V(22), a64.V(23)}
	xb := []a64.VReg{a64.V(24), a64.V(25), a64.V(26), a64.V(27), a64.V(28), a64.V(29), a64.V(30), a64.V(31)}
	// update emits the canonical update of the partials ps from the vectors
	// of a (and b) of the same elements; masked: the partial vector of the
	// tail, whose lanes past the end must add +0.
	update := func(ps, va, vb []a64.VReg, masked bool) {
		switch k {
		case sumSquares:
			g.Comment("p = fma(x, x, p)")
			for j, p := range ps {
				g.FMLA(p, va[j], va[j])
			}
		case squaredL2Rows, squaredL2RowsIdx:
			g.Comment("d = a - b")
			for j := range ps {
				g.FSUB(va[j], va[j], vb[j])
			}
			g.Comment("p = fma(d, d, p)")
			for j, p := range ps {
				g.FMLA(p, va[j], va[j])
			}
		case dotRows:
			g.Comment("p = fma(a, b, p)")
			for j, p := range ps {
				g.FMLA(p, va[j], vb[j])
			}
		case squaredL2RowsEps:
			g.Comment("d = (a - b) + eps")
			for j := range ps {
				g.FSUB(va[j], va[j], vb[j])
			}
			for j := range ps {
				g.FADD(va[j], va[j], vEps)
			}
			if masked {
				g.Comment("d = +0 in the lanes past the end")
				for j := range ps {
					g.AND(va[j], va[j], vMask)
				}
			}
			g.Comment("p = fma(d, d, p)")
			for j, p := range ps {
				g.FMLA(p, va[j], va[j])
			}
		}
	}

	row := k.name() + "_row"
	g.Label(row)
	g.Comment("the 32 partials start at +0")
	g.zeroPartials()
	g.I("MOVD", lA.String(), lPA.String())
	switch {
	case k == squaredL2RowsIdx:
		g.Comment("b's row: b + idx[i]·dim")
		g.I("MOVW.P", "4("+lIdx.String()+")", lT.String())
		g.I("MUL", lDim.String(), lT.String(), lT.String())
		g.I("ADD", lT.String()+"<<2", lB.String(), lPB.String())
	case paired:
		g.I("MOVD", lB.String(), lPB.String())
	}
	g.I("MOVD", lDim.String(), lN.String())
	what := map[l2Kind]string{sumSquares: "sum of squares", squaredL2Rows: "squared difference", dotRows: "dot", squaredL2RowsEps: "squared difference + eps", squaredL2RowsIdx: "squared difference"}[k]
	g.loop("blk", lN, 32, what, 32, "element", func() {
		g.LD1(true, lPA, xa[:4]...)
		g.LD1(true, lPA, xa[4:]...)
		if paired {
			g.LD1(true, lPB, xb[:4]...)
			g.LD1(true, lPB, xb[4:]...)
		}
		update(P[:], xa, xb, false)
	})

	g.Comment("tail: fewer than 32 elements. First the partial vector of the last dim%4",
		"elements, loaded lane by lane into a vector whose other lanes make the update",
		"a no-op; then the whole vectors, each into the next partial register.")
	g.Zero(vXA)
	if k == dotRows {
		g.Comment("b's lanes past the end hold -0: fma(+0, -0, p) = p + (-0) = p for every p, -0 included")
		g.I("MOVW", "$0x80000000", lT.String())
		g.DUPGen(vXB, lT)
	} else if k == squaredL2RowsEps {
		g.Comment("lanes past the end hold +0, and the mask (+0 there) turns their d = eps into +0:",
			"fma(+0, +0, p) = p, as p >= +0 or NaN")
		g.Zero(vXB)
		g.Zero(vMask)
	} else if paired {
		g.Comment("lanes past the end hold +0: d = +0 and fma(+0, +0, p) = p, as p >= +0 or NaN")
		g.Zero(vXB)
	} else {
		g.Comment("lanes past the end hold +0: fma(+0, +0, p) = p, as p >= +0 or NaN")
	}
	whole := g.NewLabel("whole")
	g.I("ANDS", "$3", lN.String(), lR.String())
	g.I("BEQ", whole)
	g.I("AND", "$-4", lN.String(), lT.String())
	g.I("ADD", lT.String()+"<<2", lPA.String(), lQA.String())
	if paired {
		g.I("ADD", lT.String()+"<<2", lPB.String(), lQB.String())
	}
	g.lanes(lR, func(i int) {
		g.LD1Lane(true, lQA, vXA, i)
		if paired {
			g.LD1Lane(true, lQB, vXB, i)
		}
		if k == squaredL2RowsEps {
			g.INS(vMask, i, lOnes)
		}
	})
	g.Label(whole)
	g.ladder("tail", lN, func(j int) {
		g.Commentf("whole vector -> P%d", j)
		g.LD1(true, lPA, xa[0])
		if paired {
			g.LD1(true, lPB, xb[0])
		}
		update(P[j:j+1], xa[:1], xb[:1], false)
	}, func(j int) {
		update(P[j:j+1], []a64.VReg{vXA}, []a64.VReg{vXB}, true)
	})
	g.treeSum(a64.V(0))
	g.I("FMOVS.P", a64.V(0).F(), a64.Mem(4, lDst))
	g.Comment("next row")
	g.I("ADD", lDim.String()+"<<2", lA.String(), lA.String())
	if paired && k != squaredL2RowsIdx {
		g.I("ADD", lDim.String()+"<<2", lB.String(), lB.String())
	}
	g.I("SUBS", "$1", lRows.String(), lRows.String())
	g.I("BNE", row)
	g.RET()
}
