package generic

// The fused cross-entropy row kernels. They compute, in one read of the
// logits for the maximum and one for the exponentials, everything the loss
// needs per row, and (when asked) write the gradient once. The loss formulas
// themselves (weights, smoothing, reduction) are scalar per-row code shared by
// every kernel set in package simdloss.
//
// Both kernels return the row maximum m and L = LogPos(Σ exp(z - m)) rather
// than log-sum-exp = m + L, and weight the shifted logits d = z - m, so that
// the loss terms L - d_y and Σ w·L - Σ w·d add non-negative quantities.

// CrossEntropyRows is the row kernel of the hard-label cross-entropy. For
// each row i of the rows×cols logits z, with d_j = z_ij - m:
//
//	mx[i]  = m = RowMax(z_i)
//	e_j    = ExpNeg(d_j);  S = canonical sum of e
//	lsum[i] = LogPos(S)
//	zw[i]  = SumProducts(w, d)                  if zw != nil (w nil: all ones, a plain sum)
//	u_j    = k * w_j                            (w nil: u_j = k)
//	grad_ij = scale[i] * fma(a[i], e_j*(1/S), -u_j)   if grad != nil
//
// The caller adds the label term to grad (see package simdloss). rows >= 1,
// cols >= 1; w has cols elements when non-nil; a and scale have rows
// elements when grad is non-nil. grad may be z itself (in place: the
// gradient overwrites the logits); any other overlap is not allowed.
func CrossEntropyRows(grad, z, w []float32, k float32, a, scale, mx, lsum, zw []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		x := z[r*cols : (r+1)*cols]
		m := RowMax(x)
		var g []float32
		if grad != nil {
			g = grad[r*cols : (r+1)*cols]
		}
		if zw != nil { // before SumExp: with grad == z it overwrites x
			var p [Partials]float32
			for j, v := range x {
				if w != nil {
					p[j%Partials] = FMA32(w[j], v-m, p[j%Partials])
				} else {
					p[j%Partials] += v - m
				}
			}
			zw[r] = TreeSum(&p)
		}
		s := SumExp(g, x, m)
		mx[r] = m
		lsum[r] = LogPos(s)
		if g == nil {
			continue
		}
		inv := 1 / s
		ar, sr := a[r], scale[r]
		for j, e := range g {
			uj := k
			if w != nil {
				uj = float32(k * w[j])
			}
			g[j] = float32(sr * FMA32(ar, float32(e*inv), -uj))
		}
	}
}

// CrossEntropyLabelRows is the hard-label cross-entropy without label
// smoothing, the label's terms included: the work package simdloss does per
// row around CrossEntropyRows, in one kernel. For each row i with label
// y = labels[i] >= 0 (s_i = sw[i]; sw nil: no multiplication by s_i):
//
//	wy    = keep * w_y                 (w nil: keep)
//	scale = s_i * inv                  (sw nil: inv)
//	c     = scale * wy
//	CrossEntropyRows(grad_i, z_i, nil, 0, [c], [1], [m], [L], nil, 1, cols)
//	loss[i] = s_i * (wy * (L - (z_iy - m)))
//	grad_iy = grad_iy - c              (if grad != nil)
//
// so grad_ij = (e_j·(1/S))·c - [j = y]·c: one multiplication an element
// after the softmax's own, c once per row (CrossEntropyRows' a = c and
// scale = 1, which multiplies exactly). A row with a negative label
// (ignored) gets loss[i] = +0 and, with grad, a row of +0. Labels must be
// < cols (the caller checks them); loss has rows elements; grad (rows×cols)
// may be nil and may not overlap z.
func CrossEntropyLabelRows(grad, z, w []float32, labels []int32, sw []float32, keep, inv float32, loss []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		x := z[i*cols : (i+1)*cols]
		var g []float32
		if grad != nil {
			g = grad[i*cols : (i+1)*cols]
		}
		y := labels[i]
		if y < 0 {
			loss[i] = 0
			clear(g)
			continue
		}
		wy := keep
		if w != nil {
			wy = float32(keep * w[y])
		}
		scale := inv
		if sw != nil {
			scale = float32(sw[i] * inv)
		}
		c := float32(scale * wy)
		a, sc := [1]float32{c}, [1]float32{1}
		var m, l [1]float32
		CrossEntropyRows(g, x, nil, 0, a[:], sc[:], m[:], l[:], nil, 1, cols)
		li := float32(wy * (l[0] - (x[y] - m[0])))
		if sw != nil {
			li = float32(sw[i] * li)
		}
		loss[i] = li
		if g != nil {
			g[y] -= c
		}
	}
}

// SoftTarget is the smoothed, weighted target of a soft-label element:
// c = fma(keep, q, spread) * w, with keep = 1-eps and spread = eps/cols
// precomputed by the caller (no class weights: c = fma(keep, q, spread)).
func SoftTarget(q, w, keep, spread float32) float32 {
	return float32(FMA32(keep, q, spread) * w)
}

// CrossEntropySoftRows is the row kernel of the soft-target cross-entropy
// (targets q, rows×cols). With c_j = SoftTarget(q_ij, w_j, keep, spread)
// (w nil: fma(keep, q_ij, spread)) and d_j = z_ij - m, for each row i:
//
//	mx[i], lsum[i] as in CrossEntropyRows
//	mass[i] = canonical sum of c_j            (the partials and tree of SumExp)
//	zc[i]   = SumProducts(c, d)
//	grad_ij = scale[i] * fma(mass[i], e_j*(1/S), -c_j)   if grad != nil
//
// so the row's loss is mass·lsum - zc. grad may not overlap z or q.
func CrossEntropySoftRows(grad, z, q, w, scale, mx, lsum, mass, zc []float32, keep, spread float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		x := z[r*cols : (r+1)*cols]
		t := q[r*cols : (r+1)*cols]
		m := RowMax(x)
		var g []float32
		if grad != nil {
			g = grad[r*cols : (r+1)*cols]
		}
		s := SumExp(g, x, m)
		mx[r] = m
		lsum[r] = LogPos(s)
		var pm, pz [Partials]float32
		for j, v := range x {
			c := softTarget(t[j], w, j, keep, spread)
			pm[j%Partials] += c
			pz[j%Partials] = FMA32(c, v-m, pz[j%Partials])
		}
		am := TreeSum(&pm)
		mass[r] = am
		zc[r] = TreeSum(&pz)
		if g == nil {
			continue
		}
		inv := 1 / s
		sr := scale[r]
		for j, e := range g {
			c := softTarget(t[j], w, j, keep, spread)
			g[j] = float32(sr * FMA32(am, float32(e*inv), -c))
		}
	}
}

func softTarget(q float32, w []float32, j int, keep, spread float32) float32 {
	if w == nil {
		return FMA32(keep, q, spread)
	}
	return SoftTarget(q, w[j], keep, spread)
}
