package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// focalTermsKernel emits generic.FocalTerms for integer γ (ng), 8 rows per
// vector, both branches of l >= -0.35 computed and blended.
func focalTermsKernel() {
	const name = "FocalTermsAVX2"
	TEXT(name, NOSPLIT, "func(loss, coef, logp, alpha *float32, n int, gamma, scale float32, ng int)")
	Doc(name + " is generic.FocalTerms, bit for bit, for n >= 1 and γ = ng = gamma, an integer >= 0.")
	r := newRow(name, Load(Param("n"), GP64()).(reg.GPVirtual), false)
	lossP := Load(Param("loss"), GP64()).(reg.GPVirtual)
	coefP := Load(Param("coef"), GP64()).(reg.GPVirtual)
	logpP := Load(Param("logp"), GP64()).(reg.GPVirtual)
	alphaP := Load(Param("alpha"), GP64()).(reg.GPVirtual)
	ng := Load(Param("ng"), GP64()).(reg.GPVirtual)
	zero, one, sign := YMM(), YMM(), YMM()
	VXORPS(zero, zero, zero)
	VBROADCASTSS(consts.scalar("one"), one)
	VBROADCASTSS(consts.scalar("-zero"), sign)
	r.each("ft", func(a at, mask tmask) {
		l := YMM()
		VMINPS(load(a, logpP, mask), zero, l) // min(0, logp): NaN stays NaN, -0 stays -0
		Comment("l >= -0.35: q = -(l·P(l)), p = 1 - q (P by Horner with fma)")
		small, c := YMM(), YMM()
		VCMPPS(U8(0x1D), consts.vec("focal_small"), l, small) // l >= -0.35 (GE_OQ)
		VBROADCASTSS(consts.scalar("fe7"), c)
		for _, k := range []string{"fe6", "fe5", "fe4", "fe3", "fe2", "fe1"} {
			VFMADD213PS(consts.vec(k), l, c) // c = l*c + k
		}
		VFMADD213PS(one, l, c)
		q, p := YMM(), YMM()
		VMULPS(c, l, q)
		VXORPS(sign, q, q)
		VSUBPS(q, one, p)
		Comment("l < -0.35: p = ExpNeg(l), q = 1 - p; blend the two")
		x := YMM()
		VMOVAPS(l, x)
		e := r.expNeg(x)
		qb := YMM()
		VSUBPS(e, one, qb)
		VBLENDVPS(small, p, e, p)
		VBLENDVPS(small, q, qb, q)
		Comment("m = q^ng")
		m := r.powLoop(ng, one, q)
		Comment("r = q > 0 ? l/q : -1; w = alpha*m; loss = -(w*l); coef = (w*(1 - (γ*p)*r))*scale")
		rr, qpos, m1 := YMM(), YMM(), YMM()
		VDIVPS(q, l, rr)
		VCMPPS(U8(0x1E), zero, q, qpos) // q > 0 (GT_OQ)
		VBROADCASTSS(consts.scalar("minus_one"), m1)
		VBLENDVPS(qpos, rr, m1, rr)
		w := YMM()
		VMULPS(load(a, alphaP, mask), m, w)
		lv := YMM()
		VMULPS(l, w, lv)
		VXORPS(sign, lv, lv)
		store(lv, a, lossP, mask)
		g := broadcastParam("gamma")
		VMULPS(p, g, g)
		VMULPS(rr, g, g)
		VSUBPS(g, one, g)
		VMULPS(g, w, g)
		sc := broadcastParam("scale")
		VMULPS(sc, g, g)
		store(g, a, coefP, mask)
	})
	VZEROUPPER()
	RET()
}
