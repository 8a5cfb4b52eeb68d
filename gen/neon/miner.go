package main

import "github.com/simdloss/simdloss/gen/a64"

// firstMinBits emits FirstMinBitsNEON, BatchHard's scan for the nearest
// negative: the index of the element whose bits, read as an unsigned
// integer, are least, the first of equals (generic.FirstMinBits). Pass 1
// takes the least bits with UMIN over four accumulators, pass 2 finds the
// first vector that holds them (CMEQ, then UMAXV of the match lanes), and a
// scalar scan from that vector's start finds the lane. The least bits are
// in the row, so the scan ends at them.
func (g *gen) firstMinBits() {
	const name = "FirstMinBitsNEON"
	g.text(name, "func(row *float32, n int) int",
		name+" is generic.FirstMinBits, for n >= 1 elements: the index of the element whose",
		"bits, read as an unsigned integer, are least, the first of equals.")
	row, n, p, cnt, t, m, k := a64.R(0), a64.R(1), a64.R(2), a64.R(3), a64.R(4), a64.R(5), a64.R(6)
	g.Load("row", row)
	g.Load("n", n)
	acc, x := vregs(0, 4), vregs(4, 4)
	ones, vm := a64.V(8), a64.V(9)
	g.Comment("pass 1: m = the least bits; the accumulators and the tail's dead lanes start at all ones")
	g.I("MOVW", "$-1", t.String())
	g.DUPGen(ones, t)
	for _, a := range acc {
		g.MOV(a, ones)
	}
	g.I("MOVD", row.String(), p.String())
	g.I("MOVD", n.String(), cnt.String())
	g.loop(name+"min", cnt, 16, "least bits", 16, "element", func() {
		g.LD1(true, p, x...)
		for i := range acc {
			g.UMIN(acc[i], acc[i], x[i])
		}
	})
	g.vectors(name+"minvec", cnt, func() {
		g.LD1(true, p, x[0])
		g.UMIN(acc[0], acc[0], x[0])
	})
	fold := g.NewLabel(name + "fold")
	g.I("CBZ", cnt.String(), fold)
	g.MOV(x[0], ones)
	g.lanes(cnt, func(i int) { g.LD1Lane(true, p, x[0], i) })
	g.UMIN(acc[0], acc[0], x[0])
	g.Label(fold)
	g.UMIN(acc[0], acc[0], acc[1])
	g.UMIN(acc[2], acc[2], acc[3])
	g.UMIN(acc[0], acc[0], acc[2])
	g.UMINV(acc[0], acc[0])
	g.I("VMOV", acc[0].Lane(0), m.String())

	g.Comment("pass 2: k = the start of the first vector holding m (or of the tail)")
	g.DUPGen(vm, m)
	g.I("MOVD", row.String(), p.String())
	g.I("MOVD", n.String(), cnt.String())
	g.I("MOVD", "ZR", k.String())
	found := g.NewLabel(name + "found")
	g.vectors(name+"find", cnt, func() {
		g.LD1(true, p, x[0])
		g.CMEQ(x[0], x[0], vm)
		g.UMAXV(x[0], x[0])
		g.I("VMOV", x[0].Lane(0), t.String())
		g.I("CBNZ", t.String(), found)
		g.I("ADD", "$4", k.String(), k.String())
	})
	g.Label(found)
	g.Comment("the first element from k whose bits are m")
	scan, done := g.NewLabel(name+"scan"), g.NewLabel(name+"done")
	g.Label(scan)
	g.I("MOVWU", "("+row.String()+")("+k.String()+"<<2)", t.String())
	g.I("CMPW", m.String(), t.String())
	g.I("BEQ", done)
	g.I("ADD", "$1", k.String(), k.String())
	g.I("B", scan)
	g.Label(done)
	g.Return(k)
}
