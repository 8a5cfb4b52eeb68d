package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// sigmoidFocalKernel emits generic.SigmoidFocal for integer γ (ng): the
// elements of x and t as one long "row", each vector through the
// canonical steps lane by lane, both branches of x > 0 computed and
// blended.
func sigmoidFocalKernel() {
	const name = "SigmoidFocalAVX2"
	TEXT(name, NOSPLIT, "func(loss, grad, x, t *float32, n int, alpha, beta, gamma, scale float32, ng int)")
	Doc(name+" is generic.SigmoidFocal, bit for bit, for n >= 1, γ = ng = gamma,",
		"an integer >= 0, and alpha >= 0 (the caller passes alpha = beta = 1 for alpha < 0);",
		"grad may be nil.")
	r := newRow(name, Load(Param("n"), GP64()).(reg.GPVirtual), false)
	lossP := Load(Param("loss"), GP64()).(reg.GPVirtual)
	gradP := Load(Param("grad"), GP64()).(reg.GPVirtual)
	xP := Load(Param("x"), GP64()).(reg.GPVirtual)
	tP := Load(Param("t"), GP64()).(reg.GPVirtual)
	ng := Load(Param("ng"), GP64()).(reg.GPVirtual)

	Comment("constants: sign bit, 1, alpha, beta")
	sign, one := YMM(), YMM()
	VBROADCASTSS(consts.scalar("-zero"), sign)
	VBROADCASTSS(consts.scalar("one"), one)
	alpha, beta := broadcastParam("alpha"), broadcastParam("beta")

	r.each("sf", func(a at, mask tmask) {
		x, t := load(a, xP, mask), load(a, tP, mask)
		Comment("e = ExpNeg(-|x|); u = 1 + e; r = 1/u; l = log1p(e) = fma(-((u-1)-e), r, LogPos(u))")
		ax, e := YMM(), YMM()
		VANDNPS(x, sign, ax) // |x|
		VXORPS(sign, ax, e)  // -|x|
		e = r.expNeg(e)
		u, rc := YMM(), YMM()
		VADDPS(e, one, u)
		VDIVPS(u, one, rc)
		l := vlogPos(u)
		c := YMM()
		VSUBPS(one, u, c)
		VSUBPS(e, c, c)
		VFNMADD231PS(rc, c, l) // l = -(c*r) + l
		lo := YMM()
		VMULPS(rc, e, lo) // e*r = σ(-|x|)

		Comment("the branches of x > 0, blended: spNeg, sp, p, q and dp (= p - t)")
		c = YMM()
		VSUBPS(t, one, c) // c = 1 - t
		pos := YMM()
		VXORPS(pos, pos, pos)
		VCMPPS(U8(0x1E), pos, x, pos) // x > 0 (GT_OQ: false for NaN)
		spNeg, sp := YMM(), YMM()
		VADDPS(l, ax, spNeg)            // |x| + l
		VBLENDVPS(pos, l, spNeg, spNeg) // x > 0: l
		VADDPS(l, x, sp)                // x + l
		VBLENDVPS(pos, sp, l, sp)       // x > 0: x + l, else l
		p, q := YMM(), YMM()
		VBLENDVPS(pos, rc, lo, p)
		VBLENDVPS(pos, lo, rc, q)
		dp, d2 := YMM(), YMM()
		VSUBPS(lo, c, dp) // c - q (x > 0)
		VSUBPS(t, lo, d2) // p - t (x <= 0)
		VBLENDVPS(pos, dp, d2, dp)

		Comment("ce = fma(t, spNeg, c*sp); o = fma(t, q, c*p); m = o^ng")
		ce, o := YMM(), YMM()
		VMULPS(sp, c, ce)
		VFMADD231PS(spNeg, t, ce)
		VMULPS(p, c, o)
		VFMADD231PS(q, t, o)
		m := r.powLoop(ng, one, o)

		Comment("α_t = fma(alpha, t, beta*c); loss = (α_t*ce)*m")
		at := YMM()
		VMULPS(beta, c, at)
		VFMADD231PS(alpha, t, at)
		lv := YMM()
		VMULPS(ce, at, lv)
		VMULPS(m, lv, lv)
		store(lv, a, lossP, mask)

		Comment("with grad: g = dp*m [+ ((ce*γ)*(m/o)) * ((1-(t+t))*(p*q)) where γ != 0 and o > 0]; grad = (α_t*g)*scale")
		skip := r.label("nograd")
		TESTQ(gradP, gradP)
		JE(LabelRef(skip))
		g := YMM()
		VMULPS(m, dp, g)
		noTerm := r.label("noterm")
		TESTQ(ng, ng)
		JE(LabelRef(noTerm))
		kk := broadcastParam("gamma")
		VMULPS(ce, kk, kk) // ce*γ
		mo := YMM()
		VDIVPS(o, m, mo) // m/o
		VMULPS(mo, kk, kk)
		tt := YMM()
		VADDPS(t, t, tt)
		VSUBPS(tt, one, tt) // 1 - (t+t)
		pq := YMM()
		VMULPS(q, p, pq)
		VMULPS(pq, tt, tt)
		VMULPS(tt, kk, kk)
		VADDPS(kk, g, kk)
		VXORPS(pq, pq, pq)
		VCMPPS(U8(0x1E), pq, o, pq) // o > 0 (GT_OQ: false for NaN)
		VBLENDVPS(pq, kk, g, g)
		Label(noTerm)
		VMULPS(at, g, g)
		sc := broadcastParam("scale")
		VMULPS(sc, g, g)
		store(g, a, gradP, mask)
		Label(skip)
	})
	VZEROUPPER()
	RET()
}
