package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// ceLossRing defers the ends of the per-row path's rows of the hard-label
// kernel, as ring (softmax.go) does the softmax family's: each row's label
// terms (d = z_y - max, wy, sample weight, s·inv, the label) and its partial
// vector (treeFold) go to a ring of 8 on the stack, and every 8th row one
// tree of horizontal adds gives the 8 sums (ringSums: each row's treeSum,
// bit for bit), one vlogPos the 8 losses s·(wy·(LogPos(sum) - d)), which
// are stored and add into Sum64's partials, and with a gradient one VDIVPS
// the 8 reciprocals and one VMULPS the 8 c = (s·inv)·wy for the rows'
// gradient passes (e·(1/sum))·c and label terms, which then run, 8 rows
// late, on rows of at most ringCols columns (wider rows take theirs at
// once, and enter the ring with their sum in lane 0 of the vector). The
// per-row path starts at a row that is a multiple of 8, so ring entry j is
// the partial j.
type ceLossRing struct {
	y         Mem // the partial vectors, 32 bytes each
	d, wy, se Mem // z_y - max, wy, the sample weights (se: sw only)
	sv        Mem // s·inv (grad only)
	lab       Mem // the labels of the rows whose gradient pass is left, else -1 (8 bytes each; grad only)
	inv, c    Mem // the 8 reciprocals and c of the gradient passes; inv holds flush's losses first
	n         Mem // how many rows are in the ring
	sw, grad  bool
}

func newCELossRing(sw, grad bool) *ceLossRing {
	g := &ceLossRing{y: newPartials(), d: AllocLocal(32), wy: AllocLocal(32), inv: AllocLocal(32),
		n: AllocLocal(8), sw: sw, grad: grad}
	if sw {
		g.se = AllocLocal(32)
	}
	if grad {
		g.sv, g.lab, g.c = AllocLocal(32), AllocLocal(64), AllocLocal(32)
	}
	MOVQ(U32(0), g.n)
	return g
}

// losses computes the losses of the 8 ring entries from their sums (lanes
// past the rows in the ring compute garbage, which flush leaves unused).
func (g *ceLossRing) losses(sums reg.VecVirtual) reg.VecVirtual {
	Comment("loss = s·(wy·(LogPos(sum) - d)) of the 8 ring entries")
	l := vlogPos(sums)
	VSUBPS(g.d, l, l)
	VMULPS(g.wy, l, l)
	if g.sw {
		VMULPS(g.se, l, l)
	}
	return l
}

// gradients emits the gradient passes left in the ring's first count
// entries, rows back rows before r.dst and on (back < 0: count rows back):
// grad_j = (e_j·(1/sum))·c, then grad_y -= c, with e in grad.
func (g *ceLossRing) gradients(r *row, sums reg.VecVirtual, back int, count Op) {
	Comment("the gradient passes left in the ring: 1/sum and c = (s·inv)·wy of 8 rows at once, then each row's pass")
	VMOVUPS(reciprocals(sums), g.inv)
	c := YMM()
	VMOVUPS(g.sv, c)
	VMULPS(g.wy, c, c)
	VMOVUPS(c, g.c)
	dp, t := GP64(), rowsBack(r, back, count)
	MOVQ(r.dst, dp)
	SUBQ(t, dp)
	forEach(r, "gradrows", count, func(j reg.GPVirtual) {
		y, skip := GP64(), r.label("nograd")
		MOVQ(Mem{Base: g.lab.Base, Index: j, Scale: 8, Disp: g.lab.Disp}, y)
		TESTQ(y, y)
		JS(LabelRef(skip))
		g.gradPass(r, dp, y, entry(g.inv, j), entry(g.c, j))
		Label(skip)
		LEAQ(Mem{Base: dp, Index: r.cols, Scale: 4}, dp)
	})
}

// gradPass emits one row's gradient pass on the row at dp (e there): grad
// = (e·inv)·c, then grad_y -= c, with inv and c scalars in memory or XMMs.
func (g *ceLossRing) gradPass(r *row, dp, y reg.GPVirtual, inv, c Op) {
	iv, cv := vreg(), vreg()
	VBROADCASTSS(inv, iv)
	VBROADCASTSS(c, cv)
	save := r.dst
	r.dst = dp
	r.finalPass(func(a at, mask tmask) reg.VecVirtual {
		p := load(a, dp, mask)
		VMULPS(iv, p, p)
		VMULPS(cv, p, p)
		return p
	})
	r.dst = save
	gy := XMM()
	VMOVSS(Mem{Base: dp, Index: y, Scale: 4}, gy)
	VSUBSS(c, gy, gy)
	VMOVSS(gy, Mem{Base: dp, Index: y, Scale: 4})
}

// slot returns the memory operand of the current row's partial vector.
func (g *ceLossRing) slot() Mem {
	t := GP64()
	MOVQ(g.n, t)
	SHLQ(U8(5), t)
	slot := g.y
	slot.Index, slot.Scale = t, 1
	return slot
}

// setSlot stores the vector (x, 0, ..., 0) to the current row's slot: its
// sum is x (the scalar in the low lane of the XMM x).
func (g *ceLossRing) setSlot(x reg.VecVirtual) {
	slot, z := g.slot(), YMM()
	VMOVUPS(consts.mask.Offset(32), z) // 8 lanes of +0
	VMOVUPS(z, slot)
	VMOVSS(x, slot)
}

// push ends the current row's ring entry (its partial vector and other
// fields are in): at 8 rows their losses go to loss[row-7..row] and into
// the partials, and their gradient passes left run.
func (g *ceLossRing) push(r *row) {
	n := GP64()
	MOVQ(g.n, n)
	ringStep(r, g.n, n, func() {
		sums := ringSums(g.y)
		l := g.losses(sums)
		VMOVUPS(l, Mem{Base: Load(Param("loss"), GP64()).(reg.GPVirtual), Index: r.done, Scale: 4, Disp: -28})
		Comment("partials[j] += float64(loss_j)")
		sump := Load(Param("sum"), GP64()).(reg.GPVirtual)
		for half := 0; half < 2; half++ {
			x := YMM()
			if half == 1 {
				VEXTRACTF128(U8(1), l, l.AsX())
			}
			VCVTPS2PD(l.AsX(), x)
			VADDPD(Mem{Base: sump, Disp: 32 * half}, x, x)
			VMOVUPD(x, Mem{Base: sump, Disp: 32 * half})
		}
		if g.grad {
			g.gradients(r, sums, 7, U8(8))
		}
	})
}

// flush finishes the rows still in the ring, the n rows before r.done:
// their losses come out of the same vector code, and only the n used
// lanes are stored and added; then their gradient passes left.
func (g *ceLossRing) flush(r *row) {
	Comment("the rows still in the ring: their losses, and into partials 0..n-1; their gradient passes")
	ringRows(r, g.n, func(n reg.GPVirtual) {
		sums := ringSums(g.y)
		VMOVUPS(g.losses(sums), g.inv)
		base, t := GP64(), GP64()
		MOVQ(r.done, t)
		SUBQ(n, t)
		LEAQ(Mem{Base: Load(Param("loss"), GP64()).(reg.GPVirtual), Index: t, Scale: 4}, base)
		sump := Load(Param("sum"), GP64()).(reg.GPVirtual)
		j := GP64()
		XORQ(j, j)
		loop := r.label("flushrow")
		Label(loop)
		x := XMM()
		VMOVSS(entry(g.inv, j), x)
		VMOVSS(x, Mem{Base: base, Index: j, Scale: 4})
		VCVTSS2SD(x, x, x)
		VADDSD(Mem{Base: sump, Index: j, Scale: 8}, x, x)
		VMOVSD(x, Mem{Base: sump, Index: j, Scale: 8})
		INCQ(j)
		CMPQ(j, n)
		JB(LabelRef(loop))
		if g.grad {
			g.gradients(r, sums, -1, n)
		}
	})
}

// ceLabelsRow emits one row of the per-row path of the hard-label kernel:
// the row's label terms as scalars, the exponential pass (storing e to
// grad), and the row's ring entry; a row of at most ringCols columns leaves
// its gradient pass (e·(1/sum))·c with c = (s·inv)·wy and its label term to
// the ring, a wider row runs them at once. An ignored row (y < 0) gets a
// gradient row of +0 and enters the ring as sum 1 (the vector (1, 0, ...,
// 0)), d = 0, wy = 0 (and s = 1): a +0 loss. So does a label >= cols
// (outside the contract; generic's code would panic): the kernel never
// reads or writes outside the row for it.
func ceLabelsRow(r *row, g *ceLossRing, grad, weights, sw bool) {
	Comment("label y: d = z_y - max, wy = keep·w_y, s = sw[row], sv = s·inv, into the ring entry")
	labels := func() reg.GPVirtual {
		y := GP64()
		MOVLQSX(r.perRow(Load(Param("labels"), GP64()).(reg.GPVirtual)), y)
		return y
	}
	n := GP64()
	MOVQ(g.n, n)
	y := labels()
	ign, labelled := r.label("ignored"), r.label("labelled")
	CMPQ(y, r.cols) // unsigned: y < 0 (ignored), and y >= cols (out of contract) read nothing
	JAE(LabelRef(ign))
	d := XMM()
	VMOVSS(Mem{Base: r.src, Index: y, Scale: 4}, d)
	VSUBSS(r.m.AsX(), d, d)
	VMOVSS(d, entry(g.d, n))
	wy := XMM()
	VMOVSS(paramAddr("keep"), wy)
	if weights {
		VMULSS(Mem{Base: Load(Param("w"), GP64()).(reg.GPVirtual), Index: y, Scale: 4}, wy, wy)
	}
	VMOVSS(wy, entry(g.wy, n))
	sv := XMM()
	VMOVSS(paramAddr("inv"), sv)
	if sw {
		se := XMM()
		VMOVSS(r.perRow(Load(Param("sw"), GP64()).(reg.GPVirtual)), se)
		VMOVSS(se, entry(g.se, n))
		VMULSS(se, sv, sv)
	}
	if grad {
		VMOVSS(sv, entry(g.sv, n))
		MOVQ(y, Mem{Base: g.lab.Base, Index: n, Scale: 8, Disp: g.lab.Disp})
	}
	JMP(LabelRef(labelled))
	Label(ign)
	zero := XMM()
	VXORPS(zero, zero, zero)
	VMOVSS(zero, entry(g.d, n))
	VMOVSS(zero, entry(g.wy, n))
	if sw {
		one := XMM()
		VMOVSS(consts.scalar("one"), one)
		VMOVSS(one, entry(g.se, n))
	}
	if grad {
		VMOVSS(zero, entry(g.sv, n))
		MOVQ(I32(-1), Mem{Base: g.lab.Base, Index: n, Scale: 8, Disp: g.lab.Disp})
	}
	Label(labelled)

	direct, entered := r.label("direct"), r.label("entered")
	ignoredRow := func() {
		Comment("an ignored row: sum 1 (the vector (1, 0, ..., 0)), and a gradient row of +0")
		one := XMM()
		VMOVSS(consts.scalar("one"), one)
		g.setSlot(one)
		if grad {
			r.each("zero", func(a at, mask tmask) {
				z := vreg()
				VXORPS(z, z, z)
				store(z, a, r.dst, mask)
			})
		}
	}
	CMPQ(r.cols, U32(ringCols))
	JA(LabelRef(direct))
	v := r.expPartial(grad)
	y = labels()
	CMPQ(y, r.cols)
	JAE(LabelRef(ign + "r"))
	VMOVUPS(v, g.slot())
	JMP(LabelRef(entered))
	Label(ign + "r")
	ignoredRow()
	JMP(LabelRef(entered))

	Label(direct)
	s := r.expPass(grad, nil)
	y = labels()
	ign = r.label("ignoredwide")
	CMPQ(y, r.cols)
	JAE(LabelRef(ign))
	g.setSlot(s) // the sum in lane 0, +0 above: the ring's tree gives it back
	if grad {
		Comment("grad_j = (e_j·(1/sum))·c with c = sv·wy, then grad_y -= c; nothing left for the ring")
		n = GP64()
		MOVQ(g.n, n)
		c := XMM()
		VMOVSS(entry(g.sv, n), c)
		VMULSS(entry(g.wy, n), c, c)
		g.gradPass(r, r.dst, y, reciprocal(s).AsX(), c)
		MOVQ(I32(-1), Mem{Base: g.lab.Base, Index: n, Scale: 8, Disp: g.lab.Disp})
	}
	JMP(LabelRef(entered))
	Label(ign)
	ignoredRow()
	Label(entered)
	g.push(r)
}
