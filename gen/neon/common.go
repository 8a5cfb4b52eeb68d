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
func (g *gen) treeSum(out a64.VReg) {
	g.Comment("fold the 32 partials as generic.TreeSum:",
		"v[j] = (p[j] + p[j+16]) + (p[j+8] + p[j+24]), that is v[0..3] = (P0+P4) + (P2+P6)",
		"and v[4..7] = (P1+P5) + (P3+P7)")
	g.FADD(P[0], P[0], P[4])
	g.FADD(P[2], P[2], P[6])
	g.FADD(P[1], P[1], P[5])
	g.FADD(P[3], P[3], P[7])
	g.FADD(P[0], P[0], P[2])
	g.FADD(P[1], P[1], P[3])
	g.Comment("sum = ((v0+v1) + (v2+v3)) + ((v4+v5) + (v6+v7)): FADDP three times")
	g.FADDP(P[0], P[0], P[1])
	g.FADDP(P[0], P[0], P[0])
	g.FADDPScalar(out, P[0])
}

// zeroPartials sets the partial sums to +0.
func (g *gen) zeroPartials() {
	for _, p := range P {
		g.Zero(p)
	}
}
