//go:build !purego && (amd64 || arm64)

package kernels

// ceAsm is the signature of a generated hard-label cross-entropy kernel.
type ceAsm func(grad, z, w *float32, k float32, a, scale, mx, lsum, zw *float32, rows, cols int)

// ceSoftAsm is the signature of a generated soft-target cross-entropy kernel.
type ceSoftAsm func(grad, z, q, w *float32, scale, mx, lsum, mass, zc *float32, keep, spread float32, rows, cols int)

// at returns a pointer to s[i], or nil for a nil s.
func at(s []float32, i int) *float32 {
	if s == nil {
		return nil
	}
	return ptr(s[i:])
}

// ceKernel wraps the 8 variants of a generated hard-label kernel, indexed
// by grad<<2 | weights<<1 | smoothing, into a ceFunc.
func ceKernel(v [8]ceAsm) ceFunc {
	return func(grad, z, w []float32, k float32, a, scale, mx, lsum, zw []float32, rows, cols int) {
		i := 0
		if grad != nil {
			i |= 4
		}
		if w != nil {
			i |= 2
		}
		if zw != nil {
			i |= 1
		}
		f := v[i]
		step := rowChunk(cols)
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			f(at(grad, r*cols), at(z, r*cols), at(w, 0), k, at(a, r), at(scale, r), at(mx, r), at(lsum, r), at(zw, r), n, cols)
		}
	}
}

// ceSoftKernel wraps the 4 variants of a generated soft-target kernel,
// indexed by grad<<1 | weights, into a ceSoftFunc.
func ceSoftKernel(v [4]ceSoftAsm) ceSoftFunc {
	return func(grad, z, q, w, scale, mx, lsum, mass, zc []float32, keep, spread float32, rows, cols int) {
		i := 0
		if grad != nil {
			i |= 2
		}
		if w != nil {
			i |= 1
		}
		f := v[i]
		step := rowChunk(cols)
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			f(at(grad, r*cols), at(z, r*cols), at(q, r*cols), at(w, 0), at(scale, r), at(mx, r), at(lsum, r), at(mass, r), at(zc, r), keep, spread, n, cols)
		}
	}
}
