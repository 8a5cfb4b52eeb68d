package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// crossEntropyLabelsKernel emits generic.CrossEntropyLabelRows for one
// variant, over every row: the AVX2 kernels take rows of at most blockCols
// columns 8 at a time in the short-row block path (ceLabelsBlock), and the
// rest, as the AVX-512 kernels all rows, in the per-row pipeline
// (ceLabelsRow), the label's work done in the same passes either way.
func crossEntropyLabelsKernel(grad, weights, sw bool) {
	name := "CrossEntropyLabels" + variantName(on(grad, "G"), on(weights, "W"), on(sw, "S")) + w.suffix
	TEXT(name, 0, "func(grad, z, w *float32, labels *int32, sw *float32, keep, inv float32, loss *float32, rows, cols int, sum *float64, gather bool)")
	Pragma("noescape") // the caller's partial sums stay on its stack
	doc := ", grad nil"
	if grad {
		doc = ", writing grad"
	}
	if weights {
		doc += ", class weights w"
	}
	if sw {
		doc += ", sample weights sw"
	}
	Doc(name+" is generic.CrossEntropyLabelRows, bit for bit, for rows, cols >= 1"+doc+".",
		"Per row: loss = s·wy·(LogPos(Σ exp(z - max)) - (z_y - max)) with wy = keep·w_y, and the gradient",
		"softmax·c - [j = y]·c with c = (s·inv)·wy; a negative label gives a zero row and loss.",
		"The losses also add, converted exactly, into sum[0:8] (Sum64's partials: row i into sum[i mod 8]).",
		"gather picks how the AVX2 short-row path finds z_y (the AVX-512 kernels ignore it): VPGATHERDD,",
		"or a compare with the label per column; the bits are the same.")
	r, rows, dstStep := ceRow(name, true, grad)
	if !w.zmm {
		ceLabelsBlock(r, rows, dstStep, grad, weights, sw)
		r.bounds() // the block path holds no per-row bounds
	}
	g := newCELossRing(sw, grad)
	end := r.label("end")
	CMPQ(r.done, rows)
	JAE(LabelRef(end))
	r.ahead2 = w.zmm // as the softmax family's AVX-512 kernels
	r.pipeline(rows, dstStep, func() {
		ceLabelsRow(r, g, grad, weights, sw)
	})
	Label(end)
	g.flush(r)
	VZEROUPPER()
	RET()
}

// ceLabelsBlock emits the short-row path of crossEntropyLabelsKernel (8
// rows at a time while cols <= blockCols). The 8 rows' logits z_y come, as
// the parameter gather says, from one VPGATHERDD (masked to 0 <= y < cols,
// so a label outside the contract reads nothing), or from the max pass,
// where each column's lanes are compared with the labels and the matching
// lane is kept: 3 instructions a column, 30 at 10 columns, against one
// gather, which is cheaper where gathers are fast and far dearer on the
// Intel cores whose microcode mitigates Gather Data Sampling (Skylake to
// Ice Lake and Tiger Lake). In the gradient pass each column's lanes are
// compared with the labels, the matching lane taking the label term.
//
// With grad, a block's gradient pass and store run one block late, after
// the next block's max and exponential passes (its slots alternate between
// two areas, each with the block's 1/sum, c, labels and valid): they do not
// depend on that block's long chain (max, exponentials, sum, division), so
// the core runs them in its gaps. Kernel over Softmax at 4096x10: 1.22-1.24
// in the block's own order, 1.17-1.19 so.
// A block's losses wait in a ring of lossBatch blocks (z_y - max, sum, wy,
// valid), and every lossBatch blocks (and at the end) lossBatch of them are
// computed in a row: their logarithms' long chains of dependent steps then
// overlap one another instead of each holding up its block (with grad, the
// block's logarithm used to wait for the next block's exponentials). It
// leaves the losses' partial sums in sum[0:8], added in row order.
func ceLabelsBlock(r *row, rows Op, dstStep int, grad, weights, sw bool) {
	extra := 96 + 128*lossBatch // valid, colsv, rowOff, the loss ring
	if weights {
		extra += 64 // kw
	}
	if grad {
		extra += 2 * (32*blockCols + 4*32) // two slot areas, each with its block's 1/sum, c, labels, valid
	}
	bk := newBlock(r, false, extra)
	valid := bk.local(32)
	ring := bk.local(128 * lossBatch) // entry j at 128·j: z_y - max, sum, wy, valid
	var kw Mem
	if weights {
		Comment("kw = keep·w: columns 0..7 and 8..15 (+0 past cols), the tables of wy's VPERMPS")
		kw = bk.local(64)
		wp := Load(Param("w"), GP64()).(reg.GPVirtual)
		keep := broadcastParam("keep")
		for half, mask := range []Mem{bk.lowM, bk.highM} {
			m, x := YMM(), YMM()
			VMOVUPS(mask, m)
			VMASKMOVPS(Mem{Base: wp, Disp: 32 * half}, m, x)
			VMULPS(keep, x, x)
			VMOVUPS(x, kw.Offset(32*half))
		}
	}
	colIdx := Mem{Base: GP64()}
	LEAQ(consts.cols, colIdx.Base)
	Comment("colsv = cols, 8 times; rowOff = lane·cols, the offset of each row's first element")
	colsv, rowOff := bk.local(32), bk.local(32)
	{
		c := YMM()
		VMOVQ(r.cols, c.AsX())
		VPBROADCASTD(c.AsX(), c)
		VMOVDQU(c, colsv)
		VPMULLD(consts.lanes, c, c)
		VMOVDQU(c, rowOff)
	}
	Comment("Sum64's partials of the losses, in two registers for the whole call")
	sump := Load(Param("sum"), GP64()).(reg.GPVirtual)
	part := [2]reg.VecVirtual{YMM(), YMM()}
	VMOVUPD(Mem{Base: sump}, part[0])
	VMOVUPD(Mem{Base: sump, Disp: 32}, part[1])
	// losses emits the losses of the count (a register, 1..lossBatch) blocks
	// in the ring, the first of them at row first, in row order.
	losses := func(count, first reg.GPVirtual) {
		Comment("the losses of the blocks in the ring, in row order:",
			"loss = s·(wy·(LogPos(sum) - (z_y - max))), +0 where ignored; Sum64's partials += loss")
		e, row := GP64(), GP64()
		MOVQ(first, row)
		XORQ(e, e)
		SHLQ(U8(7), count) // count·128: the end of the used entries
		top := r.label("losses")
		Label(top)
		zy, sum, wy, l := YMM(), YMM(), YMM(), YMM()
		at := func(k int) Mem { return Mem{Base: ring.Base, Index: e, Scale: 1, Disp: ring.Disp + 32*k} }
		VMOVUPS(at(1), sum)
		VMOVUPS(at(0), zy)
		VMOVUPS(at(2), wy)
		VSUBPS(zy, vlogPos(sum), l)
		VMULPS(l, wy, l)
		if sw {
			VMULPS(Mem{Base: Load(Param("sw"), GP64()).(reg.GPVirtual), Index: row, Scale: 4}, l, l)
		}
		VANDPS(at(3), l, l)
		VMOVUPS(l, Mem{Base: Load(Param("loss"), GP64()).(reg.GPVirtual), Index: row, Scale: 4})
		for half, p := range part {
			x := YMM()
			if half == 1 {
				VEXTRACTF128(U8(1), l, l.AsX())
			}
			VCVTPS2PD(l.AsX(), x)
			VADDPD(x, p, p)
		}
		ADDQ(U8(8), row)
		SUBQ(I8(-128), e)
		CMPQ(e, count)
		JB(LabelRef(top))
	}
	queued := AllocLocal(8) // blocks in the ring
	MOVQ(U32(0), queued)
	// With grad, each block's gradient pass and store wait for the next
	// block's exponentials (see gradStore): the slots alternate between two
	// areas, tcur the current one, each holding after its slots its block's
	// 1/sum, c, labels and valid (from Disp state on).
	var tcur reg.GPVirtual
	var tsum, pending Mem
	const state = 32 * blockCols
	if grad {
		Comment("two slot areas, each with its block's state: tcur (this block's), tsum - tcur (the pending block's)")
		t0, t1 := bk.local(32*blockCols+4*32), bk.local(32*blockCols+4*32) // (newBlock's own area goes unused)
		tcur = GP64()
		LEAQ(t0, tcur)
		a := GP64()
		LEAQ(t1, a)
		ADDQ(tcur, a)
		tsum, pending = AllocLocal(8), AllocLocal(8)
		MOVQ(a, tsum)
		MOVQ(U32(0), pending)
		bk.t = Mem{Base: tcur}
	}
	// gradStore emits the pending block's gradient pass over its slots
	// (those at tsum - tcur) and its store, at 8 rows before r.dst.
	gradStore := func() {
		Comment("the pending block: grad = (e·(1/sum))·c - [j = y]·c, with c = scale·wy; then its store")
		tp, dp, t := GP64(), GP64(), GP64()
		MOVQ(tsum, tp)
		SUBQ(tcur, tp)
		MOVQ(bk.s, t)
		SHLQ(U8(3), t)
		MOVQ(r.dst, dp)
		SUBQ(t, dp)
		cur := bk.t
		bk.t = Mem{Base: tp}
		inv, tw, yv := YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: tp, Disp: state}, inv)
		VMOVUPS(Mem{Base: tp, Disp: state + 32}, tw)
		VMOVDQU(Mem{Base: tp, Disp: state + 64}, yv)
		bk.columns("bgrad", func(slot Mem) {
			p, u := YMM(), YMM()
			VMULPS(slot, inv, p)
			VMULPS(tw, p, u) // fma(c, p, -0) is the rounded product itself
			hit := YMM()
			VPCMPEQD(bk.slot(colIdx), yv, hit) // the label term: c where the lane's label is the column
			VANDPS(tw, hit, hit)
			VSUBPS(hit, u, u)
			VMOVUPS(u, slot)
		})
		Comment("rows with an ignored label: a +0 gradient (a uniform branch, rarely taken)")
		all := bk.r.label("allvalid")
		m := GP32()
		vm2 := YMM()
		VMOVDQU(Mem{Base: tp, Disp: state + 96}, vm2)
		VMOVMSKPS(vm2, m)
		CMPL(m, U8(0xFF))
		JE(LabelRef(all))
		bk.columns("bignored", func(slot Mem) {
			u := YMM()
			VANDPS(slot, vm2, u)
			VMOVUPS(u, slot)
		})
		Label(all)
		bk.store(dp)
		bk.t = cur
	}
	bk.loop(rows, dstStep, func(string) {
		bk.load(r.src)
		Comment("labels of the 8 rows; valid: the lanes whose label is not ignored (>= 0)")
		yv, neg1 := YMM(), YMM()
		VMOVDQU(r.perRow(Load(Param("labels"), GP64()).(reg.GPVirtual)), yv)
		VPCMPEQD(neg1, neg1, neg1)
		vm := YMM()
		VPCMPGTD(neg1, yv, vm) // y > -1
		VMOVDQU(vm, valid)
		Comment("wy = keep·w_y (+0 where ignored): kw[y mod 8] of the low or the high table")
		wy := YMM()
		if weights {
			lo, lt8 := YMM(), YMM()
			VPERMPS(kw, yv, lo)
			VPERMPS(kw.Offset(32), yv, wy)
			VPBROADCASTD(consts.scalar("eight"), lt8)
			VPCMPGTD(yv, lt8, lt8) // 8 > y
			VBLENDVPS(lt8, lo, wy, wy)
			VANDPS(vm, wy, wy)
		} else {
			VANDPS(vm, broadcastParam("keep"), wy)
		}
		// scale = s·inv, and the label term tw = scale·wy
		scale := func() reg.VecVirtual {
			sv := broadcastParam("inv")
			if sw {
				VMULPS(r.perRow(Load(Param("sw"), GP64()).(reg.GPVirtual)), sv, sv)
			}
			return sv
		}
		var tw reg.VecVirtual
		if grad {
			tw = YMM()
			VMULPS(wy, scale(), tw)
		}
		zy, m := YMM(), YMM()
		compare, found := r.label("zycompare"), r.label("zyfound")
		CMPB(paramAddr("gather"), U8(0))
		JE(LabelRef(compare))
		{
			Comment("zy = z_y: gathered from the rows at lane·cols + y, for 0 <= y < cols (else +0)")
			gm, gi := YMM(), YMM()
			VMOVDQU(colsv, gm)
			VPCMPGTD(yv, gm, gm) // cols > y
			VPAND(vm, gm, gm)
			VPADDD(rowOff, yv, gi)
			VPXOR(zy, zy, zy)
			VPGATHERDD(gm, Mem{Base: r.src, Index: gi, Scale: 4}, zy)
			VMOVAPS(bk.maxCols(nil), m)
			JMP(LabelRef(found))
		}
		Label(compare)
		{
			Comment("with the max pass: zy = z_y, from the column whose index matches the lane's label")
			VXORPS(zy, zy, zy)
			VMOVAPS(bk.maxCols(func(x reg.VecVirtual) {
				hit, t := YMM(), YMM()
				VPCMPEQD(bk.slot(colIdx), yv, hit) // the column's index, 8 times
				VANDPS(x, hit, t)
				VORPS(t, zy, zy) // one column matches a lane at most: OR is the select
			}), m)
		}
		Label(found)
		s := bk.expCols(m, grad, nil)
		VSUBPS(m, zy, zy) // z_y - max
		Comment("the block's loss terms into the ring")
		n := GP64()
		MOVQ(queued, n)
		SHLQ(U8(7), n)
		ent := func(k int) Mem { return Mem{Base: ring.Base, Index: n, Scale: 1, Disp: ring.Disp + 32*k} }
		VMOVUPS(zy, ent(0))
		VMOVUPS(s, ent(1))
		VMOVUPS(wy, ent(2))
		vv := YMM()
		VMOVDQU(valid, vv)
		VMOVDQU(vv, ent(3))
		ADDQ(U8(1), queued)
		// a full ring's losses, after the block's own work
		defer func() {
			notFull := r.label("ringopen")
			CMPQ(queued, U8(lossBatch))
			JB(LabelRef(notFull))
			cnt, first := GP64(), GP64()
			MOVQ(U32(lossBatch), cnt)
			LEAQ(Mem{Base: r.done, Disp: -8 * (lossBatch - 1)}, first)
			losses(cnt, first)
			MOVQ(U32(0), queued)
			Label(notFull)
		}()
		if !grad {
			return
		}
		Comment("this block's 1/sum, c, labels and valid, for its gradient in the next block's time")
		inv := YMM()
		VBROADCASTSS(consts.scalar("one"), inv)
		VDIVPS(s, inv, inv)
		VMOVUPS(inv, Mem{Base: tcur, Disp: state})
		VMOVUPS(tw, Mem{Base: tcur, Disp: state + 32})
		VMOVDQU(yv, Mem{Base: tcur, Disp: state + 64})
		VMOVDQU(vm, Mem{Base: tcur, Disp: state + 96})
		Comment("the previous block's gradient and store, now that this block's exponentials are",
			"under way: its work is independent of theirs, and fills their chain's latency")
		none := r.label("nopending")
		CMPQ(pending, U8(0))
		JE(LabelRef(none))
		gradStore()
		Label(none)
		MOVQ(U32(1), pending)
		t := GP64()
		MOVQ(tsum, t)
		SUBQ(tcur, t)
		MOVQ(t, tcur) // the other area for the next block
	})
	if grad {
		none := r.label("nopending")
		CMPQ(pending, U8(0))
		JE(LabelRef(none))
		gradStore()
		Label(none)
	}
	Comment("the losses of the blocks still in the ring")
	none := r.label("ringempty")
	cnt, first := GP64(), GP64()
	MOVQ(queued, cnt)
	CMPQ(cnt, U8(0))
	JE(LabelRef(none))
	MOVQ(cnt, first)
	SHLQ(U8(3), first)
	NEGQ(first)
	ADDQ(r.done, first)
	losses(cnt, first)
	Label(none)
	sump = Load(Param("sum"), GP64()).(reg.GPVirtual)
	VMOVUPD(part[0], Mem{Base: sump})
	VMOVUPD(part[1], Mem{Base: sump, Disp: 32})
}

// lossBatch is how many blocks' losses the short-row path of the fused
// cross-entropy computes in a row.
const lossBatch = 8

// wcol broadcasts the class weight of the block's current column.
func (bk *block) wcol() reg.VecVirtual {
	wp, t := Load(Param("w"), GP64()).(reg.GPVirtual), GP64()
	MOVQ(bk.off, t)
	SHRQ(U8(3), t) // column*32 bytes -> column*4
	wc := YMM()
	VBROADCASTSS(Mem{Base: wp, Index: t, Scale: 1, Disp: bk.disp / 8}, wc)
	return wc
}

// labelWeightsKernel emits the vector part of generic.LabelWeightPartials:
// 8 labels at a time, each lane's weight from a 16-entry table (VPERMPS on
// its two halves; without class weights, 1), times its sample weight in
// float64, into the partials of its lane (row i into partial i mod 8). It
// stops at the first block of 8 with a label that is neither in [0, cols)
// nor the (negative) ignore index.
func labelWeightsKernel(weights, sw bool) {
	name, lp, sp, n, pp := labelWeightsText(weights, sw, "AVX2",
		" is generic.LabelWeightPartials from row 0 over whole blocks of 8 of labels[0:n]",
		"(n a multiple of 8), adding into p[0:8], for cols <= 16 with class weights tab[0:16] (the weights,",
		"then +0s). It returns the rows done (n, or the start of the first block with a bad label)",
		"and a nonzero ignored if a row it did was ignored.")
	lo, hi := YMM(), YMM()
	VMOVUPD(Mem{Base: pp}, lo)
	VMOVUPD(Mem{Base: pp, Disp: 32}, hi)
	colsv, ign, zero, neg1, igacc := YMM(), YMM(), YMM(), YMM(), YMM()
	c := Load(Param("cols"), GP64()).(reg.GPVirtual)
	VMOVQ(c, colsv.AsX())
	VPBROADCASTD(colsv.AsX(), colsv) // the low half of cols (<= 16)
	g := Load(Param("ignore"), GP32()).(reg.GPVirtual)
	VMOVD(g, ign.AsX())
	VPBROADCASTD(ign.AsX(), ign)
	VPXOR(zero, zero, zero)
	VPCMPEQD(neg1, neg1, neg1)
	VPXOR(igacc, igacc, igacc)
	var tlo, thi, eight reg.VecVirtual
	if weights {
		tp := Load(Param("tab"), GP64()).(reg.GPVirtual)
		tlo, thi, eight = YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: tp}, tlo)
		VMOVUPS(Mem{Base: tp, Disp: 32}, thi)
		VPBROADCASTD(consts.scalar("eight"), eight)
	}
	i := vectorLoop(name, n, func(i reg.GPVirtual, done string) {
		Comment("in range: 0 <= y < cols; ignored: y == ignore < 0; any other label ends the loop")
		y, in, t, ig := YMM(), YMM(), YMM(), YMM()
		VMOVDQU(Mem{Base: lp, Index: i, Scale: 4}, y)
		VPCMPGTD(neg1, y, in) // y > -1
		VPCMPGTD(y, colsv, t) // cols > y
		VPAND(t, in, in)
		VPCMPEQD(ign, y, ig)
		VPCMPGTD(y, zero, t) // 0 > y
		VPAND(t, ig, ig)
		VPOR(in, ig, t)
		bits := GP32()
		VMOVMSKPS(t, bits)
		CMPL(bits, U32(0xFF))
		JNE(LabelRef(done))
		VPOR(ig, igacc, igacc)
		Comment("t = w_y (or 1), +0 where ignored; then float64, times s_i, into the lane's partials")
		if weights {
			a, lt8 := YMM(), YMM()
			VPERMPS(tlo, y, a)
			VPERMPS(thi, y, t)
			VPCMPGTD(y, eight, lt8) // 8 > y
			VBLENDVPS(lt8, a, t, t)
		} else {
			VBROADCASTSS(consts.scalar("one"), t)
		}
		VANDPS(in, t, t)
		a, b := YMM(), YMM()
		VCVTPS2PD(t.AsX(), a)
		VEXTRACTF128(U8(1), t, t.AsX())
		VCVTPS2PD(t.AsX(), b)
		if sw {
			c, d := YMM(), YMM()
			VCVTPS2PD(Mem{Base: sp, Index: i, Scale: 4}, c)
			VCVTPS2PD(Mem{Base: sp, Index: i, Scale: 4, Disp: 16}, d)
			VMULPD(c, a, a)
			VMULPD(d, b, b)
		}
		VADDPD(a, lo, lo)
		VADDPD(b, hi, hi)
	})
	VMOVUPD(lo, Mem{Base: pp})
	VMOVUPD(hi, Mem{Base: pp, Disp: 32})
	Store(i, ReturnIndex(0))
	m := GP64()
	VMOVMSKPS(igacc, m.As32())
	Store(m, ReturnIndex(1))
	VZEROUPPER()
	RET()
}

// labelWeightsText starts a LabelWeights kernel (TEXT, doc: its first line
// is the name then doc[0]) and returns its name and its pointers and count:
// labels, s (with sw; else nil), n and p.
func labelWeightsText(weights, sw bool, suffix string, doc ...string) (name string, lp, sp, n, pp reg.GPVirtual) {
	name = "LabelWeights" + variantName(on(weights, "W"), on(sw, "S")) + suffix
	TEXT(name, NOSPLIT, "func(labels *int32, tab, s *float32, n, cols int, ignore int32, p *float64) (done, ignored int)")
	Pragma("noescape") // the caller's table and partials stay on its stack
	Doc(append([]string{name + doc[0]}, doc[1:]...)...)
	lp = Load(Param("labels"), GP64()).(reg.GPVirtual)
	if sw {
		sp = Load(Param("s"), GP64()).(reg.GPVirtual)
	}
	n = Load(Param("n"), GP64()).(reg.GPVirtual)
	pp = Load(Param("p"), GP64()).(reg.GPVirtual)
	return name, lp, sp, n, pp
}
