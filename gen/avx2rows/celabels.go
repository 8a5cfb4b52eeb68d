package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// crossEntropyLabelsKernel emits generic.CrossEntropyLabelRows for one
// variant: the short-row block path of the hard-label kernel (block.go) with
// the label's work done in the same pass. Each column's lanes are compared
// with the 8 rows' labels: the matching lane gives the row its logit z_y
// and class weight, and its gradient the label term. The caller hands it
// whole blocks only (rows a multiple of 8, cols <= blockCols).
func crossEntropyLabelsKernel(grad, weights, sw bool) {
	v := ""
	if grad {
		v += "G"
	}
	if weights {
		v += "W"
	}
	if sw {
		v += "S"
	}
	if v == "" {
		v = "Plain"
	}
	name := "CrossEntropyLabels" + v + w.suffix
	TEXT(name, 0, "func(grad, z, w *float32, labels *int32, sw *float32, keep, inv float32, loss *float32, rows, cols int)")
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
	Doc(name+" is generic.CrossEntropyLabelRows, bit for bit, for rows a multiple of 8 and 1 <= cols <= 16"+doc+".",
		"Per row: loss = s·wy·(LogPos(Σ exp(z - max)) - (z_y - max)) with wy = keep·w_y, and the gradient",
		"scale·(wy·softmax) - [j = y]·scale·wy with scale = s·inv; a negative label gives a zero row and loss.")
	r := newRow(name, Load(Param("cols"), GP64()).(reg.GPVirtual), true)
	r.src = Load(Param("z"), GP64()).(reg.GPVirtual)
	dstStep := 0
	if grad {
		r.dst = Load(Param("grad"), GP64()).(reg.GPVirtual)
		dstStep = 2
	}
	rows := Load(Param("rows"), GP64())
	bk := newBlock(r, false)
	valid := AllocLocal(32)
	bk.loop(rows, dstStep, func(string) {
		bk.load(r.src)
		Comment("labels of the 8 rows; valid: the lanes whose label is not ignored (>= 0)")
		yv, neg1 := YMM(), YMM()
		VMOVDQU(r.perRow(Load(Param("labels"), GP64()).(reg.GPVirtual)), yv)
		VPCMPEQD(neg1, neg1, neg1)
		vm := YMM()
		VPCMPGTD(neg1, yv, vm) // y > -1
		VMOVDQU(vm, valid)
		keep := broadcastParam("keep")
		Comment("with the max pass: zy = z_y and wy = keep·w_y, from the column whose index matches the lane's label")
		jv, zy, wy := YMM(), YMM(), YMM()
		VPXOR(jv, jv, jv)
		VXORPS(zy, zy, zy)
		if weights {
			VXORPS(wy, wy, wy)
		} else {
			VANDPS(vm, keep, wy) // keep, or +0 where ignored
		}
		m := bk.maxCols(func(x reg.VecVirtual) {
			hit := YMM()
			VPCMPEQD(yv, jv, hit)
			VBLENDVPS(hit, x, zy, zy)
			if weights {
				wc := bk.wcol()
				VMULPS(keep, wc, wc) // keep·w_j
				VBLENDVPS(hit, wc, wy, wy)
			}
			VPSUBD(neg1, jv, jv) // j+1
		})
		s := bk.expCols(m, grad, nil)
		Comment("loss = s·(wy·(LogPos(sum) - (zy - max))), +0 where ignored")
		l := YMM()
		VSUBPS(m, zy, zy)
		VSUBPS(zy, vlogPos(s), l)
		VMULPS(l, wy, l)
		var swv reg.VecVirtual
		if sw {
			swv = YMM()
			VMOVUPS(r.perRow(Load(Param("sw"), GP64()).(reg.GPVirtual)), swv)
			VMULPS(l, swv, l)
		}
		VANDPS(valid, l, l)
		VMOVUPS(l, r.perRow(Load(Param("loss"), GP64()).(reg.GPVirtual)))
		if !grad {
			return
		}
		Comment("grad = scale·fma(wy, e·(1/sum), -0) - [j = y]·(scale·wy), scale = s·inv; +0 where ignored")
		inv, sv, tw := YMM(), YMM(), YMM()
		VBROADCASTSS(consts.scalar("one"), inv)
		VDIVPS(s, inv, inv)
		sv = broadcastParam("inv")
		if sw {
			VMULPS(sv, swv, sv)
		}
		VMULPS(wy, sv, tw)
		VPXOR(jv, jv, jv)
		bk.columns("bgrad", func(slot Mem) {
			p, u, hit := YMM(), YMM(), YMM()
			VMULPS(slot, inv, p)
			VMULPS(wy, p, u) // fma(wy, p, -0) is the rounded product itself
			VMULPS(sv, u, u)
			VPCMPEQD(yv, jv, hit)
			VANDPS(tw, hit, hit)
			VSUBPS(hit, u, u)
			VANDPS(valid, u, u)
			VMOVUPS(u, slot)
			VPSUBD(neg1, jv, jv)
		})
		bk.store(r.dst)
	})
	VZEROUPPER()
	RET()
}

// wcol broadcasts the class weight of the block's current column.
func (bk *block) wcol() reg.VecVirtual {
	wp, t := Load(Param("w"), GP64()).(reg.GPVirtual), GP64()
	MOVQ(bk.off, t)
	SHRQ(U8(3), t) // column*32 bytes -> column*4
	wc := YMM()
	VBROADCASTSS(Mem{Base: wp, Index: t, Scale: 1}, wc)
	return wc
}
