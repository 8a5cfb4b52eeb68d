package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// labelWeights512Kernel emits labelWeightsKernel's loop with AVX-512F, 16
// labels at a time: the range and ignore checks into mask registers, w_y
// from one VPERMPS over the 16-entry table (zero-masked to the labels in
// range), and the 16 weights, in float64, into the 8 partials as two
// blocks of 8 in row order (rows 0..7, then 8..15: the additions of the
// AVX2 kernel, in its order). It stops at the first block of 16 with a bad
// label; the caller takes it from there with the AVX2 kernel, which finds
// the block of 8.
//
// The AVX2 loop is bound by its instruction count (27 a block of 8, five of
// them on the shuffle port); this one takes about 18 for 16 labels, and is
// bound instead by the partials' chain of float64 additions, one a block of
// 8 as in the AVX2 kernel.
func labelWeights512Kernel(weights, sw bool) {
	name, lp, sp, n, pp := labelWeightsText(weights, sw, "AVX512",
		" is LabelWeights"+variantName(on(weights, "W"), on(sw, "S"))+"AVX2 over whole blocks of 16 of labels[0:n]",
		"(n a multiple of 16): it returns the rows done (n, or the start of the first block of 16",
		"with a bad label) and a nonzero ignored if a row it did was ignored.")
	part := ZMM()
	VMOVUPD(Mem{Base: pp}, part)
	Comment("cols and ignore, 16 times; act: all lanes if ignore < 0 (a label to skip), else none")
	colsv, ign := ZMM(), ZMM()
	c := Load(Param("cols"), GP64()).(reg.GPVirtual)
	VPBROADCASTD(c.As32(), colsv)
	g := Load(Param("ignore"), GP32()).(reg.GPVirtual)
	VPBROADCASTD(g, ign)
	SARL(U8(31), g)
	act, igacc := K(), K()
	KMOVW(g, act)
	KXORW(igacc, igacc, igacc)
	var tab, one reg.VecVirtual
	if weights {
		tab = ZMM()
		VMOVUPS(Mem{Base: Load(Param("tab"), GP64()).(reg.GPVirtual)}, tab)
	} else {
		one = ZMM()
		VBROADCASTSS(consts.scalar("one"), one)
	}
	i := GP64()
	XORQ(i, i)
	loop, done := name+"_loop", name+"_done"
	CMPQ(n, U8(0))
	JE(LabelRef(done))
	Label(loop)
	Comment("in: 0 <= y < cols (unsigned y < cols); ig: y == ignore < 0; any other label ends the loop")
	y := ZMM()
	VMOVDQU32(Mem{Base: lp, Index: i, Scale: 4}, y)
	in, ig, ok := K(), K(), K()
	VPCMPUD(U8(1), colsv, y, in) // y <u cols
	VPCMPEQD(ign, y, act, ig)
	KORW(ig, in, ok)
	KORTESTW(ok, ok) // CF: all 16 in range or ignored
	JCC(LabelRef(done))
	KORW(ig, igacc, igacc)
	Comment("t = w_y (or 1), +0 where ignored; then float64, times s_i, into the partials: rows 0..7, then 8..15")
	t := ZMM()
	if weights {
		VPERMPS_Z(tab, y, in, t)
	} else {
		VMOVAPS_Z(one, in, t)
	}
	a, b, th := ZMM(), ZMM(), YMM()
	VCVTPS2PD(t.AsY(), a)
	VEXTRACTF64X4(U8(1), t, th)
	VCVTPS2PD(th, b)
	if sw {
		c, d := ZMM(), ZMM()
		VCVTPS2PD(Mem{Base: sp, Index: i, Scale: 4}, c)
		VCVTPS2PD(Mem{Base: sp, Index: i, Scale: 4, Disp: 32}, d)
		VMULPD(c, a, a)
		VMULPD(d, b, b)
	}
	VADDPD(a, part, part)
	VADDPD(b, part, part)
	ADDQ(U8(16), i)
	CMPQ(i, n)
	JB(LabelRef(loop))
	Label(done)
	VMOVUPD(part, Mem{Base: pp})
	Store(i, ReturnIndex(0))
	m := GP32()
	KMOVW(igacc, m)
	Store(m.As64(), ReturnIndex(1))
	VZEROUPPER()
	RET()
}
