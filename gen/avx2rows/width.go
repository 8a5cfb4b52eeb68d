package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// width describes the vectors a kernel is emitted for. The canonical
// reductions use 32 partials: 4 registers of 8 lanes (AVX2) or 2 of 16
// (AVX-512), element i always in partial i mod 32.
type width struct {
	suffix string // of the TEXT symbols: AVX2, AVX512
	lanes  int
	zmm    bool
}

var (
	avx2   = width{"AVX2", 8, false}
	avx512 = width{"AVX512", 16, true}
	w      = avx2 // the width being emitted
)

// nacc is the number of accumulators holding the 32 partials.
func nacc() int { return 32 / w.lanes }

// vbytes is the size of a vector in bytes.
func vbytes() int { return 4 * w.lanes }

// vreg allocates a vector register of the current width.
func vreg() reg.VecVirtual {
	if w.zmm {
		return ZMM()
	}
	return YMM()
}

// A mask selects the valid lanes of a tail: a YMM of all-ones lanes on
// AVX2, a K register on AVX-512.
type tmask = reg.Register

// fmadd231c is dst = src*c + dst with the named constant c from memory.
func fmadd231c(c string, src, dst reg.VecVirtual) {
	if w.zmm {
		VFMADD231PS_BCST(consts.scalar(c), src, dst)
	} else {
		VFMADD231PS(consts.vec(c), src, dst)
	}
}

// fmadd213c is dst = src*dst + c with the named constant c from memory.
func fmadd213c(c string, src, dst reg.VecVirtual) {
	if w.zmm {
		VFMADD213PS_BCST(consts.scalar(c), src, dst)
	} else {
		VFMADD213PS(consts.vec(c), src, dst)
	}
}

// maskedLoad loads the vector at m, lanes outside mask reading +0 (and
// never faulting).
func maskedLoad(m Mem, k tmask, x reg.VecVirtual) {
	if w.zmm {
		VMOVUPS_Z(m, k, x)
	} else {
		VMASKMOVPS(m, k, x)
	}
}

// maskedStore stores the lanes of x inside mask to m.
func maskedStore(x reg.VecVirtual, k tmask, m Mem) {
	if w.zmm {
		VMOVUPS(x, k, m)
	} else {
		VMASKMOVPS(x, k, m)
	}
}

// zeroOutside sets the lanes of x outside mask to +0.
func zeroOutside(k tmask, x reg.VecVirtual) {
	if w.zmm {
		VMOVAPS_Z(x, k, x)
	} else {
		VANDPS(k, x, x)
	}
}

// negZeroOutside sets the lanes of x outside mask to -0: the padding of a
// signed sum's terms, since p + (-0) == p for every p where p + (+0) turns
// a -0 partial into +0.
func negZeroOutside(k tmask, x reg.VecVirtual) {
	t := vreg()
	VBROADCASTSS(consts.scalar("-zero"), t)
	if w.zmm {
		VMOVAPS(x, k, t) // t = mask ? x : -0
		VMOVAPS(t, x)
	} else {
		VANDNPS(t, k, t) // t = -0 outside the mask, +0 inside
		VANDPS(k, x, x)
		VORPS(t, x, x)
	}
}

// toYMM folds a ZMM into its low YMM with op (low half op high half);
// on AVX2 it returns x itself.
func toYMM(x reg.VecVirtual, op func(hi, lo, dst Op)) reg.VecVirtual {
	if !w.zmm {
		return x
	}
	hi := YMM()
	VEXTRACTF64X4(U8(1), x, hi)
	lo := x.AsY().(reg.VecVirtual)
	op(hi, lo, lo)
	return lo
}
