package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Kernels of the pair losses on a batch's similarity matrix.

// symmetrizeKernel emits the block part of generic.Symmetrize: for every
// pair of 8×8 blocks (bi, bj), bj <= bi < nb, of the n×n matrix a, block
// (bi, bj) becomes X + Yᵀ and block (bj, bi) its transpose, Y being block
// (bj, bi): every element a_ij = a_ji = a_ij + a_ji, one addition each.
func symmetrizeKernel() {
	const name = "SymmetrizeAVX2"
	TEXT(name, NOSPLIT, "func(a *float32, n, nb int)")
	Doc(name+" is generic.Symmetrize on the first 8·nb rows and columns of the n×n",
		"matrix a, by pairs of 8×8 blocks transposed in registers.")
	a := Load(Param("a"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	nb := Load(Param("nb"), GP64()).(reg.GPVirtual)
	stride := GP64()
	MOVQ(n, stride)
	SHLQ(U8(2), stride) // bytes per row
	rows8 := GP64()
	MOVQ(stride, rows8)
	SHLQ(U8(3), rows8) // bytes per 8 rows
	bi, bj := GP64(), GP64()
	rowI := GP64() // a + bi·8 rows
	MOVQ(a, rowI)
	XORQ(bi, bi)
	outer, inner, next, done := name+"_outer", name+"_inner", name+"_next", name+"_done"
	Label(outer)
	CMPQ(bi, nb)
	JAE(LabelRef(done))
	XORQ(bj, bj)
	Label(inner)
	CMPQ(bj, bi)
	JA(LabelRef(next))
	Comment("X = block (bi, bj) at rowI + 32·bj, Y = block (bj, bi) at a + bj·8 rows + 32·bi")
	px, py, t := GP64(), GP64(), GP64()
	MOVQ(bj, t)
	SHLQ(U8(5), t)
	LEAQ(Mem{Base: rowI, Index: t, Scale: 1}, px)
	MOVQ(bj, py)
	IMULQ(rows8, py)
	ADDQ(a, py)
	MOVQ(bi, t)
	SHLQ(U8(5), t)
	ADDQ(t, py)
	var y [8]reg.VecVirtual
	p := GP64()
	MOVQ(py, p)
	for r := range y {
		y[r] = YMM()
		VMOVUPS(Mem{Base: p}, y[r])
		if r < 7 {
			ADDQ(stride, p)
		}
	}
	Comment("X' = X + Yᵀ, stored over X; X'ᵀ stored over Y")
	s := transpose8(y)
	MOVQ(px, p)
	for r := range s {
		VADDPS(Mem{Base: p}, s[r], s[r])
		VMOVUPS(s[r], Mem{Base: p})
		if r < 7 {
			ADDQ(stride, p)
		}
	}
	st := transpose8(s)
	MOVQ(py, p)
	for r := range st {
		VMOVUPS(st[r], Mem{Base: p})
		if r < 7 {
			ADDQ(stride, p)
		}
	}
	INCQ(bj)
	JMP(LabelRef(inner))
	Label(next)
	ADDQ(rows8, rowI)
	INCQ(bi)
	JMP(LabelRef(outer))
	Label(done)
	VZEROUPPER()
	RET()
}

// maskedAffineKernel emits generic.MaskedAffine.
func maskedAffineKernel() {
	const name = "MaskedAffineAVX2"
	TEXT(name, NOSPLIT, "func(dst, x *float32, n int, thr, eps, beta, base float32) float32")
	Doc(name+" is generic.MaskedAffine for n >= 1: dst_j = beta·(x_j - base) where",
		"x_j + eps > thr, else -Inf; it returns the largest non-NaN x_j plus +0 (-Inf if none).",
		"dst may be x.")
	r := newRow(name, Load(Param("n"), GP64()).(reg.GPVirtual), false)
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	x := Load(Param("x"), GP64()).(reg.GPVirtual)
	thr, eps := broadcastParam("thr"), broadcastParam("eps")
	beta, base := broadcastParam("beta"), broadcastParam("base")
	ninf := YMM()
	VBROADCASTSS(consts.scalar("-inf"), ninf)
	acc := YMM()
	VMOVAPS(ninf, acc)
	r.each("ma", func(a at, mask tmask) {
		v := load(a, x, mask)
		Comment("keep = x + eps > thr; y = keep ? beta*(x - base) : -Inf")
		keep, y := YMM(), YMM()
		VADDPS(eps, v, keep)
		VCMPPS(U8(0x1E), thr, keep, keep) // (x + eps) > thr (GT_OQ: false for NaN)
		VSUBPS(base, v, y)
		VMULPS(beta, y, y)
		VBLENDVPS(keep, y, ninf, y)
		Comment("acc = max(x, acc), acc kept where x is NaN (or past the end)")
		if mask != nil {
			VBLENDVPS(mask, v, ninf, v)
		}
		VMAXPS(acc, v, acc)
		store(y, a, dst, mask)
	})
	m := YMM()
	foldMax([]reg.VecVirtual{acc}, m)
	Store(m.AsX(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// circleKernels emits generic.CircleLogits and generic.CircleGrads.
func circleKernels() {
	for _, grads := range []bool{false, true} {
		name, sig := "CircleLogitsAVX2", "func(dst, s *float32, n int, gamma, m float32)"
		doc := "(gamma·relu(s_j + m))·(s_j - m) (dst may be s)"
		if grads {
			name, sig = "CircleGradsAVX2", "func(s, p *float32, n int, c, m float32)"
			doc = "s_j = (c·relu(s_j + m))·p_j"
		}
		TEXT(name, NOSPLIT, sig)
		Doc(name + " is generic." + name[:len(name)-4] + " for n >= 1: " + doc + ".")
		r := newRow(name, Load(Param("n"), GP64()).(reg.GPVirtual), false)
		var dst, src, p reg.GPVirtual
		var k reg.VecVirtual
		if grads {
			src = Load(Param("s"), GP64()).(reg.GPVirtual)
			p = Load(Param("p"), GP64()).(reg.GPVirtual)
			dst = src
			k = broadcastParam("c")
		} else {
			dst = Load(Param("dst"), GP64()).(reg.GPVirtual)
			src = Load(Param("s"), GP64()).(reg.GPVirtual)
			k = broadcastParam("gamma")
		}
		m := broadcastParam("m")
		zero := YMM()
		VXORPS(zero, zero, zero)
		r.each("c", func(a at, mask tmask) {
			x := load(a, src, mask)
			Comment("y = (k * relu(s + m)) * (s - m), or * p")
			y := YMM()
			VADDPS(m, x, y)
			VMAXPS(zero, y, y) // y > 0 ? y : +0 (NaN, -0: +0)
			VMULPS(y, k, y)
			if grads {
				VMULPS(load(a, p, mask), y, y)
			} else {
				VSUBPS(m, x, x)
				VMULPS(x, y, y)
			}
			store(y, a, dst, mask)
		})
		VZEROUPPER()
		RET()
	}
}

// sum64Kernel emits the vector part of generic.Sum64.
func sum64Kernel() {
	const name = "Sum64AVX2"
	TEXT(name, NOSPLIT, "func(x *float32, n int, p *float64)")
	Pragma("noescape") // the caller's partials stay on its stack
	Doc(name+" is generic.Sum64Partials over x[0:n], n a multiple of 8, from zero partials,",
		"which it stores to p[0:8].")
	x := Load(Param("x"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	lo, hi := YMM(), YMM()
	VXORPD(lo, lo, lo)
	VXORPD(hi, hi, hi)
	vectorLoop(name, n, func(i reg.GPVirtual, _ string) {
		Comment("x_i..x_i+3 into partials 0..3, x_i+4..x_i+7 into 4..7 (exact conversions)")
		a, b := YMM(), YMM()
		VCVTPS2PD(Mem{Base: x, Index: i, Scale: 4}, a)
		VCVTPS2PD(Mem{Base: x, Index: i, Scale: 4, Disp: 16}, b)
		VADDPD(a, lo, lo)
		VADDPD(b, hi, hi)
	})
	p := Load(Param("p"), GP64()).(reg.GPVirtual)
	VMOVUPD(lo, Mem{Base: p})
	VMOVUPD(hi, Mem{Base: p, Disp: 32})
	VZEROUPPER()
	RET()
}

// firstOutsideKernel emits the vector part of generic.FirstOutside.
func firstOutsideKernel() {
	const name = "FirstOutsideAVX2"
	TEXT(name, NOSPLIT, "func(x *float32, n int, lo, hi float32) int")
	Doc(name+" returns the start of the first vector of x[0:n] (n a multiple of 8) holding an",
		"element outside [lo, hi] (NaN included), or n.")
	x := Load(Param("x"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	lo, hi := broadcastParam("lo"), broadcastParam("hi")
	i := vectorLoop(name, n, func(i reg.GPVirtual, done string) {
		v, ge, le, bits := YMM(), YMM(), YMM(), GP32()
		VMOVUPS(Mem{Base: x, Index: i, Scale: 4}, v)
		VCMPPS(U8(0x1D), lo, v, ge) // v >= lo (GE_OQ: false for NaN)
		VCMPPS(U8(0x12), hi, v, le) // v <= hi (LE_OQ)
		VANDPS(ge, le, le)
		VMOVMSKPS(le, bits)
		CMPL(bits, U32(0xFF))
		JNE(LabelRef(done))
	})
	Store(i, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// pairUpdatesKernel emits generic.PairUpdates: for each pair in order,
// u = k·(x_i - x_j), g_i += u, g_j -= u, a vector of the rows at a time
// (the same operations on each element as generic's loop).
func pairUpdatesKernel() {
	const name = "PairUpdatesAVX2"
	TEXT(name, NOSPLIT, "func(grad, emb *float32, pi, pj *int32, k *float32, n, dim int)")
	Doc(name + " is generic.PairUpdates for n >= 1 pairs of rows of dim >= 1 elements.")
	r := newRow(name, Load(Param("dim"), GP64()).(reg.GPVirtual), false)
	t := GP64()
	XORQ(t, t)
	loop, done := name+"_pair", name+"_done"
	Label(loop)
	CMPQ(t, Load(Param("n"), GP64()))
	JAE(LabelRef(done))
	Comment("rows i = pi[t] and j = pj[t]: their offsets i·dim·4, j·dim·4 into emb and grad")
	rowOff := func(param string) reg.GPVirtual {
		o := GP64()
		MOVLQSX(Mem{Base: Load(Param(param), GP64()).(reg.GPVirtual), Index: t, Scale: 4}, o)
		IMULQ(r.cols, o)
		SHLQ(U8(2), o)
		return o
	}
	oi, oj := rowOff("pi"), rowOff("pj")
	x0, g0 := Load(Param("emb"), GP64()).(reg.GPVirtual), Load(Param("grad"), GP64()).(reg.GPVirtual)
	xi, xj, gi, gj := GP64(), GP64(), GP64(), GP64()
	LEAQ(Mem{Base: x0, Index: oi, Scale: 1}, xi)
	LEAQ(Mem{Base: x0, Index: oj, Scale: 1}, xj)
	LEAQ(Mem{Base: g0, Index: oi, Scale: 1}, gi)
	LEAQ(Mem{Base: g0, Index: oj, Scale: 1}, gj)
	kv := YMM()
	VBROADCASTSS(Mem{Base: Load(Param("k"), GP64()).(reg.GPVirtual), Index: t, Scale: 4}, kv)
	r.each("pu", func(a at, mask tmask) {
		Comment("u = k·(x_i - x_j); g_i += u; g_j -= u")
		u := load(a, xi, mask)
		VSUBPS(load(a, xj, mask), u, u)
		VMULPS(kv, u, u)
		g := load(a, gi, mask)
		VADDPS(u, g, g)
		store(g, a, gi, mask)
		h := load(a, gj, mask)
		VSUBPS(u, h, h)
		store(h, a, gj, mask)
	})
	INCQ(t)
	JMP(LabelRef(loop))
	Label(done)
	VZEROUPPER()
	RET()
}
