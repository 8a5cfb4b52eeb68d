package generic

// SumSquaredDiffEps returns the canonical sum of ((a_i - b_i) + eps)^2: the
// difference, then + eps, each rounded, then fma into the 32 partials and
// TreeSum. With eps = 0 it equals SumSquaredDiff bit for bit.
func SumSquaredDiffEps(a, b []float32, eps float32) float32 {
	var p [Partials]float32
	b = b[:len(a)]
	for i, v := range a {
		d := (v - b[i]) + eps
		p[i%Partials] = FMA32(d, d, p[i%Partials])
	}
	return TreeSum(&p)
}

// SquaredL2RowsEps writes dst[i] = SumSquaredDiffEps(a_i, b_i, eps) for the
// paired rows of a and b (rows >= 1, dim >= 1; no shape checks).
func SquaredL2RowsEps(dst, a, b []float32, eps float32, rows, dim int) {
	for i := 0; i < rows; i++ {
		dst[i] = SumSquaredDiffEps(a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim], eps)
	}
}

// TripletGradRows is the fused gradient kernel of the triplet losses. For
// each row r, with per-row coefficients cu[r], cv[r] (and cw[r] when cw is
// non-nil: the swap term) and per element
//
//	u = (a - p) + eps;  v = (a - n) + eps;  w = (p - n) + eps
//	tu = cu*u;  tv = cv*v;  tw = cw*w
//	without cw: gA = tu - tv;  gP = -tu;          gN = tv
//	with cw:    gA = tu - tv;  gP = -(tu + tw);   gN = tv + tw
//
// every operation rounded to float32 (no fusion). rows >= 1, dim >= 1; the
// gradients must not overlap the inputs or each other.
func TripletGradRows(gA, gP, gN, a, p, n, cu, cv, cw []float32, eps float32, rows, dim int) {
	for r := 0; r < rows; r++ {
		o := r * dim
		ar, pr, nr := a[o:o+dim], p[o:o+dim], n[o:o+dim:o+dim]
		ga, gp, gn := gA[o:o+dim], gP[o:o+dim], gN[o:o+dim]
		cur, cvr := cu[r], cv[r]
		if cw == nil {
			for i, av := range ar {
				tu := float32(cur * ((av - pr[i]) + eps))
				tv := float32(cvr * ((av - nr[i]) + eps))
				ga[i] = tu - tv
				gp[i] = -tu
				gn[i] = tv
			}
			continue
		}
		cwr := cw[r]
		for i, av := range ar {
			tu := float32(cur * ((av - pr[i]) + eps))
			tv := float32(cvr * ((av - nr[i]) + eps))
			tw := float32(cwr * ((pr[i] - nr[i]) + eps))
			ga[i] = tu - tv
			gp[i] = -(tu + tw)
			gn[i] = tv + tw
		}
	}
}
