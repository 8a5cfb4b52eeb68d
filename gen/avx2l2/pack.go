package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// packPanel emits PackPanelAVX2, which transposes up to 16 rows of b into one
// k-major panel: dst[k*16 + j] = b[j*ldb + k] for j < rows, +0 for
// rows <= j < 16. Each half of the panel (rows 0-7, rows 8-15) is 8×8
// transposes: eight rows of 8 floats in, eight 8-row columns out.
//
//	AX BX CX DX SI DI R8 R9   the 8 row pointers of the half (a missing row
//	                          points at row 0 of the panel; its lane is masked)
//	R10  byte offset of k in the rows     R11  dst at k (this half's 8 lanes)
//	R12  steps of k left                  R13  row 0 of the panel
//	R14  ldb in bytes; scratch
//	Y12  lanes of the rows that exist     Y14  lanes of the last k < 8
func packPanel() {
	TEXT("PackPanelAVX2", NOSPLIT, "func(dst, b *float32, ldb, rows, kc int)")
	Pragma("noescape")
	Doc("PackPanelAVX2 packs rows (1..16) rows of b, ldb apart, kc >= 1 floats",
		"each, into the 16-wide panel dst[k*16+j] = b[j*ldb+k], zero-padded to 16",
		"rows; dst holds kc*16 floats. Only the rows×kc elements of b are read.")
	ptrs := []GPPhysical{RAX, RBX, RCX, RDX, RSI, RDI, R8, R9}
	off, out, left, b0, t := R10, R11, R12, R13, R14
	for half := 0; half < 2; half++ {
		l := func(s string) string { return fmt.Sprintf("%s_%d", s, half) }
		Commentf("Rows %d..%d of the panel: lanes %d..%d of each step of k.", 8*half, 8*half+7, 8*half, 8*half+7)
		Comment("Row mask: lane r set iff row r of this half exists.")
		Load(Param("rows"), t)
		if half == 1 {
			SUBQ(U8(8), t)
		}
		MOVQ(t, RAX)
		MOVQ(U32(8), RBX)
		CMPQ(RAX, RBX)
		CMOVQGT(RBX, RAX)
		XORQ(RBX, RBX)
		TESTQ(RAX, RAX)
		CMOVQLT(RBX, RAX)
		NEGQ(RAX)
		LEAQ(masks, RBX)
		loadMask(Y12, RBX, RAX, 0)
		Comment("k mask: lane l set iff l < kc mod 8.")
		Load(Param("kc"), RAX)
		ANDQ(U8(7), RAX)
		NEGQ(RAX)
		loadMask(Y14, RBX, RAX, 0)

		Comment("Row pointers; a missing row reads row 0 of the panel instead.")
		Load(Param("b"), b0)
		MOVQ(t, left) // rows of this half (may be <= 0)
		Load(Param("ldb"), t)
		SHLQ(U8(2), t)
		MOVQ(b0, out) // running row address
		if half == 1 {
			LEAQ(Mem{Base: out, Index: t, Scale: 8}, out)
		}
		for r, p := range ptrs {
			MOVQ(out, p)
			CMPQ(left, U8(r))
			CMOVQLE(b0, p)
			if r < 7 {
				ADDQ(t, out)
			}
		}
		Load(Param("dst"), out)
		if half == 1 {
			ADDQ(U8(32), out)
		}
		Load(Param("kc"), left)
		XORQ(off, off)
		CMPQ(left, U8(8))
		JL(LabelRef(l("tail")))

		Label(l("k8"))
		Comment("8 steps of k: Y8+r = [row r, k0..3 | row r+4, k0..3],",
			"Y4+r = [row r, k4..7 | row r+4, k4..7] for r = 0..3.")
		for r := 0; r < 4; r++ {
			VMOVUPS(Mem{Base: ptrs[r], Index: off, Scale: 1}, xmm(8+r))
			VINSERTF128(U8(1), Mem{Base: ptrs[r+4], Index: off, Scale: 1}, ymm(8+r), ymm(8+r))
			VMOVUPS(Mem{Base: ptrs[r], Index: off, Scale: 1, Disp: 16}, xmm(4+r))
			VINSERTF128(U8(1), Mem{Base: ptrs[r+4], Index: off, Scale: 1, Disp: 16}, ymm(4+r), ymm(4+r))
		}
		transposeStore(out, false, "")
		ADDQ(U8(32), off)
		ADDQ(U32(8*64), out)
		SUBQ(U8(8), left)
		CMPQ(left, U8(8))
		JGE(LabelRef(l("k8")))

		Label(l("tail"))
		TESTQ(left, left)
		JZ(LabelRef(l("done")))
		Comment("1..7 steps of k left: masked loads (lanes past kc read +0 and never fault).")
		for r := 0; r < 8; r++ {
			VMASKMOVPS(Mem{Base: ptrs[r], Index: off, Scale: 1}, Y14, ymm(r))
		}
		for r := 0; r < 4; r++ {
			VPERM2F128(U8(0x20), ymm(r+4), ymm(r), ymm(8+r))
			VPERM2F128(U8(0x31), ymm(r+4), ymm(r), ymm(4+r))
		}
		transposeStore(out, true, l("done"))
		Label(l("done"))
	}
	VZEROUPPER()
	RET()
}

// transposeStore finishes the 8×8 transpose of Y8..Y11 (k0..3) and Y4..Y7
// (k4..7), each [rows r | rows r+4] of four steps of k, masks the rows with
// Y12 and stores step k at 64*k(out): all eight, or, for the tail, the first
// R12 (1..7) and then it jumps to done.
func transposeStore(out GPPhysical, tail bool, done string) {
	Comment("4×4 transposes within each 128-bit half: unpack pairs of rows,",
		"then shuffle pairs of pairs; step k = [rows 0..3 | rows 4..7].")
	for g := 0; g < 2; g++ {
		in := []VecPhysical{Y8, Y9, Y10, Y11}
		if g == 1 {
			in = []VecPhysical{Y4, Y5, Y6, Y7}
		}
		t0, t1, t2, t3 := Y0, Y1, Y2, Y3
		VUNPCKLPS(in[1], in[0], t0)      // r0k0 r1k0 r0k1 r1k1
		VUNPCKHPS(in[1], in[0], t1)      // r0k2 r1k2 r0k3 r1k3
		VUNPCKLPS(in[3], in[2], t2)      // r2k0 r3k0 r2k1 r3k1
		VUNPCKHPS(in[3], in[2], t3)      // r2k2 r3k2 r2k3 r3k3
		VSHUFPS(U8(0x44), t2, t0, in[0]) // k0: r0 r1 r2 r3
		VSHUFPS(U8(0xEE), t2, t0, in[1]) // k1
		VSHUFPS(U8(0x44), t3, t1, in[2]) // k2
		VSHUFPS(U8(0xEE), t3, t1, in[3]) // k3
		for q, v := range in {
			k := 4*g + q
			if tail && k == 7 {
				break
			}
			VANDPS(Y12, v, v)
			VMOVUPS(v, Mem{Base: out, Disp: 64 * k})
			switch {
			case tail && k < 6:
				CMPQ(R12, U8(k+1))
				JEQ(LabelRef(done))
			case tail:
				JMP(LabelRef(done))
			}
		}
	}
}
