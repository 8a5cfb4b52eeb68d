package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 micro-kernels Tile<Name>AVX512 have the AVX2 tiles' contract
// and packed layout (MR rows of a, panels of NR = 16 columns, the canonical
// chain per output), so the driver and the packers are shared; each output
// is the same chain of FMAs, so the bits are the same. What changes is the
// width: one panel's 16 columns fill one ZMM, and the kernel takes two
// panels at a time, 6 rows × 32 columns in 12 ZMM accumulators, loading two
// vectors of b and broadcasting 6 of a per 12 FMAs (the AVX2 tile needs the
// same loads for 12 FMAs of half the width). A last panel alone takes a 6×16
// body; partial panels use K-register masks.

// kmask512 is the table of the 17 16-bit masks (1<<n)-1, n = 0..16, one per
// 32-bit entry.
var kmask512 Mem

func defineConstants512() {
	kmask512 = GLOBL("l2kmask512", RODATA|NOPTR)
	for n := 0; n <= 16; n++ {
		DATA(4*n, U32(uint32(1)<<n-1))
	}
}

func zmm(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19}[i]
}

// acc512 returns the accumulators of row i: panel 0 and panel 1 of the pair.
func acc512(i int) []VecPhysical { return []VecPhysical{zmm(2 * i), zmm(2*i + 1)} }

// tileKernel512 emits Tile<Name>AVX512 (see tileKernel for the contract).
func tileKernel512(ep Epilogue) {
	name := "Tile" + ep.Name() + "AVX512"
	TEXT(name, NOSPLIT, "func(c *float32, ldc int, a *float32, lda int, mr int, b *float32, kc int, cols int, rowv *float32, colv *float32, flags int)")
	Pragma("noescape")
	Doc(name+" is Tile"+ep.Name()+"AVX2 (same arguments, packed layout, outputs",
		"and bits) in AVX-512F: two panels of 16 columns at a time, one ZMM each.")
	tilePrologue()
	for mr := 1; mr <= MR; mr++ {
		tileBody512(ep, mr)
	}
}

// tileBody512 emits the loop over panels for mr rows: pairs of panels while
// more than 16 columns are left, then a last single panel.
func tileBody512(ep Epilogue, mr int) {
	l := func(s string) string { return fmt.Sprintf("%s_%d", s, mr) }
	flags := paramMem("flags")
	env := Env{RowV: rRowV, ColV: rColV, Scratch: [2]VecPhysical{Z16, Z17}, Keep: [2]VecPhysical{Z18, Z19}}

	Label(fmt.Sprintf("rows%d", mr))
	Label(l("panel"))
	CMPQ(rCols, U8(NR))
	JLE(LabelRef(l("single")))
	Commentf("%d×32 tile over two panels: accumulators Z0..Z%d (row i: Z(2i) panel 0, Z(2i+1) panel 1).", mr, 2*mr-1)
	start512(mr, 2, flags, l)
	Comment("The second panel starts kc*64 bytes after the first: rT = kc*64.")
	MOVQ(rKB, rT)
	SHLQ(U8(4), rT)
	kLoop512(mr, 2, l)
	Comment("Skip the second panel: b is then at the next pair.")
	ADDQ(rT, rB)
	final512(ep, env, mr, 2, flags, l)
	Comment("Next pair of panels.")
	ADDQ(U8(4*2*NR), rC)
	ADDQ(U8(4*2*NR), rC3)
	ADDQ(U8(4*2*NR), rColV)
	SUBQ(U8(2*NR), rCols)
	JG(LabelRef(l("panel")))
	VZEROUPPER()
	RET()

	Label(l("single"))
	Commentf("%d×16 tile over the last panel: accumulators Z0, Z2, .. (row i: Z(2i)).", mr)
	start512(mr, 1, flags, l)
	kLoop512(mr, 1, l)
	final512(ep, env, mr, 1, flags, l)
	VZEROUPPER()
	RET()
}

// start512 zeroes the accumulators of np panels or, with flagAccumulate,
// loads the partial dot products from c (the last panel masked when
// partial).
func start512(mr, np int, flags Mem, l func(string) string) {
	sfx := fmt.Sprintf("%dp", np)
	TESTQ(U32(flagAccumulate), flags)
	JNZ(LabelRef(l("resume" + sfx)))
	for i := 0; i < mr; i++ {
		for _, v := range acc512(i)[:np] {
			VXORPS(v, v, v)
		}
	}
	JMP(LabelRef(l("k" + sfx)))
	Label(l("resume" + sfx))
	Comment("A later block of k: continue the chains from the partial results in c.")
	lastMask512(np)
	for i := 0; i < mr; i++ {
		for h, v := range acc512(i)[:np] {
			if h == np-1 {
				VMOVUPS_Z(cAddr(i, 64*h), K1, v)
			} else {
				VMOVUPS(cAddr(i, 64*h), v)
			}
		}
	}
	Label(l("k" + sfx))
}

// lastMask512 sets K1 to the columns that exist in the last of np panels:
// min(rCols - 16*(np-1), 16) of them. Clobbers rK and rT.
func lastMask512(np int) {
	MOVQ(rCols, rK)
	if np == 2 {
		SUBQ(U8(NR), rK)
	}
	MOVQ(U32(NR), rT)
	CMPQ(rK, rT)
	CMOVQGT(rT, rK)
	LEAQ(kmask512, rT)
	KMOVW(Mem{Base: rT, Index: rK, Scale: 4}, K1)
}

// kLoop512 emits the chains over kc steps of k for np panels.
func kLoop512(mr, np int, l func(string) string) {
	sfx := fmt.Sprintf("%dp", np)
	MOVQ(rKB, rK)
	SHRQ(U8(2), rK)
	CMPQ(rK, U8(kUnroll))
	JL(LabelRef(l("k1" + sfx)))
	Label(l("k4" + sfx))
	Commentf("%d steps of k: b_k = 16 floats of each panel; for each row i,", kUnroll)
	Comment("acc_i = fma(broadcast a[i][k], b_k, acc_i).")
	for u := 0; u < kUnroll; u++ {
		kStep512(mr, np, u)
	}
	ADDQ(U32(64*kUnroll), rB)
	ADDQ(U8(4*kUnroll), rA)
	ADDQ(U8(4*kUnroll), rA3)
	SUBQ(U8(kUnroll), rK)
	CMPQ(rK, U8(kUnroll))
	JGE(LabelRef(l("k4" + sfx)))
	Label(l("k1" + sfx))
	TESTQ(rK, rK)
	JZ(LabelRef(l("kdone" + sfx)))
	Label(l("k1loop" + sfx))
	kStep512(mr, np, 0)
	ADDQ(U8(64), rB)
	ADDQ(U8(4), rA)
	ADDQ(U8(4), rA3)
	DECQ(rK)
	JNZ(LabelRef(l("k1loop" + sfx)))
	Label(l("kdone" + sfx))
	Comment("b is now at the end of the first panel; rewind a to the first column of the block.")
	SUBQ(rKB, rA)
	SUBQ(rKB, rA3)
}

// kStep512 emits step u of k for np panels (the second at rT bytes from
// the first): Z12, Z13 hold the panels' 16 floats, Z14 and Z15 the
// broadcasts of a, alternately.
func kStep512(mr, np, u int) {
	bv := []VecPhysical{Z12, Z13}
	VMOVUPS(Mem{Base: rB, Disp: 64 * u}, bv[0])
	if np == 2 {
		VMOVUPS(Mem{Base: rB, Index: rT, Scale: 1, Disp: 64 * u}, bv[1])
	}
	for i := 0; i < mr; i++ {
		x := []VecPhysical{Z14, Z15}[i%2]
		VBROADCASTSS(aAddr(i, 4*u), x)
		for h := 0; h < np; h++ {
			VFMADD231PS(bv[h], x, acc512(i)[h])
		}
	}
}

// final512 applies the epilogue on the last block of k and stores the np
// panels' outputs, the last one masked.
func final512(ep Epilogue, env Env, mr, np int, flags Mem, l func(string) string) {
	sfx := fmt.Sprintf("%dp", np)
	TESTQ(U32(flagFinal), flags)
	JZ(LabelRef(l("store" + sfx)))
	ep.Setup(env)
	for i := 0; i < mr; i++ {
		ep.Row(env, i, acc512(i)[:np], 64)
	}
	Label(l("store" + sfx))
	lastMask512(np)
	for i := 0; i < mr; i++ {
		for h, v := range acc512(i)[:np] {
			if h == np-1 {
				VMOVUPS(v, K1, cAddr(i, 64*h))
			} else {
				VMOVUPS(v, cAddr(i, 64*h))
			}
		}
	}
}
