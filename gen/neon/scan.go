package main

import "github.com/simdloss/simdloss/gen/a64"

// firstOutside emits FirstOutsideNEON, the losses' check of their inputs
// (generic.FirstOutside, vector by vector): per 8 elements, in = (x >= lo)
// AND (hi >= x), NaN never in; the first block of 8 whose two vectors'
// masks are not all ones ends the scan, and the caller finds the element
// in it.
func (g *gen) firstOutside() {
	const name = "FirstOutsideNEON"
	g.text(name, "func(x *float32, n int, lo, hi float32) int",
		name+" returns the start of the first block of 8 of x[0:n] (n a multiple of 8) holding an",
		"element outside [lo, hi] (NaN included), or n.")
	x, n, i, t := a64.R(0), a64.R(1), a64.R(2), a64.R(3)
	g.Load("x", x)
	g.Load("n", n)
	lo, hi := a64.V(0), a64.V(1)
	g.LoadFAll("lo", lo)
	g.LoadFAll("hi", hi)
	v, a, b := vregs(2, 2), vregs(4, 2), vregs(6, 2)
	g.I("MOVD", "ZR", i.String())
	top, done := g.NewLabel(name+"block"), g.NewLabel(name+"done")
	g.Label(top)
	g.I("CMP", n.String(), i.String())
	g.I("BGE", done)
	g.LD1(true, x, v...)
	for h := range v {
		g.FCMGE(a[h], v[h], lo)
		g.FCMGE(b[h], hi, v[h])
		g.AND(a[h], a[h], b[h])
	}
	g.AND(a[0], a[0], a[1])
	g.Comment("all in: every lane all ones")
	g.UMINV(a[0], a[0])
	g.I("VMOV", a[0].Lane(0), t.String())
	g.I("CMNW", "$1", t.String())
	g.I("BNE", done)
	g.I("ADD", "$8", i.String(), i.String())
	g.I("B", top)
	g.Label(done)
	g.Return(i)
}

// sum64 emits Sum64NEON (generic.Sum64Partials over whole blocks of 8, from
// zero partials): each element, widened exactly to float64 (FCVTL/FCVTL2),
// adds into partial i mod 8, held as four pairs of double lanes; a partial
// takes its elements in index order, so each pair is one chain of adds.
func (g *gen) sum64() {
	const name = "Sum64NEON"
	g.text(name, "func(x *float32, n int, p *float64)",
		name+" is generic.Sum64Partials over x[0:n], n a multiple of 8, from zero partials, which",
		"it stores to p[0:8].")
	x, n, p := a64.R(0), a64.R(1), a64.R(2)
	g.Load("x", x)
	g.Load("n", n)
	g.Load("p", p)
	part, v, w := vregs(0, 4), vregs(4, 2), vregs(6, 4)
	for _, r := range part {
		g.Zero(r)
	}
	g.loop(name, n, 8, "float64 sum", 8, "element", func() {
		g.LD1(true, x, v...)
		for h := range v {
			g.FCVTL(w[2*h], v[h], false)
			g.FCVTL(w[2*h+1], v[h], true)
		}
		for j := range part {
			g.FADDD(part[j], part[j], w[j])
		}
	})
	g.ST1(false, p, part...)
	g.RET()
}
