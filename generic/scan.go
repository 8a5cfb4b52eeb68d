package generic

// Reductions and checks over whole arrays that the losses' glue shares.

// Sum64Lanes is the number of float64 partial sums of Sum64.
const Sum64Lanes = 8

// Sum64 is the float64 sum of x: x_i (converted exactly) adds into partial
// i mod 8, each partial in index order from +0, and the partials fold as
// ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)).
func Sum64(x []float32) float64 {
	var p [Sum64Lanes]float64
	Sum64Partials(x, 0, &p)
	return Sum64Fold(&p)
}

// Sum64Partials adds x[from:] (from a multiple of 8) into the partials p,
// eight elements at a time through locals (the partials stay in registers).
func Sum64Partials(x []float32, from int, p *[Sum64Lanes]float64) {
	p0, p1, p2, p3, p4, p5, p6, p7 := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
	i := from
	for ; i+8 <= len(x); i += 8 {
		v := (*[8]float32)(x[i:])
		p0 += float64(v[0])
		p1 += float64(v[1])
		p2 += float64(v[2])
		p3 += float64(v[3])
		p4 += float64(v[4])
		p5 += float64(v[5])
		p6 += float64(v[6])
		p7 += float64(v[7])
	}
	*p = [Sum64Lanes]float64{p0, p1, p2, p3, p4, p5, p6, p7}
	for ; i < len(x); i++ {
		p[i%Sum64Lanes] += float64(x[i])
	}
}

// Sum64Fold folds the partials of Sum64.
func Sum64Fold(p *[Sum64Lanes]float64) float64 {
	return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]))
}

// FirstOutside returns the index of the first x_i that is not in [lo, hi]
// (a NaN never is), or -1.
func FirstOutside(x []float32, lo, hi float32) int {
	for i, v := range x {
		if !(v >= lo && v <= hi) {
			return i
		}
	}
	return -1
}

// LabelWeights checks hard labels and sums the weights of the rows they
// keep (the denominator of a weighted mean). For each row i, with
// y = labels[i]:
//
//   - y == ignore and y < 0: the row is ignored (reported, not added);
//   - y outside [0, cols) otherwise: bad = i, the first such row;
//   - else t_i = float64(w[y]) * float64(s[i]) (w nil: 1; s nil: 1; the
//     product is exact) adds into partial i mod 8 of Sum64's partials,
//     folded by Sum64Fold.
//
// The sum is meaningless when bad >= 0. w has cols elements when non-nil, s
// len(labels).
func LabelWeights(labels []int32, w, s []float32, cols int, ignore int32) (sum float64, bad int, ignored bool) {
	var p [Sum64Lanes]float64
	bad, ignored = LabelWeightPartials(labels, w, s, cols, ignore, 0, &p)
	return Sum64Fold(&p), bad, ignored
}

// LabelWeightPartials is LabelWeights from row from on (from a multiple of
// 8), adding into p.
func LabelWeightPartials(labels []int32, w, s []float32, cols int, ignore int32, from int, p *[Sum64Lanes]float64) (bad int, ignored bool) {
	i := from
	if w != nil && s == nil && i%Sum64Lanes == 0 {
		// The common weighted case, 8 rows at a time through local partials
		// (the same additions in the same order), while all 8 are in range.
		w = w[:cols]
		p0, p1, p2, p3, p4, p5, p6, p7 := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
		n := uint(len(w))
		for ; i+8 <= len(labels); i += 8 {
			y := (*[8]int32)(labels[i:])
			if uint(y[0]) >= n || uint(y[1]) >= n || uint(y[2]) >= n || uint(y[3]) >= n ||
				uint(y[4]) >= n || uint(y[5]) >= n || uint(y[6]) >= n || uint(y[7]) >= n {
				break
			}
			p0 += float64(w[y[0]])
			p1 += float64(w[y[1]])
			p2 += float64(w[y[2]])
			p3 += float64(w[y[3]])
			p4 += float64(w[y[4]])
			p5 += float64(w[y[5]])
			p6 += float64(w[y[6]])
			p7 += float64(w[y[7]])
		}
		*p = [Sum64Lanes]float64{p0, p1, p2, p3, p4, p5, p6, p7}
	}
	for ; i < len(labels); i++ {
		y := labels[i]
		if uint(y) >= uint(cols) {
			if y == ignore && y < 0 {
				ignored = true
				continue
			}
			return i, ignored
		}
		t := 1.0
		if w != nil {
			t = float64(w[y])
		}
		if s != nil {
			t *= float64(s[i])
		}
		p[i%Sum64Lanes] += t
	}
	return -1, ignored
}
