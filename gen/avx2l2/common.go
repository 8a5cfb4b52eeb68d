package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// masks is a table of 16 all-ones int32 lanes followed by 16 zero lanes.
// Eight lanes loaded from maskAt(r) have lane l set iff l < r (0 <= r <= 16
// gives up to 8 set lanes; r >= 8 gives all eight): the VMASKMOVPS masks of
// partial vectors.
var masks Mem

// l2Minus2 is the float32 -2 of the L2 epilogue.
var l2Minus2 Mem

func defineConstants() {
	l2Minus2 = ConstData("l2minus2", F32(-2))
	masks = GLOBL("l2masks", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		v := uint32(0)
		if i < 16 {
			v = 0xFFFFFFFF
		}
		DATA(4*i, U32(v))
	}
}

// loadMask loads into dst the 8-lane mask whose lane l is set iff
// l + lane0 < n, for 0 <= n - lane0 <= 8 (that is, for the vector holding
// elements lane0..lane0+7 of n). base must hold the address of masks and negN
// must hold -n (both GP registers).
func loadMask(dst VecPhysical, base, negN GPPhysical, lane0 int) {
	// lanes l with l < n - lane0: start at entry 16 - (n - lane0)
	VMOVUPS(Mem{Base: base, Index: negN, Scale: 4, Disp: 4 * (16 + lane0)}, dst)
}

// ymm returns Yi.
func ymm(i int) VecPhysical {
	return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
}

// xmm returns Xi.
func xmm(i int) VecPhysical {
	return []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}[i]
}

// paramMem is the stack address of a named argument.
func paramMem(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
