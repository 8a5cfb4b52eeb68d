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
	sig := "func(dst, src *float32, rows, cols int, carry *float32, chain int)"
	if k == logSumExp {
		sig += " int"
	}
	TEXT(k.name(), 0, sig)
	Pragma("noescape") // carry stays on the caller's stack
	chainDoc := []string{
		"Its max passes chain across calls: chain>>1 (0-2) rows after the last exist, and the call",
		"takes their maxima in its exponential passes and leaves them in carry[0] and carry[1]; with",
		"chain&1 the first rows' maxima are the ones the call before left there. chain must be 0",
		"for cols <= 16.",
	}
	switch k {
	case softmax:
		Doc(append([]string{k.name() + " writes the softmax of each of the rows×cols row-major src into dst",
			"(rows, cols >= 1; dst may equal src): generic.Softmax, bit for bit."}, chainDoc...)...)
	case logSoftmax:
		Doc(append([]string{k.name() + " writes the log-softmax of each row of src into dst",
			"(rows, cols >= 1; dst may equal src): generic.LogSoftmax, bit for bit."}, chainDoc...)...)
	case logSumExp:
		Doc(append([]string{k.name() + " writes max + LogPos(sum of exp(x - max)) of each row of src to dst[row]",
			"and returns the number of rows done: it stops at the first row whose result is NaN (a row",
			"with NaN, +Inf or only -Inf; see generic.LogSumExpSpecial), leaving that row and the ones",
			"after it unwritten (and carry meaningless)."}, chainDoc...)...)
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
	g := newRing()
	end := r.label("end")
	CMPQ(r.done, rows)
	JAE(LabelRef(end))
	r.chain = true
	r.ahead2 = w.zmm // AVX2: no gain in A/B runs
	r.pipeline(rows, dstStep, func() {
		softmaxRow(k, r, g)
	})
	Label(end)
	if k == logSumExp {
		g.flushLSE(r, k)
		Label(k.name() + "_special")
		Store(r.done, ReturnIndex(0))
	} else {
		g.flushRows(r, k)
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
// Rows of at most ringCols columns (every row of a log-sum-exp) leave their
// max and partial vector in the ring g; wider softmax and log-softmax rows
// take their sum's last steps, the divide or the logarithm, and their output
// pass at once. The exponential pass of a wide log-softmax row stores each
// d = x - max to dst, and the output pass subtracts L there: the same
// (x - max) - L, with the output pass reading lines the exponential pass
// just wrote instead of the input again (at 262144 columns, a row of 1 MiB,
// the input's lines had left L2 by then: 0.85-0.90 of the time in A/B runs).
func softmaxRow(k kind, r *row, g *ring) {
	if k == logSumExp {
		g.push(r, r.expPartial(false), func() { g.lseOut(r, k, nil) })
		return
	}
	direct, next := r.label("direct"), r.label("rowdone")
	CMPQ(r.cols, U32(ringCols))
	JA(LabelRef(direct))
	r.prefetchE = k == logSoftmax // its output passes then store to lines in the cache
	g.push(r, r.expPartial(k == softmax), func() { g.rowsOut(r, k, 7, U8(8)) })
	r.prefetchE = false
	JMP(LabelRef(next))
	Label(direct)
	var storeD func(j int, a at, mask tmask, d reg.VecVirtual)
	if k == logSoftmax {
		storeD = func(_ int, a at, mask tmask, d reg.VecVirtual) { store(d, a, r.dst, mask) }
	}
	s := r.expPass(k == softmax, storeD)
	var op func(x reg.VecVirtual)
	switch k {
	case softmax:
		Comment("inv = 1 / sum; dst_i = e_i * inv")
		v := reciprocal(s)
		op = func(x reg.VecVirtual) { VMULPS(v, x, x) }
	case logSoftmax:
		Comment("L = LogPos(sum); dst_i = d_i - L")
		v := vreg()
		VBROADCASTSS(logPos(s), v)
		op = func(x reg.VecVirtual) { VSUBPS(v, x, x) }
	}
	r.finalPass(func(a at, mask tmask) reg.VecVirtual {
		x := load(a, r.dst, mask)
		op(x)
		return x
	})
	Label(next)
}

// ringCols is the widest softmax or log-softmax row that goes through the
// ring: its output pass then re-reads a row from 7 rows back, still in L1
// (8 rows of 1 KiB). Wider rows take their sum at once (at 1000 columns the
// ring was slower in A/B runs for the log-softmax).
const ringCols = 256

// ring defers the end of each row of a softmax-family kernel's per-row path
// for up to 8 rows: a row leaves its max and its partial vector (treeFold:
// the 8 lanes that the canonical fold's two horizontal adds and low + high
// add reduce to the sum) in a ring on the stack, and every 8th row one tree
// of horizontal adds over the 8 vectors gives the 8 sums (see sums), then
// one vector op their logarithms (vlogPos: lane-wise the steps of logPos)
// or reciprocals (VDIVPS: 8 IEEE divisions), then the 8 rows' results or
// output passes. No row waits for the dependent steps from its last
// exponential to its sum, logarithm or reciprocal, and 8 rows share them.
type ring struct {
	m, y, v, n Mem // the maxima, the partial vectors (32 bytes each), the logarithms or reciprocals, how many rows are in the ring
}

func newRing() *ring {
	g := &ring{m: AllocLocal(32), y: newPartials(), v: AllocLocal(32), n: AllocLocal(8)}
	MOVQ(U32(0), g.n)
	return g
}

// newPartials allocates a ring's 8 partial vectors, zeroed: a flush sums
// all 8 slots, filled or not.
func newPartials() Mem {
	y := AllocLocal(256)
	Comment("the ring's partial vectors start at +0")
	z := YMM()
	VXORPS(z, z, z)
	for j := 0; j < 8; j++ {
		VMOVUPS(z, y.Offset(32*j))
	}
	return y
}

// push puts the current row (max in r.m, partial vector v) in the ring; at
// 8 rows the ring empties and full emits the work on them.
func (g *ring) push(r *row, v reg.VecVirtual, full func()) {
	Comment("ring[n] = (max, partial vector); at 8 rows, the 8 rows' ends")
	n, t := GP64(), GP64()
	MOVQ(g.n, n)
	VMOVSS(r.m.AsX(), entry(g.m, n))
	MOVQ(n, t)
	SHLQ(U8(5), t)
	y := g.y
	y.Index, y.Scale = t, 1
	VMOVUPS(v, y)
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

// sums returns the sums of the 8 ring rows in the lanes of a YMM: lane j is
// row j's treeSum, by the same additions in the same order. With v_j row
// j's partial vector, h = hadd(hadd(v0, v1), hadd(v2, v3)) holds
// (v_j[0]+v_j[1]) + (v_j[2]+v_j[3]) in lane j and (v_j[4]+v_j[5]) +
// (v_j[6]+v_j[7]) in lane j+4, as the per-row fold's two horizontal adds
// give them in lanes 0 and 4; its low half + high half are rows 0-3's sums,
// and the same of v4..v7 rows 4-7's.
func (g *ring) sums() reg.VecVirtual { return ringSums(g.y) }

// ringSums is ring.sums of the 8 partial vectors at y.
func ringSums(y Mem) reg.VecVirtual {
	Comment("the ring's 8 sums: hadd(hadd(v0, v1), hadd(v2, v3)), low + high 128 bits; the same of v4..v7")
	quad := func(k int) reg.VecVirtual {
		a, b := YMM(), YMM()
		VMOVUPS(y.Offset(32*k), a)
		VHADDPS(y.Offset(32*(k+1)), a, a)
		VMOVUPS(y.Offset(32*(k+2)), b)
		VHADDPS(y.Offset(32*(k+3)), b, b)
		VHADDPS(b, a, a)
		hi := XMM()
		VEXTRACTF128(U8(1), a, hi)
		VADDPS(hi, a.AsX(), a.AsX())
		return a
	}
	lo, hi := quad(0), quad(4)
	VINSERTF128(U8(1), hi.AsX(), lo, lo)
	return lo
}

// rowsOut ends count ring rows of a softmax or log-softmax: their sums'
// reciprocals or logarithms, then their output passes, the first back rows
// before r.src/r.dst (back < 0: count rows back).
func (g *ring) rowsOut(r *row, k kind, back int, count Op) {
	sv := g.sums()
	if k == softmax {
		VMOVUPS(reciprocals(sv), g.v)
	} else {
		VMOVUPS(vlogPos(sv), g.v)
	}
	g.outputs(r, k, back, count)
}

// reciprocals returns 1/s of the 8 lanes of s (IEEE divisions, as
// reciprocal's), in a new YMM.
func reciprocals(s reg.VecVirtual) reg.VecVirtual {
	inv := YMM()
	VBROADCASTSS(consts.scalar("one"), inv)
	VDIVPS(s, inv, inv)
	return inv
}

// rowsBack returns, in a new register, the bytes from the first of a
// ring's rows to the row r.src and r.dst point at: back rows (back < 0:
// count rows).
func rowsBack(r *row, back int, count Op) reg.GPVirtual {
	t := GP64()
	if back >= 0 {
		IMUL3Q(I32(4*back), r.cols, t)
	} else {
		MOVQ(count, t)
		IMULQ(r.cols, t)
		SHLQ(U8(2), t)
	}
	return t
}

// flushRows ends the softmax or log-softmax rows still in the ring (the n
// rows before the one r.src points at).
func (g *ring) flushRows(r *row, k kind) {
	Comment("the rows still in the ring")
	ringRows(r, g.n, func(n reg.GPVirtual) { g.rowsOut(r, k, -1, n) })
}

// ringRows emits body, with n the number of rows in the ring whose count
// is in the stack slot count, to run when there are any.
func ringRows(r *row, count Mem, body func(n reg.GPVirtual)) {
	skip := r.label("noflush")
	n := GP64()
	MOVQ(count, n)
	TESTQ(n, n)
	JE(LabelRef(skip))
	body(n)
	Label(skip)
}

// outputs emits the output passes of count ring rows, the first back rows
// before r.src/r.dst (back < 0: count rows back): dst = e * inv for the
// softmax (e in dst), dst = (x - max) - L for the log-softmax.
func (g *ring) outputs(r *row, k kind, back int, count Op) {
	sp, dp, t := GP64(), GP64(), rowsBack(r, back, count)
	MOVQ(r.src, sp)
	SUBQ(t, sp)
	MOVQ(r.dst, dp)
	SUBQ(t, dp)
	forEach(r, "outrows", count, func(j reg.GPVirtual) {
		vj := vreg()
		VBROADCASTSS(entry(g.v, j), vj)
		var mj reg.VecVirtual
		if k == logSoftmax {
			mj = vreg()
			VBROADCASTSS(entry(g.m, j), mj)
		}
		save := r.dst
		r.dst = dp
		r.finalPass(func(a at, mask tmask) reg.VecVirtual {
			if k == softmax {
				x := load(a, dp, mask)
				VMULPS(vj, x, x)
				return x
			}
			x := load(a, sp, mask)
			VSUBPS(mj, x, x)
			VSUBPS(vj, x, x)
			return x
		})
		r.dst = save
		LEAQ(Mem{Base: sp, Index: r.cols, Scale: 4}, sp)
		LEAQ(Mem{Base: dp, Index: r.cols, Scale: 4}, dp)
	})
}

// lseOut stores max + LogPos(sum) of the ring's rows to dst: all 8, the last
// at r.dst (count nil), or the count rows before r.dst (the flush). A NaN
// result (a row with NaN, +Inf or only -Inf: then and only then is the sum
// NaN) ends the call at its row: the rows before it are stored, done is set
// to it, and the kernel returns (the Go caller resolves that row).
func (g *ring) lseOut(r *row, k kind, count reg.GPVirtual) {
	Comment("dst[rows of the ring] = max + LogPos(sum), 8 lanes at once; the first NaN row ends the call")
	first, p, n := GP64(), GP64(), GP64()
	if count == nil {
		MOVQ(U32(8), n)
	} else {
		MOVQ(count, n)
	}
	MOVQ(r.done, first)
	if count == nil {
		SUBQ(U8(7), first) // the full ring: the current row is its last
	} else {
		SUBQ(n, first)
	}
	MOVQ(n, p)
	SHLQ(U8(2), p)
	NEGQ(p)
	ADDQ(r.dst, p)
	if count == nil {
		ADDQ(U8(4), p)
	}
	sv := g.sums()
	nan, bits, km := YMM(), GP32(), GP64()
	VCMPPS(U8(3), sv, sv, nan) // unordered: NaN
	VMOVMSKPS(nan, bits)
	LEAQ(consts.kmask, km)
	ANDL(Mem{Base: km, Index: n, Scale: 4}, bits) // the ring's rows only (the other slots hold +0 or rows summed before)
	y := vlogPos(sv)
	VADDPS(g.m, y, y)
	store := r.label("lsestore")
	TESTL(bits, bits)
	JE(LabelRef(store))
	Comment("a NaN row: store the rows before it, and end the call there")
	idx := GP32()
	BSFL(bits, idx)
	MOVL(idx, n.As32())
	ADDQ(n, first)
	storeLanes(y, p, n)
	MOVQ(first, r.done)
	JMP(LabelRef(k.name() + "_special"))
	Label(store)
	if count == nil {
		VMOVUPS(y, Mem{Base: p})
	} else {
		storeLanes(y, p, n)
	}
}

// storeLanes stores the first n lanes of y to p.
func storeLanes(y reg.VecVirtual, p, n reg.GPVirtual) {
	mp, t := GP64(), GP64()
	LEAQ(consts.mask.Offset(32), mp)
	MOVQ(n, t)
	SHLQ(U8(2), t)
	SUBQ(t, mp)
	mask := YMM()
	VMOVUPS(Mem{Base: mp}, mask)
	VMASKMOVPS(y, mask, Mem{Base: p})
}

// flushLSE stores the results of the log-sum-exp rows still in the ring
// (the n rows before the one r.dst points at).
func (g *ring) flushLSE(r *row, k kind) {
	Comment("the rows still in the ring")
	ringRows(r, g.n, func(n reg.GPVirtual) { g.lseOut(r, k, n) })
}

// forEach emits a loop over ring entries j = 0 .. count-1.
func forEach(r *row, name string, count Op, body func(j reg.GPVirtual)) {
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
