package main

import (
	"fmt"

	"github.com/simdloss/simdloss/gen/a64"
)

// The a·bᵀ micro-kernels for the shared pairwise driver (kernels/pairwise.go):
// an MR×NR register tile, b packed k-major in panels of NR columns, a read in
// place. At each step k every output (i, j) does acc = fma(a[i][k], b_j[k],
// acc), FMLA by element with a[i][k..k+3] in the lanes of one register: the
// canonical Dot chain, in k order from +0 (or from the partial result in c).
const (
	tileMR = 8 // rows of a per tile: accumulators V0..V15 (row i: V2i, V2i+1)
	tileNR = 8 // columns per panel: two vectors
)

// Registers of the tile kernels.
var (
	tC     = a64.R(0)  // c at the current panel
	tLdc   = a64.R(1)  // ldc in bytes
	tA     = a64.R(2)  // a at the first column of the block
	tLda   = a64.R(3)  // lda in bytes
	tRowN  = a64.R(4)  // mr; then a row counter
	tB     = a64.R(5)  // packed b: panel after panel, 8 floats per k
	tKC    = a64.R(6)  // kc
	tCols  = a64.R(7)  // columns left, counting the current panel
	tRowV  = a64.R(8)  // rowv
	tColV  = a64.R(9)  // colv at the current panel
	tFlags = a64.R(10) // flags
	tK     = a64.R(11) // steps of k left; scratch
	tBuf   = a64.R(23) // the edge buffer
	tT     = a64.R(24) // scratch
	tT2    = a64.R(25) // scratch
)

// tAp[i] is row i of a at step k.
var tAp = [tileMR]a64.GPR{a64.R(12), a64.R(13), a64.R(14), a64.R(15), a64.R(19), a64.R(20), a64.R(21), a64.R(22)}

// tileAcc is row i's accumulators: columns 0..3 and 4..7 of the panel.
func tileAcc(i int) [2]a64.VReg { return [2]a64.VReg{a64.V(2 * i), a64.V(2*i + 1)} }

// tileA is the register of row i of a: a[i][k..k+3].
func tileA(i int) a64.VReg { return a64.V(16 + i) }

// tileEpilogue is what a tile kernel does with its dot products.
type tileEpilogue struct {
	name string
	doc  []string
	emit func(g *gen, mr int) // transforms the accumulators in place (nil: none)
}

var tileEpilogues = []tileEpilogue{
	{
		name: "Dot",
		doc:  []string{"y = dot (generic.Dot, for generic.Dots)."},
	},
	{
		name: "L2",
		doc: []string{
			"y = generic.L2Epilogue(dot, rowv[i], colv[j]) (for generic.SquaredL2,",
			"rowv and colv the squared norms): t = rowv[i] + colv[j];",
			"y = fma(-2, dot, t); y < 0 becomes +0 (NaN stays NaN).",
		},
		emit: func(g *gen, mr int) {
			nb := [2]a64.VReg{a64.V(16), a64.V(17)}
			m2, zero, na := a64.V(18), a64.V(19), a64.V(20)
			t := [2]a64.VReg{a64.V(21), a64.V(22)}
			neg := [2]a64.VReg{a64.V(23), a64.V(24)}
			g.Comment("L2 epilogue: nb = colv[j..j+8), -2 and +0 in every lane")
			g.LD1(false, tColV, nb[0], nb[1])
			g.I("MOVW", "$0xC0000000", tT.String())
			g.DUPGen(m2, tT)
			g.Zero(zero)
			g.I("MOVD", tRowV.String(), tT.String())
			for i := 0; i < mr; i++ {
				acc := tileAcc(i)
				g.Commentf("row %d: t = na + nb; y = fma(-2, dot, t); y < 0 ? +0 : y", i)
				g.LD1R(true, tT, na)
				g.FADD(t[0], na, nb[0])
				g.FADD(t[1], na, nb[1])
				g.FMLA(t[0], acc[0], m2)
				g.FMLA(t[1], acc[1], m2)
				g.FCMGT(neg[0], zero, t[0])
				g.FCMGT(neg[1], zero, t[1])
				g.BIC(acc[0], t[0], neg[0])
				g.BIC(acc[1], t[1], neg[1])
			}
		},
	},
	{
		name: "Cosine",
		doc: []string{
			"y = (dot * rowv[i]) * colv[j] (generic.CosineEpilogue, for",
			"generic.Cosines, rowv and colv the inverse norms), each product rounded.",
		},
		emit: func(g *gen, mr int) {
			rb := [2]a64.VReg{a64.V(16), a64.V(17)}
			ra := a64.V(18)
			g.Comment("Cosine epilogue: rb = colv[j..j+8)")
			g.LD1(false, tColV, rb[0], rb[1])
			g.I("MOVD", tRowV.String(), tT.String())
			for i := 0; i < mr; i++ {
				acc := tileAcc(i)
				g.Commentf("row %d: y = (dot * ra) * rb", i)
				g.LD1R(true, tT, ra)
				g.FMUL(acc[0], acc[0], ra)
				g.FMUL(acc[1], acc[1], ra)
				g.FMUL(acc[0], acc[0], rb[0])
				g.FMUL(acc[1], acc[1], rb[1])
			}
		},
	},
}

// packPanelNN emits PackPanelNNNEON, the packer of the a·b products (b given
// k-major, kc rows of ldb floats): each step of k of a panel is already
// contiguous in b, so a whole panel is two vector loads and stores per step;
// an edge panel (cols < 8) is zeroed and then copied float by float.
func (g *gen) packPanelNN() {
	g.text("PackPanelNNNEON", "func(dst, b *float32, ldb, cols, kc int)",
		"PackPanelNNNEON packs columns 0..cols-1 (1..8) of kc >= 1 rows of b",
		"(ldb floats apart) into the 8-wide panel dst[k*8+j] = b[k*ldb+j],",
		"zero-padded to 8 columns; dst holds kc*8 floats. Only the kc×cols",
		"elements of b are read.")
	dst, b, ldb, cols, kc := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4)
	src, j := a64.R(5), a64.R(6)
	v0, v1, z0, z1 := a64.V(0), a64.V(1), a64.V(2), a64.V(3)
	g.Load("dst", dst)
	g.Load("b", b)
	g.Load("ldb", ldb)
	g.Load("cols", cols)
	g.Load("kc", kc)
	g.I("LSL", "$2", ldb.String(), ldb.String())
	g.I("CMP", "$8", cols.String())
	g.I("BLT", "nnedge")
	g.Comment("whole panels: 8 floats per step of k")
	g.Label("nnfull")
	g.LD1(false, b, v0, v1)
	g.ST1(true, dst, v0, v1)
	g.I("ADD", ldb.String(), b.String(), b.String())
	g.I("SUBS", "$1", kc.String(), kc.String())
	g.I("BNE", "nnfull")
	g.RET()
	g.Label("nnedge")
	g.Comment("an edge panel: zero the step, then copy its cols floats")
	g.Zero(z0)
	g.Zero(z1)
	g.Label("nnstep")
	g.I("MOVD", b.String(), src.String())
	g.I("MOVD", dst.String(), a64.R(7).String())
	g.ST1(true, dst, z0, z1)
	g.I("MOVD", cols.String(), j.String())
	g.Label("nncol")
	g.I("FMOVS.P", a64.Mem(4, src), v0.F())
	g.I("FMOVS.P", v0.F(), a64.Mem(4, a64.R(7)))
	g.I("SUBS", "$1", j.String(), j.String())
	g.I("BNE", "nncol")
	g.I("ADD", ldb.String(), b.String(), b.String())
	g.I("SUBS", "$1", kc.String(), kc.String())
	g.I("BNE", "nnstep")
	g.RET()
}

func (g *gen) pairwiseKernels() {
	g.packPanel()
	g.packPanelNN()
	for _, ep := range tileEpilogues {
		g.tileKernel(ep)
	}
}

// packPanel emits PackPanelNEON: dst[k*8 + j] = b[j*ldb + k] for j < rows,
// +0 for rows <= j < 8. Each half of the panel (rows 0-3, rows 4-7) is 4×4
// transposes (TRN1/TRN2 on 32-bit, then on 64-bit lanes); a row that does
// not exist reads row 0 instead and its lane is masked to +0.
func (g *gen) packPanel() {
	g.text("PackPanelNEON", "func(dst, b *float32, ldb, rows, kc int)",
		"PackPanelNEON packs rows (1..8) rows of b, ldb apart, kc >= 1 floats",
		"each, into the 8-wide panel dst[k*8+j] = b[j*ldb+k], zero-padded to 8",
		"rows; dst holds kc*8 floats. Only the rows×kc elements of b are read.")
	dst, b, ldb, rows, kc := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4)
	ptr := []a64.GPR{a64.R(5), a64.R(6), a64.R(7), a64.R(8)}
	row, out, stride, n, t := a64.R(9), a64.R(10), a64.R(11), a64.R(12), a64.R(13)
	in := []a64.VReg{a64.V(0), a64.V(1), a64.V(2), a64.V(3)}
	mid := []a64.VReg{a64.V(4), a64.V(5), a64.V(6), a64.V(7)}
	col := []a64.VReg{a64.V(16), a64.V(17), a64.V(18), a64.V(19)}
	mask := a64.V(20)
	g.Load("dst", dst)
	g.Load("b", b)
	g.Load("ldb", ldb)
	g.Load("rows", rows)
	g.Load("kc", kc)
	g.I("LSL", "$2", ldb.String(), ldb.String())
	g.I("MOVD", "$32", stride.String())
	for half := 0; half < 2; half++ {
		g.Commentf("rows %d..%d of the panel: lanes %d..%d of each step of k", 4*half, 4*half+3, 4*half, 4*half+3)
		g.Comment("row pointers (a missing row reads row 0) and the mask of the rows that exist")
		g.Zero(mask)
		if half == 0 {
			g.I("MOVD", b.String(), row.String())
		}
		for r := 0; r < 4; r++ {
			j := 4*half + r
			if j > 0 {
				g.I("ADD", ldb.String(), row.String(), row.String())
			}
			g.I("CMP", fmt.Sprintf("$%d", j), rows.String())
			g.I("CSEL", "GT", row.String(), b.String(), ptr[r].String())
			g.I("CSETM", "GT", t.String())
			g.INS(mask, r, t)
		}
		g.I("ADD", fmt.Sprintf("$%d", 16*half), dst.String(), out.String())
		g.I("MOVD", kc.String(), n.String())
		g.loop("pack", n, 4, "pack, 4 rows by 4 steps of k", 16, "element", func() {
			for r := 0; r < 4; r++ {
				g.LD1(true, ptr[r], in[r])
			}
			g.Comment("4×4 transpose: col[t] = {row0[k+t], row1[k+t], row2[k+t], row3[k+t]}")
			g.TRN1S(mid[0], in[0], in[1])
			g.TRN2S(mid[1], in[0], in[1])
			g.TRN1S(mid[2], in[2], in[3])
			g.TRN2S(mid[3], in[2], in[3])
			g.TRN1D(col[0], mid[0], mid[2])
			g.TRN1D(col[1], mid[1], mid[3])
			g.TRN2D(col[2], mid[0], mid[2])
			g.TRN2D(col[3], mid[1], mid[3])
			for t := 0; t < 4; t++ {
				g.AND(col[t], col[t], mask)
			}
			for t := 0; t < 4; t++ {
				g.I("VST1.P", "["+col[t].S4()+"]", fmt.Sprintf("(%v)(%v)", out, stride))
			}
		})
		g.Comment("the last kc%4 steps of k, one lane per row")
		top, done := g.NewLabel("packk"), g.NewLabel("packkdone")
		g.Label(top)
		g.I("CBZ", n.String(), done)
		for r := 0; r < 4; r++ {
			g.LD1Lane(true, ptr[r], col[0], r)
		}
		g.AND(col[0], col[0], mask)
		g.I("VST1.P", "["+col[0].S4()+"]", fmt.Sprintf("(%v)(%v)", out, stride))
		g.I("SUB", "$1", n.String(), n.String())
		g.I("B", top)
		g.Label(done)
	}
	g.RET()
}

// tileKernel emits Tile<ep>NEON.
func (g *gen) tileKernel(ep tileEpilogue) {
	name := "Tile" + ep.name + "NEON"
	doc := []string{
		name + " computes an mr×cols block of outputs c[i*ldc+j] (1 <= mr <= 8,",
		"cols >= 1) from mr rows of a (lda apart, kc >= 1 columns each) and",
		"ceil(cols/8) packed panels of b (PackPanelNEON layout, one after the",
		"other, kc*8 floats each). Each output is the chain",
		"acc = fma(a[i*lda+k], b_j[k], acc) for k = 0..kc-1, starting from +0 or,",
		"with flags&1, from the partial result already in c. With flags&2 the",
		"epilogue is applied, otherwise the raw chain is stored. Only the mr×cols",
		"outputs are read or written, only those mr rows of a, and rowv[0..mr)",
		"and colv[0..8*ceil(cols/8)). The epilogue:",
		"",
	}
	for _, l := range ep.doc {
		doc = append(doc, "\t"+l)
	}
	g.text(name, "func(c *float32, ldc int, a *float32, lda int, mr int, b *float32, kc int, cols int, rowv *float32, colv *float32, flags int)", doc...)
	buf := g.Local("edge", 4*tileMR*tileNR)
	g.Load("c", tC)
	g.Load("ldc", tLdc)
	g.I("LSL", "$2", tLdc.String(), tLdc.String())
	g.Load("a", tA)
	g.Load("lda", tLda)
	g.I("LSL", "$2", tLda.String(), tLda.String())
	g.Load("mr", tRowN)
	g.Load("b", tB)
	g.Load("kc", tKC)
	g.Load("cols", tCols)
	g.Load("rowv", tRowV)
	g.Load("colv", tColV)
	g.Load("flags", tFlags)
	g.Comment("one body per row count: mr rows use 2*mr accumulators")
	for mr := tileMR; mr >= 2; mr-- {
		g.I("CMP", fmt.Sprintf("$%d", mr), tRowN.String())
		g.I("BEQ", fmt.Sprintf("rows%d", mr))
	}
	for mr := 1; mr <= tileMR; mr++ {
		g.tileBody(ep, mr, buf)
	}
}

// edgeCopy copies mr rows of cols (1..7) floats between c and the edge
// buffer (rows 32 bytes apart); toBuf selects the direction.
func (g *gen) edgeCopy(mr int, buf string, toBuf bool) {
	g.I("MOVD", buf, tBuf.String())
	g.I("MOVD", tC.String(), tT.String())
	g.I("MOVD", fmt.Sprintf("$%d", mr), tRowN.String())
	rowTop, colTop := g.NewLabel("edgerow"), g.NewLabel("edgecol")
	src, dst := tT2, tK
	g.Label(rowTop)
	if toBuf {
		g.I("MOVD", tT.String(), src.String())
		g.I("MOVD", tBuf.String(), dst.String())
	} else {
		g.I("MOVD", tBuf.String(), src.String())
		g.I("MOVD", tT.String(), dst.String())
	}
	g.I("MOVD", tCols.String(), tAp[0].String())
	g.Label(colTop)
	g.I("FMOVS.P", a64.Mem(4, src), a64.V(16).F())
	g.I("FMOVS.P", a64.V(16).F(), a64.Mem(4, dst))
	g.I("SUBS", "$1", tAp[0].String(), tAp[0].String())
	g.I("BNE", colTop)
	g.I("ADD", "$32", tBuf.String(), tBuf.String())
	g.I("ADD", tLdc.String(), tT.String(), tT.String())
	g.I("SUBS", "$1", tRowN.String(), tRowN.String())
	g.I("BNE", rowTop)
}

// tileBody emits the loop over panels for mr rows of a.
func (g *gen) tileBody(ep tileEpilogue, mr int, buf string) {
	l := func(s string) string { return fmt.Sprintf("%s%d", s, mr) }
	g.Label(l("rows"))
	g.Label(l("panel"))
	g.Commentf("%d×8 tile: accumulators V0..V%d (row i: V2i columns 0-3, V2i+1 columns 4-7)", mr, 2*mr-1)
	g.I("TBZ", "$0", tFlags.String(), l("zero"))
	g.Comment("a later block of k: continue the chains from the partial results in c")
	g.I("CMP", "$8", tCols.String())
	g.I("BLT", l("resumeedge"))
	g.I("MOVD", tC.String(), tT.String())
	for i := 0; i < mr; i++ {
		acc := tileAcc(i)
		g.LD1(false, tT, acc[0], acc[1])
		if i < mr-1 {
			g.I("ADD", tLdc.String(), tT.String(), tT.String())
		}
	}
	g.I("B", l("k"))
	g.Label(l("resumeedge"))
	g.Comment("last panel, cols < 8: through the edge buffer, touching only the columns that exist")
	g.edgeCopy(mr, buf, true)
	g.I("MOVD", buf, tBuf.String())
	for i := 0; i < mr; i++ {
		acc := tileAcc(i)
		g.LD1(true, tBuf, acc[0], acc[1])
	}
	g.I("B", l("k"))
	g.Label(l("zero"))
	for i := 0; i < mr; i++ {
		for _, v := range tileAcc(i) {
			g.Zero(v)
		}
	}

	g.Label(l("k"))
	g.Comment("rows of a at the first column of the block")
	g.I("MOVD", tA.String(), tAp[0].String())
	for i := 1; i < mr; i++ {
		g.I("ADD", tLda.String(), tAp[i-1].String(), tAp[i].String())
	}
	g.I("MOVD", tKC.String(), tK.String())
	bv := []a64.VReg{a64.V(24), a64.V(25), a64.V(26), a64.V(27), a64.V(28), a64.V(29), a64.V(30), a64.V(31)}
	g.loop(l("k4_"), tK, 4, fmt.Sprintf("%d×8 tile, 4 steps of k", mr), 4*8*mr, "multiply-add", func() {
		g.Comment("a[i][k..k+3] for each row; b_k .. b_k+3 (8 floats each)")
		for i := 0; i < mr; i++ {
			g.LD1(true, tAp[i], tileA(i))
		}
		g.LD1(true, tB, bv[:4]...)
		g.LD1(true, tB, bv[4:]...)
		for u := 0; u < 4; u++ {
			g.Commentf("step k+%d: acc_i = fma(a[i][k+%d], b_k+%d, acc_i)", u, u, u)
			for i := 0; i < mr; i++ {
				acc := tileAcc(i)
				g.FMLAElem(acc[0], bv[2*u], tileA(i), u)
				g.FMLAElem(acc[1], bv[2*u+1], tileA(i), u)
			}
		}
	})
	g.Comment("the last kc%4 steps of k, one at a time")
	g.Label(l("k1_"))
	g.I("CBZ", tK.String(), l("kdone"))
	for i := 0; i < mr; i++ {
		g.I("FMOVS.P", a64.Mem(4, tAp[i]), tileA(i).F())
	}
	g.LD1(true, tB, bv[0], bv[1])
	for i := 0; i < mr; i++ {
		acc := tileAcc(i)
		g.FMLAElem(acc[0], bv[0], tileA(i), 0)
		g.FMLAElem(acc[1], bv[1], tileA(i), 0)
	}
	g.I("SUB", "$1", tK.String(), tK.String())
	g.I("B", l("k1_"))
	g.Label(l("kdone"))
	if ep.emit != nil {
		g.I("TBZ", "$1", tFlags.String(), l("store"))
		ep.emit(g, mr)
	}

	g.Label(l("store"))
	g.I("CMP", "$8", tCols.String())
	g.I("BLT", l("storeedge"))
	g.I("MOVD", tC.String(), tT.String())
	for i := 0; i < mr; i++ {
		acc := tileAcc(i)
		g.ST1(false, tT, acc[0], acc[1])
		if i < mr-1 {
			g.I("ADD", tLdc.String(), tT.String(), tT.String())
		}
	}
	g.Comment("next panel (b is already there)")
	g.I("ADD", "$32", tC.String(), tC.String())
	g.I("ADD", "$32", tColV.String(), tColV.String())
	g.I("SUBS", "$8", tCols.String(), tCols.String())
	g.I("BGT", l("panel"))
	g.RET()
	g.Label(l("storeedge"))
	g.Comment("last panel, cols < 8: through the edge buffer")
	g.I("MOVD", buf, tBuf.String())
	for i := 0; i < mr; i++ {
		acc := tileAcc(i)
		g.ST1(true, tBuf, acc[0], acc[1])
	}
	g.edgeCopy(mr, buf, false)
	g.RET()
}
