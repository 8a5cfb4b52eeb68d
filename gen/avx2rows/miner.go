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
	Doc(name+" is generic.HingePartials over row[0:n], n a multiple of 8: dp holds the four",
		"thresholds, each repeated 8 times; lane j of sums[8s:8s+8] receives partial j of",
		"positive s and counts[8s+j] its count over the lanes j.")
	row := Load(Param("row"), GP64()).(reg.GPVirtual)
	crow := Load(Param("crow"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	dp := Load(Param("dp"), GP64()).(reg.GPVirtual)
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
	for s := 0; s < 4; s++ {
		VMOVUPS(sum[s], Mem{Base: sums, Disp: 32 * s})
		VMOVUPS(cnt[s], Mem{Base: counts, Disp: 32 * s})
	}
	VZEROUPPER()
	RET()
}

// aboveMinKernel emits the vector part of generic.AboveMin.
func aboveMinKernel() {
	const name = "AboveMinAVX2"
	TEXT(name, NOSPLIT, "func(row *float32, n int, t *float32, mins *float32, idx *int32)")
	Pragma("noescape") // the caller's t, mins and idx stay on its stack
	Doc(name+" is generic.AboveMinFrom over row[0:n], n a multiple of 8, lane by lane: t holds",
		"the four thresholds, each repeated 8 times; lane j of mins[8s:8s+8] receives the least",
		"element k > t[s] with k mod 8 = j (+Inf if none) and idx[8s+j] its first index.")
	row := Load(Param("row"), GP64()).(reg.GPVirtual)
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	t := Load(Param("t"), GP64()).(reg.GPVirtual)
	inf, cur, eight := YMM(), YMM(), YMM()
	VBROADCASTSS(consts.scalar("+inf"), inf)
	VMOVUPS(consts.lanes, cur) // 0, 1, ..., 7
	VPBROADCASTD(consts.scalar("eight"), eight)
	var mn, ix [4]reg.VecVirtual
	for s := range mn {
		mn[s], ix[s] = YMM(), YMM()
		VMOVAPS(inf, mn[s])
		VPCMPEQD(ix[s], ix[s], ix[s]) // -1
	}
	vectorLoop(name, n, func(i reg.GPVirtual, _ string) {
		aboveVector(row, t, i, inf, cur, mn, ix)
		VPADDD(eight, cur, cur)
	})
	mins := Load(Param("mins"), GP64()).(reg.GPVirtual)
	idx := Load(Param("idx"), GP64()).(reg.GPVirtual)
	for s := 0; s < 4; s++ {
		VMOVUPS(mn[s], Mem{Base: mins, Disp: 32 * s})
		VMOVUPS(ix[s], Mem{Base: idx, Disp: 32 * s})
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
// (their indices in cur).
func aboveVector(row, t, i reg.GPVirtual, inf, cur reg.VecVirtual, mn, ix [4]reg.VecVirtual) {
	v := YMM()
	VMOVUPS(Mem{Base: row, Index: i, Scale: 4}, v)
	for s := 0; s < 4; s++ {
		Commentf("threshold %d: where t < v < min (NaN: no), min = v and idx = k", s)
		c, lt := YMM(), YMM()
		VCMPPS(U8(0x1E), Mem{Base: t, Disp: 32 * s}, v, c) // v > t (GT_OQ)
		VBLENDVPS(c, v, inf, c)                            // v where above, else +Inf
		VCMPPS(U8(0x11), mn[s], c, lt)                     // c < min (LT_OQ)
		VBLENDVPS(lt, c, mn[s], mn[s])
		VBLENDVPS(lt, cur, ix[s], ix[s])
	}
}
