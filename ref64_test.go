package simdloss

import "math"

// The float64 building blocks of the loss references: each returns its
// value and a backward function, so a reference reads as the definition
// and its gradient as the chain rule, independently of the float32 code.

// cos64 returns the n×m cosine similarities of the rows of x and y (dim
// each, normalised with eps 1e-12 as the losses do) and the backward map
// from d loss/d S to the gradients w.r.t. x and y.
func cos64(x, y []float64, n, m, dim int) ([]float64, func(dS []float64) (dx, dy []float64)) {
	xh, xn := normalise64(x, n, dim)
	yh, yn := normalise64(y, m, dim)
	s := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			s[i*m+j] = dot64(xh[i*dim:(i+1)*dim], yh[j*dim:(j+1)*dim])
		}
	}
	back := func(dS []float64) ([]float64, []float64) {
		gx, gy := make([]float64, n*dim), make([]float64, m*dim)
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				for k := 0; k < dim; k++ {
					gx[i*dim+k] += dS[i*m+j] * yh[j*dim+k]
					gy[j*dim+k] += dS[i*m+j] * xh[i*dim+k]
				}
			}
		}
		return normBack64(gx, xh, xn, n, dim), normBack64(gy, yh, yn, m, dim)
	}
	return s, back
}

// normalise64 returns x's rows divided by max(‖x_i‖, 1e-12), and the norms.
func normalise64(x []float64, n, dim int) ([]float64, []float64) {
	xh, norm := make([]float64, len(x)), make([]float64, n)
	for i := 0; i < n; i++ {
		r := x[i*dim : (i+1)*dim]
		norm[i] = math.Sqrt(dot64(r, r))
		d := math.Max(norm[i], 1e-12)
		for k, v := range r {
			xh[i*dim+k] = v / d
		}
	}
	return xh, norm
}

// normBack64 maps the gradient w.r.t. normalised rows to the raw rows:
// (g - (g·x̂)x̂)/‖x‖.
func normBack64(g, xh, norm []float64, n, dim int) []float64 {
	out := make([]float64, len(g))
	for i := 0; i < n; i++ {
		gi, hi := g[i*dim:(i+1)*dim], xh[i*dim:(i+1)*dim]
		if norm[i] < 1e-12 {
			for k := range gi {
				out[i*dim+k] = gi[k] / 1e-12
			}
			continue
		}
		d := dot64(gi, hi)
		for k := range gi {
			out[i*dim+k] = (gi[k] - d*hi[k]) / norm[i]
		}
	}
	return out
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for k := range a {
		s += a[k] * b[k]
	}
	return s
}

// ce64 is -log softmax(z)[label] and its gradient softmax(z) - onehot.
// -Inf logits take no part.
func ce64(z []float64, label int) (float64, []float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	sum := 0.0
	for _, v := range z {
		sum += math.Exp(v - m)
	}
	g := make([]float64, len(z))
	for j, v := range z {
		g[j] = math.Exp(v-m) / sum
	}
	g[label]--
	return math.Log(sum) - (z[label] - m), g
}

// lse64 is log Σ exp(z) over the elements where use is true (-Inf when
// none) and its gradient (the softmax over those elements).
func lse64(z []float64, use func(int) bool) (float64, []float64) {
	m := math.Inf(-1)
	for j, v := range z {
		if use(j) {
			m = math.Max(m, v)
		}
	}
	g := make([]float64, len(z))
	if math.IsInf(m, -1) {
		return m, g
	}
	sum := 0.0
	for j, v := range z {
		if use(j) {
			g[j] = math.Exp(v - m)
			sum += g[j]
		}
	}
	for j := range g {
		g[j] /= sum
	}
	return m + math.Log(sum), g
}
