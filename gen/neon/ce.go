package main

import (
	"github.com/simdloss/simdloss/gen/a64"
)

// The fused cross-entropy row kernels (generic.CrossEntropyRows and
// generic.CrossEntropySoftRows), one row at a time on the passes of the
// softmax family (rows.go): the max pass, the exponential pass (storing e
// to grad when it is written) and LogPos, plus the passes of their own.
//
// Registers beyond those of rows.go (R0..R12, V0..V31):
var (
	cW     = a64.R(13) // w: the class weights (nil without)
	cA     = a64.R(14) // hard: a, the current row's element; soft: the bits of 1/sum
	cScale = a64.R(15) // scale: the current row's element
	cMx    = a64.R(19) // mx: the current row's element
	cLsum  = a64.R(20) // lsum: the current row's element
	cZw    = a64.R(21) // zw (hard) or zc (soft): the current row's element
	cMass  = a64.R(22) // soft: mass, the current row's element; hard: the bits of -k
	cQ     = a64.R(23) // soft: q, the current row
	cPW    = a64.R(24) // pass: w pointer
	cPQ    = a64.R(25) // pass: q pointer
)

// ceVariant names a cross-entropy kernel variant: G writes the gradient, W
// reads class weights, S (hard labels) writes the smoothing sum zw.
func ceVariant(grad, weights, smooth bool) string {
	s := ""
	if grad {
		s += "G"
	}
	if weights {
		s += "W"
	}
	if smooth {
		s += "S"
	}
	if s == "" {
		s = "Plain"
	}
	return s
}

func variantDoc(grad, weights bool, smooth string) string {
	s := ""
	add := func(on bool, yes, no string) {
		if on {
			s += ", " + yes
		} else if no != "" {
			s += ", " + no
		}
	}
	add(grad, "writing grad", "grad nil")
	add(weights, "class weights w", "w nil")
	if smooth != "" {
		s += ", " + smooth
	}
	return s
}

func (g *gen) ceFile() {
	for _, grad := range []bool{false, true} {
		for _, weights := range []bool{false, true} {
			for _, smooth := range []bool{false, true} {
				g.crossEntropy(grad, weights, smooth)
			}
		}
	}
	for _, grad := range []bool{false, true} {
		for _, weights := range []bool{false, true} {
			g.crossEntropySoft(grad, weights)
		}
	}
}

// loadExpConsts broadcasts the exp constants into vCut..vC1.
func (g *gen) loadExpConsts() {
	g.Comment("the exp constants, each in every lane of a register")
	g.I("MOVD", "$rowconsts<>(SB)", rA.String())
	for i, c := range expConsts {
		g.IC(c.name, "VLD1R.P", a64.Mem(4, rA), "["+a64.V(int(vCut)+i).S4()+"]")
	}
}

// rowOutputs stores mx and lsum = LogPos(sum) (sum in F0) of the row.
func (g *gen) rowOutputs() {
	lsum := a64.V(19)
	g.Comment("mx = m; lsum = LogPos(sum)")
	g.I("FMOVS.P", vM.F(), a64.Mem(4, cMx))
	g.logPos(a64.V(0), lsum)
	g.I("FMOVS.P", lsum.F(), a64.Mem(4, cLsum))
}

// reciprocal leaves 1/sum (sum in F0; IEEE division) in the scalar inv.
func (g *gen) reciprocal(inv a64.VReg) {
	g.Comment("inv = 1 / sum (IEEE division)")
	g.I("FMOVS", "$1.0", inv.F())
	g.I("FDIVS", a64.V(0).F(), inv.F(), inv.F())
}

// crossEntropy emits one variant of the hard-label kernel.
func (g *gen) crossEntropy(grad, weights, smooth bool) {
	name := "CrossEntropy" + ceVariant(grad, weights, smooth) + "NEON"
	sm := "zw nil"
	if smooth {
		sm = "zw written"
	}
	g.text(name, "func(grad, z, w *float32, k float32, a, scale, mx, lsum, zw *float32, rows, cols int)",
		name+" is generic.CrossEntropyRows, bit for bit, for rows, cols >= 1"+variantDoc(grad, weights, sm)+".",
		"Per row: mx = max, lsum = LogPos(Σ exp(z - max)), zw = Σ w·(z - max), and the gradient",
		"without its label term: scale·fma(a, softmax, -k·w). grad may be z (in place).")
	g.Load("z", rSrc)
	g.Load("rows", rRows)
	g.Load("cols", rCols)
	g.Load("mx", cMx)
	g.Load("lsum", cLsum)
	if grad {
		g.Load("grad", rDst)
		g.Load("a", cA)
		g.Load("scale", cScale)
		g.Comment("-k (exact), kept as bits for the gradient pass")
		g.LoadF("k", a64.V(20))
		g.I("FNEGS", a64.V(20).F(), a64.V(20).F())
		g.I("FMOVS", a64.V(20).F(), cMass.String())
	}
	if weights {
		g.Load("w", cW)
	}
	if smooth {
		g.Load("zw", cZw)
	}
	g.loadExpConsts()
	g.I("MOVW", "$-1", rOnes.String())
	g.I("MOVD", "ZR", rDone.String())

	row := name + "_row"
	g.Label(row)
	g.maxPass()
	if smooth {
		g.zwPass(weights)
	}
	g.expPass(grad)
	g.rowOutputs()
	if grad {
		inv, ar, sr, nk := a64.V(0), a64.V(1), a64.V(2), a64.V(3)
		g.reciprocal(a64.V(20))
		g.Comment("inv, a, scale and -k in every lane")
		g.DUPElem(inv, a64.V(20), 0)
		g.LD1R(true, cA, ar)
		g.LD1R(true, cScale, sr)
		g.DUPGen(nk, cMass)
		g.Comment("pass 3: grad = scale * fma(a, e * inv, -u), u = k*w (-u = (-k)*w exactly) or k")
		g.I("MOVD", rDst.String(), rP.String())
		g.I("MOVD", rDst.String(), rQ.String())
		g.I("MOVD", rCols.String(), rN.String())
		e, w, t := vregs(20, 4), vregs(24, 4), vregs(28, 4)
		ins := []stream{{rP, e}}
		if weights {
			g.I("MOVD", cW.String(), cPW.String())
			ins = append(ins, stream{cPW, w})
		}
		g.elementwise("grad", "gradient", rN, ins, []stream{{rQ, t}}, func(k int) {
			g.Comment("p = e * inv")
			for i := 0; i < k; i++ {
				g.FMUL(e[i], e[i], inv)
			}
			if weights {
				g.Comment("t = -u = (-k) * w")
				for i := 0; i < k; i++ {
					g.FMUL(t[i], w[i], nk)
				}
			} else {
				g.Comment("t = -u = -k")
				for i := 0; i < k; i++ {
					g.MOV(t[i], nk)
				}
			}
			g.Comment("t = fma(a, p, t); grad = scale * t")
			for i := 0; i < k; i++ {
				g.FMLA(t[i], e[i], ar)
			}
			for i := 0; i < k; i++ {
				g.FMUL(t[i], t[i], sr)
			}
		})
	}
	g.Comment("next row")
	g.I("ADD", rCols.String()+"<<2", rSrc.String(), rSrc.String())
	if grad {
		g.I("ADD", rCols.String()+"<<2", rDst.String(), rDst.String())
	}
	g.I("ADD", "$1", rDone.String(), rDone.String())
	g.I("CMP", rRows.String(), rDone.String())
	g.I("BLT", row)
	g.RET()
}

// zwPass stores zw = Σ w·(z - m) (without weights Σ (z - m)) over the 32
// partials P0..P7, before the exponential pass (which may overwrite z).
func (g *gen) zwPass(weights bool) {
	if weights {
		g.Comment("pass 1b: zw = canonical sum of fma(w, z - m, p), before the exponential pass",
			"(in place, that overwrites z)")
	} else {
		g.Comment("pass 1b: zw = canonical sum of p + (z - m), before the exponential pass",
			"(in place, that overwrites z)")
	}
	g.zeroPartials()
	g.I("MOVD", rSrc.String(), rP.String())
	g.I("MOVD", rCols.String(), rN.String())
	ss := []rstream{{rP, vregs(20, 4), a64.V(28), a64.V(30)}}
	if weights {
		g.I("MOVD", cW.String(), cPW.String())
		ss = append(ss, rstream{cPW, vregs(24, 4), a64.V(29), a64.V(31)})
	}
	mask, pad := a64.V(19), a64.V(20)
	g.reduceRow("zw", "zw", rN, rR, rT, rA, rOnes, mask, pad, ss, func(js []int, in [][]a64.VReg, masked bool) {
		x := in[0]
		g.Comment("d = z - m")
		for i := range js {
			g.FSUB(x[i], x[i], vM)
		}
		if masked {
			g.Comment("d = -0 past the end (w = +0 there): the partial gets p + (-0) or fma(-0, +0, p), p itself")
			for i := range js {
				g.AND(x[i], x[i], mask)
			}
			for i := range js {
				g.EOR(x[i], x[i], pad)
			}
		}
		if weights {
			g.Comment("p = fma(w, d, p)")
			for i, j := range js {
				g.FMLA(P[j], x[i], in[1][i])
			}
		} else {
			g.Comment("p = p + d")
			for i, j := range js {
				g.FADD(P[j], P[j], x[i])
			}
		}
	})
	g.treeSum(a64.V(0))
	g.I("FMOVS.P", a64.V(0).F(), a64.Mem(4, cZw))
}

// crossEntropySoft emits one variant of the soft-target kernel.
func (g *gen) crossEntropySoft(grad, weights bool) {
	name := "CrossEntropySoft" + ceVariant(grad, weights, false) + "NEON"
	g.text(name, "func(grad, z, q, w *float32, scale, mx, lsum, mass, zc *float32, keep, spread float32, rows, cols int)",
		name+" is generic.CrossEntropySoftRows, bit for bit, for rows, cols >= 1"+variantDoc(grad, weights, "")+".",
		"Per row, with c = fma(keep, q, spread)·w: mx, lsum, mass = Σ c, zc = Σ c·(z - max), and the",
		"gradient scale·fma(mass, softmax, -c).")
	g.Load("z", rSrc)
	g.Load("q", cQ)
	g.Load("rows", rRows)
	g.Load("cols", rCols)
	g.Load("mx", cMx)
	g.Load("lsum", cLsum)
	g.Load("mass", cMass)
	g.Load("zc", cZw)
	if grad {
		g.Load("grad", rDst)
		g.Load("scale", cScale)
	}
	if weights {
		g.Load("w", cW)
	}
	g.I("MOVW", "$-1", rOnes.String())
	g.I("MOVD", "ZR", rDone.String())

	row := name + "_row"
	g.Label(row)
	g.Comment("(pass 2b below overwrites the exp constants: they are loaded per row)")
	g.loadExpConsts()
	g.maxPass()
	g.expPass(grad)
	g.rowOutputs()
	if grad {
		g.reciprocal(a64.V(20))
		g.I("FMOVS", a64.V(20).F(), cA.String())
	}

	// pass 2b registers: mass partials P0..P7, zc partials V9..V16.
	zp := [8]a64.VReg{a64.V(9), a64.V(10), a64.V(11), a64.V(12), a64.V(13), a64.V(14), a64.V(15), a64.V(16)}
	keep, spread := a64.V(17), a64.V(18)
	g.Comment("pass 2b: c = fma(keep, q, spread) (times w); mass = Σ c, zc = Σ fma(c, z - m, p),",
		"over the same 32 partials: mass in P0..P7, zc in V9..V16")
	g.LoadFAll("keep", keep)
	g.LoadFAll("spread", spread)
	g.zeroPartials()
	for _, z := range zp {
		g.Zero(z)
	}
	g.I("MOVD", rSrc.String(), rP.String())
	g.I("MOVD", cQ.String(), cPQ.String())
	g.I("MOVD", rCols.String(), rN.String())
	ss := []rstream{
		{rP, vregs(20, 2), a64.V(19), a64.V(23)},
		{cPQ, vregs(22, 2), a64.V(20), a64.V(24)},
		{a64.ZR, vregs(26, 2), a64.V(22), a64.V(26)}, // c
	}
	if weights {
		g.I("MOVD", cW.String(), cPW.String())
		ss = append(ss, rstream{cPW, vregs(24, 2), a64.V(21), a64.V(25)})
	}
	mask, pad := a64.V(27), a64.V(28)
	g.reduceRow("tgt", "mass and zc", rN, rR, rT, rA, rOnes, mask, pad, ss, func(js []int, in [][]a64.VReg, masked bool) {
		x, q, c := in[0], in[1], in[2]
		g.Comment("d = z - m; c = fma(keep, q, spread)")
		for i := range js {
			g.FSUB(x[i], x[i], vM)
		}
		for i := range js {
			g.MOV(c[i], spread)
		}
		for i := range js {
			g.FMLA(c[i], q[i], keep)
		}
		if weights {
			g.Comment("c = c * w")
			for i := range js {
				g.FMUL(c[i], c[i], in[3][i])
			}
		}
		if masked {
			g.Comment("d = +0, c = -0 past the end: the partials get p + (-0) and fma(-0, +0, p), p itself")
			for i := range js {
				g.AND(x[i], x[i], mask)
			}
			for i := range js {
				g.AND(c[i], c[i], mask)
			}
			for i := range js {
				g.EOR(c[i], c[i], pad)
			}
		}
		g.Comment("mass partial += c; zc partial = fma(c, d, p)")
		for i, j := range js {
			g.FADD(P[j], P[j], c[i])
		}
		for i, j := range js {
			g.FMLA(zp[j], c[i], x[i])
		}
	})
	mass, zc := a64.V(28), a64.V(29)
	g.treeSumOf(P, mass)
	g.treeSumOf(zp, zc)
	g.I("FMOVS.P", mass.F(), a64.Mem(4, cMass))
	g.I("FMOVS.P", zc.F(), a64.Mem(4, cZw))
	if grad {
		inv, am, sr, sign := a64.V(0), a64.V(1), a64.V(2), a64.V(3)
		g.Comment("inv, mass, scale and the sign bit in every lane")
		g.DUPElem(am, mass, 0)
		g.DUPGen(inv, cA)
		g.LD1R(true, cScale, sr)
		g.I("MOVW", "$0x80000000", rT.String())
		g.DUPGen(sign, rT)
		g.Comment("pass 3: grad = scale * fma(mass, e * inv, -c)")
		g.I("MOVD", rDst.String(), rP.String())
		g.I("MOVD", rDst.String(), rQ.String())
		g.I("MOVD", cQ.String(), cPQ.String())
		g.I("MOVD", rCols.String(), rN.String())
		e, q, w, c := vregs(20, 4), vregs(24, 4), vregs(28, 4), vregs(9, 4)
		ins := []stream{{rP, e}, {cPQ, q}}
		if weights {
			g.I("MOVD", cW.String(), cPW.String())
			ins = append(ins, stream{cPW, w})
		}
		g.elementwise("grad", "gradient", rN, ins, []stream{{rQ, c}}, func(k int) {
			g.Comment("p = e * inv; c = fma(keep, q, spread)")
			for i := 0; i < k; i++ {
				g.FMUL(e[i], e[i], inv)
			}
			for i := 0; i < k; i++ {
				g.MOV(c[i], spread)
			}
			for i := 0; i < k; i++ {
				g.FMLA(c[i], q[i], keep)
			}
			if weights {
				g.Comment("c = c * w")
				for i := 0; i < k; i++ {
					g.FMUL(c[i], c[i], w[i])
				}
			}
			g.Comment("t = fma(mass, p, -c) (-c: the sign bit flipped); grad = scale * t")
			for i := 0; i < k; i++ {
				g.EOR(c[i], c[i], sign)
			}
			for i := 0; i < k; i++ {
				g.FMLA(c[i], e[i], am)
			}
			for i := 0; i < k; i++ {
				g.FMUL(c[i], c[i], sr)
			}
		})
	}
	g.Comment("next row")
	g.I("ADD", rCols.String()+"<<2", rSrc.String(), rSrc.String())
	g.I("ADD", rCols.String()+"<<2", cQ.String(), cQ.String())
	if grad {
		g.I("ADD", rCols.String()+"<<2", rDst.String(), rDst.String())
	}
	g.I("ADD", "$1", rDone.String(), rDone.String())
	g.I("CMP", rRows.String(), rDone.String())
	g.I("BLT", row)
	g.RET()
}
