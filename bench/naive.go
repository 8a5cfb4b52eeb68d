package main

import "math"

// The naive implementations are what a Go user writes today without this
// package: float64 math.Exp and math.Log, plain loops, no max-trick shortcuts
// beyond the usual max subtraction.

func naiveSoftmax(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x, y := src[r:r+cols], dst[r:r+cols]
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, float64(v))
		}
		s := 0.0
		for i, v := range x {
			e := math.Exp(float64(v) - m)
			y[i] = float32(e)
			s += e
		}
		for i := range y {
			y[i] = float32(float64(y[i]) / s)
		}
	}
}

func naiveLogSoftmax(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x, y := src[r:r+cols], dst[r:r+cols]
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, float64(v))
		}
		s := 0.0
		for _, v := range x {
			s += math.Exp(float64(v) - m)
		}
		l := m + math.Log(s)
		for i, v := range x {
			y[i] = float32(float64(v) - l)
		}
	}
}

func naiveLogSumExp(dst, src []float32, cols int) {
	for r := 0; r+cols <= len(src); r += cols {
		x := src[r : r+cols]
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, float64(v))
		}
		s := 0.0
		for _, v := range x {
			s += math.Exp(float64(v) - m)
		}
		dst[r/cols] = float32(m + math.Log(s))
	}
}

func naiveSquaredL2(dst, a, b []float32, dim int) {
	n := len(b) / dim
	for i := 0; i+dim <= len(a); i += dim {
		ai := a[i : i+dim]
		row := dst[i/dim*n : i/dim*n+n]
		for j := range row {
			bj := b[j*dim : j*dim+dim]
			var s float32
			for k, v := range ai {
				d := v - bj[k]
				s += d * d
			}
			row[j] = s
		}
	}
}

func naiveSquaredL2Rows(dst, a, b []float32, dim int) {
	for i := range dst[:len(a)/dim] {
		ai, bi := a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim]
		var s float32
		for k, v := range ai {
			d := v - bi[k]
			s += d * d
		}
		dst[i] = s
	}
}

// naiveCrossEntropy is the class-weighted mean cross-entropy with its
// gradient (when grad is non-nil), in float64 per row.
func naiveCrossEntropy(z []float32, labels []int32, w []float32, cols int, grad []float32) float32 {
	total, den := 0.0, 0.0
	for r, y := range labels {
		x := z[r*cols : (r+1)*cols]
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, float64(v))
		}
		s := 0.0
		for _, v := range x {
			s += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(s)
		wy := float64(w[y])
		total += wy * (lse - float64(x[y]))
		den += wy
		if grad != nil {
			g := grad[r*cols : (r+1)*cols]
			for j, v := range x {
				g[j] = float32(wy * math.Exp(float64(v)-lse))
			}
			g[y] -= float32(wy)
		}
	}
	for i := range grad {
		grad[i] = float32(float64(grad[i]) / den)
	}
	return float32(total / den)
}

// naiveTriplet is the mean Euclidean triplet loss (margin 1) with its
// gradients when the gradient slices are non-nil, in float64 per row.
func naiveTriplet(a, p, n []float32, dim int, ga, gp, gn []float32) float32 {
	rows := len(a) / dim
	total := 0.0
	for i := 0; i < rows; i++ {
		ai, pi, ni := a[i*dim:(i+1)*dim], p[i*dim:(i+1)*dim], n[i*dim:(i+1)*dim]
		dap, dan := 0.0, 0.0
		for k := range ai {
			u := float64(ai[k]-pi[k]) + 1e-6
			v := float64(ai[k]-ni[k]) + 1e-6
			dap += u * u
			dan += v * v
		}
		dap, dan = math.Sqrt(dap), math.Sqrt(dan)
		x := dap - dan + 1
		if x < 0 {
			x = 0
		}
		total += x
		if ga == nil {
			continue
		}
		for k := range ai {
			u := (float64(ai[k]-pi[k]) + 1e-6) / dap
			v := (float64(ai[k]-ni[k]) + 1e-6) / dan
			g := 0.0
			if x > 0 {
				g = 1 / float64(rows)
			}
			ga[i*dim+k] = float32(g * (u - v))
			gp[i*dim+k] = float32(-g * u)
			gn[i*dim+k] = float32(g * v)
		}
	}
	return float32(total / float64(rows))
}
