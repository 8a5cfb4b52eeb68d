package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// row holds the registers a row kernel keeps across its passes over a row,
// and emits the passes the kernels share.
type row struct {
	name       string        // the TEXT symbol, for labels
	src, dst   reg.GPVirtual // start of the current row of the input and of the output
	cols       reg.GPVirtual
	n32, nv    reg.GPVirtual // cols rounded down to multiples of 32 and of the lanes
	tail       reg.GPVirtual // cols mod the lanes
	i          reg.GPVirtual // element index within the row
	done       reg.GPVirtual // rows finished
	rows       Op            // the row count, set by pipeline
	limit      Op            // rows the exponential pass may read the next row's max from (nil: rows)
	chain      bool          // pipeline takes and leaves a row's max across calls (see chained)
	m, next    reg.VecVirtual
	log2e      reg.VecVirtual // nil: loaded from memory where needed
	magic      Op             // a register, or a memory operand when registers are short
	c5         reg.VecVirtual // nil: loaded from memory where needed
	acc        []reg.VecVirtual
	labelCount int
	prefetchE  bool                      // expPass prefetches the output row's lines (a pass that stores none)
	expConsts  map[string]reg.VecVirtual // the exponential's other constants, held in registers (AVX-512)
	ahead2     bool                      // see pipeline
	next2      reg.VecVirtual            // with ahead2: the max the exponential pass takes
	ahead      Mem                       // with ahead2: how many rows ahead that max's row is, 1 or 2 (a stack slot)
}

// newRow loads cols and derives the loop bounds; constsInRegs keeps log2e,
// magic and c5 in registers (kernels with spare vector registers), else
// the exponential takes them from memory. AVX-512 always holds those three
// (32 registers), and with constsInRegs all ten of the exponential's
// constants: in A/B runs that made the softmax family's AVX-512 kernels
// about 9% faster than broadcast memory operands. (Not for every kernel:
// VEX-only instructions of the folds, such as VHADDPS, cannot take
// X16-X31, and more held registers push those temporaries there.)
func newRow(name string, cols reg.GPVirtual, constsInRegs bool) *row {
	r := &row{name: name, cols: cols}
	r.bounds()
	r.i, r.done = GP64(), GP64()
	XORQ(r.done, r.done)
	r.m, r.next = vreg(), vreg()
	r.magic = consts.vec("magic")
	if constsInRegs || w.zmm { // 32 registers on AVX-512
		magic := vreg()
		VBROADCASTSS(consts.scalar("magic"), magic)
		r.magic = magic
		r.log2e, r.c5 = vreg(), vreg()
		VBROADCASTSS(consts.scalar("log2e"), r.log2e)
		VBROADCASTSS(consts.scalar("c5"), r.c5)
	}
	if w.zmm && constsInRegs { // the rest of the exponential's constants too: a broadcast operand costs a load each time
		r.expConsts = map[string]reg.VecVirtual{}
		for _, c := range []string{"cutoff", "minus_ln2_hi", "minus_ln2_lo", "c4", "c3", "c2", "c1"} {
			v := vreg()
			VBROADCASTSS(consts.scalar(c), v)
			r.expConsts[c] = v
		}
	}
	return r
}

// fmadd231 is dst = src*c + dst with the named constant c, from a register
// where the row holds it, else from memory.
func (r *row) fmadd231(c string, src, dst reg.VecVirtual) {
	if v, ok := r.expConsts[c]; ok {
		VFMADD231PS(v, src, dst)
	} else {
		fmadd231c(c, src, dst)
	}
}

// fmadd213 is dst = src*dst + c, the constant as for fmadd231.
func (r *row) fmadd213(c string, src, dst reg.VecVirtual) {
	if v, ok := r.expConsts[c]; ok {
		VFMADD213PS(v, src, dst)
	} else {
		fmadd213c(c, src, dst)
	}
}

// bounds derives the per-row loop bounds n32, nv and tail from cols (in new
// registers: a kernel may derive them again after a path that does not
// need them, which then need not hold them).
func (r *row) bounds() {
	Commentf("n32, nv: cols rounded down to 32 and %d; tail: cols mod %d", w.lanes, w.lanes)
	r.n32, r.nv, r.tail = GP64(), GP64(), GP64()
	MOVQ(r.cols, r.n32)
	ANDQ(I32(-32), r.n32)
	MOVQ(r.cols, r.nv)
	ANDQ(I32(-w.lanes), r.nv)
	MOVQ(r.cols, r.tail)
	ANDQ(U8(w.lanes-1), r.tail)
}

func (r *row) label(s string) string {
	r.labelCount++
	return fmt.Sprintf("%s_%s_%d", r.name, s, r.labelCount)
}

func elem(base, i reg.GPVirtual, vec int) Mem {
	return Mem{Base: base, Index: i, Scale: 4, Disp: vbytes() * vec}
}

// perRow is the memory operand of element r.done of a per-row float32 array.
func (r *row) perRow(base reg.GPVirtual) Mem {
	return Mem{Base: base, Index: r.done, Scale: 4}
}

// broadcastParam broadcasts the float32 parameter name from its argument
// slot (a VEX load: Avo's Load would emit a legacy-SSE MOVSS, which costs an
// SSE/AVX transition with the upper YMM state dirty).
func broadcastParam(name string) reg.VecVirtual {
	y := vreg()
	VBROADCASTSS(paramAddr(name), y)
	return y
}

// rowOf loads the pointer parameter name of a rows×cols matrix and returns
// the start of the current row (done*cols elements in).
func (r *row) rowOf(name string) reg.GPVirtual {
	p := Load(Param(name), GP64()).(reg.GPVirtual)
	t := GP64()
	MOVQ(r.done, t)
	IMULQ(r.cols, t)
	LEAQ(Mem{Base: p, Index: t, Scale: 4}, p)
	return p
}

// tailMask loads the mask of the tail's valid lanes: &mask[8 - cols%8] on
// AVX2, the K mask kmask[cols%16] on AVX-512.
func (r *row) tailMask() tmask {
	p, t := GP64(), GP64()
	if w.zmm {
		LEAQ(consts.kmask, p)
		k := K()
		KMOVW(Mem{Base: p, Index: r.tail, Scale: 4}, k)
		return k
	}
	LEAQ(consts.mask.Offset(32), p)
	MOVQ(r.tail, t)
	SHLQ(U8(2), t)
	SUBQ(t, p)
	mask := YMM()
	VMOVUPS(Mem{Base: p}, mask)
	return mask
}

// pipeline emits the loop over rows, software-pipelined: the next row's max
// pass runs inside this row's exponential pass (expPass), so that the next
// row's loads, often from beyond L1, overlap with the exponentials, and this
// row's fold (a tree, a log or a divide) with the next row's work. body
// emits one row; its expPass leaves the next row's maximum in r.next. After
// body the row pointers advance by cols (dst by dstStep elements per row, 0
// for none).
//
// With ahead2, on rows of at most aheadCols columns, the exponential pass
// takes the max of the row after next instead (the second row's max pass
// runs before the loop), so that no row's exponentials wait on the fold of
// a max taken in the pass just before: at 128 columns that wait was a
// tenth of the row's time. The pass leaves the max in next2, and the
// registers rotate m <- next <- next2 (with one row ahead, m <- next2).
func (r *row) pipeline(rows Op, dstStep int, body func()) {
	Comment("software pipeline: the next row's max pass runs inside this row's exponential pass")
	r.rows = rows
	if r.ahead2 {
		r.next2 = vreg()
		r.ahead = AllocLocal(8)
		wide := r.label("aheadone")
		Commentf("ahead: the exponential passes take the max of the row 2 ahead (cols <= %d), else 1 ahead", aheadCols)
		MOVQ(U32(1), r.ahead)
		CMPQ(r.cols, U32(aheadCols))
		JA(LabelRef(wide))
		MOVQ(U32(2), r.ahead)
		Label(wide)
	}
	if r.chain {
		r.chainIn()
	} else {
		r.maxPasses()
	}
	Label(r.name + "_row")
	body()
	Comment("next row (its max is in next)")
	LEAQ(Mem{Base: r.src, Index: r.cols, Scale: 4}, r.src)
	switch dstStep {
	case 0:
	case 1:
		ADDQ(U8(4), r.dst)
	default:
		LEAQ(Mem{Base: r.dst, Index: r.cols, Scale: 4}, r.dst)
	}
	VMOVAPS(r.next, r.m)
	if r.ahead2 {
		VMOVAPS(r.next2, r.next)
		two := r.label("twoahead")
		CMPQ(r.ahead, U8(2))
		JE(LabelRef(two))
		VMOVAPS(r.next, r.m)
		Label(two)
	}
	INCQ(r.done)
	CMPQ(r.done, rows)
	JB(LabelRef(r.name + "_row"))
	if r.chain {
		r.chainOut()
	}
}

// maxPasses runs the max passes the loop needs before its first row: the
// first row's, into m, and with ahead2 the second row's (if it is below
// the limit), into next.
func (r *row) maxPasses() {
	r.maxPass(r.src, r.m)
	if !r.ahead2 {
		return
	}
	Comment("two rows ahead: the second row's max pass (the exponential passes take the row after next)")
	t, skip := GP64(), r.label("onerow")
	CMPQ(r.ahead, U8(2))
	JNE(LabelRef(skip))
	MOVQ(r.done, t)
	INCQ(t)
	CMPQ(t, r.lim())
	JAE(LabelRef(skip))
	p := GP64()
	LEAQ(Mem{Base: r.src, Index: r.cols, Scale: 4}, p)
	r.maxPass(p, r.next)
	Label(skip)
}

// The chained pipeline of a kernel with the parameters carry *float32 (two
// float32) and chain int: a caller that splits the rows into several calls
// keeps every row's max pass inside an earlier row's exponential pass,
// across calls too. chain>>1 (0, 1 or 2) is how many rows after the last
// one exist: the exponential passes take their maxima too (the last row's
// pass the first's; with ahead2 the last two rows' passes), and the call
// leaves them in carry[0] (and with ahead2 carry[1]). With chain&1 the
// call's first row's max (and with ahead2 its second's) are carry's, the
// same bits as its max passes, instead of max passes. After a call that
// ends early (LogSumExp's special rows) carry means nothing: the next call
// takes its first maxima itself.

// chainIn sets the exponential passes' limit to rows + chain>>1, then loads
// the first maxima from carry (chain&1) or runs their max passes.
func (r *row) chainIn() {
	chain := Load(Param("chain"), GP64()).(reg.GPVirtual)
	limit := GP64()
	MOVQ(chain, limit)
	SHRQ(U8(1), limit)
	ADDQ(r.rows, limit)
	r.limit = limit
	pass, have := r.label("maxpass"), r.label("havemax")
	TESTQ(U32(1), chain)
	JZ(LabelRef(pass))
	Comment("the first rows' maxima, from the call before (its exponential passes took them)")
	carry := Load(Param("carry"), GP64()).(reg.GPVirtual)
	VBROADCASTSS(Mem{Base: carry}, r.m)
	if r.ahead2 {
		VBROADCASTSS(Mem{Base: carry, Disp: 4}, r.next)
	}
	JMP(LabelRef(have))
	Label(pass)
	r.maxPasses()
	Label(have)
}

// aheadCols is the widest row whose max the ahead2 kernels take two rows
// ahead: in A/B runs of the AVX-512 log-sum-exp, two rows ahead took 0.92×
// the time of one at 256 columns and 0.96× at 1000, one row ahead 0.98× the
// time of two at 2048 and 8192 columns and 0.93× at 131072 and 262144 (the
// row after next 1-2 MiB ahead leaves L2 before its own passes).
const aheadCols = 1024

// lim is the number of rows whose max an exponential pass may take: the
// limit of a chained pipeline, else the row count.
func (r *row) lim() Op {
	if r.limit != nil {
		return r.limit
	}
	return r.rows
}

// chainOut stores the maxima of the rows after the last (now in m, and
// with ahead2 next) that exist to carry.
func (r *row) chainOut() {
	skip := r.label("nocarry")
	CMPQ(r.limit, r.rows)
	JE(LabelRef(skip))
	Comment("the rows after the last: their maxima, for the next call")
	carry := Load(Param("carry"), GP64()).(reg.GPVirtual)
	VMOVSS(r.m.AsX(), Mem{Base: carry})
	if r.ahead2 {
		VMOVSS(r.next.AsX(), Mem{Base: carry, Disp: 4}) // meaningful when two rows follow
	}
	Label(skip)
}

// maxInto folds the vector at m into the running maximum acc; in the tail
// (mask non-nil) the lanes outside mask read -Inf. acc = max(x, acc) with
// acc as VMAXPS's second source, which it returns when either is NaN: NaN
// elements are skipped, exactly as generic.RowMax.
func maxInto(acc reg.VecVirtual, m Mem, mask tmask) {
	x := vreg()
	switch {
	case mask == nil:
		VMOVUPS(m, x)
	case w.zmm:
		VBROADCASTSS(consts.scalar("-inf"), x)
		VMOVUPS(m, mask, x) // merge-masked: dead lanes keep -Inf
	default:
		y := YMM()
		VBROADCASTSS(consts.scalar("-inf"), x)
		VMASKMOVPS(m, mask, y)
		VBLENDVPS(mask, y, x, x)
	}
	VMAXPS(acc, x, acc)
}

// maxPass leaves the maximum of the non-NaN elements plus +0 of the row at
// src (-Inf if there are none), broadcast, in m: generic.RowMax.
func (r *row) maxPass(src reg.GPVirtual, m reg.VecVirtual) {
	Commentf("pass 1: m = max(row) + 0, over %d accumulators; the tail is padded with -Inf", nacc())
	vm := make([]reg.VecVirtual, nacc())
	for j := range vm {
		vm[j] = vreg()
		VBROADCASTSS(consts.scalar("-inf"), vm[j])
	}
	XORQ(r.i, r.i)
	loop, rest := r.label("max32"), r.label("maxv")
	Label(loop)
	CMPQ(r.i, r.n32)
	JAE(LabelRef(rest))
	for j := range vm {
		maxInto(vm[j], elem(src, r.i, j), nil)
	}
	ADDQ(U8(32), r.i)
	JMP(LabelRef(loop))
	Label(rest)
	CMPQ(r.i, r.nv)
	tail := r.label("maxtail")
	JAE(LabelRef(tail))
	maxInto(vm[0], elem(src, r.i, 0), nil)
	ADDQ(U8(w.lanes), r.i)
	JMP(LabelRef(rest))
	Label(tail)
	fold := r.label("maxfold")
	CMPQ(r.tail, U8(0))
	JE(LabelRef(fold))
	maxInto(vm[1], elem(src, r.i, 0), r.tailMask())
	Label(fold)
	foldMax(vm, m)
}

// foldMax leaves the maximum of the lanes of vm plus +0, broadcast, in m.
func foldMax(vm []reg.VecVirtual, m reg.VecVirtual) {
	for len(vm) > 1 {
		h := len(vm) / 2
		for j := 0; j < h; j++ {
			VMAXPS(vm[j+h], vm[j], vm[j])
		}
		vm = vm[:h]
	}
	y := toYMM(vm[0], func(hi, lo, dst Op) { VMAXPS(hi, lo, dst) })
	hi := XMM()
	VEXTRACTF128(U8(1), y, hi)
	lo := y.AsX()
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

// expNeg computes ExpNeg(x) of every lane of x (8 on AVX2, 16 on
// AVX-512), returning the result in a new register (x is clobbered).
func (r *row) expNeg(x reg.VecVirtual) reg.VecVirtual {
	var under tmask
	if w.zmm {
		k := K()
		if v, ok := r.expConsts["cutoff"]; ok {
			VCMPPS(U8(5), v, x, k) // keep: !(x < cutoff), NaN kept
		} else {
			VCMPPS_BCST(U8(5), consts.scalar("cutoff"), x, k)
		}
		under = k
	} else {
		y := YMM()
		VCMPPS(U8(1), consts.vec("cutoff"), x, y) // x < cutoff (LT_OS)
		under = y
	}
	n := vreg()
	if r.log2e != nil {
		VMOVAPS(r.log2e, n)
	} else {
		VBROADCASTSS(consts.scalar("log2e"), n)
	}
	VFMADD213PS(r.magic, x, n) // n = x*log2e + magic
	s := vreg()
	VPSLLD(U8(23), n, s) // s = 2^n
	VSUBPS(r.magic, n, n)
	r.fmadd231("minus_ln2_hi", n, x) // t = n*(-ln2_hi) + x
	r.fmadd231("minus_ln2_lo", n, x) // t = n*(-ln2_lo) + t
	p := vreg()
	if r.c5 != nil {
		VMOVAPS(r.c5, p)
	} else {
		VBROADCASTSS(consts.scalar("c5"), p)
	}
	r.fmadd213("c4", x, p) // p = t*c5 + c4
	r.fmadd213("c3", x, p)
	r.fmadd213("c2", x, p)
	r.fmadd213("c1", x, p)
	VMULPS(s, x, x) // t = t*s
	if w.zmm {
		VFMADD231PS_Z(p, x, under, s) // f = x < cutoff ? +0 : t*p + s
	} else {
		VFMADD231PS(p, x, s) // f = t*p + s
		VANDNPS(s, under, s) // f = x < cutoff ? +0 : f
	}
	return s
}

// at gives the memory operand of the current vector in a row starting at base.
type at func(base reg.GPVirtual) Mem

// load loads the current vector of the row at base, masked in the tail.
func load(a at, base reg.GPVirtual, mask tmask) reg.VecVirtual {
	x := vreg()
	if mask == nil {
		VMOVUPS(a(base), x)
	} else {
		maskedLoad(a(base), mask, x)
	}
	return x
}

// store stores x as the current vector of the row at base, masked in the tail.
func store(x reg.VecVirtual, a at, base reg.GPVirtual, mask tmask) {
	if mask == nil {
		VMOVUPS(x, a(base))
	} else {
		maskedStore(x, mask, a(base))
	}
}

// walk emits one pass over the row in the canonical lane order: whole blocks
// of 32 elements (vector k of the block into accumulator k), then whole
// vectors and the tail, the k-th of them into accumulator k. body emits the
// work on one vector: j is its accumulator, a its memory operand, and mask
// nil for a whole vector or the mask of the tail's valid lanes (the tail is
// skipped when there is none).
func (r *row) walk(name string, body func(j int, a at, mask tmask)) {
	XORQ(r.i, r.i)
	loop, rest, done := r.label(name+"32"), r.label(name+"rest"), r.label(name+"done")
	vec := func(v int) at {
		return func(base reg.GPVirtual) Mem { return elem(base, r.i, v) }
	}
	Label(loop)
	CMPQ(r.i, r.n32)
	JAE(LabelRef(rest))
	for j := 0; j < nacc(); j++ {
		body(j, vec(j), nil)
	}
	ADDQ(U8(32), r.i)
	JMP(LabelRef(loop))
	Label(rest)
	Comment("fewer than 32 left: whole vectors, then the tail, each into the next accumulator")
	tailInto := func(j int) {
		CMPQ(r.tail, U8(0))
		JE(LabelRef(done))
		body(j, vec(0), r.tailMask())
		JMP(LabelRef(done))
	}
	for j := 0; j < nacc()-1; j++ {
		tail, next := r.label(name+"tail"), r.label(name+"next")
		CMPQ(r.i, r.nv)
		JAE(LabelRef(tail))
		body(j, vec(0), nil)
		ADDQ(U8(w.lanes), r.i)
		JMP(LabelRef(next))
		Label(tail)
		tailInto(j)
		Label(next)
	}
	tailInto(nacc() - 1)
	Label(done)
}

// zeroAcc returns the zeroed accumulators of the 32 partials.
func zeroAcc() []reg.VecVirtual {
	acc := make([]reg.VecVirtual, nacc())
	for j := range acc {
		acc[j] = vreg()
		VXORPS(acc[j], acc[j], acc[j])
	}
	return acc
}

// expPass computes e_i = ExpNeg(x_i - m) over the row, adding lane-wise into
// the accumulators of the 32 partials (element i into acc[(i/lanes) mod
// nacc]); with storeE e_i is stored to the row at r.dst. hook, when
// non-nil, is called first with each vector's shifted values d = x - m
// (-0 in the tail's dead lanes, neutral for its signed sums), which it
// must not clobber. It returns the canonical sum (TreeSum) in the low lane
// of an XMM.
func (r *row) expPass(storeE bool, hook func(j int, a at, mask tmask, d reg.VecVirtual)) reg.VecVirtual {
	r.expAcc(storeE, hook)
	return treeSum(r.acc)
}

// expPartial is expPass without a hook, returning the row's partial vector
// (treeFold: the YMM whose horizontal adds give the sum) instead of the sum.
func (r *row) expPartial(storeE bool) reg.VecVirtual {
	r.expAcc(storeE, nil)
	return treeFold(r.acc)
}

// expAcc is expPass up to its accumulators, left in r.acc.
func (r *row) expAcc(storeE bool, hook func(j int, a at, mask tmask, d reg.VecVirtual)) {
	Commentf("pass 2: e_i = ExpNeg(x_i - m), summed into 32 partials (acc k holds i/%d = k mod %d);", w.lanes, nacc())
	if r.ahead2 {
		Comment("unless the row ahead is past the limit, its max pass runs in step (next2 = its max + 0; the row 1 or 2 ahead)")
	} else {
		Comment("unless this is the last row, the next row's max pass runs in step (next = its max + 0)")
	}
	body := func(j int, a at, mask tmask) {
		if r.prefetchE && mask == nil && j*vbytes()%64 == 0 {
			PREFETCHT0(a(r.dst)) // the output pass then stores to lines in the cache
		}
		x := load(a, r.src, mask)
		VSUBPS(r.m, x, x)
		if hook != nil {
			if mask != nil {
				// dead lanes: d = -0, neutral for the hook's sums of d and of
				// w·d (w loads +0): p + (-0) == p, a -0 partial included
				negZeroOutside(mask, x)
			}
			hook(j, a, mask, x)
		}
		e := r.expNeg(x)
		if mask != nil {
			zeroOutside(mask, e)
		}
		if storeE {
			store(e, a, r.dst, mask)
		}
		VADDPS(e, r.acc[j], r.acc[j])
	}
	r.acc = zeroAcc()
	last, done := r.label("explast"), r.label("expfolded")
	t := GP64()
	MOVQ(r.done, t)
	if r.ahead2 {
		ADDQ(r.ahead, t)
	} else {
		INCQ(t)
	}
	CMPQ(t, r.lim())
	JAE(LabelRef(last))
	next := GP64()
	if r.ahead2 {
		MOVQ(r.cols, next)
		IMULQ(r.ahead, next)
		LEAQ(Mem{Base: r.src, Index: next, Scale: 4}, next)
	} else {
		LEAQ(Mem{Base: r.src, Index: r.cols, Scale: 4}, next)
	}
	vm := vreg()
	VBROADCASTSS(consts.scalar("-inf"), vm)
	r.walk("exp", func(j int, a at, mask tmask) {
		maxInto(vm, a(next), mask)
		body(j, a, mask)
	})
	if r.ahead2 {
		foldMax([]reg.VecVirtual{vm}, r.next2)
	} else {
		foldMax([]reg.VecVirtual{vm}, r.next)
	}
	JMP(LabelRef(done))
	Label(last)
	r.walk("explast", body)
	Label(done)
}

// treeSum folds the accumulators as generic.TreeSum does and returns the
// sum in the low lane of an XMM: v[j] = (p[j] + p[j+16]) + (p[j+8] + p[j+24])
// (AVX2: (acc0+acc2) + (acc1+acc3); AVX-512: acc0+acc1, then its low half
// plus its high half), two horizontal adds, low half + high half.
func treeSum(acc []reg.VecVirtual) reg.VecVirtual {
	v := treeFold(acc)
	Comment("two horizontal adds, low half + high half")
	VHADDPS(v, v, v)
	VHADDPS(v, v, v)
	hi := XMM()
	VEXTRACTF128(U8(1), v, hi)
	s := XMM()
	VADDSS(hi, v.AsX(), s)
	return s
}

// treeFold is treeSum's first steps: the YMM v of the 8 lanes that its
// horizontal adds and its low + high add reduce to the sum.
func treeFold(acc []reg.VecVirtual) reg.VecVirtual {
	if len(acc) == 4 {
		Comment("fold: (acc0+acc2) + (acc1+acc3)")
		VADDPS(acc[2], acc[0], acc[0])
		VADDPS(acc[3], acc[1], acc[1])
		VADDPS(acc[1], acc[0], acc[0])
		return acc[0]
	}
	Comment("fold: acc0+acc1, its low 256 bits + its high 256 bits")
	VADDPS(acc[1], acc[0], acc[0])
	return toYMM(acc[0], func(hi, lo, dst Op) { VADDPS(hi, lo, dst) })
}

// each emits one elementwise pass over the row: whole blocks of 32 elements,
// then whole vectors, then the tail (skipped when cols%8 == 0). body gets
// each vector's memory operand and the tail mask (nil for whole vectors).
func (r *row) each(name string, body func(a at, mask tmask)) {
	XORQ(r.i, r.i)
	loop, rest, tail := r.label(name+"32"), r.label(name+"v"), r.label(name+"tail")
	end := r.label(name + "end")
	vec := func(v int) at {
		return func(base reg.GPVirtual) Mem { return elem(base, r.i, v) }
	}
	Label(loop)
	CMPQ(r.i, r.n32)
	JAE(LabelRef(rest))
	for j := 0; j < nacc(); j++ {
		body(vec(j), nil)
	}
	ADDQ(U8(32), r.i)
	JMP(LabelRef(loop))
	Label(rest)
	CMPQ(r.i, r.nv)
	JAE(LabelRef(tail))
	body(vec(0), nil)
	ADDQ(U8(w.lanes), r.i)
	JMP(LabelRef(rest))
	Label(tail)
	CMPQ(r.tail, U8(0))
	JE(LabelRef(end))
	body(vec(0), r.tailMask())
	Label(end)
}

// finalPass runs op over every vector of the row and stores what it returns
// to the row at r.dst: op gets the vector's memory operand and the tail
// mask (nil for whole vectors) and loads what it needs itself.
func (r *row) finalPass(op func(a at, mask tmask) reg.VecVirtual) {
	Comment("pass 3")
	r.each("out", func(a at, mask tmask) {
		store(op(a, mask), a, r.dst, mask)
	})
}

// reciprocal returns 1/s (IEEE division) of the low lane of s, broadcast.
func reciprocal(s reg.VecVirtual) reg.VecVirtual {
	inv := XMM()
	VMOVSS(consts.scalar("one"), inv)
	VDIVSS(s, inv, inv)
	y := vreg()
	VBROADCASTSS(inv, y)
	return y
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

// vectorLoop emits a loop over i = 0, 8, 16, ... while i < n (n a multiple
// of 8); body emits the work on the vector at element i and may jump to
// done, the label after the loop. It returns i: n, or where body left.
func vectorLoop(name string, n reg.GPVirtual, body func(i reg.GPVirtual, done string)) reg.GPVirtual {
	i := GP64()
	XORQ(i, i)
	loop, done := name+"_loop", name+"_done"
	Label(loop)
	CMPQ(i, n)
	JAE(LabelRef(done))
	body(i, done)
	ADDQ(U8(8), i)
	JMP(LabelRef(loop))
	Label(done)
	return i
}

// powLoop returns m = o^ng as the kernels' focal terms define it: m = 1,
// then m = m*o, ng times (a loop on the count in ng, the same for every
// lane).
func (r *row) powLoop(ng reg.GPVirtual, one, o reg.VecVirtual) reg.VecVirtual {
	m, k := YMM(), GP64()
	VMOVAPS(one, m)
	loop, done := r.label("pow"), r.label("powdone")
	MOVQ(ng, k)
	Label(loop)
	TESTQ(k, k)
	JE(LabelRef(done))
	VMULPS(o, m, m)
	DECQ(k)
	JMP(LabelRef(loop))
	Label(done)
	return m
}
