package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// packPanelNN emits PackPanelNNAVX2, the packer of the a·b products (b given
// k-major, kc rows of ldb floats): each step of k of a panel is already
// contiguous in b, so packing is a copy of up to 16 floats per step, masked
// past cols and zero-padded to 16.
//
//	AX  dst at k        BX  b at k          CX  steps of k left
//	DX  ldb in bytes    SI  mask table      DI  -cols (then -(cols-8))
//	Y0, Y1  lane masks of columns 0..7 and 8..15
func packPanelNN() {
	TEXT("PackPanelNNAVX2", NOSPLIT, "func(dst, b *float32, ldb, cols, kc int)")
	Pragma("noescape")
	Doc("PackPanelNNAVX2 packs columns 0..cols-1 (1..16) of kc >= 1 rows of b",
		"(ldb floats apart) into the 16-wide panel dst[k*16+j] = b[k*ldb+j],",
		"zero-padded to 16 columns; dst holds kc*16 floats. Only the kc×cols",
		"elements of b are read.")
	Load(Param("dst"), RAX)
	Load(Param("b"), RBX)
	Load(Param("kc"), RCX)
	Load(Param("ldb"), RDX)
	SHLQ(U8(2), RDX)
	LEAQ(masks, RSI)
	Comment("Column masks: lanes j < cols (first half), 8 + j < cols (second).")
	Load(Param("cols"), RDI)
	NEGQ(RDI)
	loadMask(Y0, RSI, RDI, 0)
	loadMask(Y1, RSI, RDI, 8)
	Label("nn_k")
	VMASKMOVPS(Mem{Base: RBX}, Y0, Y2)
	VMASKMOVPS(Mem{Base: RBX, Disp: 32}, Y1, Y3)
	VMOVUPS(Y2, Mem{Base: RAX})
	VMOVUPS(Y3, Mem{Base: RAX, Disp: 32})
	ADDQ(U8(64), RAX)
	ADDQ(RDX, RBX)
	DECQ(RCX)
	JNZ(LabelRef("nn_k"))
	VZEROUPPER()
	RET()
}
