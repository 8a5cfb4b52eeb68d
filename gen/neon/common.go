package main

import (
	"fmt"

	"github.com/simdloss/simdloss/gen/a64"
)

// The 32 canonical partial sums: element i of a row goes to lane i%4 of
// register P[(i/4)%8] (generic.Partials, generic/CANONICAL.md).
var P = [8]a64.VReg{a64.V(0), a64.V(1), a64.V(2), a64.V(3), a64.V(4), a64.V(5), a64.V(6), a64.V(7)}

// loop emits a loop over blocks of step elements while n >= step, with n
// counted down; afterwards n holds the elements left (0..step-1). The loop's
// instruction count, per iteration and per unit of work (an iteration does
// work units), is stated above it and kept for -stats.
//
//	SUBS $step, n, n; BLT done
//	top: body; SUBS $step, n, n; BGE top
//	done: ADD $step, n, n
func (g *gen) loop(name string, n a64.GPR, step int, what string, work int, unit string, body func()) {
	top, done := g.NewLabel(name), g.NewLabel(name+"done")
	g.I("SUBS", a64.Imm(int64(step)), n.String(), n.String())
	g.I("BLT", done)
	line, start := g.Mark()
	g.Label(top)
	body()
	g.I("SUBS", a64.Imm(int64(step)), n.String(), n.String())
	g.I("BGE", top)
	count := g.Insts() - start
	note := fmt.Sprintf("%s: %d instructions per iteration, %d %ss (%.2f per %s)", what, count, work, unit, float64(count)/float64(work), unit)
	g.Annotate(line, "loop: "+note)
	g.stats = append(g.stats, g.fn+" "+note)
	g.Label(done)
	g.I("ADD", a64.Imm(int64(step)), n.String(), n.String())
}

// vectors emits a loop over the whole vectors of a tail (n < 32 or 16
// elements left, so at most 7 iterations): body handles the 4 elements at
// the pointers and advances them. Afterwards n holds n%4.
func (g *gen) vectors(name string, n a64.GPR, body func()) {
	top, done := g.NewLabel(name), g.NewLabel(name+"done")
	g.Label(top)
	g.I("SUBS", "$4", n.String(), n.String())
	g.I("BLT", done)
	body()
	g.I("B", top)
	g.Label(done)
	g.I("ADD", "$4", n.String(), n.String())
}

// lanes emits op(0), then op(1) if cnt >= 2, then op(2) if cnt >= 3: the
// lanes of a partial vector of cnt = 1..3 elements.
func (g *gen) lanes(cnt a64.GPR, op func(i int)) {
	end := g.NewLabel("lanes")
	op(0)
	g.I("CMP", "$2", cnt.String())
	g.I("BLT", end)
	op(1)
	g.I("CMP", "$3", cnt.String())
	g.I("BLT", end)
	op(2)
	g.Label(end)
}

// ladder emits the whole vectors of a reduction's tail, n (< 32, counted
// down) elements left: whole vector j goes to partial register P[j], as in
// the main loop, and the partial vector (prepared beforehand, neutral in the
// lanes past the end) to the register after the last whole one. full(j)
// handles one whole vector into P[j] and advances the pointers; last(j) adds
// the partial vector into P[j].
func (g *gen) ladder(name string, n a64.GPR, full, last func(j int)) {
	var add [8]string
	for j := range add {
		add[j] = g.NewLabel(name + "add")
	}
	fold := g.NewLabel(name + "fold")
	for j := 0; j < 7; j++ {
		g.I("CMP", "$4", n.String())
		g.I("BLT", add[j])
		full(j)
		g.I("SUB", "$4", n.String(), n.String())
	}
	g.Commentf("the partial vector (if any) goes to the register after the whole ones")
	for _, j := range []int{7, 0, 1, 2, 3, 4, 5, 6} {
		g.Label(add[j])
		last(j)
		if j != 6 {
			g.I("B", fold)
		}
	}
	g.Label(fold)
}

// treeSum folds the partial registers as generic.TreeSum does and leaves the
// sum in the scalar out (P is clobbered).
func (g *gen) treeSum(out a64.VReg) { g.treeSumOf(P, out) }

// treeSumOf is treeSum of the partial registers p (element i of the row in
// lane i%4 of p[(i/4)%8]); p is clobbered.
func (g *gen) treeSumOf(p [8]a64.VReg, out a64.VReg) {
	g.Comment("fold the 32 partials as generic.TreeSum:",
		"v[j] = (p[j] + p[j+16]) + (p[j+8] + p[j+24]), that is v[0..3] = (P0+P4) + (P2+P6)",
		"and v[4..7] = (P1+P5) + (P3+P7)")
	g.FADD(p[0], p[0], p[4])
	g.FADD(p[2], p[2], p[6])
	g.FADD(p[1], p[1], p[5])
	g.FADD(p[3], p[3], p[7])
	g.FADD(p[0], p[0], p[2])
	g.FADD(p[1], p[1], p[3])
	g.Comment("sum = ((v0+v1) + (v2+v3)) + ((v4+v5) + (v6+v7)): FADDP three times")
	g.FADDP(p[0], p[0], p[1])
	g.FADDP(p[0], p[0], p[0])
	g.FADDPScalar(out, p[0])
}

// zeroPartials sets the partial sums to +0.
func (g *gen) zeroPartials() {
	for _, p := range P {
		g.Zero(p)
	}
}

// stream is one array of an elementwise pass: its pointer, advanced by every
// load or store, and the registers of its vectors (consecutive, one per
// vector of the pass's loop iteration).
type stream struct {
	ptr  a64.GPR
	regs []a64.VReg
}

// ldst loads (or stores) the first k vectors of s, at most 4 per instruction.
func (g *gen) ldst(load bool, s stream, k int) {
	for i := 0; i < k; i += 4 {
		r := s.regs[i:min(i+4, k)]
		if load {
			g.LD1(true, s.ptr, r...)
		} else {
			g.ST1(true, s.ptr, r...)
		}
	}
}

// elementwise emits a pass over the n elements at the streams' pointers, n
// counted down to 0: a loop over blocks of len(regs) vectors, then the whole
// vectors left, then the last n%4 elements lane by lane (nothing outside the
// n elements is read or written; the lanes past them compute on stale
// values that are never stored). At each step the inputs are loaded, op(k)
// computes the first k vectors of every output from the first k vectors of
// the inputs, and the outputs are stored: loads come before stores, so an
// output may be an input (in place). Every pointer ends n elements on.
func (g *gen) elementwise(name, what string, n a64.GPR, ins, outs []stream, op func(k int)) {
	w := len(ins[0].regs)
	g.loop(name, n, 4*w, what, 4*w, "element", func() {
		for _, s := range ins {
			g.ldst(true, s, w)
		}
		op(w)
		for _, s := range outs {
			g.ldst(false, s, w)
		}
	})
	g.Comment("whole vectors left")
	g.vectors(name+"vec", n, func() {
		for _, s := range ins {
			g.ldst(true, s, 1)
		}
		op(1)
		for _, s := range outs {
			g.ldst(false, s, 1)
		}
	})
	end := g.NewLabel(name + "end")
	g.I("CBZ", n.String(), end)
	g.Comment("the last n%4 elements, lane by lane")
	g.lanes(n, func(i int) {
		for _, s := range ins {
			g.LD1Lane(true, s.ptr, s.regs[0], i)
		}
	})
	op(1)
	g.lanes(n, func(i int) {
		for _, s := range outs {
			g.ST1Lane(true, s.ptr, s.regs[0], i)
		}
	})
	g.Label(end)
}

// vregs returns the n consecutive registers from V(first).
func vregs(first, n int) []a64.VReg {
	r := make([]a64.VReg, n)
	for i := range r {
		r[i] = a64.V(first + i)
	}
	return r
}

// rstream is one array of a reduction pass (see reduceRow). A scratch
// stream (ptr ZR) is not loaded: its registers are temporaries of update.
type rstream struct {
	ptr   a64.GPR    // walked pointer (ZR: a scratch stream)
	loop  []a64.VReg // registers of one group of vectors of the block loop (consecutive)
	whole a64.VReg   // register of a whole vector of the tail
	part  a64.VReg   // register of the tail's partial vector
}

// reduceRow emits a pass over the n elements of a row (n counted down; the
// stream pointers end past the whole vectors) that updates the canonical 32 partials:
// blocks of 32 elements, vector v of a block into partial v, len(loop)
// vectors at a time; then the tail as the exponential pass of the softmax
// family takes it: first the partial vector of the last n%4 elements (the
// streams' part registers, zeroed and loaded lane by lane through tp; mask
// all ones in its lanes, zero past them), then the whole vectors, vector j
// of the tail into partial j, and the partial vector into the partial after
// them. update(js, in, masked) emits the update of partials js from
// in[s][i], the registers of vector i of stream s; with masked (the partial
// vector, or nothing when n%4 == 0: mask all zero) the lanes where mask is
// zero must leave their partial unchanged bit for bit, -0 included: a signed
// sum's partial can be -0 (a product underflowing from below zero), which
// adding +0 would flip, so such an update adds -0 there (pad: -0 in the
// lanes past the end, +0 in the partial vector's; v AND mask XOR pad is v,
// or -0 past the end).
func (g *gen) reduceRow(name, what string, n, cnt, tmp, tp, ones a64.GPR, mask, pad a64.VReg, ss []rstream,
	update func(js []int, in [][]a64.VReg, masked bool)) {
	group := len(ss[0].loop)
	g.loop(name, n, 32, what, 32, "element", func() {
		for j0 := 0; j0 < 8; j0 += group {
			in := make([][]a64.VReg, len(ss))
			for si, s := range ss {
				if s.ptr != a64.ZR {
					g.LD1(true, s.ptr, s.loop...)
				}
				in[si] = s.loop
			}
			js := make([]int, group)
			for i := range js {
				js[i] = j0 + i
			}
			update(js, in, false)
		}
	})
	g.Comment("tail: fewer than 32 elements. First the partial vector of the last n%4",
		"elements, loaded lane by lane into zeroed registers (mask: all ones in its lanes),",
		"then the whole vectors, each into the next partial register.")
	g.Zero(mask)
	g.I("MOVW", "$0x80000000", tmp.String())
	g.DUPGen(pad, tmp)
	for _, s := range ss {
		if s.ptr != a64.ZR {
			g.Zero(s.part)
		}
	}
	whole := g.NewLabel(name + "whole")
	g.I("ANDS", "$3", n.String(), cnt.String())
	g.I("BEQ", whole)
	g.I("AND", "$-4", n.String(), tmp.String())
	first := true
	for _, s := range ss {
		if s.ptr == a64.ZR {
			continue
		}
		g.I("ADD", tmp.String()+"<<2", s.ptr.String(), tp.String())
		withMask := first
		g.lanes(cnt, func(i int) {
			g.LD1Lane(true, tp, s.part, i)
			if withMask {
				g.INS(mask, i, ones)
			}
		})
		first = false
	}
	g.Label(whole)
	g.BIC(pad, pad, mask)
	regs := func(f func(s rstream) a64.VReg) [][]a64.VReg {
		in := make([][]a64.VReg, len(ss))
		for si, s := range ss {
			in[si] = []a64.VReg{f(s)}
		}
		return in
	}
	g.ladder(name, n, func(j int) {
		g.Commentf("whole vector -> partial %d", j)
		for _, s := range ss {
			if s.ptr != a64.ZR {
				g.LD1(true, s.ptr, s.whole)
			}
		}
		update([]int{j}, regs(func(s rstream) a64.VReg { return s.whole }), false)
	}, func(j int) {
		update([]int{j}, regs(func(s rstream) a64.VReg { return s.part }), true)
	})
}
