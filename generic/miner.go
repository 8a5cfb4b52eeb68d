package generic

import "math"

// The selection scans of the triplet miners, over one anchor's row of
// squared distances, for up to four of its positives at once.

// HingeLanes is the number of partial sums of a HingeCounts sum: element k
// of the row adds into partial k mod HingeLanes.
const HingeLanes = 8

// HingeCounts scans one anchor's row of distances to its negatives for
// four positives at distances dp[s] (an unused slot holds -Inf). For each s
// and each k, x = (dp[s] - row[k]) + margin; where x > 0 (NaN: no), on[s]
// counts it and x is added to partial k mod 8 of sum[s], each partial in
// index order from +0, and the partials fold as
//
//	sum[s] = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
//
// crow[k] becomes crow[k] - c, c the number of s whose x > 0 (c may be 0).
// A masked negative at +Inf gives x = -Inf and counts nowhere. crow has at
// least len(row) elements.
func HingeCounts(row, crow []float32, dp [4]float32, margin float32) (on [4]int, sum [4]float32) {
	var p [4][HingeLanes]float32
	HingePartials(row, crow, 0, &dp, margin, &p, &on)
	return on, HingeFold(&p)
}

// HingePartials is the scan of HingeCounts over row[from:] (from a multiple
// of HingeLanes), adding into the partials p and the counts on.
func HingePartials(row, crow []float32, from int, dp *[4]float32, margin float32, p *[4][HingeLanes]float32, on *[4]int) {
	crow = crow[:len(row)]
	d0, d1, d2, d3 := dp[0], dp[1], dp[2], dp[3]
	q, n := *p, *on // locals: the stores to crow cannot alias them
	for k := from; k < len(row); k++ {
		dn, j := row[k], k%HingeLanes
		// x enters through a bit mask, not a branch: the signs of x are
		// as unpredictable as the distances
		x0, x1, x2, x3 := (d0-dn)+margin, (d1-dn)+margin, (d2-dn)+margin, (d3-dn)+margin
		o0, o1, o2, o3 := above0(x0), above0(x1), above0(x2), above0(x3)
		q[0][j] += keep(x0, o0)
		q[1][j] += keep(x1, o1)
		q[2][j] += keep(x2, o2)
		q[3][j] += keep(x3, o3)
		n[0] += o0
		n[1] += o1
		n[2] += o2
		n[3] += o3
		crow[k] -= float32(o0 + o1 + o2 + o3)
	}
	*p, *on = q, n
}

// above0 is 1 where x > 0, else 0 (NaN: 0).
func above0(x float32) int {
	if x > 0 {
		return 1
	}
	return 0
}

// keep is x when on is 1 and +0 when on is 0.
func keep(x float32, on int) float32 {
	return math.Float32frombits(math.Float32bits(x) & uint32(-on))
}

// HingeFold folds the partials of HingeCounts into the four sums.
func HingeFold(p *[4][HingeLanes]float32) (sum [4]float32) {
	for s := range p {
		q := &p[s]
		sum[s] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]))
	}
	return sum
}

// AboveMin returns, for each of the four thresholds t[s], the index of the
// least element of row that is greater than t[s], the lowest index among
// equals, or -1 if there is none. NaN and +Inf elements never count (an
// unused slot can hold t = +Inf). The result depends on the values alone,
// not on the order of a scan.
func AboveMin(row []float32, t [4]float32) [4]int {
	best := [4]float32{}
	idx := [4]int{-1, -1, -1, -1}
	for s := range best {
		best[s] = float32(math.Inf(1))
	}
	AboveMinFrom(row, 0, &t, &best, &idx)
	return idx
}

// AboveMinFrom continues AboveMin over row[from:] from the running minima
// best (+Inf: none yet) and their indices idx (all below from).
func AboveMinFrom(row []float32, from int, t *[4]float32, best *[4]float32, idx *[4]int) {
	for k := from; k < len(row); k++ {
		v := row[k]
		for s := range t {
			if v > t[s] && v < best[s] {
				best[s], idx[s] = v, k
			}
		}
	}
}

// FirstMinBits returns the index of the element of row whose bits, read as
// an unsigned integer, are least, the first of equals; -1 if row is empty.
// On rows of non-negative values (distances) that is the least value (+0
// before -0), with +Inf above every finite value and NaNs above +Inf: the
// nearest row, the first among equally near ones, when the rows to skip are
// set to NaN.
func FirstMinBits(row []float32) int {
	if len(row) == 0 {
		return -1
	}
	// keys bits<<32 | k order like (bits, index); four independent minima
	// keep the compare-and-select chains short
	m0, m1, m2, m3 := uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64)
	k := 0
	for ; k+4 <= len(row); k += 4 {
		r := row[k : k+4 : k+4]
		m0 = min(m0, uint64(math.Float32bits(r[0]))<<32|uint64(k))
		m1 = min(m1, uint64(math.Float32bits(r[1]))<<32|uint64(k+1))
		m2 = min(m2, uint64(math.Float32bits(r[2]))<<32|uint64(k+2))
		m3 = min(m3, uint64(math.Float32bits(r[3]))<<32|uint64(k+3))
	}
	for ; k < len(row); k++ {
		m0 = min(m0, uint64(math.Float32bits(row[k]))<<32|uint64(k))
	}
	return int(uint32(min(m0, m1, m2, m3)))
}
