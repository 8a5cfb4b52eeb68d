package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// A rowReduction is one canonical row reduction (generic/reduce.go): 32
// partials in 4 accumulators of 8 lanes, element k of the row into
// accumulator (k/8)%4, lane k%8, then TreeSum.
type rowReduction struct {
	name    string
	doc     []string
	paired  bool // reads a row of b next to each row of a
	comment string
	// update emits acc = update(acc, x, y) for one 8-lane chunk: x holds the
	// chunk of a, y the chunk of b (a register or, for full chunks, memory).
	// Lanes past the end of the row hold +0 in x and in y, or -0 in y with
	// negZeroPad, and the update must leave acc unchanged there.
	update func(acc, x VecPhysical, y Op)
	// negZeroPad pads b's masked lanes with -0: fma(+0, -0, p) = p for every
	// p, where fma(+0, +0, -0) would turn a -0 partial (all products
	// underflowed to -0) into +0.
	negZeroPad bool
	// gather pairs row i of a with row idx[i] of b (an int32 index array)
	// instead of row i.
	gather bool
}

var rowReductions = []rowReduction{
	{
		name: "SumSquaresAVX2",
		doc: []string{
			"SumSquaresAVX2 writes dst[i] = generic.SumSquares(a_i) for rows rows of",
			"dim >= 1 elements (a_i starts at a[i*dim]); rows >= 1.",
		},
		comment: "p = fma(x, x, p)",
		update: func(acc, x VecPhysical, _ Op) {
			VFMADD231PS(x, x, acc)
		},
	},
	{
		name: "SquaredL2RowsAVX2",
		doc: []string{
			"SquaredL2RowsAVX2 writes dst[i] = generic.SumSquaredDiff(a_i, b_i) for",
			"rows >= 1 paired rows of dim >= 1 elements. dst may be a or b (each row",
			"is read before its result is written).",
		},
		paired:  true,
		comment: "d = a - b; p = fma(d, d, p)",
		update: func(acc, x VecPhysical, y Op) {
			VSUBPS(y, x, x)
			VFMADD231PS(x, x, acc)
		},
	},
	{
		name: "SquaredL2RowsIdxAVX2",
		doc: []string{
			"SquaredL2RowsIdxAVX2 writes dst[i] = generic.SumSquaredDiff(a_i, b_idx[i]) for",
			"rows >= 1 rows of a of dim >= 1 elements, each paired with row idx[i] of b",
			"(generic.SquaredL2RowsIdx; the indices are the caller's to check).",
		},
		paired:  true,
		gather:  true,
		comment: "d = a - b; p = fma(d, d, p)",
		update: func(acc, x VecPhysical, y Op) {
			VSUBPS(y, x, x)
			VFMADD231PS(x, x, acc)
		},
	},
	{
		name: "DotRowsAVX2",
		doc: []string{
			"DotRowsAVX2 writes dst[i] = generic.SumProducts(a_i, b_i) for rows >= 1",
			"paired rows of dim >= 1 elements. dst may be a or b.",
		},
		paired:  true,
		comment: "p = fma(a, b, p)",
		update: func(acc, x VecPhysical, y Op) {
			VFMADD231PS(y, x, acc)
		},
		negZeroPad: true,
	},
}

func rowKernels() {
	for _, r := range rowReductions {
		rowKernel(r)
	}
}

// rowKernel emits one row reduction over rows rows.
//
//	AX  a, at the current element     BX  b, likewise (paired)
//	DI  dst                           CX  rows left
//	SI  elements left in the row      R8  &masks   R9  scratch
//	Y0-Y3  the 32 partials            Y4-Y7  chunks of a   Y8-Y11  chunks of b
func rowKernel(r rowReduction) {
	sig := "func(dst, a *float32, rows, dim int)"
	if r.paired {
		sig = "func(dst, a, b *float32, rows, dim int)"
	}
	if r.gather {
		sig = "func(dst, a, b *float32, idx *int32, rows, dim int)"
	}
	TEXT(r.name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(r.doc...)
	a, b, dst, rows, left, mb, neg := RAX, RBX, RDI, RCX, RSI, R8, R9
	Load(Param("dst"), dst)
	Load(Param("a"), a)
	if r.paired {
		Load(Param("b"), b)
	}
	Load(Param("rows"), rows)
	LEAQ(masks, mb)
	base, idx, rowBytes := R10, R11, R12
	if r.gather {
		Load(Param("b"), base)
		Load(Param("idx"), idx)
		Load(Param("dim"), rowBytes)
		SHLQ(U8(2), rowBytes)
	}
	acc := []VecPhysical{Y0, Y1, Y2, Y3}

	// chunk emits the update of accumulator q with the 8 elements at byte
	// offset 32*q of the row pointers, masked when mask is not nil.
	chunk := func(q int, mask VecPhysical) {
		x := ymm(4 + q)
		var y Op
		if mask == nil {
			VMOVUPS(Mem{Base: a, Disp: 32 * q}, x)
			if r.paired {
				y = Mem{Base: b, Disp: 32 * q}
			}
		} else {
			VMASKMOVPS(Mem{Base: a, Disp: 32 * q}, mask, x)
			if r.paired {
				yr := ymm(8 + q)
				VMASKMOVPS(Mem{Base: b, Disp: 32 * q}, mask, yr)
				if r.negZeroPad {
					Comment("b's masked lanes = -0: the sign bit where the mask is clear")
					VPCMPEQD(Y13, Y13, Y13)
					VPSLLD(U8(31), Y13, Y13)
					VPANDN(Y13, mask, Y13)
					VORPS(Y13, yr, yr)
				}
				y = yr
			}
		}
		r.update(acc[q], x, y)
	}

	Label("row")
	if r.gather {
		Comment("b = the row idx[i] of b")
		MOVLQSX(Mem{Base: idx}, b)
		IMULQ(rowBytes, b)
		ADDQ(base, b)
		ADDQ(U8(4), idx)
	}
	Comment("One row: partials p[k mod 32] = 0, then " + r.comment + " for each element k.")
	for _, v := range acc {
		VXORPS(v, v, v)
	}
	Load(Param("dim"), left)
	CMPQ(left, U8(32))
	JL(LabelRef("tail"))

	Label("loop32")
	Comment("32 elements: element k of the block into accumulator k/8, lane k%8.")
	for q := 0; q < 4; q++ {
		chunk(q, nil)
	}
	ADDQ(U8(128), a)
	if r.paired {
		ADDQ(U8(128), b)
	}
	SUBQ(U8(32), left)
	CMPQ(left, U8(32))
	JGE(LabelRef("loop32"))

	Label("tail")
	Comment("0..31 elements left: whole chunks, then one masked chunk (masked lanes",
		"load values that leave a partial unchanged).")
	TESTQ(left, left)
	JZ(LabelRef("fold"))
	MOVQ(left, neg)
	NEGQ(neg)
	for q := 0; q < 3; q++ {
		CMPQ(left, U8(8*(q+1)))
		JLE(LabelRef(fmt.Sprintf("last%d", q)))
		chunk(q, nil)
	}
	for q := 3; q >= 0; q-- {
		if q < 3 {
			Label(fmt.Sprintf("last%d", q))
		}
		loadMask(Y12, mb, neg, 8*q)
		chunk(q, Y12)
		if q > 0 {
			JMP(LabelRef("advance"))
		}
	}
	Label("advance")
	LEAQ(Mem{Base: a, Index: left, Scale: 4}, a)
	if r.paired {
		LEAQ(Mem{Base: b, Index: left, Scale: 4}, b)
	}

	Label("fold")
	treeSum(Y0, Y1, Y2, Y3, X4)
	VMOVSS(X0, Mem{Base: dst})
	ADDQ(U8(4), dst)
	DECQ(rows)
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}

// treeSum folds the four accumulators as generic.TreeSum into the low lane
// of p0 (clobbering p1..p3 and the xmm scratch tmp).
func treeSum(p0, p1, p2, p3, tmp VecPhysical) {
	Comment("TreeSum: v = (acc0 + acc2) + (acc1 + acc3); two horizontal adds give",
		"(v0+v1)+(v2+v3) in lane 0 and (v4+v5)+(v6+v7) in lane 4; add the halves.")
	VADDPS(p2, p0, p0)
	VADDPS(p3, p1, p1)
	VADDPS(p1, p0, p0)
	VHADDPS(p0, p0, p0)
	VHADDPS(p0, p0, p0)
	VEXTRACTF128(U8(1), p0, tmp)
	VADDSS(tmp, p0.AsX(), p0.AsX())
}
