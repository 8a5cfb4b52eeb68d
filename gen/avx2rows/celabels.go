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
	TEXT(name, 0, "func(grad, z, w *float32, labels *int32, sw *float32, keep, inv float32, loss *float32, rows, cols int, sum *float64)")
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
		"scale·(wy·softmax) - [j = y]·scale·wy with scale = s·inv; a negative label gives a zero row and loss.",
		"The losses also add, converted exactly, into sum[0:8] (Sum64's partials: row i into sum[i mod 8]).")
	r, rows, dstStep := ceRow(name, true, grad)
	if !w.zmm {
		ceLabelsBlock(r, rows, dstStep, grad, weights, sw)
		r.bounds() // the block path holds no per-row bounds
	}
	g := newCELossRing(sw)
	end := r.label("end")
	CMPQ(r.done, rows)
	JAE(LabelRef(end))
	r.pipeline(rows, dstStep, func() {
		ceLabelsRow(r, g, grad, weights, sw)
	})
	Label(end)
	g.flush(r)
	VZEROUPPER()
	RET()
}

// ceLabelsBlock emits the short-row path of crossEntropyLabelsKernel (8
// rows at a time while cols <= blockCols): each column's lanes are compared
// with the 8 rows' labels; the matching lane gives the row its logit z_y
// (in the max pass) and its gradient the label term (in the gradient pass).
// With grad, a block's losses are computed in the next block, after its
// exponentials: the logarithm's long chain of dependent steps then overlaps
// the gradient pass instead of ending the block (3–7% of the kernel's time
// at 4096×10 in side-by-side runs). It leaves the losses' partial sums in
// sum[0:8].
func ceLabelsBlock(r *row, rows Op, dstStep int, grad, weights, sw bool) {
	extra := 32 * 5 // valid, keepZ, keepS, keepW, keepV
	if weights {
		extra += 64 // kw
	}
	bk := newBlock(r, false, extra)
	valid := bk.local(32)
	keepZ, keepS, keepW, keepV := bk.local(32), bk.local(32), bk.local(32), bk.local(32)
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
	Comment("Sum64's partials of the losses, in two registers for the whole call")
	sump := Load(Param("sum"), GP64()).(reg.GPVirtual)
	part := [2]reg.VecVirtual{YMM(), YMM()}
	VMOVUPD(Mem{Base: sump}, part[0])
	VMOVUPD(Mem{Base: sump, Disp: 32}, part[1])
	swp := func() Mem { return r.perRow(Load(Param("sw"), GP64()).(reg.GPVirtual)) }
	// loss emits the losses of the block at row r.done + disp/4.
	loss := func(zy, s, wy reg.VecVirtual, valid Mem, disp int) {
		Comment("loss = s·(wy·(LogPos(sum) - (z_y - max))), +0 where ignored")
		l := YMM()
		VSUBPS(zy, vlogPos(s), l)
		VMULPS(l, wy, l)
		if sw {
			m := swp()
			m.Disp = disp
			VMULPS(m, l, l)
		}
		VANDPS(valid, l, l)
		lm := r.perRow(Load(Param("loss"), GP64()).(reg.GPVirtual))
		lm.Disp = disp
		VMOVUPS(l, lm)
		Comment("partials[lane] += float64(loss): Sum64's partials of the 8 rows")
		for half, p := range part {
			x := YMM()
			if half == 1 {
				VEXTRACTF128(U8(1), l, l.AsX())
			}
			VCVTPS2PD(l.AsX(), x)
			VADDPD(x, p, p)
		}
	}
	pending := AllocLocal(8) // nonzero: the previous block's loss is due
	MOVQ(U32(0), pending)
	prevLoss := func() {
		Comment("the previous block's losses")
		zy, s, wy := YMM(), YMM(), YMM()
		VMOVUPS(keepZ, zy)
		VMOVUPS(keepS, s)
		VMOVUPS(keepW, wy)
		loss(zy, s, wy, keepV, -32)
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
				VMULPS(swp(), sv, sv)
			}
			return sv
		}
		var tw reg.VecVirtual
		if grad {
			tw = YMM()
			VMULPS(wy, scale(), tw)
		}
		Comment("with the max pass: zy = z_y, from the column whose index matches the lane's label")
		zy := YMM()
		VXORPS(zy, zy, zy)
		m := bk.maxCols(func(x reg.VecVirtual) {
			hit, t := YMM(), YMM()
			VPCMPEQD(bk.slot(colIdx), yv, hit) // the column's index, 8 times
			VANDPS(x, hit, t)
			VORPS(t, zy, zy) // one column matches a lane at most: OR is the select
		})
		s := bk.expCols(m, grad, nil)
		if grad { // the block before's losses, here to overlap this block's gradient pass
			none := r.label("noprev")
			CMPQ(pending, U8(0))
			JE(LabelRef(none))
			prevLoss()
			Label(none)
		}
		VSUBPS(m, zy, zy) // z_y - max
		if !grad {
			loss(zy, s, wy, valid, 0)
			return
		}
		Comment("what the block's losses need, for the next block (or the end of the loop)")
		VMOVUPS(zy, keepZ)
		VMOVUPS(s, keepS)
		VMOVUPS(wy, keepW)
		Comment("grad = scale·fma(wy, e·(1/sum), -0) - label term")
		inv := YMM()
		VBROADCASTSS(consts.scalar("one"), inv)
		VDIVPS(s, inv, inv)
		sv := scale()
		bk.columns("bgrad", func(slot Mem) {
			p, u := YMM(), YMM()
			VMULPS(slot, inv, p)
			VMULPS(wy, p, u) // fma(wy, p, -0) is the rounded product itself
			VMULPS(sv, u, u)
			hit := YMM()
			VPCMPEQD(bk.slot(colIdx), yv, hit) // the label term: tw where the lane's label is the column
			VANDPS(tw, hit, hit)
			VSUBPS(hit, u, u)
			VMOVUPS(u, slot)
		})
		Comment("rows with an ignored label: a +0 gradient (a uniform branch, rarely taken)")
		all := bk.r.label("allvalid")
		t := GP32()
		vm2 := YMM()
		VMOVDQU(valid, vm2)
		VMOVDQU(vm2, keepV)
		VMOVMSKPS(vm2, t)
		CMPL(t, U8(0xFF))
		JE(LabelRef(all))
		bk.columns("bignored", func(slot Mem) {
			u := YMM()
			VANDPS(slot, vm2, u)
			VMOVUPS(u, slot)
		})
		Label(all)
		bk.store(r.dst)
		MOVQ(U32(1), pending)
	})
	if grad {
		none := r.label("nopending")
		CMPQ(pending, U8(0))
		JE(LabelRef(none))
		prevLoss()
		Label(none)
	}
	sump = Load(Param("sum"), GP64()).(reg.GPVirtual)
	VMOVUPD(part[0], Mem{Base: sump})
	VMOVUPD(part[1], Mem{Base: sump, Disp: 32})
}

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
	name := "LabelWeights" + variantName(on(weights, "W"), on(sw, "S")) + "AVX2"
	TEXT(name, NOSPLIT, "func(labels *int32, tab, s *float32, n, cols int, ignore int32, p *float64) (done, ignored int)")
	Pragma("noescape") // the caller's table and partials stay on its stack
	Doc(name+" is generic.LabelWeightPartials from row 0 over whole blocks of 8 of labels[0:n]",
		"(n a multiple of 8), adding into p[0:8], for cols <= 16 with class weights tab[0:16] (the weights,",
		"then +0s). It returns the rows done (n, or the start of the first block with a bad label)",
		"and a nonzero ignored if a row it did was ignored.")
	lp := Load(Param("labels"), GP64()).(reg.GPVirtual)
	var sp reg.GPVirtual
	if sw {
		sp = Load(Param("s"), GP64()).(reg.GPVirtual)
	}
	n := Load(Param("n"), GP64()).(reg.GPVirtual)
	pp := Load(Param("p"), GP64()).(reg.GPVirtual)
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
