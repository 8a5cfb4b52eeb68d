package main

import "github.com/simdloss/simdloss/gen/a64"

// circle emits the circle loss's elementwise kernels: CircleLogitsNEON,
// dst = (gamma·relu(s + m))·(s - m), and CircleGradsNEON, s = (c·relu(s +
// m))·p, each operation rounded, relu(x) = x where x > 0, else +0 (NaN and
// -0 included): FCMGT against +0 and an AND.
func (g *gen) circle(grads bool) {
	name, sig, k := "CircleLogitsNEON", "func(dst, s *float32, n int, gamma, m float32)", "gamma"
	doc := []string{name + " writes dst_j = (gamma·relu(s_j + m))·(s_j - m) for n >= 1 elements (dst may",
		"be s): generic.CircleLogits, bit for bit."}
	if grads {
		name, sig, k = "CircleGradsNEON", "func(s, p *float32, n int, c, m float32)", "c"
		doc = []string{name + " overwrites s_j with (c·relu(s_j + m))·p_j for n >= 1 elements:",
			"generic.CircleGrads, bit for bit."}
	}
	g.text(name, sig, doc...)
	src, other, dst, n := a64.R(0), a64.R(1), a64.R(2), a64.R(3)
	vk, vm, zero := a64.V(0), a64.V(1), a64.V(2)
	if grads {
		g.Load("s", src)
		g.Load("p", other)
		g.I("MOVD", src.String(), dst.String())
	} else {
		g.Load("dst", dst)
		g.Load("s", src)
	}
	g.Load("n", n)
	g.LoadFAll(k, vk)
	g.LoadFAll("m", vm)
	g.Zero(zero)
	x, y, t := vregs(8, 8), vregs(16, 8), vregs(24, 8)
	ins := []stream{{src, x}}
	if grads {
		ins = append(ins, stream{other, y})
	}
	g.elementwise(name[:len(name)-4], "circle", n, ins, []stream{{dst, t}}, func(w int) {
		g.Comment("t = relu(s + m)")
		for i := 0; i < w; i++ {
			g.FADD(t[i], x[i], vm)
		}
		mask := y
		if grads {
			mask = x // s is no longer needed; y holds p
		}
		for i := 0; i < w; i++ {
			g.FCMGT(mask[i], t[i], zero)
		}
		for i := 0; i < w; i++ {
			g.AND(t[i], t[i], mask[i])
		}
		g.Commentf("t = %s·t", k)
		for i := 0; i < w; i++ {
			g.FMUL(t[i], t[i], vk)
		}
		if grads {
			g.Comment("s = t·p")
			for i := 0; i < w; i++ {
				g.FMUL(t[i], t[i], y[i])
			}
			return
		}
		g.Comment("dst = t·(s - m)")
		for i := 0; i < w; i++ {
			g.FSUB(x[i], x[i], vm)
		}
		for i := 0; i < w; i++ {
			g.FMUL(t[i], t[i], x[i])
		}
	})
	g.RET()
}

// maskedAffine emits MaskedAffineNEON, the multi-similarity miner's
// negatives pass over whole vectors (generic.MaskedAffine): dst = beta·(x -
// base) (two roundings) where x + eps > thr, else -Inf (NaN included); it
// returns the maximum of the non-NaN x (FMAXNM skips NaN once x is quieted:
// see maxPass), -Inf if none.
// The caller takes the tail and adds +0.
func (g *gen) maskedAffine() {
	const name = "MaskedAffineNEON"
	g.text(name, "func(dst, x *float32, n int, thr, eps, beta, base float32) float32",
		name+" is generic.MaskedAffine over x[0:n], n a multiple of 4 (dst may be x), but returns",
		"the largest non-NaN x without adding +0 (-Inf if there is none).")
	dst, x, n, t := a64.R(0), a64.R(1), a64.R(2), a64.R(3)
	g.Load("dst", dst)
	g.Load("x", x)
	g.Load("n", n)
	thr, eps, beta, base, ninf, acc := a64.V(0), a64.V(1), a64.V(2), a64.V(3), a64.V(4), a64.V(5)
	for _, p := range []struct {
		name string
		v    a64.VReg
	}{{"thr", thr}, {"eps", eps}, {"beta", beta}, {"base", base}} {
		g.LoadFAll(p.name, p.v)
	}
	g.I("MOVW", "$0xff800000", t.String())
	g.DUPGen(ninf, t)
	g.MOV(acc, ninf)
	v, y, m, negz, qv := a64.V(6), a64.V(7), a64.V(8), a64.V(9), a64.V(10)
	g.I("MOVW", "$0x80000000", t.String())
	g.DUPGen(negz, t)
	g.vectors(name, n, func() {
		g.LD1(true, x, v)
		g.FADD(qv, v, negz)
		g.FMAXNM(acc, acc, qv)
		g.FSUB(y, v, base)
		g.FMUL(y, y, beta)
		g.FADD(m, v, eps)
		g.FCMGT(m, m, thr)
		g.Comment("where not x + eps > thr: -Inf")
		g.BIF(y, ninf, m)
		g.ST1(true, dst, y)
	})
	g.FMAXNMV(acc, acc)
	g.ReturnF(acc)
}
