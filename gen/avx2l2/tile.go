package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Shape of the micro-tile: MR rows of a by NR columns (rows of b), held in
// MR*NR/8 = 12 ymm accumulators; kUnroll steps of k per loop iteration.
const (
	MR      = 6
	NR      = 16
	kUnroll = 4
)

// Flags of the tile kernels (kernels/pairwise.go has the same values).
const (
	flagAccumulate = 1 // start from the partial dot products in c, not +0
	flagFinal      = 2 // last block of k: apply the epilogue
)

// GP registers of the tile kernels.
var (
	rA    = RAX // a at column k of the block: rows 0, 1, 2 at +0, +lda, +2*lda
	rA3   = RBX // a + 3*lda at column k: rows 3, 4, 5
	rLda  = RCX // lda in bytes
	rB    = RDX // packed b: panel after panel, 16 floats per k
	rK    = RSI // steps of k left; scratch outside the k loop
	rC    = RDI // c at the current panel: rows 0, 1, 2 at +0, +ldc, +2*ldc
	rLdc  = R8  // ldc in bytes
	rC3   = R9  // c + 3*ldc: rows 3, 4, 5
	rRowV = R10 // rowv (the tile's rows)
	rColV = R11 // colv at the current panel
	rCols = R12 // columns left, counting the current panel
	rKB   = R13 // kc in bytes, to rewind a after each panel
	rT    = R14 // scratch
)

// acc returns the accumulators of row i: columns 0..7 and 8..15.
func acc(i int) [2]VecPhysical { return [2]VecPhysical{ymm(2 * i), ymm(2*i + 1)} }

// rowAddr is the address of row i (0..5) of a matrix with rows 0..2 at base,
// base+ld, base+2*ld and rows 3..5 at base3, base3+ld, base3+2*ld.
func rowAddr(base, base3, ld GPPhysical, i, disp int) Mem {
	b := base
	if i >= 3 {
		b, i = base3, i-3
	}
	switch i {
	case 0:
		return Mem{Base: b, Disp: disp}
	case 1:
		return Mem{Base: b, Index: ld, Scale: 1, Disp: disp}
	default:
		return Mem{Base: b, Index: ld, Scale: 2, Disp: disp}
	}
}

func aAddr(i, disp int) Mem { return rowAddr(rA, rA3, rLda, i, disp) }
func cAddr(i, disp int) Mem { return rowAddr(rC, rC3, rLdc, i, disp) }

// tileKernel emits Tile<Name>AVX2: for mr (1..6) rows of a and cols columns
// (rows of b, packed in panels of 16), the dot products over kc columns of a
// and rows of the panels, then the epilogue.
func tileKernel(ep Epilogue) {
	name := "Tile" + ep.Name() + "AVX2"
	TEXT(name, NOSPLIT, "func(c *float32, ldc int, a *float32, lda int, mr int, b *float32, kc int, cols int, rowv *float32, colv *float32, flags int)")
	Pragma("noescape")
	doc := []string{
		name + " computes an mr×cols block of outputs c[i*ldc+j] (1 <= mr <= 6,",
		"cols >= 1) from mr rows of a (lda apart, kc >= 1 columns each) and",
		"ceil(cols/16) packed panels of b (PackPanelAVX2 layout, one after the",
		"other, kc*16 floats each). Each output is the chain",
		"acc = fma(a[i*lda+k], b_j[k], acc) for k = 0..kc-1, starting from +0 or,",
		"with flags&1, from the partial result already in c. With flags&2 the",
		"epilogue is applied, otherwise the raw chain is stored. Only the mr×cols",
		"outputs are read or written, only those mr rows of a, and rowv[0..mr)",
		"and colv[0..16*ceil(cols/16)). The epilogue:",
		"",
	}
	for _, l := range ep.Doc() {
		doc = append(doc, "\t"+l)
	}
	Doc(doc...)
	tilePrologue()
	for mr := 1; mr <= MR; mr++ {
		tileBody(ep, mr)
	}
}

// tilePrologue loads the tile kernels' arguments into their registers and
// jumps to the body for mr rows (label rows<mr>; mr = 1 falls through).
func tilePrologue() {
	Load(Param("c"), rC)
	Load(Param("ldc"), rLdc)
	SHLQ(U8(2), rLdc)
	LEAQ(Mem{Base: rC, Index: rLdc, Scale: 2}, rC3)
	ADDQ(rLdc, rC3)
	Load(Param("a"), rA)
	Load(Param("lda"), rLda)
	SHLQ(U8(2), rLda)
	LEAQ(Mem{Base: rA, Index: rLda, Scale: 2}, rA3)
	ADDQ(rLda, rA3)
	Load(Param("b"), rB)
	Load(Param("kc"), rKB)
	SHLQ(U8(2), rKB)
	Load(Param("cols"), rCols)
	Load(Param("rowv"), rRowV)
	Load(Param("colv"), rColV)
	Load(Param("mr"), rT)
	Comment("One body per row count: mr rows use 2*mr accumulators.")
	for mr := MR; mr >= 2; mr-- {
		CMPQ(rT, U8(mr))
		JEQ(LabelRef(fmt.Sprintf("rows%d", mr)))
	}
}

// tileBody emits the loop over panels for mr rows.
func tileBody(ep Epilogue, mr int) {
	l := func(s string) string { return fmt.Sprintf("%s_%d", s, mr) }
	flags := paramMem("flags")
	bv := [2]VecPhysical{Y12, Y13} // the panel's 16 floats at step k
	bcast := [2]VecPhysical{Y14, Y15}

	Label(fmt.Sprintf("rows%d", mr))
	Label(l("panel"))
	Commentf("%d×16 tile: accumulators Y0..Y%d (row i: Y(2i) columns 0-7, Y(2i+1) columns 8-15).", mr, 2*mr-1)
	TESTQ(U32(flagAccumulate), flags)
	JNZ(LabelRef(l("resume")))
	for i := 0; i < mr; i++ {
		for _, v := range acc(i) {
			VXORPS(v, v, v)
		}
	}
	JMP(LabelRef(l("k")))

	Label(l("resume"))
	Comment("A later block of k: continue the chains from the partial results in c.")
	CMPQ(rCols, U8(NR))
	JL(LabelRef(l("resume_part")))
	for i := 0; i < mr; i++ {
		for h, v := range acc(i) {
			VMOVUPS(cAddr(i, 32*h), v)
		}
	}
	JMP(LabelRef(l("k")))
	Label(l("resume_part"))
	colMasks(bv)
	for i := 0; i < mr; i++ {
		for h, v := range acc(i) {
			VMASKMOVPS(cAddr(i, 32*h), bv[h], v)
		}
	}

	Label(l("k"))
	MOVQ(rKB, rK)
	SHRQ(U8(2), rK)
	CMPQ(rK, U8(kUnroll))
	JL(LabelRef(l("k1")))
	Label(l("k4"))
	Commentf("%d steps of k: b_k = 16 floats of the panel; for each row i,", kUnroll)
	Comment("acc_i = fma(broadcast a[i][k], b_k, acc_i).")
	for u := 0; u < kUnroll; u++ {
		kStep(mr, u, bv, bcast)
	}
	ADDQ(U32(64*kUnroll), rB)
	ADDQ(U8(4*kUnroll), rA)
	ADDQ(U8(4*kUnroll), rA3)
	SUBQ(U8(kUnroll), rK)
	CMPQ(rK, U8(kUnroll))
	JGE(LabelRef(l("k4")))
	Label(l("k1"))
	TESTQ(rK, rK)
	JZ(LabelRef(l("kdone")))
	Label(l("k1loop"))
	kStep(mr, 0, bv, bcast)
	ADDQ(U8(64), rB)
	ADDQ(U8(4), rA)
	ADDQ(U8(4), rA3)
	DECQ(rK)
	JNZ(LabelRef(l("k1loop")))
	Label(l("kdone"))
	Comment("b is now at the next panel; rewind a to the first column of the block.")
	SUBQ(rKB, rA)
	SUBQ(rKB, rA3)

	TESTQ(U32(flagFinal), flags)
	JZ(LabelRef(l("store")))
	env := Env{RowV: rRowV, ColV: rColV, Scratch: bv, Keep: bcast}
	ep.Setup(env)
	for i := 0; i < mr; i++ {
		a := acc(i)
		ep.Row(env, i, a[:], 32)
	}

	Label(l("store"))
	CMPQ(rCols, U8(NR))
	JL(LabelRef(l("store_part")))
	for i := 0; i < mr; i++ {
		for h, v := range acc(i) {
			VMOVUPS(v, cAddr(i, 32*h))
		}
	}
	Comment("Next panel.")
	ADDQ(U8(4*NR), rC)
	ADDQ(U8(4*NR), rC3)
	ADDQ(U8(4*NR), rColV)
	SUBQ(U8(NR), rCols)
	JG(LabelRef(l("panel")))
	VZEROUPPER()
	RET()

	Label(l("store_part"))
	Comment("Last panel, cols < 16: masked stores touch only the columns that exist.")
	colMasks(bv)
	for i := 0; i < mr; i++ {
		for h, v := range acc(i) {
			VMASKMOVPS(v, bv[h], cAddr(i, 32*h))
		}
	}
	VZEROUPPER()
	RET()
}

// kStep emits step u of k (byte offset 4*u in a, 64*u in the panel).
func kStep(mr, u int, bv, bcast [2]VecPhysical) {
	VMOVUPS(Mem{Base: rB, Disp: 64 * u}, bv[0])
	VMOVUPS(Mem{Base: rB, Disp: 64*u + 32}, bv[1])
	for i := 0; i < mr; i++ {
		x := bcast[i%2]
		VBROADCASTSS(aAddr(i, 4*u), x)
		VFMADD231PS(bv[0], x, acc(i)[0])
		VFMADD231PS(bv[1], x, acc(i)[1])
	}
}

// colMasks loads the masks of the columns 0..7 and 8..15 that exist in the
// last panel (rCols < 16 columns) into m; clobbers rT and rK.
func colMasks(m [2]VecPhysical) {
	LEAQ(masks, rT)
	MOVQ(rCols, rK)
	NEGQ(rK)
	loadMask(m[0], rT, rK, 0)
	loadMask(m[1], rT, rK, 8)
}
