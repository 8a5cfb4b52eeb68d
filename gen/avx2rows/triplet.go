package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// paramAddr is the argument slot of parameter name (for memory operands).
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// advance moves the row pointers ps on by one row of cols float32.
func (r *row) advance(ps ...reg.GPVirtual) {
	for _, p := range ps {
		LEAQ(Mem{Base: p, Index: r.cols, Scale: 4}, p)
	}
}

// squaredL2RowsEpsKernel emits generic.SquaredL2RowsEps.
func squaredL2RowsEpsKernel() {
	const name = "SquaredL2RowsEpsAVX2"
	TEXT(name, NOSPLIT, "func(dst, a, b *float32, eps float32, rows, dim int)")
	Doc(name+" writes dst[i] = Σ_k ((a_ik - b_ik) + eps)² for paired rows (rows, dim >= 1):",
		"generic.SquaredL2RowsEps, bit for bit.")
	r := newRow(name, Load(Param("dim"), GP64()).(reg.GPVirtual), false)
	a := Load(Param("a"), GP64()).(reg.GPVirtual)
	b := Load(Param("b"), GP64()).(reg.GPVirtual)
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	eps := broadcastParam("eps")
	Label(name + "_row")
	acc := zeroAcc()
	r.walk("sq", func(j int, at at, mask tmask) {
		d := load(at, a, mask)
		if mask == nil {
			VSUBPS(at(b), d, d)
		} else {
			VSUBPS(load(at, b, mask), d, d)
		}
		VADDPS(eps, d, d) // d = (a - b) + eps
		if mask != nil {
			VANDPS(mask, d, d)
		}
		VFMADD231PS(d, d, acc[j])
	})
	VMOVSS(treeSum(acc), r.perRow(dst))
	r.advance(a, b)
	INCQ(r.done)
	CMPQ(r.done, paramAddr("rows"))
	JB(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}

// tripletGradKernel emits generic.TripletGradRows, with or without the swap
// term cw.
func tripletGradKernel(swap bool) {
	name := "TripletGradAVX2"
	if swap {
		name = "TripletGradSwapAVX2"
	}
	TEXT(name, NOSPLIT, "func(gA, gP, gN, a, p, n, cu, cv, cw *float32, eps float32, rows, dim int)")
	if swap {
		Doc(name+" is generic.TripletGradRows with the swap coefficients cw, bit for bit:",
			"tu = cu·((a-p)+eps), tv = cv·((a-n)+eps), tw = cw·((p-n)+eps);",
			"gA = tu - tv, gP = -(tu + tw), gN = tv + tw.")
	} else {
		Doc(name+" is generic.TripletGradRows without swap coefficients (cw unused), bit for bit:",
			"tu = cu·((a-p)+eps), tv = cv·((a-n)+eps); gA = tu - tv, gP = -tu, gN = tv.")
	}
	r := newRow(name, Load(Param("dim"), GP64()).(reg.GPVirtual), false)
	ps := map[string]reg.GPVirtual{}
	names := []string{"a", "p", "n", "gA", "gP", "gN"}
	for _, nm := range names {
		ps[nm] = Load(Param(nm), GP64()).(reg.GPVirtual)
	}
	eps := broadcastParam("eps")
	neg := YMM()
	VBROADCASTSS(consts.scalar("-zero"), neg)
	Label(name + "_row")
	coef := func(nm string) reg.VecVirtual {
		c := YMM()
		VBROADCASTSS(r.perRow(Load(Param(nm), GP64()).(reg.GPVirtual)), c)
		return c
	}
	cu, cv := coef("cu"), coef("cv")
	var cw reg.VecVirtual
	if swap {
		cw = coef("cw")
	}
	diff := func(at at, mask tmask, x, y reg.VecVirtual, c reg.VecVirtual) reg.VecVirtual {
		t := YMM()
		VSUBPS(y, x, t)   // x - y
		VADDPS(eps, t, t) // + eps
		VMULPS(c, t, t)   // c·(...)
		return t
	}
	r.each("grad", func(at at, mask tmask) {
		av, pv, nv := load(at, ps["a"], mask), load(at, ps["p"], mask), load(at, ps["n"], mask)
		tu := diff(at, mask, av, pv, cu)
		tv := diff(at, mask, av, nv, cv)
		ga := YMM()
		VSUBPS(tv, tu, ga) // tu - tv
		store(ga, at, ps["gA"], mask)
		if swap {
			tw := diff(at, mask, pv, nv, cw)
			VADDPS(tw, tu, tu) // tu + tw
			VXORPS(neg, tu, tu)
			VADDPS(tw, tv, tv) // tv + tw
		} else {
			VXORPS(neg, tu, tu) // -tu
		}
		store(tu, at, ps["gP"], mask)
		store(tv, at, ps["gN"], mask)
	})
	for _, nm := range names {
		r.advance(ps[nm])
	}
	INCQ(r.done)
	CMPQ(r.done, paramAddr("rows"))
	JB(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}

// axpbyRowsKernel emits generic.AxpbyRows, or with idx generic.AxpbyRowsIdx
// (row r of a paired with row idx[r] of b).
func axpbyRowsKernel(idx bool) {
	name, sig := "AxpbyRowsAVX2", "func(dst, a, b, ca, cb *float32, rows, dim int)"
	doc := []string{name + " writes dst_i = fma(ca_i, a_i, cb_i*b_i) elementwise for paired rows",
		"(rows, dim >= 1; dst may be a or b): generic.AxpbyRows, bit for bit."}
	if idx {
		name, sig = "AxpbyRowsIdxAVX2", "func(dst, a, b, ca, cb *float32, idx *int32, rows, dim int)"
		doc = []string{name + " writes dst_r = fma(ca_r, a_r, cb_r*b_idx[r]) elementwise for rows >= 1 rows",
			"of dim >= 1 (dst may be a): generic.AxpbyRowsIdx, bit for bit."}
	}
	TEXT(name, NOSPLIT, sig)
	Doc(doc...)
	r := newRow(name, Load(Param("dim"), GP64()).(reg.GPVirtual), false)
	a := Load(Param("a"), GP64()).(reg.GPVirtual)
	b := Load(Param("b"), GP64()).(reg.GPVirtual)
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	var base, ix, rowBytes reg.GPVirtual
	if idx {
		base, b = b, GP64()
		ix, rowBytes = Load(Param("idx"), GP64()).(reg.GPVirtual), GP64()
		MOVQ(r.cols, rowBytes)
		SHLQ(U8(2), rowBytes)
	}
	Label(name + "_row")
	if idx {
		Comment("b = the row idx[r] of b")
		MOVLQSX(Mem{Base: ix, Index: r.done, Scale: 4}, b)
		IMULQ(rowBytes, b)
		ADDQ(base, b)
	}
	ca, cb := YMM(), YMM()
	VBROADCASTSS(r.perRow(Load(Param("ca"), GP64()).(reg.GPVirtual)), ca)
	VBROADCASTSS(r.perRow(Load(Param("cb"), GP64()).(reg.GPVirtual)), cb)
	r.each("axpby", func(at at, mask tmask) {
		t := load(at, b, mask)
		VMULPS(cb, t, t)                      // t = cb*b
		VFMADD231PS(load(at, a, mask), ca, t) // t = ca*a + t
		store(t, at, dst, mask)
	})
	if idx {
		r.advance(a, dst)
	} else {
		r.advance(a, b, dst)
	}
	INCQ(r.done)
	CMPQ(r.done, paramAddr("rows"))
	JB(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}
