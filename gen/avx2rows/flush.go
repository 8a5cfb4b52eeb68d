package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// flushKernel emits generic.FlushSubnormals.
func flushKernel() {
	const name = "FlushSubnormalsAVX2"
	TEXT(name, NOSPLIT, "func(x *float32, n int)")
	Doc(name+" sets the n >= 1 elements of x with |x| < 2^-126 to +0 and keeps the",
		"others (NaN included): generic.FlushSubnormals, bit for bit.")
	r := newRow(name, Load(Param("n"), GP64()).(reg.GPVirtual), false)
	x := Load(Param("x"), GP64()).(reg.GPVirtual)
	absMask, limit := YMM(), YMM()
	VBROADCASTSS(consts.scalar("abs_mask"), absMask)
	VBROADCASTSS(consts.scalar("min_normal"), limit)
	r.each("flush", func(a at, mask tmask) {
		v := load(a, x, mask)
		abs, keep := YMM(), YMM()
		VANDPS(absMask, v, abs)
		VCMPPS(U8(5), limit, abs, keep) // NLT_US: |v| >= 2^-126, or NaN
		VANDPS(keep, v, v)
		store(v, a, x, mask)
	})
	VZEROUPPER()
	RET()
}
