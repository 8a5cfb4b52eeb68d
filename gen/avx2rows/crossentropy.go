package main

import (
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// ceVariant names a cross-entropy kernel variant: G writes the gradient, W
// reads class weights, S (hard labels) accumulates the smoothing sum.
func ceVariant(grad, weights, smooth bool) string {
	return variantName(on(grad, "G"), on(weights, "W"), on(smooth, "S"))
}

// on is s when b holds, else "".
func on(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

// variantName joins a variant's letters, "Plain" for none.
func variantName(letters ...string) string {
	if v := strings.Join(letters, ""); v != "" {
		return v
	}
	return "Plain"
}

// ceRow starts a cross-entropy row kernel: the row state, with src the
// logits z and, with grad, dst the gradient; and the rows parameter and
// the gradient's row step for pipeline and block.loop.
func ceRow(name string, constsInRegs, grad bool) (r *row, rows Op, dstStep int) {
	r = newRow(name, Load(Param("cols"), GP64()).(reg.GPVirtual), constsInRegs)
	r.src = Load(Param("z"), GP64()).(reg.GPVirtual)
	if grad {
		r.dst = Load(Param("grad"), GP64()).(reg.GPVirtual)
		dstStep = 2
	}
	return r, Load(Param("rows"), GP64()), dstStep
}

// crossEntropyKernel emits generic.CrossEntropyRows for one variant.
func crossEntropyKernel(grad, weights, smooth bool) {
	name := "CrossEntropy" + ceVariant(grad, weights, smooth) + w.suffix
	TEXT(name, 0, "func(grad, z, w *float32, k float32, a, scale, mx, lsum, zw *float32, rows, cols int)")
	Doc(name+" is generic.CrossEntropyRows, bit for bit, for rows, cols >= 1"+variantDoc(grad, weights, smooth)+".",
		"Per row: mx = max, lsum = LogPos(Σ exp(z - max)), zw = Σ w·(z - max), and the gradient",
		"without its label term: scale·fma(a, softmax, -k·w).")
	r, rows, dstStep := ceRow(name, !smooth, grad)

	if !w.zmm { // short rows: the AVX2 kernels' transposed 8-row path
		crossEntropyBlock(r, rows, dstStep, grad, weights, smooth)
		r.bounds() // the block path holds no per-row bounds
	}
	end := r.label("end")
	from := AllocLocal(8)
	MOVQ(r.done, from)
	CMPQ(r.done, rows)
	JAE(LabelRef(end))
	r.pipeline(rows, dstStep, func() {
		var zacc []reg.VecVirtual
		var hook func(j int, a at, mask tmask, d reg.VecVirtual)
		if smooth {
			Comment("zw partials: fma(w, z - max, p), or p + (z - max) without class weights")
			zacc = zeroAcc()
			var wp reg.GPVirtual
			if weights {
				wp = Load(Param("w"), GP64()).(reg.GPVirtual)
			}
			hook = func(j int, a at, mask tmask, d reg.VecVirtual) {
				switch {
				case !weights:
					VADDPS(d, zacc[j], zacc[j])
				case mask == nil:
					VFMADD231PS(a(wp), d, zacc[j])
				default:
					VFMADD231PS(load(a, wp, mask), d, zacc[j])
				}
			}
		}
		s := r.expPass(grad, hook)
		outputs := func() {
			Comment("per-row outputs: mx, lsum (and zw)")
			VMOVSS(r.m.AsX(), r.perRow(Load(Param("mx"), GP64()).(reg.GPVirtual)))
			VMOVSS(s, r.perRow(Load(Param("lsum"), GP64()).(reg.GPVirtual))) // the sum: see deferredLogs
			if smooth {
				VMOVSS(treeSum(zacc), r.perRow(Load(Param("zw"), GP64()).(reg.GPVirtual)))
			}
		}
		if !grad {
			outputs()
			return
		}
		Comment("grad_j = scale * fma(a, e_j * (1/sum), -u_j), u_j = k * w_j")
		inv := reciprocal(s)
		av, sv := vreg(), vreg()
		VBROADCASTSS(r.perRow(Load(Param("a"), GP64()).(reg.GPVirtual)), av)
		VBROADCASTSS(r.perRow(Load(Param("scale"), GP64()).(reg.GPVirtual)), sv)
		kv := broadcastParam("k")
		var wp reg.GPVirtual
		if weights {
			wp = Load(Param("w"), GP64()).(reg.GPVirtual)
		}
		r.finalPass(func(a at, mask tmask) reg.VecVirtual {
			p := load(a, r.dst, mask)
			VMULPS(inv, p, p)
			u := vreg()
			if weights {
				if mask == nil {
					VMULPS(a(wp), kv, u)
				} else {
					VMULPS(load(a, wp, mask), kv, u)
				}
			} else {
				VMOVAPS(kv, u)
			}
			VFMSUB231PS(av, p, u) // u = p*a - u
			VMULPS(sv, u, u)
			return u
		})
		outputs() // after the gradient pass, which does not need them
	})
	Label(end)
	deferredLogs(r, from)
	VZEROUPPER()
	RET()
}

// deferredLogs emits lsum[i] = LogPos(lsum[i]) for the rows of the per-row
// path (from the row in the stack slot from to rows): that path stores each
// row's sum, so that no row waits for the long chain of dependent steps of
// its logarithm; here 8 rows at a time run through vlogPos (lane-wise the
// same steps as logPos, so the same bits), and the last rows through logPos.
func deferredLogs(r *row, from Mem) {
	Comment("lsum = LogPos(sum) for the rows of the per-row path: 8 at a time, then one at a time")
	p := Load(Param("lsum"), GP64()).(reg.GPVirtual)
	rows := Load(Param("rows"), GP64()).(reg.GPVirtual)
	i := GP64()
	MOVQ(from, i)
	vec, one, done := r.label("logs8"), r.label("logs1"), r.label("logsdone")
	Label(vec)
	t := GP64()
	LEAQ(Mem{Base: i, Disp: 8}, t)
	CMPQ(t, rows)
	JA(LabelRef(one))
	s := YMM()
	VMOVUPS(Mem{Base: p, Index: i, Scale: 4}, s)
	VMOVUPS(vlogPos(s), Mem{Base: p, Index: i, Scale: 4})
	MOVQ(t, i)
	JMP(LabelRef(vec))
	Label(one)
	CMPQ(i, rows)
	JAE(LabelRef(done))
	x := XMM()
	VMOVSS(Mem{Base: p, Index: i, Scale: 4}, x)
	VMOVSS(logPos(x), Mem{Base: p, Index: i, Scale: 4})
	INCQ(i)
	JMP(LabelRef(one))
	Label(done)
}

func variantDoc(grad, weights, smooth bool) string {
	s := ""
	add := func(on bool, yes, no string) {
		if on {
			s += ", " + yes
		} else if no != "" {
			s += ", " + no
		}
	}
	add(grad, "writing grad", "grad nil")
	add(weights, "class weights w", "w nil")
	add(smooth, "zw written", "zw nil")
	return s
}

// crossEntropySoftKernel emits generic.CrossEntropySoftRows for one variant.
func crossEntropySoftKernel(grad, weights bool) {
	name := "CrossEntropySoft" + ceVariant(grad, weights, false) + w.suffix
	TEXT(name, NOSPLIT, "func(grad, z, q, w *float32, scale, mx, lsum, mass, zc *float32, keep, spread float32, rows, cols int)")
	Doc(name+" is generic.CrossEntropySoftRows, bit for bit, for rows, cols >= 1"+variantDoc(grad, weights, true)[:len(variantDoc(grad, weights, true))-len(", zw written")]+".",
		"Per row, with c = fma(keep, q, spread)·w: mx, lsum, mass = Σ c, zc = Σ c·(z - max), and the",
		"gradient scale·fma(mass, softmax, -c).")
	r, rows, dstStep := ceRow(name, false, grad)

	// params broadcasts keep and spread for a pass.
	params := func() (keep, spread reg.VecVirtual) {
		return broadcastParam("keep"), broadcastParam("spread")
	}
	// target computes c = fma(keep, q, spread) (times w) of the current vector.
	target := func(a at, mask tmask, qp, wp reg.GPVirtual, keep, spread reg.VecVirtual) reg.VecVirtual {
		c := vreg()
		VMOVAPS(spread, c)
		VFMADD231PS(load(a, qp, mask), keep, c) // c = keep*q + spread
		if weights {
			if mask == nil {
				VMULPS(a(wp), c, c)
			} else {
				VMULPS(load(a, wp, mask), c, c)
			}
		}
		return c
	}
	from := AllocLocal(8)
	MOVQ(r.done, from) // 0: the soft kernels have no short-row path
	r.pipeline(rows, dstStep, func() {
		s := r.expPass(grad, nil)
		Comment("pass 2b: mass = Σ c, zc = Σ c·(z - max) over the same 32 partials")
		macc, zacc := zeroAcc(), zeroAcc()
		qp := r.rowOf("q")
		var wp reg.GPVirtual
		if weights {
			wp = Load(Param("w"), GP64()).(reg.GPVirtual)
		}
		keep, spread := params()
		r.walk("tgt", func(j int, a at, mask tmask) {
			d := load(a, r.src, mask)
			VSUBPS(r.m, d, d)
			c := target(a, mask, qp, wp, keep, spread)
			if mask != nil {
				// dead lanes: c = -0, d = +0, so that both mass += c and
				// zc = fma(c, d, zc) add -0, which leaves even a -0 partial
				zeroOutside(mask, d)
				negZeroOutside(mask, c)
			}
			VADDPS(c, macc[j], macc[j])
			VFMADD231PS(c, d, zacc[j])
		})
		mass := treeSum(macc)
		Comment("per-row outputs: mx, mass, zc")
		VMOVSS(r.m.AsX(), r.perRow(Load(Param("mx"), GP64()).(reg.GPVirtual)))
		VMOVSS(mass, r.perRow(Load(Param("mass"), GP64()).(reg.GPVirtual)))
		VMOVSS(treeSum(zacc), r.perRow(Load(Param("zc"), GP64()).(reg.GPVirtual)))
		lsum := func() {
			Comment("per-row output: the sum, into lsum (see deferredLogs)")
			VMOVSS(s, r.perRow(Load(Param("lsum"), GP64()).(reg.GPVirtual)))
		}
		if !grad {
			lsum()
			return
		}
		Comment("grad_j = scale * fma(mass, e_j * (1/sum), -c_j)")
		inv := reciprocal(s)
		mv, sv := vreg(), vreg()
		VBROADCASTSS(mass, mv)
		VBROADCASTSS(r.perRow(Load(Param("scale"), GP64()).(reg.GPVirtual)), sv)
		qp = r.rowOf("q")
		if weights {
			wp = Load(Param("w"), GP64()).(reg.GPVirtual)
		}
		keep, spread = params()
		r.finalPass(func(a at, mask tmask) reg.VecVirtual {
			p := load(a, r.dst, mask)
			VMULPS(inv, p, p)
			c := target(a, mask, qp, wp, keep, spread)
			VFMSUB231PS(mv, p, c) // c = p*mass - c
			VMULPS(sv, c, c)
			return c
		})
		lsum()
	})
	deferredLogs(r, from)
	VZEROUPPER()
	RET()
}

// crossEntropyBlock emits the short-row path of a hard-label cross-entropy
// kernel.
func crossEntropyBlock(r *row, rows Op, dstStep int, grad, weights, smooth bool) {
	bk := newBlock(r, smooth, 0)
	bk.loop(rows, dstStep, func(string) {
		bk.load(r.src)
		m := bk.maxCols(nil)
		var hook func(slot Mem, d reg.VecVirtual)
		if smooth {
			zeroSums(bk.z)
			hook = func(_ Mem, d reg.VecVirtual) {
				p := YMM()
				VXORPS(p, p, p)
				if weights {
					VFMADD231PS(bk.wcol(), d, p) // p = fma(w, d, +0)
				} else {
					VADDPS(d, p, p) // p = +0 + d
				}
				z := bk.sumSlot(bk.z)
				VADDPS(z, p, p)
				VMOVUPS(p, z)
			}
		}
		s := bk.expCols(m, grad, hook)
		Comment("per-row outputs of 8 rows: mx (and zw)")
		VMOVUPS(m, r.perRow(Load(Param("mx"), GP64()).(reg.GPVirtual)))
		if smooth {
			VMOVUPS(pairTree(bk.z), r.perRow(Load(Param("zw"), GP64()).(reg.GPVirtual)))
		}
		lsum := func() {
			Comment("per-row output of 8 rows: lsum")
			VMOVUPS(vlogPos(s), r.perRow(Load(Param("lsum"), GP64()).(reg.GPVirtual)))
		}
		if !grad {
			lsum()
			return
		}
		Comment("grad = scale * fma(a, e * (1/sum), -k*w), 8 rows per column")
		inv, av, sv := YMM(), YMM(), YMM()
		VBROADCASTSS(consts.scalar("one"), inv)
		VDIVPS(s, inv, inv)
		VMOVUPS(r.perRow(Load(Param("a"), GP64()).(reg.GPVirtual)), av)
		VMOVUPS(r.perRow(Load(Param("scale"), GP64()).(reg.GPVirtual)), sv)
		kv := broadcastParam("k")
		bk.columns("bgrad", func(slot Mem) {
			p := YMM()
			VMULPS(slot, inv, p)
			u := YMM()
			if weights {
				VMULPS(bk.wcol(), kv, u)
			} else {
				VMOVAPS(kv, u)
			}
			VFMSUB231PS(av, p, u) // u = p*a - u
			VMULPS(sv, u, u)
			VMOVUPS(u, slot)
		})
		bk.store(r.dst)
		lsum() // after the gradient, which does not need it
	})
}
