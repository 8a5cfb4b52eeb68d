package main

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/gen/a64"
	"github.com/simdloss/simdloss/generic"
)

// Registers of the row kernels.
var (
	rDst  = a64.R(0)  // dst: the current row (LogSumExp: the current element)
	rSrc  = a64.R(1)  // src: the current row
	rRows = a64.R(2)  // rows
	rCols = a64.R(3)  // cols
	rP    = a64.R(4)  // pass: source pointer
	rN    = a64.R(5)  // pass: elements left
	rQ    = a64.R(6)  // pass: destination pointer
	rR    = a64.R(7)  // tail: cols % 4
	rT    = a64.R(8)  // scratch
	rA    = a64.R(9)  // tail: partial vector source; constants pointer
	rB    = a64.R(10) // tail: partial vector destination
	rOnes = a64.R(11) // all ones, for lane masks
	rDone = a64.R(12) // rows done

	vM      = a64.V(8) // m = max + 0, in every lane
	vCut    = a64.V(9) // exp constants, in every lane
	vLog2e  = a64.V(10)
	vMagic  = a64.V(11)
	vNLn2Hi = a64.V(12)
	vNLn2Lo = a64.V(13)
	vC5     = a64.V(14)
	vC4     = a64.V(15)
	vC3     = a64.V(16)
	vC2     = a64.V(17)
	vC1     = a64.V(18)
	vK      = a64.V(19) // the row's final-pass constant: 1/sum or L
	vPX     = a64.V(22) // tail: the partial vector's x
	vPF     = a64.V(23) // tail: lane mask, then the partial vector's exponentials
)

// The constant table rowconsts: the exp constants (broadcast into vCut..vC1
// at entry, in that order), then the scalar log constants.
var expConsts = []struct {
	name string
	v    float32
}{
	{"cutoff", generic.ExpCutoff},
	{"log2e", generic.ExpLog2e},
	{"magic", generic.ExpMagic},
	{"-ln2_hi", generic.ExpMinusLn2H},
	{"-ln2_lo", generic.ExpMinusLn2L},
	{"c5", generic.ExpC5},
	{"c4", generic.ExpC4},
	{"c3", generic.ExpC3},
	{"c2", generic.ExpC2},
	{"c1", generic.ExpC1},
}

// logConsts follow in pairs for FLDPS: (P8, P7) (P6, P5) (P4, P3) (P2, P1)
// (P0, ln2_lo) (ln2_hi, -0.5); as vectors of 4: (P8..P5) (P4..P1) (P0,
// ln2_lo, ln2_hi, -0.5).
var logConsts = []struct {
	name string
	v    float32
}{
	{"P8", generic.LogP8}, {"P7", generic.LogP7}, {"P6", generic.LogP6}, {"P5", generic.LogP5},
	{"P4", generic.LogP4}, {"P3", generic.LogP3}, {"P2", generic.LogP2}, {"P1", generic.LogP1},
	{"P0", generic.LogP0}, {"ln2_lo", generic.LogLn2Lo}, {"ln2_hi", generic.LogLn2Hi},
	{"-0.5", -0.5}, // for the vector LogPos (sigmoidfocal.go)
}

const logConstsOff = 40 // byte offset of logConsts in rowconsts

// focalConstsOff is the byte offset of generic.FocalCoefs in rowconsts (two
// vectors: x⁷..x⁴'s, then x³..x's and a zero).
const focalConstsOff = 88

func (g *gen) rowConsts() {
	off := 0
	for _, c := range expConsts {
		g.DataU32("rowconsts", off, math.Float32bits(c.v), fmt.Sprintf("%s = %g", c.name, c.v))
		off += 4
	}
	if off != logConstsOff {
		panic("rowconsts: logConstsOff is wrong")
	}
	for _, c := range logConsts {
		g.DataU32("rowconsts", off, math.Float32bits(c.v), fmt.Sprintf("%s = %g", c.name, c.v))
		off += 4
	}
	if off != focalConstsOff {
		panic("rowconsts: focalConstsOff is wrong")
	}
	for i, v := range generic.FocalCoefs {
		g.DataU32("rowconsts", off, math.Float32bits(v), fmt.Sprintf("focal expm1 coefficient of x^%d = %g", 7-i, v))
		off += 4
	}
	g.DataU32("rowconsts", off, 0, "padding to a whole vector")
	off += 4
	g.Globl("rowconsts", off)
}

type rowKind int

const (
	softmax rowKind = iota
	logSoftmax
	logSumExp
)

func (k rowKind) name() string {
	return [...]string{"SoftmaxNEON", "LogSoftmaxNEON", "LogSumExpNEON"}[k]
}

func (g *gen) rowsFile() {
	g.rowConsts()
	g.rowKernel(softmax,
		"SoftmaxNEON writes the softmax of each of the rows×cols row-major src into dst",
		"(rows, cols >= 1; dst may equal src): generic.Softmax, bit for bit.")
	g.rowKernel(logSoftmax,
		"LogSoftmaxNEON writes the log-softmax of each row of src into dst",
		"(rows, cols >= 1; dst may equal src): generic.LogSoftmax, bit for bit.")
	g.rowKernel(logSumExp,
		"LogSumExpNEON writes max + LogPos(sum of exp(x - max)) of each row of src to dst[row]",
		"and returns the number of rows done: it stops, leaving dst[row] unwritten, at the first",
		"row whose result is NaN (a row with NaN, +Inf or only -Inf; see generic.LogSumExpSpecial).")
	g.ceFile()
	g.sigmoidFocal(false)
	g.sigmoidFocal(true)
	g.focalTerms()
}

func (g *gen) rowKernel(k rowKind, doc ...string) {
	sig := "func(dst, src *float32, rows, cols int)"
	if k == logSumExp {
		sig = "func(dst, src *float32, rows, cols int) int"
	}
	g.text(k.name(), sig, doc...)
	g.Load("dst", rDst)
	g.Load("src", rSrc)
	g.Load("rows", rRows)
	g.Load("cols", rCols)
	g.Comment("the exp constants, each in every lane of a register")
	g.I("MOVD", "$rowconsts<>(SB)", rA.String())
	for i, c := range expConsts {
		g.IC(c.name, "VLD1R.P", a64.Mem(4, rA), "["+a64.V(int(vCut)+i).S4()+"]")
	}
	g.I("MOVW", "$-1", rOnes.String())
	g.I("MOVD", "ZR", rDone.String())

	row := k.name() + "_row"
	out := k.name() + "_out"
	g.Label(row)
	g.maxPass()
	g.expPass(k == softmax)
	switch k {
	case softmax:
		g.Comment("inv = 1 / sum (IEEE division), in every lane of K")
		g.I("FMOVS", "$1.0", a64.V(20).F())
		g.I("FDIVS", a64.V(0).F(), a64.V(20).F(), a64.V(20).F())
		g.DUPElem(vK, a64.V(20), 0)
		g.Comment("pass 3: dst_i = e_i * inv, in place in dst")
		g.finalPass(rDst, func(x []a64.VReg) {
			for _, v := range x {
				g.FMUL(v, v, vK)
			}
		})
	case logSoftmax:
		g.logPos(a64.V(0), vK)
		g.DUPElem(vK, vK, 0)
		g.Comment("pass 3: dst_i = (x_i - m) - L")
		g.finalPass(rSrc, func(x []a64.VReg) {
			for _, v := range x {
				g.FSUB(v, v, vM)
			}
			for _, v := range x {
				g.FSUB(v, v, vK)
			}
		})
	case logSumExp:
		y := a64.V(20)
		g.logPos(a64.V(0), y)
		g.Comment("y = m + L; a NaN y ends the call with dst[row] unwritten (the Go caller resolves that row)")
		g.I("FADDS", y.F(), vM.F(), y.F())
		g.I("FCMPS", y.F(), y.F())
		g.I("BVS", out)
		g.I("FMOVS.P", y.F(), a64.Mem(4, rDst))
	}
	g.Comment("next row")
	g.I("ADD", rCols.String()+"<<2", rSrc.String(), rSrc.String())
	if k != logSumExp {
		g.I("ADD", rCols.String()+"<<2", rDst.String(), rDst.String())
	}
	g.I("ADD", "$1", rDone.String(), rDone.String())
	g.I("CMP", rRows.String(), rDone.String())
	g.I("BLT", row)
	g.Label(out)
	if k == logSumExp {
		g.Return(rDone)
	} else {
		g.RET()
	}
}

// maxPass leaves m = max(row) + 0 in every lane of vM. FMAXNM skips a
// quiet NaN but returns NaN for a signaling one (x86's MAXPS skips both,
// as generic.RowMax does), so each element is first quieted by adding -0:
// x + (-0) is x itself for every other value, ±0 included.
func (g *gen) maxPass() {
	g.Comment("pass 1: m = max(row) + 0 with FMAXNM (NaN elements are skipped, as in generic.RowMax)",
		"into 8 partial maxima starting at -Inf; each x is quieted first (x + (-0): a signaling",
		"NaN becomes a quiet one, which FMAXNM skips; any other x stays as it is)")
	negz, ninf := a64.V(28), a64.V(29)
	g.I("MOVW", "$0x80000000", rT.String())
	g.DUPGen(negz, rT)
	g.I("MOVW", "$0xff800000", rT.String())
	g.DUPGen(ninf, rT)
	g.I("MOVD", rSrc.String(), rP.String())
	g.I("MOVD", rCols.String(), rN.String())
	for _, p := range P {
		g.MOV(p, ninf)
	}
	x := []a64.VReg{a64.V(20), a64.V(21), a64.V(22), a64.V(23), a64.V(24), a64.V(25), a64.V(26), a64.V(27)}
	g.loop("max", rN, 32, "max", 32, "element", func() {
		g.LD1(true, rP, x[:4]...)
		g.LD1(true, rP, x[4:]...)
		for j := range P {
			g.FADD(x[j], x[j], negz)
		}
		for j, p := range P {
			g.FMAXNM(p, p, x[j])
		}
	})
	g.Comment("whole vectors of the tail")
	g.vectors("maxvec", rN, func() {
		g.LD1(true, rP, x[0])
		g.FADD(x[0], x[0], negz)
		g.FMAXNM(P[0], P[0], x[0])
	})
	fold := g.NewLabel("maxfold")
	g.I("CBZ", rN.String(), fold)
	g.Comment("the last cols%4 elements: lanes past the end repeat the first of them (LD1R)")
	g.LD1R(true, rP, x[0])
	g.lanes(rN, func(i int) {
		if i > 0 {
			g.LD1Lane(true, rP, x[0], i)
		}
	})
	g.FADD(x[0], x[0], negz)
	g.FMAXNM(P[1], P[1], x[0])
	g.Label(fold)
	g.FMAXNM(P[0], P[0], P[4])
	g.FMAXNM(P[1], P[1], P[5])
	g.FMAXNM(P[2], P[2], P[6])
	g.FMAXNM(P[3], P[3], P[7])
	g.FMAXNM(P[0], P[0], P[2])
	g.FMAXNM(P[1], P[1], P[3])
	g.FMAXNM(P[0], P[0], P[1])
	g.FMAXNMV(vM, P[0])
	g.Comment("m = max + 0 (a -0 maximum becomes +0), in every lane")
	g.I("FMOVS", "ZR", a64.V(20).F())
	g.I("FADDS", a64.V(20).F(), vM.F(), vM.F())
	g.DUPElem(vM, vM, 0)
}

// expRegs are the registers of one vector's exponential.
type expRegs struct{ x, s, n, under, q a64.VReg }

// expTemps gives vector number i of a group its temporaries; f ends in s.
func expTemps(x a64.VReg, i int) expRegs {
	return expRegs{x, a64.V(24 + i), a64.V(26 + i), a64.V(28 + i), a64.V(30 + i)}
}

// expNeg computes f = ExpNeg(x - m) (generic/exp.go, step for step) for a
// group of vectors, one instruction per vector per step; x is clobbered.
func (g *gen) expNeg(rs ...expRegs) {
	each := func(op func(r expRegs)) {
		for _, r := range rs {
			op(r)
		}
	}
	g.Comment("x = x - m")
	each(func(r expRegs) { g.FSUB(r.x, r.x, vM) })
	g.Comment("under = x < cutoff")
	each(func(r expRegs) { g.FCMGT(r.under, vCut, r.x) })
	g.Comment("n = fma(x, log2e, magic)")
	each(func(r expRegs) { g.MOV(r.n, vMagic) })
	each(func(r expRegs) { g.FMLA(r.n, r.x, vLog2e) })
	g.Comment("s = bits(n) << 23 (integer shift: 2^round(x*log2e))")
	each(func(r expRegs) { g.SHL(r.s, r.n, 23) })
	g.Comment("n = n - magic")
	each(func(r expRegs) { g.FSUB(r.n, r.n, vMagic) })
	g.Comment("t = fma(n, -ln2_hi, x); t = fma(n, -ln2_lo, t)")
	each(func(r expRegs) { g.FMLA(r.x, r.n, vNLn2Hi) })
	each(func(r expRegs) { g.FMLA(r.x, r.n, vNLn2Lo) })
	g.Comment("p = fma(c5, t, c4)")
	each(func(r expRegs) { g.MOV(r.n, vC4) })
	each(func(r expRegs) { g.FMLA(r.n, vC5, r.x) })
	g.Comment("p = fma(p, t, c3)")
	each(func(r expRegs) { g.MOV(r.q, vC3) })
	each(func(r expRegs) { g.FMLA(r.q, r.n, r.x) })
	g.Comment("p = fma(p, t, c2)")
	each(func(r expRegs) { g.MOV(r.n, vC2) })
	each(func(r expRegs) { g.FMLA(r.n, r.q, r.x) })
	g.Comment("p = fma(p, t, c1)")
	each(func(r expRegs) { g.MOV(r.q, vC1) })
	each(func(r expRegs) { g.FMLA(r.q, r.n, r.x) })
	g.Comment("t = t * s")
	each(func(r expRegs) { g.FMUL(r.x, r.x, r.s) })
	g.Comment("f = fma(t, p, s)")
	each(func(r expRegs) { g.FMLA(r.s, r.x, r.q) })
	g.Comment("f = under ? +0 : f")
	each(func(r expRegs) { g.BIC(r.s, r.s, r.under) })
}

// expPass sums e_i = ExpNeg(x_i - m) over the row into the 32 partials and
// leaves the canonical sum in F0; with store it also writes e_i to dst.
func (g *gen) expPass(store bool) {
	g.Comment("pass 2: e_i = ExpNeg(x_i - m), summed into the 32 partials (P0..P7)")
	if store {
		g.Comment("and stored to dst")
	}
	g.zeroPartials()
	g.I("MOVD", rSrc.String(), rP.String())
	g.I("MOVD", rCols.String(), rN.String())
	if store {
		g.I("MOVD", rDst.String(), rQ.String())
	}
	x0, x1 := a64.V(20), a64.V(21)
	what := "exp-sum"
	if store {
		what = "exp-sum-store"
	}
	g.loop("exp", rN, 32, what, 32, "element", func() {
		for k := 0; k < 4; k++ {
			g.Commentf("elements %d..%d of the block: partials P%d, P%d", 8*k, 8*k+7, 2*k, 2*k+1)
			g.LD1(true, rP, x0, x1)
			a, b := expTemps(x0, 0), expTemps(x1, 1)
			g.expNeg(a, b)
			if store {
				g.ST1(true, rQ, a.s, b.s)
			}
			g.Comment("p += f")
			g.FADD(P[2*k], P[2*k], a.s)
			g.FADD(P[2*k+1], P[2*k+1], b.s)
		}
	})

	g.Comment("tail: fewer than 32 elements. First the partial vector of the last cols%4",
		"elements (loaded lane by lane; the lanes past the end are zeroed after the",
		"exponential), then the whole vectors, each into the next partial register.")
	g.Zero(vPF)
	whole := g.NewLabel("expwhole")
	g.I("ANDS", "$3", rN.String(), rR.String())
	g.I("BEQ", whole)
	g.I("AND", "$-4", rN.String(), rT.String())
	g.I("ADD", rT.String()+"<<2", rP.String(), rA.String())
	g.Zero(vPX)
	g.lanes(rR, func(i int) {
		g.LD1Lane(true, rA, vPX, i)
		g.INS(vPF, i, rOnes)
	})
	pt := expTemps(vPX, 0)
	g.expNeg(pt)
	g.AND(vPF, vPF, pt.s)
	if store {
		g.I("ADD", rT.String()+"<<2", rQ.String(), rB.String())
		g.lanes(rR, func(i int) { g.ST1Lane(true, rB, vPF, i) })
	}
	g.Label(whole)
	g.ladder("exp", rN, func(j int) {
		g.Commentf("whole vector -> P%d", j)
		g.LD1(true, rP, x0)
		t := expTemps(x0, 0)
		g.expNeg(t)
		if store {
			g.ST1(true, rQ, t.s)
		}
		g.FADD(P[j], P[j], t.s)
	}, func(j int) {
		g.FADD(P[j], P[j], vPF)
	})
	g.treeSum(a64.V(0))
}

// finalPass runs op over the row, reading from (src or dst) and writing to
// dst: 16 elements per iteration, then whole vectors, then the last cols%4
// lane by lane.
func (g *gen) finalPass(from a64.GPR, op func(x []a64.VReg)) {
	g.I("MOVD", from.String(), rP.String())
	g.I("MOVD", rDst.String(), rQ.String())
	g.I("MOVD", rCols.String(), rN.String())
	x := []a64.VReg{a64.V(20), a64.V(21), a64.V(22), a64.V(23)}
	g.loop("out", rN, 16, "final pass", 16, "element", func() {
		g.LD1(true, rP, x...)
		op(x)
		g.ST1(true, rQ, x...)
	})
	g.vectors("outvec", rN, func() {
		g.LD1(true, rP, x[0])
		op(x[:1])
		g.ST1(true, rQ, x[0])
	})
	end := g.NewLabel("outend")
	g.I("CBZ", rN.String(), end)
	g.Comment("the last cols%4 elements, lane by lane")
	g.lanes(rN, func(i int) { g.LD1Lane(true, rP, x[0], i) })
	op(x[:1])
	g.lanes(rN, func(i int) { g.ST1Lane(true, rQ, x[0], i) })
	g.Label(end)
}

// logPos computes out = generic.LogPos(in) on scalars (once per row): integer
// steps on the bit pattern, then the polynomial with FMADDS (one rounding).
// It uses F20..F27 and the log constants of rowconsts.
func (g *gen) logPos(in, out a64.VReg) {
	f, e, z, p, c0, c1, r, d := a64.V(20), a64.V(21), a64.V(22), a64.V(23), a64.V(24), a64.V(25), a64.V(26), a64.V(27)
	i, k := rR, rT
	g.Comment("L = LogPos(sum), scalar: k = int32(bits(s) - bits(sqrt(1/2))) >> 23")
	g.I("FMOVS", in.F(), i.String())
	g.I("MOVW", fmt.Sprintf("$0x%08X", generic.LogSqrtHalfBits), k.String())
	g.I("SUBW", k.String(), i.String(), k.String())
	g.I("ASRW", "$23", k.String(), k.String())
	g.Comment("f = frombits(bits(s) - k<<23) - 1")
	g.I("SUBW", k.String()+"<<23", i.String(), i.String())
	g.I("FMOVS", i.String(), f.F())
	g.I("FMOVS", "$1.0", c0.F())
	g.I("FSUBS", c0.F(), f.F(), f.F())
	g.Comment("e = float32(k); z = f * f")
	g.I("SCVTFWS", k.String(), e.F())
	g.I("FMULS", f.F(), f.F(), z.F())
	g.Comment("p = fma(P8, f, P7); p = fma(p, f, P6) ... p = fma(p, f, P0)")
	g.I("MOVD", fmt.Sprintf("$rowconsts<>+%d(SB)", logConstsOff), rA.String())
	g.IC("P8, P7", "FLDPS", a64.Mem(0, rA), fmt.Sprintf("(%s, %s)", c0.F(), c1.F()))
	g.I("FMADDS", c0.F(), c1.F(), f.F(), p.F())
	for j := 0; j < 4; j++ {
		g.IC(fmt.Sprintf("P%d, %s", 6-2*j, []string{"P5", "P3", "P1", "ln2_lo"}[j]),
			"FLDPS", a64.Mem(8+8*j, rA), fmt.Sprintf("(%s, %s)", c0.F(), c1.F()))
		g.I("FMADDS", f.F(), c0.F(), p.F(), p.F())
		if j < 3 {
			g.I("FMADDS", f.F(), c1.F(), p.F(), p.F())
		}
	}
	g.Comment("y = (p * f) * z; y = fma(e, ln2_lo, y); y = fma(z, -0.5, y)")
	g.I("FMULS", f.F(), p.F(), p.F())
	g.I("FMULS", z.F(), p.F(), p.F())
	g.I("FMADDS", c1.F(), p.F(), e.F(), p.F())
	g.I("FMOVS", "$-0.5", c0.F())
	g.I("FMADDS", c0.F(), p.F(), z.F(), p.F())
	g.Comment("r = f + y; r = fma(e, ln2_hi, r); r = r + (s - s)")
	g.I("FADDS", p.F(), f.F(), r.F())
	g.IC("ln2_hi", "FMOVS", a64.Mem(40, rA), c0.F())
	g.I("FMADDS", c0.F(), r.F(), e.F(), r.F())
	g.I("FSUBS", in.F(), in.F(), d.F())
	g.I("FADDS", d.F(), r.F(), out.F())
}
