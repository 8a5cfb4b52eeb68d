//go:build !purego && (amd64 || arm64)

package kernels

// epsRowsAsm is the signature of a generated SquaredL2RowsEps kernel.
type epsRowsAsm func(dst, a, b *float32, eps float32, rows, dim int)

// tripletGradAsm is the signature of a generated TripletGradRows kernel.
type tripletGradAsm func(gA, gP, gN, a, p, n, cu, cv, cw *float32, eps float32, rows, dim int)

func epsRowsKernel(k epsRowsAsm) epsRowsFunc {
	return func(dst, a, b []float32, eps float32, rows, dim int) {
		step := rowChunk(dim)
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			k(at(dst, r), at(a, r*dim), at(b, r*dim), eps, n, dim)
		}
	}
}

// tripletGradKernel wraps the generated kernels without and with the swap
// term.
func tripletGradKernel(plain, swap tripletGradAsm) tripletGradFunc {
	return func(gA, gP, gN, a, p, n, cu, cv, cw []float32, eps float32, rows, dim int) {
		k := plain
		if cw != nil {
			k = swap
		}
		step := rowChunk(dim)
		for r := 0; r < rows; r += step {
			m := min(step, rows-r)
			o := r * dim
			k(at(gA, o), at(gP, o), at(gN, o), at(a, o), at(p, o), at(n, o), at(cu, r), at(cv, r), at(cw, r), eps, m, dim)
		}
	}
}
