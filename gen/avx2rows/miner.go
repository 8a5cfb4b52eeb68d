package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The triplet miners' scans over one anchor's row of distances, for four
// positives at once, on the whole vectors of the row (the caller finishes
// the tail in Go): lane j of every vector register holds what generic keeps
// for the elements k with k mod 8 = j.

// hingeCountsKernel emits the vector part of generic.HingeCounts.
func hingeCountsKernel() {
	const name = "HingeCountsAVX2"
	TEXT(name, NOSPLIT, "func(row, crow *float32, n int, dp *float32, margin float32, sums *float32, counts *int32)")
	Pragma("noescape") // the caller's dp, sums and counts stay on its stack
	Doc(name+" is generic.HingePartials over row[0:n], n a multiple of 8, for the four",
		"positives at distances dp[0:4]: lane j of sums[8s:8s+8] receives partial j of positive s",
		"(from +0), and counts[s] its count.")
	row := Load(Param("row"), GP64()).(reg.GPVirtual)
	crow := Load(Param("crow"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	Comment("the distances dp, each broadcast to a vector on the stack")
	dp := broadcast4("dp")
	margin := broadcastParam("margin")
	zero := YMM()
	VXORPS(zero, zero, zero)
	var sum, cnt [4]reg.VecVirtual
	for s := range sum {
		sum[s], cnt[s] = YMM(), YMM()
		VXORPS(sum[s], sum[s], sum[s])
		VXORPS(cnt[s], cnt[s], cnt[s])
	}
	vectorLoop(name, n, func(i reg.GPVirtual, _ string) {
		hingeVector(row, crow, dp, i, margin, zero, sum, cnt)
	})
	sums := Load(Param("sums"), GP64()).(reg.GPVirtual)
	counts := Load(Param("counts"), GP64()).(reg.GPVirtual)
	Comment("the partials as they are; each count summed over its 8 lanes")
	for s := 0; s < 4; s++ {
		VMOVUPS(sum[s], Mem{Base: sums, Disp: 32 * s})
		h := YMM()
		VPERM2I128(U8(0x01), cnt[s], cnt[s], h)
		VPADDD(h, cnt[s], cnt[s])
		VPSHUFD(U8(0x4E), cnt[s], h)
		VPADDD(h, cnt[s], cnt[s])
		VPSHUFD(U8(0xB1), cnt[s], h)
		VPADDD(h, cnt[s], cnt[s])
		VMOVD(cnt[s].AsX(), Mem{Base: counts, Disp: 4 * s})
	}
	VZEROUPPER()
	RET()
}

// aboveMinKernel emits the vector part of generic.AboveMin: lane-wise
// minima and first indices over the whole vectors, then, per threshold, the
// least of the 8 lanes and the least index among the lanes that hold it.
func aboveMinKernel() {
	const name = "AboveMinAVX2"
	TEXT(name, NOSPLIT, "func(row *float32, n int, t *float32, mins *float32, idx *int32)")
	Pragma("noescape") // the caller's t, mins and idx stay on its stack
	Doc(name+" is generic.AboveMinFrom over row[0:n], n a multiple of 8, for the four",
		"thresholds t[0:4]: mins[s] receives the least element above t[s] (+Inf if none) and",
		"idx[s] its first index (-1 if none).")
	row := Load(Param("row"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	Comment("the thresholds, each broadcast to a vector on the stack")
	t := broadcast4("t")
	cur, eight := YMM(), YMM()
	VMOVUPS(consts.lanes, cur) // 0, 1, ..., 7
	VPBROADCASTD(consts.scalar("eight"), eight)
	var mn, ix [4]reg.VecVirtual
	for s := range mn {
		mn[s], ix[s] = YMM(), YMM()
		VBROADCASTSS(consts.scalar("+inf"), mn[s])
		VPCMPEQD(ix[s], ix[s], ix[s]) // -1
	}
	vectorLoop(name, n, func(i reg.GPVirtual, _ string) {
		aboveVector(row, t, i, cur, mn, ix)
		VPADDD(eight, cur, cur)
	})
	Comment("per threshold: m = the least lane; idx = the least index among the lanes equal to m")
	Comment("(a lane still at +Inf holds -1, so no selection gives -1)")
	mins := Load(Param("mins"), GP64()).(reg.GPVirtual)
	idx := Load(Param("idx"), GP64()).(reg.GPVirtual)
	big := YMM()
	VPCMPEQD(big, big, big)
	VPSRLD(U8(1), big, big) // MaxInt32
	for s := 0; s < 4; s++ {
		m, h := YMM(), YMM()
		VPERM2F128(U8(0x01), mn[s], mn[s], h)
		VMINPS(h, mn[s], m)
		VPERMILPS(U8(0x4E), m, h)
		VMINPS(h, m, m)
		VPERMILPS(U8(0xB1), m, h)
		VMINPS(h, m, m) // every lane holds the least
		VMOVSS(m.AsX(), Mem{Base: mins, Disp: 4 * s})
		eq, c := YMM(), YMM()
		VCMPPS(U8(0x00), m, mn[s], eq) // lane == least (EQ_OQ)
		VPAND(eq, ix[s], c)
		VPANDN(big, eq, eq)
		VPOR(eq, c, c) // the lane's index where it holds the least, else MaxInt32
		VPERM2I128(U8(0x01), c, c, h)
		VPMINSD(h, c, c)
		VPSHUFD(U8(0x4E), c, h)
		VPMINSD(h, c, c)
		VPSHUFD(U8(0xB1), c, h)
		VPMINSD(h, c, c)
		VMOVD(c.AsX(), Mem{Base: idx, Disp: 4 * s})
	}
	VZEROUPPER()
	RET()
}

// hingeVector is one vector of HingeCountsAVX2, the 8 negatives at element i.
func hingeVector(row, crow, dp, i reg.GPVirtual, margin, zero reg.VecVirtual, sum, cnt [4]reg.VecVirtual) {
	dn, tot := YMM(), YMM()
	VMOVUPS(Mem{Base: row, Index: i, Scale: 4}, dn)
	VXORPS(tot, tot, tot)
	for s := 0; s < 4; s++ {
		Commentf("positive %d: x = (dp - dn) + margin; where x > 0: count it, add it to its partial", s)
		x, m := YMM(), YMM()
		VMOVUPS(Mem{Base: dp, Disp: 32 * s}, x)
		VSUBPS(dn, x, x)
		VADDPS(margin, x, x)
		VCMPPS(U8(0x1E), zero, x, m) // x > 0 (GT_OQ: false for NaN)
		VANDPS(m, x, x)
		VADDPS(x, sum[s], sum[s])
		VPSUBD(m, cnt[s], cnt[s]) // all ones is -1
		VPADDD(m, tot, tot)
	}
	Comment("crow = crow - (the number of positives counted)")
	c := YMM()
	VPSUBD(tot, zero, tot)
	VCVTDQ2PS(tot, tot)
	VMOVUPS(Mem{Base: crow, Index: i, Scale: 4}, c)
	VSUBPS(tot, c, c)
	VMOVUPS(c, Mem{Base: crow, Index: i, Scale: 4})
}

// aboveVector is one vector of AboveMinAVX2, the 8 distances at element i
// (their indices in cur). Per threshold, c = v where v > t, else all ones
// (a NaN, which VMINPS passes over); min = VMINPS(c, min), which keeps min
// on a tie; idx = cur where c < min (strictly: the first index of equals).
func aboveVector(row, t, i reg.GPVirtual, cur reg.VecVirtual, mn, ix [4]reg.VecVirtual) {
	v := YMM()
	VMOVUPS(Mem{Base: row, Index: i, Scale: 4}, v)
	for s := 0; s < 4; s++ {
		Commentf("threshold %d: where t < v < min (NaN: no), min = v and idx = k", s)
		c, lt, k := YMM(), YMM(), YMM()
		VCMPPS(U8(0x1A), Mem{Base: t, Disp: 32 * s}, v, c) // !(v > t) (NGT_US: true for NaN)
		VORPS(v, c, c)                                     // v where above, else NaN
		VCMPPS(U8(0x11), mn[s], c, lt)                     // c < min (LT_OQ: false for NaN)
		VMINPS(mn[s], c, mn[s])                            // c < min ? c : min
		VANDPS(lt, cur, k)
		VANDNPS(ix[s], lt, lt)
		VORPS(k, lt, ix[s]) // lt ? cur : idx
	}
}

// firstMinBitsKernel emits generic.FirstMinBits: the least element by its
// bits as an unsigned integer (VPMINUD over the row, two accumulators; the
// tail's dead lanes read all ones, the largest), then the first element
// with those bits (a scan that stops at the first vector holding one).
func firstMinBitsKernel() {
	const name = "FirstMinBitsAVX2"
	TEXT(name, NOSPLIT, "func(row *float32, n int) int")
	Doc(name + " is generic.FirstMinBits for n >= 1.")
	r := newRow(name, Load(Param("n"), GP64()).(reg.GPVirtual), false)
	row := Load(Param("row"), GP64()).(reg.GPVirtual)
	ones, m0, m1 := YMM(), YMM(), YMM()
	VPCMPEQD(ones, ones, ones)
	VMOVDQU(ones, m0)
	VMOVDQU(ones, m1)
	at := func(i reg.GPVirtual, disp int) Mem { return Mem{Base: row, Index: i, Scale: 4, Disp: disp} }
	// tail loads the last n mod 8 elements at element i, all ones in the
	// dead lanes, and returns them and the mask of the live lanes.
	tail := func(i reg.GPVirtual) (x, mask reg.VecVirtual) {
		mask = r.tailMask().(reg.VecVirtual)
		x = YMM()
		VMASKMOVPS(at(i, 0), mask, x)
		VBLENDVPS(mask, x, ones, x)
		return x, mask
	}
	Comment("pass 1: m = the least bits, unsigned")
	i := GP64()
	XORQ(i, i)
	two, one, fold := name+"_min16", name+"_min8", name+"_fold"
	end16 := GP64()
	MOVQ(r.cols, end16)
	ANDQ(I8(-16), end16)
	Label(two)
	CMPQ(i, end16)
	JAE(LabelRef(one))
	VPMINUD(at(i, 0), m0, m0)
	VPMINUD(at(i, 32), m1, m1)
	ADDQ(U8(16), i)
	JMP(LabelRef(two))
	Label(one)
	CMPQ(i, r.nv)
	JAE(LabelRef(name + "_mintail"))
	VPMINUD(at(i, 0), m0, m0)
	ADDQ(U8(8), i)
	Label(name + "_mintail")
	CMPQ(r.tail, U8(0))
	JE(LabelRef(fold))
	x, _ := tail(i)
	VPMINUD(x, m1, m1)
	Label(fold)
	VPMINUD(m1, m0, m0)
	hi := XMM()
	VEXTRACTI128(U8(1), m0, hi)
	lo := m0.AsX()
	VPMINUD(hi, lo, lo)
	VPSHUFD(U8(0x4E), lo, hi)
	VPMINUD(hi, lo, lo)
	VPSHUFD(U8(0xB1), lo, hi)
	VPMINUD(hi, lo, lo)
	mv := YMM()
	VPBROADCASTD(lo, mv)
	Comment("pass 2: the first element with those bits")
	XORQ(i, i)
	scan, scanTail, found := name+"_scan", name+"_scantail", name+"_found"
	bits := GP32()
	Label(scan)
	CMPQ(i, r.nv)
	JAE(LabelRef(scanTail))
	c := YMM()
	VPCMPEQD(at(i, 0), mv, c)
	VMOVMSKPS(c, bits)
	TESTL(bits, bits)
	JNZ(LabelRef(found))
	ADDQ(U8(8), i)
	JMP(LabelRef(scan))
	Label(scanTail)
	Comment("the least is in the tail, whose live lanes come before its dead ones")
	x, _ = tail(i)
	VPCMPEQD(x, mv, x)
	VMOVMSKPS(x, bits)
	Label(found)
	b := GP32()
	BSFL(bits, b)
	ADDQ(b.As64(), i)
	Store(i, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// broadcast4 broadcasts each of the four float32 at the pointer parameter
// name to a vector of 8 in a stack area and returns the area's address: the
// memory operands of a loop that compares with all four.
func broadcast4(name string) reg.GPVirtual {
	p := Load(Param(name), GP64()).(reg.GPVirtual)
	area := AllocLocal(128)
	for s := 0; s < 4; s++ {
		x := YMM()
		VBROADCASTSS(Mem{Base: p, Disp: 4 * s}, x)
		VMOVUPS(x, area.Offset(32*s))
	}
	a := GP64()
	LEAQ(area, a)
	return a
}
