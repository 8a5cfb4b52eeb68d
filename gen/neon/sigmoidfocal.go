package main

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/gen/a64"
	"github.com/simdloss/simdloss/generic"
)

// Registers of the sigmoid focal kernels (besides vM = +0 and the exp
// constants vCut..vC1 of rows.go).
var (
	sfOne  = a64.V(0) // 1.0 in every lane
	sfSign = a64.V(1) // the sign bit in every lane
	sfK    = a64.V(2) // {alpha, beta, gamma, scale}
	sfCA   = a64.V(3) // {P8, P7, P6, P5}
	sfCB   = a64.V(4) // {P4, P3, P2, P1}
	sfCC   = a64.V(5) // {P0, ln2_lo, ln2_hi, -0.5}
	sfSQ   = a64.V(6) // the bits of sqrt(1/2), as integer lanes
	sfTmp  = a64.V(7)
	sfX    = a64.V(19) // the input vectors
	sfT    = a64.V(20)
	sfLoss = a64.V(31) // the output vectors
	sfGrad = a64.V(28)
)

// sigmoidFocal emits SigmoidFocalNEON (with grad: SigmoidFocalGradNEON),
// generic.SigmoidFocal for integer γ, four elements at a time with both
// branches of x > 0 computed and one selected (BIT/BIF).
func (g *gen) sigmoidFocal(grad bool) {
	name, sig := "SigmoidFocalNEON", "func(loss, x, t *float32, n int, alpha, beta, gamma, scale float32, ng int)"
	what := "writes the losses"
	if grad {
		name, sig = "SigmoidFocalGradNEON", "func(loss, grad, x, t *float32, n int, alpha, beta, gamma, scale float32, ng int)"
		what = "writes the losses and the gradient"
	}
	g.text(name, sig,
		name+" is generic.SigmoidFocal, bit for bit, for n >= 1, γ = ng = gamma, an integer >= 0,",
		"and alpha >= 0 (the caller passes alpha = beta = 1 for alpha < 0): it "+what+".")
	loss, gp, x, t, n, ng, cnt, tmp := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5), a64.R(6), a64.R(7)
	g.Load("loss", loss)
	if grad {
		g.Load("grad", gp)
	}
	g.Load("x", x)
	g.Load("t", t)
	g.Load("n", n)
	g.Load("ng", ng)
	g.loadExpConsts()
	g.Comment("vM = +0 (ExpNeg(x - vM) is ExpNeg(x)); 1.0, the sign bit and sqrt(1/2)'s bits in every lane")
	g.Zero(vM)
	for _, c := range []struct {
		v    a64.VReg
		bits uint32
	}{{sfOne, math.Float32bits(1)}, {sfSign, 0x80000000}, {sfSQ, generic.LogSqrtHalfBits}} {
		g.I("MOVW", fmt.Sprintf("$0x%08X", c.bits), tmp.String())
		g.DUPGen(c.v, tmp)
	}
	g.Comment("K = {alpha, beta, gamma, scale}")
	g.LoadF("alpha", sfK)
	for i, p := range []string{"beta", "gamma", "scale"} {
		g.LoadF(p, sfTmp)
		g.INSElem(sfK, i+1, sfTmp, 0)
	}
	g.Comment("the log constants as three vectors")
	g.I("MOVD", fmt.Sprintf("$rowconsts<>+%d(SB)", logConstsOff), rA.String())
	g.LD1(false, rA, sfCA, sfCB, sfCC)

	outs := []stream{{loss, []a64.VReg{sfLoss}}}
	if grad {
		outs = append(outs, stream{gp, []a64.VReg{sfGrad}})
	}
	g.elementwise("sf", "sigmoid focal", n, []stream{{x, []a64.VReg{sfX}}, {t, []a64.VReg{sfT}}}, outs,
		func(int) { g.sigmoidFocalVector(grad, ng, cnt) })
	g.RET()
}

// sigmoidFocalVector is one vector of the kernel: sfX, sfT in; sfLoss (and
// sfGrad) out. The step names follow generic.SigmoidFocal.
func (g *gen) sigmoidFocalVector(grad bool, ng, cnt a64.GPR) {
	v := a64.V
	ax, e, u, r, l := v(21), v(24), v(22), v(26), v(29)
	g.Comment("a = |x|; e = ExpNeg(-a)")
	g.BIC(ax, sfX, sfSign)
	g.ORR(v(22), ax, sfSign)
	g.expNeg(expRegs{x: v(22), s: e, n: v(26), under: v(28), q: v(30)})
	g.Comment("u = 1 + e; r = 1 / u")
	g.FADD(u, sfOne, e)
	g.FDIV(r, sfOne, u)
	g.vlogPos(u, l)
	g.Comment("l = fma(-((u - 1) - e), r, LogPos(u)) = log1p(e)")
	c1 := v(31)
	g.FSUB(c1, u, sfOne)
	g.FSUB(c1, c1, e)
	g.FMLS(l, c1, r)
	lo, c, pos := v(23), v(25), v(27)
	g.Comment("lo = e*r; c = 1 - t; pos = x > 0")
	g.FMUL(lo, e, r)
	g.FSUB(c, sfOne, sfT)
	g.FCMGT(pos, sfX, vM)
	spNeg, sp, p, q, dp := v(28), v(30), v(22), v(24), v(29)
	g.Comment("x > 0: spNeg = l, sp = x + l, p = r, q = lo, dp = c - lo",
		"else:  spNeg = a + l, sp = l, p = lo, q = r, dp = lo - t")
	g.FADD(spNeg, ax, l)
	g.BIT(spNeg, l, pos)
	g.FADD(sp, sfX, l)
	g.BIF(sp, l, pos)
	g.MOV(p, r)
	g.BIF(p, lo, pos)
	g.MOV(q, lo)
	g.BIF(q, r, pos)
	g.FSUB(dp, c, lo)
	g.FSUB(v(31), lo, sfT)
	g.BIF(dp, v(31), pos)
	ce, o, m, at := v(21), v(23), v(26), v(27)
	g.Comment("ce = fma(t, spNeg, c*sp); o = fma(t, q, c*p)")
	g.FMUL(ce, c, sp)
	g.FMLA(ce, sfT, spNeg)
	g.FMUL(o, c, p)
	g.FMLA(o, sfT, q)
	g.Comment("m = o^ng: ng multiplications (a branch on ng alone, the same for every element)")
	g.powLoop(m, o, ng, cnt)
	g.Comment("α_t = fma(alpha, t, beta*c); loss = (α_t*ce)*m")
	g.DUPElem(sfTmp, sfK, 1)
	g.FMUL(at, c, sfTmp)
	g.FMLAElem(at, sfT, sfK, 0)
	g.FMUL(sfLoss, at, ce)
	g.FMUL(sfLoss, sfLoss, m)
	if !grad {
		return
	}
	gv := sfGrad
	g.Comment("g = dp*m")
	g.FMUL(gv, dp, m)
	noTerm := g.NewLabel("noterm")
	g.IC("uniform", "CBZ", ng.String(), noTerm)
	k, d, opos := v(30), sfTmp, v(25)
	g.Comment("where o > 0: g = g + ((ce*γ)*(m/o)) * ((1 - (t+t))*(p*q))")
	g.DUPElem(k, sfK, 2)
	g.FMUL(k, ce, k)
	g.FDIV(d, m, o)
	g.FMUL(k, k, d)
	g.FADD(d, sfT, sfT)
	g.FSUB(d, sfOne, d)
	g.FMUL(opos, p, q)
	g.FMUL(d, d, opos)
	g.FMUL(k, k, d)
	g.FADD(k, gv, k)
	g.FCMGT(opos, o, vM)
	g.BIT(gv, k, opos)
	g.Label(noTerm)
	g.Comment("grad = (α_t*g)*scale")
	g.FMUL(gv, at, gv)
	g.DUPElem(sfTmp, sfK, 3)
	g.FMUL(gv, gv, sfTmp)
}

// vlogPos is generic.LogPos of each lane of in (u, kept), into out; it
// uses v(23), v(25), v(27), v(28), v(30) and v(31) (v(31) ends as
// in - in).
func (g *gen) vlogPos(in, out a64.VReg) {
	v := a64.V
	k, t2, f, e, z := v(28), v(30), v(23), v(25), v(27)
	g.Comment("LogPos(u), lane by lane: k = int32(bits(u) - bits(sqrt(1/2))) >> 23")
	g.SUBI(k, in, sfSQ)
	g.SSHR(k, k, 23)
	g.Comment("f = frombits(bits(u) - k<<23) - 1; e = float32(k); z = f*f")
	g.SHL(t2, k, 23)
	g.SUBI(f, in, t2)
	g.FSUB(f, f, sfOne)
	g.SCVTF(e, k)
	g.FMUL(z, f, f)
	g.Comment("p = fma(P8, f, P7); p = fma(p, f, P6) ... p = fma(p, f, P0)")
	a, b := k, t2
	g.DUPElem(a, sfCA, 1)
	g.FMLAElem(a, f, sfCA, 0)
	for _, c := range []struct {
		reg a64.VReg
		i   int
	}{{sfCA, 2}, {sfCA, 3}, {sfCB, 0}, {sfCB, 1}, {sfCB, 2}, {sfCB, 3}, {sfCC, 0}} {
		g.DUPElem(b, c.reg, c.i)
		g.FMLA(b, a, f)
		a, b = b, a
	}
	g.Comment("y = (p*f)*z; y = fma(e, ln2_lo, y); y = fma(z, -0.5, y)")
	y := a
	g.FMUL(y, y, f)
	g.FMUL(y, y, z)
	g.FMLAElem(y, e, sfCC, 1)
	g.FMLAElem(y, z, sfCC, 3)
	g.Comment("r = f + y; r = fma(e, ln2_hi, r); r = r + (u - u)")
	g.FADD(out, f, y)
	g.FMLAElem(out, e, sfCC, 2)
	g.FSUB(v(31), in, in)
	g.FADD(out, out, v(31))
}

// focalTerms emits FocalTermsNEON, generic.FocalTerms for integer γ, four
// rows at a time with both branches of l >= -0.35 computed and one
// selected.
func (g *gen) focalTerms() {
	const name = "FocalTermsNEON"
	g.text(name, "func(loss, coef, logp, alpha *float32, n int, gamma, scale float32, ng int)",
		name+" is generic.FocalTerms, bit for bit, for n >= 1 and γ = ng = gamma, an integer >= 0.")
	loss, coef, lp, al, n, ng, cnt, tmp := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5), a64.R(6), a64.R(7)
	g.Load("loss", loss)
	g.Load("coef", coef)
	g.Load("logp", lp)
	g.Load("alpha", al)
	g.Load("n", n)
	g.Load("ng", ng)
	g.loadExpConsts()
	g.Comment("vM = +0; 1.0 and the sign bit in every lane")
	g.Zero(vM)
	for _, c := range []struct {
		v    a64.VReg
		bits uint32
	}{{sfOne, math.Float32bits(1)}, {sfSign, 0x80000000}} {
		g.I("MOVW", fmt.Sprintf("$0x%08X", c.bits), tmp.String())
		g.DUPGen(c.v, tmp)
	}
	g.Comment("K = {gamma, scale, -0.35, -1}")
	g.LoadF("gamma", sfK)
	g.LoadF("scale", sfTmp)
	g.INSElem(sfK, 1, sfTmp, 0)
	for i, v := range []float32{generic.FocalSmall, -1} {
		g.I("MOVW", fmt.Sprintf("$0x%08X", math.Float32bits(v)), tmp.String())
		g.INS(sfK, i+2, tmp)
	}
	g.Comment("the expm1 polynomial's coefficients: {x^7, x^6, x^5, x^4}, {x^3, x^2, x, 0}")
	g.I("MOVD", fmt.Sprintf("$rowconsts<>+%d(SB)", focalConstsOff), rA.String())
	g.LD1(false, rA, sfCA, sfCB)
	g.elementwise("ft", "focal terms", n,
		[]stream{{lp, []a64.VReg{sfX}}, {al, []a64.VReg{sfT}}},
		[]stream{{loss, []a64.VReg{sfLoss}}, {coef, []a64.VReg{sfGrad}}},
		func(int) { g.focalTermsVector(ng, cnt) })
	g.RET()
}

// focalTermsVector is one vector of FocalTermsNEON: sfX = log p, sfT = α
// in; sfLoss, sfGrad = coef out.
func (g *gen) focalTermsVector(ng, cnt a64.GPR) {
	v := a64.V
	l, c, t, qs, ps := v(21), v(22), v(23), v(24), v(25)
	g.Comment("l = min(log p, 0) (FMIN: NaN stays NaN, -0 stays -0, as Go's min)")
	g.FMIN(l, sfX, vM)
	g.Comment("l >= -0.35: P by Horner (fma), q = -(l*P), p = 1 - q")
	g.DUPElem(c, sfCA, 0)
	for _, k := range []struct {
		reg a64.VReg
		i   int
	}{{sfCA, 1}, {sfCA, 2}, {sfCA, 3}, {sfCB, 0}, {sfCB, 1}, {sfCB, 2}} {
		g.DUPElem(t, k.reg, k.i)
		g.FMLA(t, c, l)
		c, t = t, c
	}
	g.MOV(t, sfOne)
	g.FMLA(t, c, l)
	g.FMUL(qs, l, t)
	g.EOR(qs, qs, sfSign)
	g.FSUB(ps, sfOne, qs)
	e, qb, big := v(27), v(26), v(29)
	g.Comment("l < -0.35 (or NaN): p = ExpNeg(l), q = 1 - p")
	g.MOV(qb, l)
	g.expNeg(expRegs{x: qb, s: e, n: v(29), under: v(30), q: sfTmp})
	g.FSUB(qb, sfOne, e)
	g.DUPElem(v(30), sfK, 2)
	g.FCMGT(big, v(30), l)
	g.BIT(ps, e, big)
	g.BIT(qs, qb, big)
	p, q, m := ps, qs, v(22)
	g.Comment("m = q^ng: ng multiplications (a branch on ng alone, the same for every row)")
	g.powLoop(m, q, ng, cnt)
	r, qpos, w := v(23), v(26), v(26)
	g.Comment("r = q > 0 ? l/q : -1; w = α*m; loss = -(w*l); coef = (w*(1 - (γ*p)*r))*scale")
	g.FDIV(r, l, q)
	g.FCMGT(qpos, q, vM)
	g.DUPElem(v(27), sfK, 3)
	g.BIF(r, v(27), qpos)
	g.FMUL(w, sfT, m)
	g.FMUL(sfLoss, w, l)
	g.EOR(sfLoss, sfLoss, sfSign)
	cf := sfGrad
	g.DUPElem(cf, sfK, 0)
	g.FMUL(cf, cf, p)
	g.FMUL(cf, cf, r)
	g.FSUB(cf, sfOne, cf)
	g.FMUL(cf, w, cf)
	g.DUPElem(v(27), sfK, 1)
	g.FMUL(cf, cf, v(27))
}

// powLoop sets m = o^ng as the focal kernels define it: m = 1, then m =
// m*o, ng times. Its branches depend on ng alone (the same for every
// element), so they are marked uniform for TestLoopsBranchFree.
func (g *gen) powLoop(m, o a64.VReg, ng, cnt a64.GPR) {
	g.MOV(m, sfOne)
	top, done := g.NewLabel("pow"), g.NewLabel("powdone")
	g.I("MOVD", ng.String(), cnt.String())
	g.Label(top)
	g.IC("uniform", "CBZ", cnt.String(), done)
	g.FMUL(m, m, o)
	g.I("SUB", "$1", cnt.String(), cnt.String())
	g.IC("uniform", "B", top)
	g.Label(done)
}
