package main

import (
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
	return [...]string{"Softmax", "LogSoftmax", "LogSumExp"}[k] + w.suffix
}

// softmaxKernel emits the softmax, log-softmax or log-sum-exp kernel.
func softmaxKernel(k kind) {
	sig := "func(dst, src *float32, rows, cols int)"
	if k == logSumExp {
		sig = "func(dst, src *float32, rows, cols int) int"
	}
	TEXT(k.name(), 0, sig)
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
	dst := Load(Param("dst"), GP64()).(reg.GPVirtual)
	src := Load(Param("src"), GP64()).(reg.GPVirtual)
	rows := Load(Param("rows"), GP64())
	r := newRow(k.name(), Load(Param("cols"), GP64()).(reg.GPVirtual), true)
	r.src, r.dst = src, dst

	dstStep := 2
	if k == logSumExp {
		dstStep = 1
	}
	if !w.zmm { // short rows: the AVX2 kernels' transposed 8-row path
		softmaxBlock(k, r, rows, dstStep)
	}
	end := r.label("end")
	CMPQ(r.done, rows)
	JAE(LabelRef(end))
	r.pipeline(rows, dstStep, func() {
		softmaxRow(k, r)
	})
	Label(end)
	if k == logSumExp {
		Label(k.name() + "_special")
		Store(r.done, ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}

// softmaxBlock emits the short-row path of a softmax-family kernel.
func softmaxBlock(k kind, r *row, rows Op, dstStep int) {
	bk := newBlock(r, false)
	bk.loop(rows, dstStep, func(bail string) {
		bk.load(r.src)
		m := bk.maxCols(nil)
		switch k {
		case softmax:
			s := bk.expCols(m, true, nil)
			inv := YMM()
			VBROADCASTSS(consts.scalar("one"), inv)
			VDIVPS(s, inv, inv)
			bk.columns("bout", func(slot Mem) {
				x := YMM()
				VMULPS(slot, inv, x)
				VMOVUPS(x, slot)
			})
			bk.store(r.dst)
		case logSoftmax:
			l := vlogPos(bk.expCols(m, false, nil))
			bk.columns("bout", func(slot Mem) {
				x := YMM()
				VMOVUPS(slot, x)
				VSUBPS(m, x, x)
				VSUBPS(l, x, x)
				VMOVUPS(x, slot)
			})
			bk.store(r.dst)
		case logSumExp:
			y := vlogPos(bk.expCols(m, false, nil))
			VADDPS(y, m, y) // m + L
			nan, bits := YMM(), GP32()
			VCMPPS(U8(3), y, y, nan) // unordered: NaN
			VMOVMSKPS(nan, bits)
			TESTL(bits, bits)
			JNZ(LabelRef(bail))
			VMOVUPS(y, Mem{Base: r.dst})
		}
	})
}

// softmaxRow emits one row of the per-row path of a softmax-family kernel.
func softmaxRow(k kind, r *row) {
	switch k {
	case softmax:
		s := r.expPass(true, nil)
		Comment("inv = 1 / sum; dst_i = e_i * inv")
		inv := reciprocal(s)
		r.finalPass(func(a at, mask tmask) reg.VecVirtual {
			x := load(a, r.dst, mask)
			VMULPS(inv, x, x)
			return x
		})
	case logSoftmax:
		s := r.expPass(false, nil)
		l := logPos(s)
		Comment("dst_i = (x_i - max) - L")
		lY := vreg()
		VBROADCASTSS(l, lY)
		r.finalPass(func(a at, mask tmask) reg.VecVirtual {
			x := load(a, r.src, mask)
			VSUBPS(r.m, x, x)
			VSUBPS(lY, x, x)
			return x
		})
	case logSumExp:
		s := r.expPass(false, nil)
		l := logPos(s)
		Comment("y = max + L; a NaN y ends the call (the Go caller resolves that row)")
		y := XMM()
		VADDSS(l, r.m.AsX(), y)
		VUCOMISS(y, y)
		JPS(LabelRef(k.name() + "_special"))
		VMOVSS(y, Mem{Base: r.dst})
	}
}
