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

// AxpbyRows writes dst_i = ca_i·a_i + cb_i·b_i for paired rows: per element
// t = cb_i*b (rounded), then dst = fma(ca_i, a, t). rows >= 1, dim >= 1; no
// shape checks. dst may be a or b (elementwise, in place).
func AxpbyRows(dst, a, b, ca, cb []float32, rows, dim int) {
	for r := 0; r < rows; r++ {
		o := r * dim
		x, y, d := a[o:o+dim], b[o:o+dim], dst[o:o+dim]
		car, cbr := ca[r], cb[r]
		for i, v := range x {
			d[i] = FMA32(car, v, float32(cbr*y[i]))
		}
	}
}

// SubnormalLimit is the smallest normal float32, 2^-126.
const SubnormalLimit float32 = 0x1p-126

// FlushSubnormals sets every element of x whose magnitude is below 2^-126
// (the subnormals and -0) to +0; NaN and everything else is kept.
func FlushSubnormals(x []float32) {
	for i, v := range x {
		if v < SubnormalLimit && v > -SubnormalLimit {
			x[i] = 0
		}
	}
}

// AxpbyRowsIdx is AxpbyRows with row idx[r] of b paired with row r of a:
// dst_r = fma(ca_r, a_r, cb_r·b_{idx[r]}) elementwise, for len(idx) rows.
func AxpbyRowsIdx(dst, a, b, ca, cb []float32, idx []int32, dim int) {
	for r, k := range idx {
		o := r * dim
		x, y, d := a[o:o+dim], b[int(k)*dim:(int(k)+1)*dim], dst[o:o+dim]
		car, cbr := ca[r], cb[r]
		for i, v := range x {
			d[i] = FMA32(car, v, float32(cbr*y[i]))
		}
	}
}
