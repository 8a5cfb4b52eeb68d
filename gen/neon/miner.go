package main

import (
	"fmt"

	"github.com/simdloss/simdloss/gen/a64"
)

// firstMinBits emits FirstMinBitsNEON, BatchHard's scan for the nearest
// negative: the index of the element whose bits, read as an unsigned
// integer, are least, the first of equals (generic.FirstMinBits). Pass 1
// takes the least bits with UMIN over four accumulators, pass 2 finds the
// first vector that holds them (CMEQ, then UMAXV of the match lanes), and a
// scalar scan from that vector's start finds the lane. The least bits are
// in the row, so the scan ends at them.
func (g *gen) firstMinBits() {
	const name = "FirstMinBitsNEON"
	g.text(name, "func(row *float32, n int) int",
		name+" is generic.FirstMinBits, for n >= 1 elements: the index of the element whose",
		"bits, read as an unsigned integer, are least, the first of equals.")
	row, n, p, cnt, t, m, k := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5), a64.R(6)
	g.Load("row", row)
	g.Load("n", n)
	acc, x := vregs(0, 4), vregs(4, 4)
	ones, vm := a64.V(8), a64.V(9)
	g.Comment("pass 1: m = the least bits; the accumulators and the tail's dead lanes start at all ones")
	g.I("MOVW", "$-1", t.String())
	g.DUPGen(ones, t)
	for _, a := range acc {
		g.MOV(a, ones)
	}
	g.I("MOVD", row.String(), p.String())
	g.I("MOVD", n.String(), cnt.String())
	g.loop(name+"min", cnt, 16, "least bits", 16, "element", func() {
		g.LD1(true, p, x...)
		for i := range acc {
			g.UMIN(acc[i], acc[i], x[i])
		}
	})
	g.vectors(name+"minvec", cnt, func() {
		g.LD1(true, p, x[0])
		g.UMIN(acc[0], acc[0], x[0])
	})
	fold := g.NewLabel(name + "fold")
	g.I("CBZ", cnt.String(), fold)
	g.MOV(x[0], ones)
	g.lanes(cnt, func(i int) { g.LD1Lane(true, p, x[0], i) })
	g.UMIN(acc[0], acc[0], x[0])
	g.Label(fold)
	g.UMIN(acc[0], acc[0], acc[1])
	g.UMIN(acc[2], acc[2], acc[3])
	g.UMIN(acc[0], acc[0], acc[2])
	g.UMINV(acc[0], acc[0])
	g.I("VMOV", acc[0].Lane(0), m.String())

	g.Comment("pass 2: k = the start of the first vector holding m (or of the tail)")
	g.DUPGen(vm, m)
	g.I("MOVD", row.String(), p.String())
	g.I("MOVD", n.String(), cnt.String())
	g.I("MOVD", "ZR", k.String())
	found := g.NewLabel(name + "found")
	g.vectors(name+"find", cnt, func() {
		g.LD1(true, p, x[0])
		g.CMEQ(x[0], x[0], vm)
		g.UMAXV(x[0], x[0])
		g.I("VMOV", x[0].Lane(0), t.String())
		g.I("CBNZ", t.String(), found)
		g.I("ADD", "$4", k.String(), k.String())
	})
	g.Label(found)
	g.Comment("the first element from k whose bits are m")
	scan, done := g.NewLabel(name+"scan"), g.NewLabel(name+"done")
	g.Label(scan)
	g.I("MOVWU", "("+row.String()+")("+k.String()+"<<2)", t.String())
	g.I("CMPW", m.String(), t.String())
	g.I("BEQ", done)
	g.I("ADD", "$1", k.String(), k.String())
	g.I("B", scan)
	g.Label(done)
	g.Return(k)
}

// hingeCounts emits HingeCountsNEON, BatchAll's scan (generic.HingePartials
// over whole blocks of 8): per positive s, x = (dp[s] - row[k]) + margin
// (two roundings); where x > 0 (NaN: no) x adds into partial k mod 8 of s
// (two vectors of partials per positive, lane by lane from +0) and s's
// count goes up by one; crow[k] -= the number of those s, converted exactly.
func (g *gen) hingeCounts() {
	const name = "HingeCountsNEON"
	g.text(name, "func(row, crow *float32, n int, dp *float32, margin float32, sums *float32, counts *int32)",
		name+" is generic.HingePartials over row[0:n], n a multiple of 8, for the four positives at",
		"distances dp[0:4]: lane j of sums[8s:8s+8] receives partial j of positive s (from +0), and",
		"counts[s] its count.")
	row, crow, n, dp, sums, counts, t := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5), a64.R(6)
	crowOut := a64.R(7)
	g.Load("row", row)
	g.Load("crow", crow)
	g.Load("n", n)
	g.Load("dp", dp)
	g.Load("sums", sums)
	g.Load("counts", counts)
	d := vregs(0, 4)
	margin, zero := a64.V(4), a64.V(5)
	x, c := vregs(6, 2), vregs(8, 2)
	tv, mv, hc := vregs(10, 2), vregs(12, 2), vregs(14, 2)
	part, cnt := vregs(16, 8), vregs(24, 4)
	g.Comment("dp[s] and margin in every lane; the partials and the counts from 0")
	for _, v := range d {
		g.LD1R(true, dp, v)
	}
	g.LoadFAll("margin", margin)
	g.Zero(zero)
	for _, v := range part {
		g.Zero(v)
	}
	for _, v := range cnt {
		g.Zero(v)
	}
	g.I("MOVD", crow.String(), crowOut.String())
	g.loop(name, n, 8, "hinge counts", 8, "element", func() {
		g.LD1(true, row, x...)
		g.LD1(true, crow, c...)
		for _, v := range hc {
			g.Zero(v)
		}
		for s := range d {
			g.Commentf("positive %d: x = (dp - row) + margin; where x > 0: partials += x, counts += 1", s)
			for h := range x {
				g.FSUB(tv[h], d[s], x[h])
				g.FADD(tv[h], tv[h], margin)
				g.FCMGT(mv[h], tv[h], zero)
				g.AND(tv[h], tv[h], mv[h])
				g.FADD(part[2*s+h], part[2*s+h], tv[h])
				g.SUBI(cnt[s], cnt[s], mv[h]) // a hit's mask is -1
				g.SUBI(hc[h], hc[h], mv[h])
			}
		}
		g.Comment("crow -= the hits of each element (0..4, exact as a float)")
		for h := range x {
			g.SCVTF(hc[h], hc[h])
			g.FSUB(c[h], c[h], hc[h])
		}
		g.ST1(true, crowOut, c...)
	})
	g.Comment("the partials, positive by positive; the counts, each the sum of its lanes")
	g.ST1(true, sums, part[:4]...)
	g.ST1(true, sums, part[4:]...)
	for s, v := range cnt {
		g.ADDV(v, v)
		g.I("VMOV", v.Lane(0), t.String())
		g.I("MOVW", t.String(), fmt.Sprintf("%d(%s)", 4*s, counts))
	}
	g.RET()
}

// aboveMin emits AboveMinNEON, SemiHard's scan (generic.AboveMinFrom over
// whole vectors): per threshold s and lane, the least element above t[s]
// (c = v where v > t[s], else +Inf: NaN and +Inf never count) and its first
// index (a strict c < best keeps the lane's first of equals); then the
// lanes merge: the least value (FMINNMV; no lane holds NaN), and the least
// index among the lanes that hold it (UMINV; a lane with none holds all
// ones, -1).
func (g *gen) aboveMin() {
	const name = "AboveMinNEON"
	g.text(name, "func(row *float32, n int, t *float32, mins *float32, idx *int32)",
		name+" is generic.AboveMinFrom over row[0:n], n a multiple of 4, for the four thresholds",
		"t[0:4]: mins[s] receives the least element above t[s] (+Inf if none) and idx[s] its first",
		"index (-1 if none).")
	row, n, tp, mins, idxp, tmp := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5)
	g.Load("row", row)
	g.Load("n", n)
	g.Load("t", tp)
	g.Load("mins", mins)
	g.Load("idx", idxp)
	thr, best, ix := vregs(0, 4), vregs(4, 4), vregs(8, 4)
	inf, kv, step, ones := a64.V(12), a64.V(13), a64.V(14), a64.V(15)
	x, c, m, lt := a64.V(16), a64.V(17), a64.V(18), a64.V(19)
	g.Comment("t[s] in every lane; best = +Inf and idx = all ones (-1); k = the lanes' indices 0..3")
	for _, v := range thr {
		g.LD1R(true, tp, v)
	}
	g.I("MOVW", "$0x7f800000", tmp.String())
	g.DUPGen(inf, tmp)
	g.I("MOVW", "$-1", tmp.String())
	g.DUPGen(ones, tmp)
	for s := range best {
		g.MOV(best[s], inf)
		g.MOV(ix[s], ones)
	}
	g.I("MOVW", "$-4", tmp.String())
	g.DUPGen(step, tmp)
	g.Zero(kv)
	for i := 1; i < 4; i++ {
		g.I("MOVW", fmt.Sprintf("$%d", i), tmp.String())
		g.INS(kv, i, tmp)
	}
	g.vectors(name, n, func() {
		g.LD1(true, row, x)
		for s := range thr {
			g.FCMGT(m, x, thr[s])
			g.MOV(c, inf)
			g.BIT(c, x, m)
			g.FCMGT(lt, best[s], c)
			g.BIT(best[s], c, lt)
			g.BIT(ix[s], kv, lt)
		}
		g.SUBI(kv, kv, step)
	})
	g.Comment("merge the lanes: the least value, then the least index among the lanes holding it")
	for s := range thr {
		g.FMINNMV(m, best[s])
		g.DUPElem(m, m, 0)
		g.FCMEQ(lt, best[s], m)
		g.MOV(c, ones)
		g.BIT(c, ix[s], lt)
		g.UMINV(c, c)
		g.ST1Lane(true, mins, m, 0)
		g.ST1Lane(true, idxp, c, 0)
	}
	g.RET()
}

// symmetrize emits SymmetrizeNEON, BatchAll's C + Cᵀ on the first 4·nb rows
// and columns (generic.Symmetrize, any order: one addition per pair): for
// every pair of 4×4 blocks (bi, bj), bj <= bi, with X = block (bi, bj) and
// Y = block (bj, bi), S = X + Yᵀ goes to (bi, bj) and Sᵀ to (bj, bi); a
// diagonal block's S is symmetric. Transposes are TRN1/TRN2 on .4S, then
// on .2D.
func (g *gen) symmetrize() {
	const name = "SymmetrizeNEON"
	g.text(name, "func(a *float32, n, nb int)",
		name+" is generic.Symmetrize on the first 4·nb rows and columns of the n×n matrix a, by",
		"pairs of 4×4 blocks transposed in registers.")
	a, n, nb := a64.R(0), a64.R(1), a64.R(2)
	stride, rows4, bi, bj, rowI, px, py, p := a64.R(3), a64.R(4), a64.R(5), a64.R(6), a64.R(7), a64.R(8), a64.R(9), a64.R(10)
	g.Load("a", a)
	g.Load("n", n)
	g.Load("nb", nb)
	g.I("LSL", "$2", n.String(), stride.String())
	g.I("LSL", "$2", stride.String(), rows4.String())
	x, y, tmp, yt := vregs(0, 4), vregs(4, 4), vregs(16, 4), vregs(20, 4)
	transpose := func(dst, src []a64.VReg) {
		g.TRN(tmp[0], src[0], src[1], false, false)
		g.TRN(tmp[1], src[0], src[1], true, false)
		g.TRN(tmp[2], src[2], src[3], false, false)
		g.TRN(tmp[3], src[2], src[3], true, false)
		g.TRN(dst[0], tmp[0], tmp[2], false, true)
		g.TRN(dst[1], tmp[1], tmp[3], false, true)
		g.TRN(dst[2], tmp[0], tmp[2], true, true)
		g.TRN(dst[3], tmp[1], tmp[3], true, true)
	}
	rowsAt := func(load bool, base a64.GPR, v []a64.VReg) {
		g.I("MOVD", base.String(), p.String())
		for r, reg := range v {
			if load {
				g.LD1(false, p, reg)
			} else {
				g.ST1(false, p, reg)
			}
			if r < len(v)-1 {
				g.I("ADD", stride.String(), p.String(), p.String())
			}
		}
	}
	outer, inner, next, done := name+"_outer", name+"_inner", name+"_next", name+"_done"
	g.I("MOVD", a.String(), rowI.String())
	g.I("MOVD", "ZR", bi.String())
	g.Label(outer)
	g.I("CMP", nb.String(), bi.String())
	g.I("BGE", done)
	g.I("MOVD", "ZR", bj.String())
	g.Label(inner)
	g.I("CMP", bi.String(), bj.String())
	g.I("BGT", next)
	g.Comment("X = block (bi, bj) at rowI + 16·bj, Y = block (bj, bi) at a + bj·4 rows + 16·bi")
	g.I("ADD", bj.String()+"<<4", rowI.String(), px.String())
	g.I("MUL", rows4.String(), bj.String(), py.String())
	g.I("ADD", a.String(), py.String(), py.String())
	g.I("ADD", bi.String()+"<<4", py.String(), py.String())
	rowsAt(true, py, y)
	rowsAt(true, px, x)
	g.Comment("S = X + Yᵀ; block (bi, bj) = S, block (bj, bi) = Sᵀ")
	transpose(yt, y)
	for r := range x {
		g.FADD(x[r], x[r], yt[r])
	}
	rowsAt(false, px, x)
	transpose(y, x)
	rowsAt(false, py, y)
	g.I("ADD", "$1", bj.String(), bj.String())
	g.I("B", inner)
	g.Label(next)
	g.I("ADD", rows4.String(), rowI.String(), rowI.String())
	g.I("ADD", "$1", bi.String(), bi.String())
	g.I("B", outer)
	g.Label(done)
	g.RET()
}
