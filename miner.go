package simdloss

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/kernels"
)

// Mining selects how a TripletMiner forms triplets from a labelled batch.
type Mining uint8

const (
	// BatchAll uses every valid triplet (anchor a, positive p != a with
	// a's label, negative n with another label) and averages the loss over
	// the triplets whose loss is > 0 (Hermans et al., "In Defense of the
	// Triplet Loss"); with SoftMargin every triplet's loss is > 0.
	BatchAll Mining = iota
	// BatchHard pairs each anchor with its farthest positive and nearest
	// negative and averages over the anchors (Hermans et al.).
	BatchHard
	// SemiHard follows TensorFlow Addons' triplet_semihard_loss: for each
	// anchor-positive pair the negative is the nearest one farther than the
	// positive (d(a,n) > d(a,p)), or, when there is none, the farthest
	// negative; the loss is averaged over the anchor-positive pairs.
	SemiHard
)

// String returns the mining strategy's name.
func (m Mining) String() string {
	switch m {
	case BatchAll:
		return "BatchAll"
	case BatchHard:
		return "BatchHard"
	case SemiHard:
		return "SemiHard"
	}
	return fmt.Sprintf("Mining(%d)", uint8(m))
}

// TripletMiner is the triplet loss with online mining over one batch of
// embeddings (rows×dim, row-major) with integer labels. The batch's distance
// matrix comes from the SquaredL2 kernel; the gradient w.r.t. the embeddings
// is assembled from the pairwise coefficients with the Dots (a·bᵀ) kernel,
// so both heavy steps run on the register-blocked micro-kernel.
//
// Of Triplet it uses Margin, Distance (SquaredEuclidean, or Euclidean = the
// square root of the squared distance, without Eps, as TensorFlow Addons
// does) and SoftMargin (log(1+exp(x)) instead of the hinge); Eps, Swap and
// Reduction are ignored (each Mining defines its own mean).
//
// Anchors without any positive (another row with their label) or without
// any negative take no part. (TensorFlow Addons' SemiHard still counts the
// pairs of an anchor without negatives, with a fallback "negative" at
// distance 0; here they are left out.) When no anchor takes part the loss
// is 0 and so is the gradient. Ties (equal distances) pick the lowest row
// index. Where a Euclidean distance is 0 its gradient is 0.
//
// Mining costs O(B·K·B) comparisons for a batch of B rows with K rows per
// label, on top of the two B×B×dim matrix products. A TripletMiner keeps
// reusable scratch, so steady-state calls allocate nothing; it is therefore
// not safe for concurrent use (use one per goroutine).
type TripletMiner struct {
	Triplet Triplet
	Mining  Mining

	dist, coef []float32 // B×B distances and (BatchAll) gradient coefficients
	embT, kx   []float32 // dim×B transpose of the batch, B×dim product K·X
	rowSum     []float32
	picks      []pair   // per selected triplet: positive, negative, hinge argument
	anchors    []int32  // the anchor of each pick
	pairs      []pair   // sparse coefficients (BatchHard, SemiHard)
	neg        []uint64 // one anchor's negatives: bits(distance)<<32 | row
	groups     labelGroups
	norms      []float32 // squared norms of the rows (the NaN check)
	held       []float32 // one anchor's distances to its label group, while masked
}

// Forward returns the mined loss of the batch emb (rows×dim) with labels
// (one per row). grad (len rows*dim), when non-nil, receives d loss/d emb.
//
// Errors (nothing is written when an error is returned): len(emb) not a
// multiple of dim, dim <= 0 with data, len(labels) != rows, grad of the
// wrong length or overlapping emb, a NaN or infinite Margin, an unknown
// Distance or Mining. NaN or infinite embeddings, and embeddings whose
// squared norm overflows float32 (elements beyond about 1e19), make the loss
// and every gradient element NaN.
func (m *TripletMiner) Forward(emb []float32, labels []int32, dim int, grad []float32) (float32, error) {
	t := &m.Triplet
	switch {
	case len(emb) > 0 && dim <= 0:
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: dim = %d must be positive", dim)
	case len(emb) > 0 && len(emb)%dim != 0:
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: len(emb) = %d is not a multiple of dim = %d", len(emb), dim)
	case !finite32(t.Margin):
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: Margin = %g must be finite", t.Margin)
	case t.Distance > Euclidean:
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: unknown Distance %d", t.Distance)
	case m.Mining > SemiHard:
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: unknown Mining %d", m.Mining)
	}
	rows := 0
	if dim > 0 {
		rows = len(emb) / dim
	}
	if len(labels) != rows {
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: len(labels) = %d, want rows = %d", len(labels), rows)
	}
	if grad != nil && len(grad) != len(emb) {
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: len(grad) = %d, want len(emb) = %d", len(grad), len(emb))
	}
	if grad != nil && overlaps(grad, emb) {
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: grad overlaps emb")
	}
	if rows == 0 {
		return 0, nil
	}
	set := kernelSet(t.Kernels)
	b := rows
	m.dist = growF32(m.dist, b*b)
	if m.Mining == BatchAll {
		m.coef = growF32(m.coef, b*b)
	}
	d := m.dist
	set.SquaredL2(d, emb, emb, dim)
	for i := 0; i < b; i++ {
		d[i*b+i] = 0 // the expansion leaves rounding noise on the diagonal
		if t.Distance == Euclidean {
			for j := i * b; j < (i+1)*b; j++ {
				d[j] = float32(math.Sqrt(float64(d[j])))
			}
		}
	}
	if !m.finiteDistances(set, emb, b, dim) {
		return poisoned(grad), nil // NaN or Inf embeddings
	}
	var loss float32
	m.picks, m.anchors, m.pairs = m.picks[:0], m.anchors[:0], m.pairs[:0]
	switch m.Mining {
	case BatchHard:
		loss = m.batchHard(labels, b)
	case BatchAll:
		loss = m.batchAll(labels, b)
	case SemiHard:
		loss = m.semiHard(labels, b)
	}
	if grad != nil {
		if m.Mining == BatchAll {
			m.gradient(set, emb, grad, b, dim)
		} else {
			m.sparseGradient(emb, grad, b, dim)
		}
	}
	return loss, nil
}

// pair is one non-zero coefficient ∂loss/∂d(i,j) of a sparse mining.
type pair struct {
	i, j int32
	g    float32
}

// finiteDistances reports whether the batch may be mined: false when an
// embedding is NaN or infinite or a row's squared norm overflows (as for
// the cosine losses), or, for the rare rows with finite squared norms above
// MaxFloat32/4, when a distance came out NaN. Rows whose squared norms are
// all at most MaxFloat32/4 give no NaN distance (|a·b| <= (‖a‖² + ‖b‖²)/2),
// so the usual batch skips the scan of the b×b distances.
func (m *TripletMiner) finiteDistances(set *kernels.Set, emb []float32, b, dim int) bool {
	m.norms = growF32(m.norms, b)
	set.DotRows(m.norms[:b], emb[:b*dim], emb[:b*dim], dim)
	small := true
	for _, v := range m.norms[:b] {
		if !(v <= math.MaxFloat32) { // NaN or +Inf: a non-finite element or an overflow
			return false
		}
		small = small && v <= math.MaxFloat32/4
	}
	if small {
		return true
	}
	for _, v := range m.dist[:b*b] {
		if v != v {
			return false
		}
	}
	return true
}

func (m *TripletMiner) batchHard(labels []int32, b int) float32 {
	d := m.dist
	m.groups.build(labels)
	m.held = growF32(m.held, b)
	// the mask: a NaN's key is above every distance's, +Inf included (no
	// distance is NaN here)
	masked := math.Float32frombits(0x7FC00000)
	for i := 0; i < b; i++ {
		row, grp := d[i*b:(i+1)*b], m.groups.group(i)
		if len(grp) == 1 || len(grp) == b { // no positive, or no negative
			continue
		}
		// keys bits(d)<<32 | k order like (distance, row) (distances are
		// >= 0); for the farthest positive the row is stored inverted so
		// that max prefers low rows.
		pos := uint64(0)
		held := m.held[:len(grp)]
		for t, k := range grp {
			held[t] = row[k]
			if int(k) != i {
				pos = max(pos, uint64(math.Float32bits(row[k]))<<32|uint64(0xFFFFFFFF-uint32(k)))
			}
			row[k] = masked // the nearest negative is then the row's minimum
		}
		neg := minKey(row)
		for t, k := range grp {
			row[k] = held[t]
		}
		p := int(0xFFFFFFFF - uint32(pos))
		m.picks = append(m.picks, pair{int32(p), int32(uint32(neg)), row[p] - row[uint32(neg)] + m.Triplet.Margin})
		m.anchors = append(m.anchors, int32(i))
	}
	return m.hingeMean()
}

// minKey returns the least bits(row[k])<<32 | k: the nearest row, the first
// of equals, for rows of distances (>= 0). Four independent minima keep the
// compare-and-select chains short.
func minKey(row []float32) uint64 {
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
	return min(m0, m1, m2, m3)
}

// hingeMean turns the picked (p, n, x) of each anchor in m.anchors into the
// mean loss and the sparse coefficients m.pairs.
func (m *TripletMiner) hingeMean() float32 {
	m.pairs = m.pairs[:0]
	if len(m.picks) == 0 {
		return 0
	}
	inv := float32(1 / float64(len(m.picks)))
	total := 0.0
	for k, t := range m.picks {
		l, g := hinge(t.g, m.Triplet.SoftMargin)
		total += float64(l)
		g = float32(g * inv)
		a := m.anchors[k]
		m.pairs = append(m.pairs, pair{a, t.i, g}, pair{a, t.j, -g})
	}
	return float32(total / float64(len(m.picks)))
}

// negatives gathers row i's negatives (rows with another label) into
// m.neg, as keys bits(d_ik)<<32 | k. Distances here are non-negative and not
// NaN, so their bit patterns order like their values, and the low half
// breaks ties towards the lower row index.
func (m *TripletMiner) negatives(labels []int32, i, b int) []uint64 {
	li, row := labels[i], m.dist[i*b:(i+1)*b]
	m.neg = m.neg[:0]
	for k, v := range row {
		if labels[k] != li {
			m.neg = append(m.neg, uint64(math.Float32bits(v))<<32|uint64(k))
		}
	}
	return m.neg
}

func (m *TripletMiner) batchAll(labels []int32, b int) float32 {
	d, c := m.dist, m.coef
	clear(c)
	soft := m.Triplet.SoftMargin
	margin := m.Triplet.Margin
	// pass 0 counts the triplets in the mean, pass 1 adds the coefficients
	count := 0
	total := 0.0
	for pass := 0; pass < 2; pass++ {
		var inv float32
		if pass == 1 {
			if count == 0 {
				return 0
			}
			inv = float32(1 / float64(count))
		}
		for i := 0; i < b; i++ {
			li, row := labels[i], d[i*b:(i+1)*b]
			neg := m.negatives(labels, i, b)
			if len(neg) == 0 {
				continue
			}
			for j, dp := range row {
				if j == i || labels[j] != li {
					continue
				}
				if soft {
					// every triplet counts; log(1+exp(x)) per triplet
					if pass == 0 {
						count += len(neg)
						continue
					}
					for _, key := range neg {
						k := int(uint32(key))
						l, g := hinge(dp-math.Float32frombits(uint32(key>>32))+margin, true)
						total += float64(l)
						g = float32(g * inv)
						c[i*b+j] += g
						c[i*b+k] -= g
					}
					continue
				}
				// hinge: the triplet counts when dp - dn + margin > 0
				if pass == 0 {
					for _, key := range neg {
						x := dp - math.Float32frombits(uint32(key>>32)) + margin
						count += b2i(x > 0)
					}
					continue
				}
				var sum float32
				n := 0
				for _, key := range neg {
					x := dp - math.Float32frombits(uint32(key>>32)) + margin
					on := b2i(x > 0)
					n += on
					sum += float32(on) * x
					c[i*b+int(uint32(key))] -= float32(on) * inv
				}
				total += float64(sum)
				c[i*b+j] += float32(n) * inv
			}
		}
	}
	return float32(total / float64(count))
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func (m *TripletMiner) semiHard(labels []int32, b int) float32 {
	d := m.dist
	for i := 0; i < b; i++ {
		li, row := labels[i], d[i*b:(i+1)*b]
		neg := m.negatives(labels, i, b)
		if len(neg) == 0 {
			continue
		}
		// the farthest negative (lowest index among equals): the fallback
		in := uint64(0)
		for _, key := range neg {
			in = max(in, key&^0xFFFFFFFF|(0xFFFFFFFF-key&0xFFFFFFFF))
		}
		in = in&^0xFFFFFFFF | (0xFFFFFFFF - in&0xFFFFFFFF)
		for j, dp := range row {
			if j == i || labels[j] != li {
				continue
			}
			// the nearest negative farther than the positive (two chains)
			db := uint64(math.Float32bits(dp))
			out, out2 := uint64(math.MaxUint64), uint64(math.MaxUint64)
			k := 0
			for ; k+1 < len(neg); k += 2 {
				k0, k1 := neg[k], neg[k+1]
				out = min(out, k0|((db-k0>>32)>>63-1)) // keep when d_ik > dp
				out2 = min(out2, k1|((db-k1>>32)>>63-1))
			}
			if k < len(neg) {
				out = min(out, neg[k]|((db-neg[k]>>32)>>63-1))
			}
			out = min(out, out2)
			if out == math.MaxUint64 {
				out = in
			}
			dn := math.Float32frombits(uint32(out >> 32))
			m.picks = append(m.picks, pair{int32(j), int32(uint32(out)), dp - dn + m.Triplet.Margin})
			m.anchors = append(m.anchors, int32(i))
		}
	}
	return m.hingeMean()
}

// factor is ∂d_ij/∂(x_i - x_j) as a multiple of x_i - x_j: 2 for the squared
// distance, 1/d for the Euclidean one (0 where d is 0).
func (m *TripletMiner) factor(d float32) float32 {
	switch {
	case m.Triplet.Distance == SquaredEuclidean:
		return 2
	case d == 0:
		return 0
	}
	return 1 / d
}

// sparseGradient accumulates the gradient of the sparse coefficients
// m.pairs: for each (i, j, g), t = g·factor·(x_i - x_j) is added to grad_i
// and subtracted from grad_j, in pair order.
func (m *TripletMiner) sparseGradient(emb, grad []float32, b, dim int) {
	clear(grad)
	for _, p := range m.pairs {
		k := float32(p.g * m.factor(m.dist[int(p.i)*b+int(p.j)]))
		if k == 0 {
			continue
		}
		xi, xj := emb[int(p.i)*dim:int(p.i+1)*dim], emb[int(p.j)*dim:int(p.j+1)*dim:int(p.j+1)*dim]
		gi, gj := grad[int(p.i)*dim:int(p.i+1)*dim], grad[int(p.j)*dim:int(p.j+1)*dim:int(p.j+1)*dim]
		xj, gi, gj = xj[:len(xi)], gi[:len(xi)], gj[:len(xi)] // no bounds checks in the loop
		for t, v := range xi {
			u := float32(k * (v - xj[t]))
			gi[t] += u
			gj[t] -= u
		}
	}
}

// gradient turns the dense coefficients C (∂loss/∂d_ij, BatchAll) into
// d loss/d emb: K_ij = (C_ij + C_ji)·factor(d_ij) and grad_i = (Σ_j K_ij)·x_i
// - (K·X)_i, with K·X from the Dots kernel on the transposed batch.
func (m *TripletMiner) gradient(set *kernels.Set, emb, grad []float32, b, dim int) {
	d, c := m.dist, m.coef
	m.rowSum = growF32(m.rowSum, b)
	const blk = 16
	for i0 := 0; i0 < b; i0 += blk {
		for j0 := i0; j0 < b; j0 += blk {
			for i := i0; i < min(i0+blk, b); i++ {
				for j := max(j0, i+1); j < min(j0+blk, b); j++ {
					k := float32((c[i*b+j] + c[j*b+i]) * m.factor(d[i*b+j]))
					c[i*b+j], c[j*b+i] = k, k
				}
			}
		}
		for i := i0; i < min(i0+blk, b); i++ {
			c[i*b+i] = 0
		}
	}
	for i := 0; i < b; i++ {
		s := 0.0
		for _, v := range c[i*b : (i+1)*b] {
			s += float64(v)
		}
		m.rowSum[i] = float32(s)
	}
	m.embT = growF32(m.embT, dim*b)
	m.kx = growF32(m.kx, b*dim)
	for i := 0; i < b; i++ {
		for k := 0; k < dim; k++ {
			m.embT[k*b+i] = emb[i*dim+k]
		}
	}
	set.Dots(m.kx, c, m.embT, b)
	for i := 0; i < b; i++ {
		rs := m.rowSum[i]
		for k := 0; k < dim; k++ {
			grad[i*dim+k] = float32(rs*emb[i*dim+k]) - m.kx[i*dim+k]
		}
	}
}
