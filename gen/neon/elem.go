package main

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/gen/a64"
	"github.com/simdloss/simdloss/generic"
)

// The elementwise kernels: AxpbyRowsNEON, FlushSubnormalsNEON and the
// triplet gradients. Every pointer walks its array once (post-incremented
// loads and stores, the row tails included), so after a row each points at
// the next one.

func (g *gen) elemFile() {
	g.axpbyRows(false)
	g.axpbyRows(true)
	g.flushSubnormals()
	g.tripletGrad(false)
	g.tripletGrad(true)
	g.pairUpdates()
	g.firstMinBits()
	g.hingeCounts()
	g.aboveMin()
	g.firstOutside()
	g.sum64()
	g.circle(false)
	g.circle(true)
	g.maskedAffine()
	g.symmetrize()
}

// axpbyRows emits AxpbyRowsNEON: dst = fma(ca, a, cb*b) per element; with
// idx, AxpbyRowsIdxNEON, whose rows of b are the ones idx names.
func (g *gen) axpbyRows(idx bool) {
	name, sig := "AxpbyRowsNEON", "func(dst, a, b, ca, cb *float32, rows, dim int)"
	doc := []string{name + " writes dst_i = fma(ca_i, a_i, cb_i*b_i) elementwise for paired rows",
		"(rows, dim >= 1; dst may be a or b): generic.AxpbyRows, bit for bit."}
	if idx {
		name, sig = "AxpbyRowsIdxNEON", "func(dst, a, b, ca, cb *float32, idx *int32, rows, dim int)"
		doc = []string{name + " writes dst_i = fma(ca_i, a_i, cb_i*b_idx[i]) elementwise (rows, dim >= 1;",
			"dst may be a): generic.AxpbyRowsIdx, bit for bit."}
	}
	g.text(name, sig, doc...)
	dst, a, b, ca, cb, rows, dim, n := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5), a64.R(6), a64.R(7)
	ip, bBase := a64.R(8), a64.R(9)
	g.Load("dst", dst)
	g.Load("a", a)
	g.Load("b", b)
	g.Load("ca", ca)
	g.Load("cb", cb)
	g.Load("rows", rows)
	g.Load("dim", dim)
	if idx {
		g.Load("idx", ip)
		g.I("MOVD", b.String(), bBase.String())
	}
	vca, vcb := a64.V(0), a64.V(1)
	xb, xa := vregs(16, 8), vregs(24, 8)
	g.Label(name + "_row")
	g.Comment("the row's coefficients, in every lane")
	g.LD1R(true, ca, vca)
	g.LD1R(true, cb, vcb)
	if idx {
		g.Comment("b's row: b + idx[i]·dim")
		g.I("MOVW.P", "4("+ip.String()+")", n.String())
		g.I("MUL", dim.String(), n.String(), n.String())
		g.I("ADD", n.String()+"<<2", bBase.String(), b.String())
	}
	g.I("MOVD", dim.String(), n.String())
	g.elementwise("axpby", "axpby", n,
		[]stream{{b, xb}, {a, xa}}, []stream{{dst, xb}},
		func(k int) {
			g.Comment("t = cb * b (rounded); dst = fma(ca, a, t)")
			for i := 0; i < k; i++ {
				g.FMUL(xb[i], xb[i], vcb)
			}
			for i := 0; i < k; i++ {
				g.FMLA(xb[i], xa[i], vca)
			}
		})
	g.I("SUBS", "$1", rows.String(), rows.String())
	g.I("BNE", name+"_row")
	g.RET()
}

// flushSubnormals emits FlushSubnormalsNEON: |x| < 2^-126 becomes +0.
func (g *gen) flushSubnormals() {
	g.text("FlushSubnormalsNEON", "func(x *float32, n int)",
		"FlushSubnormalsNEON sets the n >= 1 elements of x with |x| < 2^-126 to +0 and keeps the",
		"others (NaN included): generic.FlushSubnormals, bit for bit.")
	src, dst, n := a64.R(0), a64.R(1), a64.R(2)
	g.Load("x", src)
	g.Load("n", n)
	g.I("MOVD", src.String(), dst.String())
	limit := a64.V(0)
	g.Commentf("limit = 2^-126 (%#08x) in every lane", math.Float32bits(generic.SubnormalLimit))
	g.I("MOVW", fmt.Sprintf("$0x%08x", math.Float32bits(generic.SubnormalLimit)), a64.R(3).String())
	g.DUPGen(limit, a64.R(3))
	x, small := vregs(16, 8), vregs(24, 8)
	g.elementwise("flush", "flush", n, []stream{{src, x}}, []stream{{dst, x}}, func(k int) {
		g.Comment("small = 2^-126 > |x| (NaN: false); x = x AND NOT small")
		for i := 0; i < k; i++ {
			g.FACGT(small[i], limit, x[i])
		}
		for i := 0; i < k; i++ {
			g.BIC(x[i], x[i], small[i])
		}
	})
	g.RET()
}

// tripletGrad emits TripletGradNEON (swap: TripletGradSwapNEON), the
// gradients of generic.TripletGradRows, every operation rounded.
func (g *gen) tripletGrad(swap bool) {
	name := "TripletGradNEON"
	doc := []string{
		name + " is generic.TripletGradRows without swap coefficients (cw unused), bit for bit:",
		"tu = cu·((a-p)+eps), tv = cv·((a-n)+eps); gA = tu - tv, gP = -tu, gN = tv.",
	}
	if swap {
		name = "TripletGradSwapNEON"
		doc = []string{
			name + " is generic.TripletGradRows with the swap coefficients cw, bit for bit:",
			"tu = cu·((a-p)+eps), tv = cv·((a-n)+eps), tw = cw·((p-n)+eps);",
			"gA = tu - tv, gP = -(tu + tw), gN = tv + tw.",
		}
	}
	g.text(name, "func(gA, gP, gN, a, p, n, cu, cv, cw *float32, eps float32, rows, dim int)", doc...)
	gA, gP, gN, a, p, n := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5)
	cu, cv, cw, rows, dim, cnt := a64.R(6), a64.R(7), a64.R(8), a64.R(9), a64.R(10), a64.R(11)
	for i, nm := range []string{"gA", "gP", "gN", "a", "p", "n", "cu", "cv"} {
		g.Load(nm, a64.R(i))
	}
	if swap {
		g.Load("cw", cw)
	}
	g.Load("rows", rows)
	g.Load("dim", dim)
	veps, vcu, vcv, vcw, sign := a64.V(0), a64.V(1), a64.V(2), a64.V(3), a64.V(4)
	g.Comment("eps and the sign bit, in every lane")
	g.LoadFAll("eps", veps)
	g.I("MOVW", "$0x80000000", cnt.String())
	g.DUPGen(sign, cnt)
	const w = 4
	xa, xp, xn, xw := vregs(8, w), vregs(12, w), vregs(16, w), vregs(20, w)
	row := name + "_row"
	g.Label(row)
	g.Comment("the row's coefficients, in every lane")
	g.LD1R(true, cu, vcu)
	g.LD1R(true, cv, vcv)
	if swap {
		g.LD1R(true, cw, vcw)
	}
	g.I("MOVD", dim.String(), cnt.String())
	// The registers of a, p and n are reused: tu goes to p's, tv to n's, gA
	// to a's (and tw to xw).
	g.elementwise("grad", "triplet gradient", cnt,
		[]stream{{a, xa}, {p, xp}, {n, xn}}, []stream{{gA, xa}, {gP, xp}, {gN, xn}},
		func(k int) {
			diff := func(what string, d, x, y []a64.VReg, c a64.VReg) {
				g.Commentf("%s: (x - y) + eps, times the coefficient", what)
				for i := 0; i < k; i++ {
					g.FSUB(d[i], x[i], y[i])
				}
				for i := 0; i < k; i++ {
					g.FADD(d[i], d[i], veps)
				}
				for i := 0; i < k; i++ {
					g.FMUL(d[i], d[i], c)
				}
			}
			if swap {
				diff("tw = cw·((p - n) + eps)", xw, xp, xn, vcw)
			}
			diff("tu = cu·((a - p) + eps)", xp, xa, xp, vcu)
			diff("tv = cv·((a - n) + eps)", xn, xa, xn, vcv)
			g.Comment("gA = tu - tv")
			for i := 0; i < k; i++ {
				g.FSUB(xa[i], xp[i], xn[i])
			}
			if swap {
				g.Comment("gP = -(tu + tw), gN = tv + tw")
				for i := 0; i < k; i++ {
					g.FADD(xp[i], xp[i], xw[i])
				}
				for i := 0; i < k; i++ {
					g.FADD(xn[i], xn[i], xw[i])
				}
			} else {
				g.Comment("gP = -tu, gN = tv")
			}
			for i := 0; i < k; i++ {
				g.EOR(xp[i], xp[i], sign)
			}
		})
	g.I("SUBS", "$1", rows.String(), rows.String())
	g.I("BNE", row)
	g.RET()
}

// pairUpdates emits PairUpdatesNEON, the miners' sparse gradient: for each
// pair t in order, with u = k_t·(x_i - x_j) elementwise (the difference and
// the product each rounded), g_i += u over the whole row, then g_j -= u
// over the whole row (u computed again). (For a pair with i == j, u is ±0
// or NaN, and g + u - u = g - u + u: the order of the two passes shows in
// no result.)
func (g *gen) pairUpdates() {
	const name = "PairUpdatesNEON"
	g.text(name, "func(grad, emb *float32, pi, pj *int32, k *float32, n, dim int)",
		name+" is generic.PairUpdates, bit for bit, for n >= 1 pairs of rows of dim >= 1 elements:",
		"for each pair in order, g_i += k·(x_i - x_j), then g_j -= k·(x_i - x_j), elementwise.")
	grad, emb, pi, pj, kp, n, dim := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5), a64.R(6)
	ri, rj, xi, xj, gl, gs, cnt := a64.R(7), a64.R(8), a64.R(9), a64.R(10), a64.R(11), a64.R(12), a64.R(13)
	g.Load("grad", grad)
	g.Load("emb", emb)
	g.Load("pi", pi)
	g.Load("pj", pj)
	g.Load("k", kp)
	g.Load("n", n)
	g.Load("dim", dim)
	vk := a64.V(0)
	x, y, gv := vregs(8, 8), vregs(16, 8), vregs(24, 8)
	g.Label(name + "_pair")
	g.Comment("the pair's rows: element offsets i·dim and j·dim; k in every lane")
	g.I("MOVW.P", "4("+pi.String()+")", ri.String())
	g.I("MOVW.P", "4("+pj.String()+")", rj.String())
	g.I("MUL", dim.String(), ri.String(), ri.String())
	g.I("MUL", dim.String(), rj.String(), rj.String())
	g.LD1R(true, kp, vk)
	for pass, row := range []a64.GPR{ri, rj} {
		what := "g_i += u"
		if pass == 1 {
			what = "g_j -= u"
		}
		g.Commentf("%s, u = k·(x_i - x_j)", what)
		g.I("ADD", ri.String()+"<<2", emb.String(), xi.String())
		g.I("ADD", rj.String()+"<<2", emb.String(), xj.String())
		g.I("ADD", row.String()+"<<2", grad.String(), gl.String())
		g.I("MOVD", gl.String(), gs.String())
		g.I("MOVD", dim.String(), cnt.String())
		g.elementwise(fmt.Sprintf("pair%d", pass), "pair update", cnt,
			[]stream{{xi, x}, {xj, y}, {gl, gv}}, []stream{{gs, gv}},
			func(k int) {
				for i := 0; i < k; i++ {
					g.FSUB(x[i], x[i], y[i])
				}
				for i := 0; i < k; i++ {
					g.FMUL(x[i], x[i], vk)
				}
				for i := 0; i < k; i++ {
					if pass == 0 {
						g.FADD(gv[i], gv[i], x[i])
					} else {
						g.FSUB(gv[i], gv[i], x[i])
					}
				}
			})
	}
	g.I("SUBS", "$1", n.String(), n.String())
	g.I("BNE", name+"_pair")
	g.RET()
}
