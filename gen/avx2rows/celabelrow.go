package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// ceLossRing defers the per-row path's losses of the hard-label kernel, as
// ring (softmax.go) defers the softmax family's logarithms: each row's sum, d = z_y - max,
// wy and sample weight go to a ring of 8 on the stack, and every 8th row
// the 8 losses s·(wy·(LogPos(sum) - d)) come out of one vlogPos (lane-wise
// the steps of logPos, so the same bits), are stored, and add into Sum64's
// partials. The per-row path starts at a row that is a multiple of 8, so
// ring entry j is the partial j.
type ceLossRing struct {
	s, d, wy, se Mem // the sums, z_y - max, wy, the sample weights (se: sw only)
	tmp          Mem // flush's 8 losses
	sv           Mem // the current row's scale s·inv
	n            Mem // how many rows are in the ring
	sw           bool
}

func newCELossRing(sw bool) *ceLossRing {
	g := &ceLossRing{s: AllocLocal(32), d: AllocLocal(32), wy: AllocLocal(32), tmp: AllocLocal(32),
		sv: AllocLocal(8), n: AllocLocal(8), sw: sw}
	if sw {
		g.se = AllocLocal(32)
	}
	MOVQ(U32(0), g.n)
	return g
}

// losses computes the losses of the 8 ring entries (lanes past the rows in
// the ring compute garbage, which flush leaves unused).
func (g *ceLossRing) losses() reg.VecVirtual {
	Comment("loss = s·(wy·(LogPos(sum) - d)) of the 8 ring entries")
	s := YMM()
	VMOVUPS(g.s, s)
	l := vlogPos(s)
	VSUBPS(g.d, l, l)
	VMULPS(g.wy, l, l)
	if g.sw {
		VMULPS(g.se, l, l)
	}
	return l
}

// push ends the current row's ring entry (its other fields are in): at 8
// rows their losses go to loss[row-7..row] and into the partials.
func (g *ceLossRing) push(r *row) {
	n := GP64()
	MOVQ(g.n, n)
	ringStep(r, g.n, n, func() {
		l := g.losses()
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
	})
}

// flush finishes the rows still in the ring, the n rows before r.done:
// their losses come out of the same vector code, and only the n used
// lanes are stored and added.
func (g *ceLossRing) flush(r *row) {
	Comment("the rows still in the ring: their losses, and into partials 0..n-1")
	n := GP64()
	MOVQ(g.n, n)
	done := r.label("flushed")
	CMPQ(n, U8(0))
	JE(LabelRef(done))
	VMOVUPS(g.losses(), g.tmp)
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
	VMOVSS(Mem{Base: g.tmp.Base, Index: j, Scale: 4, Disp: g.tmp.Disp}, x)
	VMOVSS(x, Mem{Base: base, Index: j, Scale: 4})
	VCVTSS2SD(x, x, x)
	VADDSD(Mem{Base: sump, Index: j, Scale: 8}, x, x)
	VMOVSD(x, Mem{Base: sump, Index: j, Scale: 8})
	INCQ(j)
	CMPQ(j, n)
	JB(LabelRef(loop))
	Label(done)
}

// ceLabelsRow emits one row of the per-row path of the hard-label kernel:
// the row's label terms as scalars, the exponential pass (storing e to grad),
// the gradient pass (e·(1/sum))·c with c = scale·wy and the label term, and the
// row's entry in the loss ring. An ignored row (y < 0) gets a gradient row
// of +0 and enters the ring as sum 1, d = 0, wy = 0 (and s = 1): a +0 loss.
// So does a label >= cols (outside the contract; generic's code would
// panic): the kernel never reads or writes outside the row for it.
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
	VMOVSS(sv, g.sv)
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
	Label(labelled)

	s := r.expPass(grad, nil)
	n = GP64()
	MOVQ(g.n, n)
	y = labels()
	ign, pushed := r.label("ignored"), r.label("entered")
	CMPQ(y, r.cols)
	JAE(LabelRef(ign))
	VMOVSS(s, entry(g.s, n))
	if grad {
		Comment("grad_j = (e_j·(1/sum))·c with c = sv·wy (fma(c, ·, -0) is the rounded product), then grad_y -= c")
		inv := reciprocal(s)
		c, gy := XMM(), XMM()
		VMOVSS(g.sv, c)
		VMULSS(entry(g.wy, n), c, c)
		cv := vreg()
		VBROADCASTSS(c, cv)
		r.finalPass(func(a at, mask tmask) reg.VecVirtual {
			p := load(a, r.dst, mask)
			VMULPS(inv, p, p)
			VMULPS(cv, p, p)
			return p
		})
		VMOVSS(Mem{Base: r.dst, Index: y, Scale: 4}, gy)
		VSUBSS(c, gy, gy)
		VMOVSS(gy, Mem{Base: r.dst, Index: y, Scale: 4})
	}
	JMP(LabelRef(pushed))
	Label(ign)
	one := XMM()
	VMOVSS(consts.scalar("one"), one)
	VMOVSS(one, entry(g.s, n))
	if grad {
		Comment("an ignored row: a gradient row of +0")
		r.each("zero", func(a at, mask tmask) {
			z := vreg()
			VXORPS(z, z, z)
			store(z, a, r.dst, mask)
		})
	}
	Label(pushed)
	g.push(r)
}
