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
		sig = "func(dst, src *float32, rows, cols int, carry *float32, chain int) int"
	}
	TEXT(k.name(), 0, sig)
	if k == logSumExp {
		Pragma("noescape") // carry stays on the caller's stack
	}
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
			"row whose result is NaN (a row with NaN, +Inf or only -Inf; see generic.LogSumExpSpecial).",
			"Its max passes chain across calls: with chain&1 the first row's max is *carry (left by the call",
			"before); with chain&2 the row after the last exists, and the call leaves its max in *carry.",
			"chain must be 0 for cols <= 16.")
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
		r.bounds() // the block path holds no per-row bounds
	}
	var g *lseRing
	if k != softmax {
		g = newLSERing()
	}
	end := r.label("end")
	CMPQ(r.done, rows)
	JAE(LabelRef(end))
	r.chain = k == logSumExp
	r.ahead2 = w.zmm // AVX2: no gain in A/B runs
	r.pipeline(rows, dstStep, func() {
		softmaxRow(k, r, g)
	})
	Label(end)
	switch k {
	case logSoftmax:
		g.flushRows(r)
	case logSumExp:
		Label(k.name() + "_special")
		g.flush(r)
		Store(r.done, ReturnIndex(0))
	}
	VZEROUPPER()
	RET()
}

// softmaxBlock emits the short-row path of a softmax-family kernel.
func softmaxBlock(k kind, r *row, rows Op, dstStep int) {
	bk := newBlock(r, false, 0)
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
func softmaxRow(k kind, r *row, g *lseRing) {
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
		r.prefetchE = true
		s := r.expPass(false, nil)
		r.prefetchE = false
		direct, next := r.label("direct"), r.label("rowdone")
		CMPQ(r.cols, U32(lsRingCols))
		JA(LabelRef(direct))
		g.addRows(r, s)
		JMP(LabelRef(next))
		Label(direct)
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
		Label(next)
	case logSumExp:
		s := r.expPass(false, nil)
		Comment("a NaN sum (a row with NaN, +Inf or only -Inf: then and only then max + L is NaN)")
		Comment("ends the call (the Go caller resolves that row)")
		VUCOMISS(s.AsX(), s.AsX())
		JPS(LabelRef(k.name() + "_special"))
		g.add(r, s)
	}
}

// lseRing defers the per-row path's logarithms of a log-sum-exp kernel: each
// row's max and sum go to a ring of 8 on the stack, and every 8th row the 8
// results max + LogPos(sum) are computed at once with vlogPos (lane-wise
// the steps of logPos, so the same bits) and stored; flush finishes the
// rows still in the ring with logPos. No row waits for its logarithm's
// chain of dependent steps.
type lseRing struct {
	m, s, l, n Mem // the maxima, the sums, the logarithms, how many rows are in the ring
}

func newLSERing() *lseRing {
	g := &lseRing{m: AllocLocal(32), s: AllocLocal(32), l: AllocLocal(32), n: AllocLocal(8)}
	MOVQ(U32(0), g.n)
	return g
}

// lsRingCols is the widest row whose log-softmax goes through the ring:
// its output pass then re-reads a row from 7 rows back, still in L1 (8 rows
// of 1 KiB), and the logarithm's chain is a large part of a row's time.
// Wider rows take their logarithm at once (at 1000 columns the ring was
// slower in A/B runs).
const lsRingCols = 256

// addRows is add for the log-softmax: at 8 rows, their logarithms come out
// of one vlogPos and their output passes run, each re-reading its row.
func (g *lseRing) addRows(r *row, s reg.VecVirtual) {
	Comment("ring[n] = (max, sum); at 8 rows: L = LogPos(sums) at once, then the 8 rows' output passes")
	g.push(r, s, func() {
		sv := YMM()
		VMOVUPS(g.s, sv)
		VMOVUPS(vlogPos(sv), g.l)
		g.outputs(r, 7, U8(8))
	})
}

// flushRows finishes the log-softmax rows still in the ring (the n rows
// before the one r.src points at): their logarithms one at a time, then
// their output passes.
func (g *lseRing) flushRows(r *row) {
	Comment("the rows still in the ring: L = LogPos(sum) one at a time, then their output passes")
	n := GP64()
	MOVQ(g.n, n)
	g.forEach(r, "logs", n, func(j reg.GPVirtual) {
		x := XMM()
		VMOVSS(entry(g.s, j), x)
		VMOVSS(logPos(x), entry(g.l, j))
	})
	g.outputs(r, -1, n)
}

// outputs emits the output passes dst = (x - max) - L of count ring rows,
// the first back rows before r.src/r.dst (back < 0: count rows back).
func (g *lseRing) outputs(r *row, back int, count Op) {
	sp, dp, t := GP64(), GP64(), GP64()
	if back >= 0 {
		IMUL3Q(I32(4*back), r.cols, t)
	} else {
		MOVQ(count, t)
		IMULQ(r.cols, t)
		SHLQ(U8(2), t)
	}
	MOVQ(r.src, sp)
	SUBQ(t, sp)
	MOVQ(r.dst, dp)
	SUBQ(t, dp)
	g.forEach(r, "outrows", count, func(j reg.GPVirtual) {
		mj, lj := vreg(), vreg()
		VBROADCASTSS(entry(g.m, j), mj)
		VBROADCASTSS(entry(g.l, j), lj)
		save := r.dst
		r.dst = dp
		r.finalPass(func(a at, mask tmask) reg.VecVirtual {
			x := load(a, sp, mask)
			VSUBPS(mj, x, x)
			VSUBPS(lj, x, x)
			return x
		})
		r.dst = save
		LEAQ(Mem{Base: sp, Index: r.cols, Scale: 4}, sp)
		LEAQ(Mem{Base: dp, Index: r.cols, Scale: 4}, dp)
	})
}

// push puts the current row (max in r.m, sum in the low lane of s) in the
// ring; at 8 rows full emits the work on them, and the ring empties.
func (g *lseRing) push(r *row, s reg.VecVirtual, full func()) {
	n := GP64()
	MOVQ(g.n, n)
	VMOVSS(r.m.AsX(), entry(g.m, n))
	VMOVSS(s.AsX(), entry(g.s, n))
	ringStep(r, g.n, n, full)
}

// ringStep counts one more row into a ring of 8 whose count is in the stack
// slot count (and, loaded, in n): at 8 the count returns to 0 and full
// emits the work on the 8 rows.
func ringStep(r *row, count Mem, n reg.GPVirtual, full func()) {
	INCQ(n)
	isFull, next := r.label("ringfull"), r.label("ringnext")
	CMPQ(n, U8(8))
	JE(LabelRef(isFull))
	MOVQ(n, count)
	JMP(LabelRef(next))
	Label(isFull)
	MOVQ(U32(0), count)
	full()
	Label(next)
}

// add puts the current row in the ring, and at 8 rows stores their results
// to dst[row-7..row].
func (g *lseRing) add(r *row, s reg.VecVirtual) {
	Comment("ring[n] = (max, sum); at 8 rows: dst[row-7..row] = max + LogPos(sum), 8 lanes at once")
	g.push(r, s, func() {
		sv, y := YMM(), YMM()
		VMOVUPS(g.s, sv)
		VADDPS(g.m, vlogPos(sv), y)
		VMOVUPS(y, Mem{Base: r.dst, Disp: -28})
	})
}

// flush stores the results of the rows still in the ring: they are the n
// rows before the one r.dst points at.
func (g *lseRing) flush(r *row) {
	Comment("the rows still in the ring: dst[row-n+j] = max + LogPos(sum), one at a time")
	n, base := GP64(), GP64()
	MOVQ(g.n, n)
	MOVQ(n, base)
	SHLQ(U8(2), base)
	NEGQ(base)
	ADDQ(r.dst, base)
	g.forEach(r, "flush", n, func(j reg.GPVirtual) {
		x, y := XMM(), XMM()
		VMOVSS(entry(g.s, j), x)
		VADDSS(entry(g.m, j), logPos(x), y)
		VMOVSS(y, Mem{Base: base, Index: j, Scale: 4})
	})
}

// forEach emits a loop over the ring entries j = 0 .. count-1.
func (g *lseRing) forEach(r *row, name string, count Op, body func(j reg.GPVirtual)) {
	j := GP64()
	XORQ(j, j)
	loop, done := r.label(name), r.label(name+"done")
	Label(loop)
	CMPQ(j, count)
	JAE(LabelRef(done))
	body(j)
	INCQ(j)
	JMP(LabelRef(loop))
	Label(done)
}

// entry is the memory operand of float32 entry j of a ring area.
func entry(area Mem, j reg.GPVirtual) Mem {
	area.Index, area.Scale = j, 4
	return area
}
