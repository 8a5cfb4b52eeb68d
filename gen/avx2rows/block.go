package main

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The short-row path: for cols <= 16, rows are taken 8 at a time and
// transposed, so that each vector holds one column of 8 rows. Every per-row
// step of the canonical algorithm then becomes a vertical operation over 8
// rows at once, with no horizontal reduction and no scalar tail: the row
// maximum is a running VMAXPS over the columns, and the canonical tree of
// the 32 partials is, for at most 16 columns (partial j holds column j
// only), v[j] = p[j] + p[j+8] followed by the pair tree over v[0..7].
// The rows left over (rows mod 8) go through the per-row path, which
// returns the same bits.

const blockCols = 16 // the widest row the short-row path takes

// block is the state of the short-row path of one kernel.
type block struct {
	r           *row
	s, s3       reg.GPVirtual // row stride in bytes, and 3× it
	t           Mem           // 16 column slots of 8 rows (32 bytes each)
	v, z        Mem           // 8 slots each: the sums v[j], the zw sums
	lowM, highM Mem           // masks of the valid lanes of columns 0..7 and 8..15
	off         reg.GPVirtual // byte offset of the current column slot (of a pair's first)
	disp        int           // 0, or 32 for the second column of a pair
	colsB       reg.GPVirtual // cols*32: the end of the used column slots
	withZ       bool
	base        reg.GPVirtual // the slots' start, 32-byte aligned
	used, size  int           // bytes of the slots handed out, and reserved
}

// newBlock reserves the stack slots (with extra bytes more for the kernel's
// own, see local) and derives the row stride and the masks (once per call).
func newBlock(r *row, withZ bool, extra int) *block {
	bk := &block{r: r, withZ: withZ}
	bk.size = 32*blockCols + 32*8 + 64 + extra
	if withZ {
		bk.size += 32 * 8
	}
	Comment("the short-row path's slots, 32-byte aligned: Go aligns the stack pointer to 8 bytes only,",
		"and a slot that straddles two cache lines makes each of its many loads and stores a split one")
	area := AllocLocal(bk.size + 24)
	bk.base = GP64()
	LEAQ(area.Offset(31), bk.base)
	ANDQ(I8(-32), bk.base)
	bk.t = bk.local(32 * blockCols)
	bk.v = bk.local(32 * 8)
	if withZ {
		bk.z = bk.local(32 * 8)
	}
	bk.lowM, bk.highM = bk.local(32), bk.local(32)
	Comment("short-row path set-up: lane masks of columns 0..7 and 8..15")
	bk.maskFor(r.cols, 0, bk.lowM)
	bk.maskFor(r.cols, 8, bk.highM)
	return bk
}

// local hands out n bytes (a multiple of 32) of the block's aligned slots.
func (bk *block) local(n int) Mem {
	if n%32 != 0 || bk.used+n > bk.size {
		panic("block.local: slots exhausted or misaligned")
	}
	m := Mem{Base: bk.base, Disp: bk.used}
	bk.used += n
	return m
}

// maskFor stores the mask of min(max(cols-from, 0), 8) lanes to dst.
func (bk *block) maskFor(cols reg.GPVirtual, from int, dst Mem) {
	n := GP64()
	MOVQ(cols, n)
	if from > 0 {
		SUBQ(U8(from), n)
		zero := GP64()
		XORQ(zero, zero)
		CMPQ(n, U8(0))
		CMOVQLT(zero, n)
	}
	eight := GP64()
	MOVQ(U32(8), eight)
	CMPQ(n, eight)
	CMOVQGT(eight, n)
	p := GP64()
	LEAQ(consts.mask.Offset(32), p)
	SHLQ(U8(2), n)
	SUBQ(n, p)
	m := YMM()
	VMOVUPS(Mem{Base: p}, m)
	VMOVUPS(m, dst)
}

// rowAt is the memory operand of row i (0..7) of the block starting at base,
// offset by disp bytes.
func (bk *block) rowAt(base, base4 reg.GPVirtual, i, disp int) Mem {
	b := base
	if i >= 4 {
		b, i = base4, i-4
	}
	switch i {
	case 0:
		return Mem{Base: b, Disp: disp}
	case 1:
		return Mem{Base: b, Index: bk.s, Scale: 1, Disp: disp}
	case 2:
		return Mem{Base: b, Index: bk.s, Scale: 2, Disp: disp}
	}
	return Mem{Base: b, Index: bk.s3, Scale: 1, Disp: disp}
}

// transpose8 transposes the 8×8 matrix held in rows x (lane j of x[i] is
// element (i, j)) and returns its columns.
func transpose8(x [8]reg.VecVirtual) [8]reg.VecVirtual {
	var t, u, c [8]reg.VecVirtual
	for i := 0; i < 8; i += 2 {
		t[i], t[i+1] = YMM(), YMM()
		VUNPCKLPS(x[i+1], x[i], t[i])
		VUNPCKHPS(x[i+1], x[i], t[i+1])
	}
	for _, g := range [][2]int{{0, 2}, {4, 6}} {
		a, b := g[0], g[1]
		u[a], u[a+1], u[b], u[b+1] = YMM(), YMM(), YMM(), YMM()
		VSHUFPS(U8(0x44), t[b], t[a], u[a])
		VSHUFPS(U8(0xEE), t[b], t[a], u[a+1])
		VSHUFPS(U8(0x44), t[b+1], t[a+1], u[b])
		VSHUFPS(U8(0xEE), t[b+1], t[a+1], u[b+1])
	}
	for k := 0; k < 4; k++ {
		c[k], c[k+4] = YMM(), YMM()
		VPERM2F128(U8(0x20), u[k+4], u[k], c[k])
		VPERM2F128(U8(0x31), u[k+4], u[k], c[k+4])
	}
	return c
}

// load transposes the block's rows (at base) into the column slots: columns
// 0..7, and 8..15 when cols > 8. Lanes past the end of a row load as +0.
func (bk *block) load(base reg.GPVirtual) {
	Comment("load 8 rows and transpose them into column slots")
	base4 := GP64()
	LEAQ(Mem{Base: base, Index: bk.s, Scale: 4}, base4)
	for half := 0; half < 2; half++ {
		skip := bk.r.label("nohigh")
		maskSlot := bk.lowM
		if half == 1 {
			CMPQ(bk.r.cols, U8(8))
			JBE(LabelRef(skip))
			maskSlot = bk.highM
		}
		var x [8]reg.VecVirtual
		for i := range x {
			x[i] = YMM()
		}
		bk.whole(half, func() { // columns 0..7 all in the row: plain loads
			for i := range x {
				VMOVUPS(bk.rowAt(base, base4, i, 0), x[i])
			}
		}, func() {
			mask := YMM()
			VMOVUPS(maskSlot, mask)
			for i := range x {
				VMASKMOVPS(bk.rowAt(base, base4, i, 32*half), mask, x[i])
			}
		})
		c := transpose8(x)
		for j := range c {
			VMOVUPS(c[j], bk.t.Offset(32*(8*half+j)))
		}
		if half == 1 {
			Label(skip)
		}
	}
}

// whole emits plain for the low half (half 0) of rows of at least 8
// columns, and masked otherwise: a masked load or store costs more than a
// plain one on Intel cores and far more on AMD's (its store is microcoded).
func (bk *block) whole(half int, plain, masked func()) {
	if half == 1 {
		masked()
		return
	}
	m, done := bk.r.label("masked"), bk.r.label("loaded")
	CMPQ(bk.r.cols, U8(8))
	JB(LabelRef(m))
	plain()
	JMP(LabelRef(done))
	Label(m)
	masked()
	Label(done)
}

// store transposes the column slots back and stores the rows at base.
func (bk *block) store(base reg.GPVirtual) {
	Comment("transpose the column slots back and store 8 rows")
	base4 := GP64()
	LEAQ(Mem{Base: base, Index: bk.s, Scale: 4}, base4)
	for half := 0; half < 2; half++ {
		skip := bk.r.label("nohigh")
		maskSlot := bk.lowM
		if half == 1 {
			CMPQ(bk.r.cols, U8(8))
			JBE(LabelRef(skip))
			maskSlot = bk.highM
		}
		var c [8]reg.VecVirtual
		for j := range c {
			c[j] = YMM()
			VMOVUPS(bk.t.Offset(32*(8*half+j)), c[j])
		}
		x := transpose8(c)
		bk.whole(half, func() {
			for i := range x {
				VMOVUPS(x[i], bk.rowAt(base, base4, i, 0))
			}
		}, func() {
			mask := YMM()
			VMOVUPS(maskSlot, mask)
			for i := range x {
				VMASKMOVPS(x[i], mask, bk.rowAt(base, base4, i, 32*half))
			}
		})
		if half == 1 {
			Label(skip)
		}
	}
}

// columns emits a loop over the used column slots, two at a time, then the
// last one when cols is odd; body gets the slot's memory operand (bk.off
// holds the byte offset of the pair, bk.disp that of the column within it:
// slot, sumSlot and wcol add it).
func (bk *block) columns(name string, body func(slot Mem)) {
	pair, check, end := bk.r.label(name), bk.r.label(name+"_check"), bk.r.label(name+"_end")
	pairsB := GP64()
	MOVQ(bk.colsB, pairsB)
	ANDQ(I8(-64), pairsB) // the offset past the last pair
	XORQ(bk.off, bk.off)
	JMP(LabelRef(check))
	Label(pair)
	body(bk.slot(bk.t))
	bk.disp = 32
	body(bk.slot(bk.t))
	bk.disp = 0
	ADDQ(U8(64), bk.off)
	Label(check)
	CMPQ(bk.off, pairsB)
	JB(LabelRef(pair))
	CMPQ(bk.off, bk.colsB)
	JAE(LabelRef(end))
	body(bk.slot(bk.t))
	Label(end)
}

// slot is the memory operand of area at the current column.
func (bk *block) slot(area Mem) Mem {
	m := area
	m.Index, m.Scale = bk.off, 1
	m.Disp += bk.disp
	return m
}

// sumSlot is the memory operand of the tree slot of the current column
// (column mod 8) in area. (A pair starts at an even column, so the second
// column's slot is the first's plus 32 bytes.)
func (bk *block) sumSlot(area Mem) Mem {
	t := GP64()
	MOVQ(bk.off, t)
	ANDQ(U32(0xFF), t)
	m := area
	m.Index, m.Scale = t, 1
	m.Disp += bk.disp
	return m
}

// zeroSums zeroes the 8 tree slots of area.
func zeroSums(area Mem) {
	z := YMM()
	VXORPS(z, z, z)
	for j := 0; j < 8; j++ {
		VMOVUPS(z, area.Offset(32*j))
	}
}

// pairTree folds the 8 tree slots of area: ((v0+v1)+(v2+v3))+((v4+v5)+(v6+v7)).
// The odd slots are memory operands, so that at most 4 registers are live:
// with all 8 loaded first, the fused cross-entropy kernels (which hold more
// across the block) ran out of the 16 AVX2 registers, and avo took Y16 and
// up, which need AVX-512 (a SIGILL on AVX2-only CPUs).
func pairTree(area Mem) reg.VecVirtual {
	var v [8]reg.VecVirtual
	for j := 0; j < 8; j += 2 {
		v[j] = YMM()
		VMOVUPS(area.Offset(32*j), v[j])
		VADDPS(area.Offset(32*(j+1)), v[j], v[j])
	}
	VADDPS(v[2], v[0], v[0])
	VADDPS(v[6], v[4], v[4])
	VADDPS(v[4], v[0], v[0])
	return v[0]
}

// maxCols returns the row maxima (+0) of the block, one row per lane; hook
// (may be nil) gets each column's values too.
func (bk *block) maxCols(hook func(x reg.VecVirtual)) reg.VecVirtual {
	Comment("m = max over the columns (NaN skipped) + 0, for 8 rows at once: the even and the odd")
	Comment("columns into two maxima (any order gives the same maximum, and + 0 makes a zero +0)")
	m, m2 := YMM(), YMM()
	VBROADCASTSS(consts.scalar("-inf"), m)
	VMOVAPS(m, m2)
	bk.columns("bmax", func(slot Mem) {
		x, acc := YMM(), m
		if bk.disp != 0 {
			acc = m2
		}
		VMOVUPS(slot, x)
		VMAXPS(acc, x, acc)
		if hook != nil {
			hook(x)
		}
	})
	VMAXPS(m2, m, m)
	zero := YMM()
	VXORPS(zero, zero, zero)
	VADDPS(zero, m, m)
	return m
}

// expCols computes e = ExpNeg(x - m) for every column, adds it into the tree
// slots, and, with storeE, writes e over the column slot. hook gets each
// column's shifted values d = x - m first (for the zw sums).
func (bk *block) expCols(m reg.VecVirtual, storeE bool, hook func(slot Mem, d reg.VecVirtual)) reg.VecVirtual {
	Comment("e = ExpNeg(x - m) per column; v[c mod 8] += e")
	zeroSums(bk.v)
	bk.columns("bexp", func(slot Mem) {
		x := YMM()
		VMOVUPS(slot, x)
		VSUBPS(m, x, x)
		if hook != nil {
			hook(slot, x)
		}
		e := bk.r.expNeg(x)
		if storeE {
			VMOVUPS(e, slot)
		}
		v := bk.sumSlot(bk.v)
		VADDPS(v, e, e)
		VMOVUPS(e, v)
	})
	return pairTree(bk.v)
}

// vlogPos is generic.LogPos of each lane of s.
func vlogPos(s reg.VecVirtual) reg.VecVirtual {
	Comment("L = LogPos(sum) for 8 rows: the scalar steps of logPos, lane-wise")
	k, f, t := YMM(), YMM(), YMM()
	VPSUBD(consts.vec("sqrt_half_bits"), s, k)
	VPSRAD(U8(23), k, k)
	VPSLLD(U8(23), k, t)
	VPSUBD(t, s, f)
	VSUBPS(consts.vec("one"), f, f)
	e := YMM()
	VCVTDQ2PS(k, e)
	z := YMM()
	VMULPS(f, f, z)
	p := YMM()
	VBROADCASTSS(consts.scalar("P8"), p)
	for _, c := range []string{"P7", "P6", "P5", "P4", "P3", "P2", "P1", "P0"} {
		VFMADD213PS(consts.vec(c), f, p) // p = f*p + c
	}
	y := YMM()
	VMULPS(f, p, y)
	VMULPS(z, y, y)
	VFMADD231PS(consts.vec("ln2_lo"), e, y)
	VFMADD231PS(consts.vec("minus_half"), z, y)
	res := YMM()
	VADDPS(y, f, res)
	VFMADD231PS(consts.vec("ln2_hi"), e, res)
	d := YMM()
	VSUBPS(s, s, d)
	VADDPS(d, res, res)
	return res
}

// loop emits the short-row loop: while cols <= 16 and at least 8 rows are
// left, body handles the 8 rows at r.src/r.dst (r.done is the first); then
// the pointers advance by 8 rows (dst by dstStep as in pipeline). body may
// jump to bail to leave the loop with the block unprocessed.
func (bk *block) loop(rows Op, dstStep int, body func(bail string)) {
	r := bk.r
	top, done, bail := r.label("block"), r.label("blockdone"), r.label("bail")
	Comment("short rows (cols <= 16): 8 rows at a time, transposed")
	CMPQ(r.cols, U8(blockCols))
	JA(LabelRef(done))
	bk.s, bk.s3 = GP64(), GP64()
	MOVQ(r.cols, bk.s)
	SHLQ(U8(2), bk.s)
	LEAQ(Mem{Base: bk.s, Index: bk.s, Scale: 2}, bk.s3)
	bk.off, bk.colsB = GP64(), GP64()
	MOVQ(r.cols, bk.colsB)
	SHLQ(U8(5), bk.colsB)
	pcalign(64)
	Label(top)
	left := GP64()
	MOVQ(rows, left)
	SUBQ(r.done, left)
	CMPQ(left, U8(8))
	JB(LabelRef(done))
	body(bail)
	Comment("next 8 rows")
	eight := GP64()
	MOVQ(bk.s, eight)
	SHLQ(U8(3), eight)
	ADDQ(eight, r.src)
	switch dstStep {
	case 0:
	case 1:
		ADDQ(U8(32), r.dst)
	default:
		ADDQ(eight, r.dst)
	}
	ADDQ(U8(8), r.done)
	JMP(LabelRef(top))
	Label(bail)
	Label(done)
}

// pcalign aligns the next instruction to n bytes (the assembler's PCALIGN).
func pcalign(n int) {
	Instruction(&ir.Instruction{Opcode: "PCALIGN", Operands: []Op{Imm(uint64(n))}})
}
