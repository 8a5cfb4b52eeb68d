package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

type kind int

const (
	softmax kind = iota
	logSoftmax
	logSumExp
)

func (k kind) name() string {
	return [...]string{"SoftmaxAVX2", "LogSoftmaxAVX2", "LogSumExpAVX2"}[k]
}

// row holds the registers that live across a kernel's passes over one row.
type row struct {
	k          kind
	src, dst   reg.GPVirtual // start of the current row
	next       reg.GPVirtual // start of the next row of src
	cols       reg.GPVirtual
	n32, n8    reg.GPVirtual // cols rounded down to multiples of 32 and 8
	tail       reg.GPVirtual // cols mod 8
	maskp      reg.GPVirtual // &mask[8-tail]: the mask of the tail's valid lanes
	i          reg.GPVirtual // element index within the row
	m          reg.VecVirtual
	log2e      reg.VecVirtual
	magic      reg.VecVirtual
	c5         reg.VecVirtual
	acc        [4]reg.VecVirtual
	labelCount int
}

func (r *row) label(s string) string {
	r.labelCount++
	return fmt.Sprintf("%s_%s_%d", r.k.name(), s, r.labelCount)
}

func elem(base, i reg.GPVirtual, vec int) Mem {
	return Mem{Base: base, Index: i, Scale: 4, Disp: 32 * vec}
}

func rowKernel(k kind) {
	sig := "func(dst, src *float32, rows, cols int)"
	if k == logSumExp {
		sig = "func(dst, src *float32, rows, cols int) int"
	}
	TEXT(k.name(), NOSPLIT, sig)
	switch k {
	case softmax:
		Doc("SoftmaxAVX2 writes the softmax of each of the rows×cols row-major src into dst",
			"(rows, cols >= 1; dst may equal src): generic.Softmax, bit for bit.")
	case logSoftmax:
		Doc("LogSoftmaxAVX2 writes the log-softmax of each row of src into dst",
			"(rows, cols >= 1; dst may equal src): generic.LogSoftmax, bit for bit.")
	case logSumExp:
		Doc("LogSumExpAVX2 writes max + LogPos(sum of exp(x - max)) of each row of src to dst[row]",
			"and returns the number of rows done: it stops, leaving dst[row] unwritten, at the first",
			"row whose result is NaN (a row with NaN, +Inf or only -Inf; see generic.LogSumExpSpecial).")
	}
	r := &row{k: k}
	r.dst = Load(Param("dst"), GP64()).(reg.GPVirtual)
	r.src = Load(Param("src"), GP64()).(reg.GPVirtual)
	rows := Load(Param("rows"), GP64())
	r.cols = Load(Param("cols"), GP64()).(reg.GPVirtual)

	Comment("n32, n8: cols rounded down to 32 and 8; the tail's mask is &mask[8 - cols%8]")
	r.n32, r.n8, r.tail = GP64(), GP64(), GP64()
	MOVQ(r.cols, r.n32)
	ANDQ(I32(-32), r.n32)
	MOVQ(r.cols, r.n8)
	ANDQ(I32(-8), r.n8)
	MOVQ(r.cols, r.tail)
	ANDQ(U8(7), r.tail)
	r.maskp = GP64()
	LEAQ(consts.mask.Offset(32), r.maskp)
	t := GP64()
	MOVQ(r.tail, t)
	SHLQ(U8(2), t)
	SUBQ(t, r.maskp)
	rowBytes := GP64()
	MOVQ(r.cols, rowBytes)
	SHLQ(U8(2), rowBytes)
	done := GP64()
	XORQ(done, done)

	r.m, r.log2e, r.magic, r.c5 = YMM(), YMM(), YMM(), YMM()
	VBROADCASTSS(consts.scalar("log2e"), r.log2e)
	VBROADCASTSS(consts.scalar("magic"), r.magic)
	VBROADCASTSS(consts.scalar("c5"), r.c5)
	r.i = GP64()

	Comment("software pipeline: the next row's max pass runs before this row's fold,",
		"so its latency chain (fold, log or divide) overlaps with independent work")
	r.next = GP64()
	r.maxPass(r.src, r.m)
	next := YMM()
	Label(k.name() + "_row")
	var s reg.VecVirtual
	switch k {
	case softmax:
		s = r.expPass(true)
	default:
		s = r.expPass(false)
	}
	r.prefetchMax(rows, done, rowBytes, next)
	switch k {
	case softmax:
		Comment("inv = 1 / sum; dst_i = e_i * inv")
		inv := XMM()
		VMOVSS(consts.scalar("one"), inv)
		VDIVSS(s, inv, inv)
		invY := YMM()
		VBROADCASTSS(inv, invY)
		r.finalPass(func(x reg.VecVirtual) {
			VMULPS(invY, x, x)
		}, r.dst)
	case logSoftmax:
		l := logPos(s)
		Comment("dst_i = (x_i - max) - L")
		lY := YMM()
		VBROADCASTSS(l, lY)
		r.finalPass(func(x reg.VecVirtual) {
			VSUBPS(r.m, x, x)
			VSUBPS(lY, x, x)
		}, r.src)
	case logSumExp:
		l := logPos(s)
		Comment("y = max + L; a NaN y ends the call (the Go caller resolves that row)")
		y := XMM()
		VADDSS(l, r.m.AsX(), y)
		VUCOMISS(y, y)
		JPS(LabelRef(k.name() + "_special"))
		VMOVSS(y, Mem{Base: r.dst})
		ADDQ(U8(4), r.dst)
	}

	Comment("next row: its max is in next")
	MOVQ(r.next, r.src)
	if k != logSumExp {
		ADDQ(rowBytes, r.dst)
	}
	VMOVAPS(next, r.m)
	INCQ(done)
	CMPQ(done, rows)
	JB(LabelRef(k.name() + "_row"))
	if k == logSumExp {
		Label(k.name() + "_special")
		Store(done, ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}

// tailMask loads the mask of the tail's valid lanes.
func (r *row) tailMask() reg.VecVirtual {
	mask := YMM()
	VMOVUPS(Mem{Base: r.maskp}, mask)
	return mask
}

// prefetchMax computes the next row's maximum into next when there is a next
// row (done+1 < rows), and sets r.next to the next row's start.
func (r *row) prefetchMax(rows Op, done, rowBytes reg.GPVirtual, next reg.VecVirtual) {
	MOVQ(r.src, r.next)
	ADDQ(rowBytes, r.next)
	t := GP64()
	MOVQ(done, t)
	INCQ(t)
	CMPQ(t, rows)
	skip := r.label("nomax")
	JAE(LabelRef(skip))
	r.maxPass(r.next, next)
	Label(skip)
}

// maxPass leaves the maximum plus +0 of the row at src, broadcast, in m.
func (r *row) maxPass(src reg.GPVirtual, m reg.VecVirtual) {
	Comment("pass 1: m = max(row) + 0, over 4 accumulators; the tail is padded with -Inf")
	var vm [4]reg.VecVirtual
	for j := range vm {
		vm[j] = YMM()
		VBROADCASTSS(consts.scalar("-inf"), vm[j])
	}
	XORQ(r.i, r.i)
	loop, rest := r.label("max32"), r.label("max8")
	Label(loop)
	CMPQ(r.i, r.n32)
	JAE(LabelRef(rest))
	for j := range vm {
		VMAXPS(elem(src, r.i, j), vm[j], vm[j])
	}
	ADDQ(U8(32), r.i)
	JMP(LabelRef(loop))
	Label(rest)
	CMPQ(r.i, r.n8)
	tail := r.label("maxtail")
	JAE(LabelRef(tail))
	VMAXPS(elem(src, r.i, 0), vm[0], vm[0])
	ADDQ(U8(8), r.i)
	JMP(LabelRef(rest))
	Label(tail)
	fold := r.label("maxfold")
	CMPQ(r.tail, U8(0))
	JE(LabelRef(fold))
	mask := r.tailMask()
	x := YMM()
	VMASKMOVPS(elem(src, r.i, 0), mask, x)
	ninf := YMM()
	VBROADCASTSS(consts.scalar("-inf"), ninf)
	VBLENDVPS(mask, x, ninf, x)
	VMAXPS(x, vm[1], vm[1])
	Label(fold)
	VMAXPS(vm[1], vm[0], vm[0])
	VMAXPS(vm[3], vm[2], vm[2])
	VMAXPS(vm[2], vm[0], vm[0])
	hi := XMM()
	VEXTRACTF128(U8(1), vm[0], hi)
	lo := vm[0].AsX()
	VMAXPS(hi, lo, lo)
	VMOVHLPS(lo, lo, hi)
	VMAXPS(hi, lo, lo)
	VMOVSHDUP(lo, hi)
	VMAXSS(hi, lo, lo)
	zero := XMM()
	VXORPS(zero, zero, zero)
	VADDSS(zero, lo, lo)
	VBROADCASTSS(lo, m)
}

// expNeg computes ExpNeg(x) of the 8 lanes of x, returning the result in a
// new register (x is clobbered).
func (r *row) expNeg(x reg.VecVirtual) reg.VecVirtual {
	under := YMM()
	VCMPPS(U8(1), consts.vec("cutoff"), x, under) // x < cutoff (LT_OS)
	n := YMM()
	VMOVAPS(r.log2e, n)
	VFMADD213PS(r.magic, x, n) // n = x*log2e + magic
	s := YMM()
	VPSLLD(U8(23), n, s) // s = 2^n
	VSUBPS(r.magic, n, n)
	VFMADD231PS(consts.vec("minus_ln2_hi"), n, x) // t = n*(-ln2_hi) + x
	VFMADD231PS(consts.vec("minus_ln2_lo"), n, x) // t = n*(-ln2_lo) + t
	p := YMM()
	VMOVAPS(r.c5, p)
	VFMADD213PS(consts.vec("c4"), x, p) // p = t*c5 + c4
	VFMADD213PS(consts.vec("c3"), x, p)
	VFMADD213PS(consts.vec("c2"), x, p)
	VFMADD213PS(consts.vec("c1"), x, p)
	VMULPS(s, x, x)      // t = t*s
	VFMADD231PS(p, x, s) // f = t*p + s
	VANDNPS(s, under, s) // f = x < cutoff ? +0 : f
	return s
}

// expPass computes e_i = ExpNeg(x_i - m) over the row, adding lane-wise into
// 4 accumulators (element i into acc[(i/8)%4]); with store it writes e_i to
// dst. It returns the canonical sum (TreeSum) in the low lane of an XMM.
func (r *row) expPass(store bool) reg.VecVirtual {
	Comment("pass 2: e_i = ExpNeg(x_i - m), summed into 32 partials (acc k holds i/8 = k mod 4)")
	for j := range r.acc {
		r.acc[j] = YMM()
		VXORPS(r.acc[j], r.acc[j], r.acc[j])
	}
	XORQ(r.i, r.i)
	loop, rest := r.label("exp32"), r.label("exprest")
	fold := r.label("expfold")
	Label(loop)
	CMPQ(r.i, r.n32)
	JAE(LabelRef(rest))
	for j := range r.acc {
		r.expVec(j, j, store)
	}
	ADDQ(U8(32), r.i)
	JMP(LabelRef(loop))

	Label(rest)
	Comment("fewer than 32 left: up to 3 whole vectors, then the tail, each into the next accumulator")
	for j := 0; j < 4; j++ {
		tail := r.label("exptail")
		if j < 3 {
			CMPQ(r.i, r.n8)
			JAE(LabelRef(tail))
			r.expVec(j, 0, store)
			ADDQ(U8(8), r.i)
			next := r.label("expnext")
			JMP(LabelRef(next))
			Label(tail)
			r.expTail(j, store)
			JMP(LabelRef(fold))
			Label(next)
		} else {
			r.expTail(j, store)
		}
	}
	Label(fold)
	return treeSum(r.acc)
}

// expVec handles the whole vector at element r.i + 8*vec into accumulator j.
func (r *row) expVec(j, vec int, store bool) {
	x := YMM()
	VMOVUPS(elem(r.src, r.i, vec), x)
	VSUBPS(r.m, x, x)
	e := r.expNeg(x)
	if store {
		VMOVUPS(e, elem(r.dst, r.i, vec))
	}
	VADDPS(e, r.acc[j], r.acc[j])
}

// expTail handles the cols%8 last elements (if any) into accumulator j: a
// masked load, the exponential, the lanes past the end zeroed, a masked store.
func (r *row) expTail(j int, store bool) {
	skip := r.label("notail")
	CMPQ(r.tail, U8(0))
	JE(LabelRef(skip))
	mask := r.tailMask()
	x := YMM()
	VMASKMOVPS(elem(r.src, r.i, 0), mask, x)
	VSUBPS(r.m, x, x)
	e := r.expNeg(x)
	VANDPS(mask, e, e)
	if store {
		VMASKMOVPS(e, mask, elem(r.dst, r.i, 0))
	}
	VADDPS(e, r.acc[j], r.acc[j])
	Label(skip)
}

// treeSum folds 4 accumulators as generic.TreeSum does and returns the sum in
// the low lane of an XMM.
func treeSum(acc [4]reg.VecVirtual) reg.VecVirtual {
	Comment("fold: (acc0+acc2) + (acc1+acc3), two horizontal adds, low half + high half")
	VADDPS(acc[2], acc[0], acc[0])
	VADDPS(acc[3], acc[1], acc[1])
	VADDPS(acc[1], acc[0], acc[0])
	VHADDPS(acc[0], acc[0], acc[0])
	VHADDPS(acc[0], acc[0], acc[0])
	hi := XMM()
	VEXTRACTF128(U8(1), acc[0], hi)
	s := XMM()
	VADDSS(hi, acc[0].AsX(), s)
	return s
}

// finalPass runs op over every element of the row and stores the result to
// dst: op gets the element loaded from from (src or dst) and transforms it in
// place. The tail uses masked loads and stores.
func (r *row) finalPass(op func(x reg.VecVirtual), from reg.GPVirtual) {
	Comment("pass 3")
	XORQ(r.i, r.i)
	loop, rest, tail := r.label("out32"), r.label("out8"), r.label("outtail")
	end := r.label("outend")
	Label(loop)
	CMPQ(r.i, r.n32)
	JAE(LabelRef(rest))
	for j := 0; j < 4; j++ {
		x := YMM()
		VMOVUPS(elem(from, r.i, j), x)
		op(x)
		VMOVUPS(x, elem(r.dst, r.i, j))
	}
	ADDQ(U8(32), r.i)
	JMP(LabelRef(loop))
	Label(rest)
	CMPQ(r.i, r.n8)
	JAE(LabelRef(tail))
	x := YMM()
	VMOVUPS(elem(from, r.i, 0), x)
	op(x)
	VMOVUPS(x, elem(r.dst, r.i, 0))
	ADDQ(U8(8), r.i)
	JMP(LabelRef(rest))
	Label(tail)
	CMPQ(r.tail, U8(0))
	JE(LabelRef(end))
	mask := r.tailMask()
	y := YMM()
	VMASKMOVPS(elem(from, r.i, 0), mask, y)
	op(y)
	VMASKMOVPS(y, mask, elem(r.dst, r.i, 0))
	Label(end)
}

// logPos computes generic.LogPos of the low lane of s (scalar code, once per
// row) and returns it in the low lane of a new XMM.
func logPos(s reg.VecVirtual) reg.VecVirtual {
	Comment("L = LogPos(sum): k = int32(bits - bits(sqrt(1/2))) >> 23, f = frombits(bits - k<<23) - 1")
	i := GP32()
	VMOVD(s, i)
	k := GP32()
	MOVL(i, k)
	SUBL(U32(0x3F3504F3), k)
	SARL(U8(23), k)
	t := GP32()
	MOVL(k, t)
	SHLL(U8(23), t)
	SUBL(t, i)
	f := XMM()
	VMOVD(i, f)
	VSUBSS(consts.scalar("one"), f, f)
	e := XMM()
	VXORPS(e, e, e)
	VCVTSI2SSL(k, e, e)
	z := XMM()
	VMULSS(f, f, z)
	Comment("p = Horner(P8..P0, f); y = (p*f)*z; y = fma(e, ln2_lo, y); y = fma(z, -1/2, y)")
	p := XMM()
	VMOVSS(consts.scalar("P8"), p)
	for _, c := range []string{"P7", "P6", "P5", "P4", "P3", "P2", "P1", "P0"} {
		VFMADD213SS(consts.scalar(c), f, p) // p = f*p + c
	}
	y := XMM()
	VMULSS(f, p, y)
	VMULSS(z, y, y)
	VFMADD231SS(consts.scalar("ln2_lo"), e, y)
	VFMADD231SS(consts.scalar("minus_half"), z, y)
	Comment("r = fma(e, ln2_hi, f + y) + (s - s)")
	res := XMM()
	VADDSS(y, f, res)
	VFMADD231SS(consts.scalar("ln2_hi"), e, res)
	d := XMM()
	VSUBSS(s, s, d)
	VADDSS(d, res, res)
	return res
}
