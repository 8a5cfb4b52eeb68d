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
// label, on top of the two B×B×dim matrix products. The miners make them
// as SIMD scans of each anchor's row of distances: BatchHard one scan for
// the nearest negative (kernels.Set.FirstMinBits), SemiHard and BatchAll
// four positives per scan (AboveMin and HingeCounts; BatchAll's hinge sums
// follow HingeCounts' order of partial sums). BatchHard's and SemiHard's
// gradients are sparse pair updates (PairUpdates), BatchAll's a product. A TripletMiner keeps
// reusable scratch, so steady-state calls allocate nothing; it is therefore
// not safe for concurrent use (use one per goroutine).
type TripletMiner struct {
	Triplet Triplet // the loss: its Margin, Distance and SoftMargin (see above)
	Mining  Mining  // how the triplets are chosen

	dist, coef []float32 // B×B distances and (BatchAll) gradient coefficients
	coefScale  float32   // of coef: 1/(number of triplets in the mean)
	kx         []float32 // B×dim product K·X
	rowSum     []float32
	picks      []pair  // per selected triplet: positive, negative, hinge argument
	anchors    []int32 // the anchor of each pick
	pairs      []pair  // sparse coefficients (BatchHard, SemiHard)
	pi, pj     []int32 // the pairs with a nonzero term, for Set.PairUpdates
	pk         []float32
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
// squared norms or squared distances overflow float32 (elements beyond
// about 1e19), make the loss and every gradient element NaN.
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
		loss = m.batchHard(set, labels, b)
	case BatchAll:
		loss = m.batchAll(set, labels, b)
	case SemiHard:
		loss = m.semiHard(set, labels, b)
	}
	if grad != nil {
		if m.Mining == BatchAll {
			m.gradient(set, emb, grad, b, dim)
		} else {
			m.sparseGradient(set, emb, grad, b, dim)
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
// MaxFloat32/4, when a distance came out NaN or overflowed to +Inf (the
// masks of the minings rely on finite distances). Rows whose squared norms
// are all at most MaxFloat32/4 give only finite distances (|a·b| <=
// (‖a‖² + ‖b‖²)/2), so the usual batch skips the scan of the b×b distances.
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
		if !(v <= math.MaxFloat32) { // NaN, or a squared distance that overflowed
			return false
		}
	}
	return true
}

func (m *TripletMiner) batchHard(set *kernels.Set, labels []int32, b int) float32 {
	d := m.dist
	m.groups.build(labels)
	m.held = growF32(m.held, b)
	for i := 0; i < b; i++ {
		row, grp := d[i*b:(i+1)*b], m.groups.group(i)
		if len(grp) == 1 || len(grp) == b { // no positive, or no negative
			continue
		}
		// keys bits(d)<<32 | k order like (distance, row) (distances are
		// >= 0); for the farthest positive the row is stored inverted so
		// that max prefers low rows. With the group masked (NaN, whose bits
		// are above every distance's) the nearest negative is the row's
		// least by bits, the first of equals (Set.FirstMinBits).
		held := m.maskGroup(row, grp, maskedKey)
		pos := uint64(0)
		for t, k := range grp {
			if int(k) != i {
				pos = max(pos, uint64(math.Float32bits(held[t]))<<32|uint64(0xFFFFFFFF-uint32(k)))
			}
		}
		neg := set.FirstMinBits(row)
		unmaskGroup(row, grp, held)
		p := int(0xFFFFFFFF - uint32(pos))
		m.picks = append(m.picks, pair{int32(p), int32(neg), row[p] - row[neg] + m.Triplet.Margin})
		m.anchors = append(m.anchors, int32(i))
	}
	return m.hingeMean()
}

// maskedKey masks an anchor's label group in its row of distances for the
// selections by key: a NaN, whose key bits(d)<<32 | k is above every
// distance's (+Inf included; no distance is NaN here).
var maskedKey = math.Float32frombits(maskedBits)

const maskedBits = 0x7FC00000

// maskGroup overwrites the entries of row at the rows of grp with v and
// returns what they held (in m.held, which holds at least len(grp));
// unmaskGroup puts them back.
func (m *TripletMiner) maskGroup(row []float32, grp []int32, v float32) []float32 {
	held := m.held[:len(grp)]
	for t, k := range grp {
		held[t] = row[k]
		row[k] = v
	}
	return held
}

func unmaskGroup(row []float32, grp []int32, held []float32) {
	for t, k := range grp {
		row[k] = held[t]
	}
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

func (m *TripletMiner) batchAll(set *kernels.Set, labels []int32, b int) float32 {
	d, c := m.dist, m.coef
	clear(c)
	m.groups.build(labels)
	m.held = growF32(m.held, b)
	soft := m.Triplet.SoftMargin
	margin := m.Triplet.Margin
	inf := float32(math.Inf(1))
	// The coefficients gather counts (hinge) or unscaled sigmoids (soft
	// margin); gradient scales them by 1/count once.
	count := 0
	total := 0.0
	for i := 0; i < b; i++ {
		row, grp := d[i*b:(i+1)*b], m.groups.group(i)
		if len(grp) == 1 || len(grp) == b {
			continue
		}
		crow := c[i*b : (i+1)*b]
		// The group masked to +Inf gives x = dp - Inf + margin = -Inf: no
		// triplet, no coefficient (distances are finite here).
		held := m.maskGroup(row, grp, inf)
		if soft {
			for t, j := range grp {
				if int(j) == i {
					continue
				}
				count += b - len(grp)
				dp := held[t]
				for k, dn := range row {
					if dn == inf {
						continue
					}
					l, g := hinge(dp-dn+margin, true)
					total += float64(l)
					crow[j] += g
					crow[k] -= g
				}
			}
			unmaskGroup(row, grp, held)
			continue
		}
		// the positives four at a time (unused slots at -Inf) through one
		// scan of the row
		var dp [4]float32
		var ps [4]int32
		for t := 0; t < len(grp); {
			var n int
			n, t = nextPositives(grp, held, i, t, &ps, &dp)
			for s := n; s < 4; s++ {
				dp[s] = float32(math.Inf(-1))
			}
			on, sum := set.HingeCounts(row, crow, dp, margin)
			for s := 0; s < n; s++ {
				count += on[s]
				total += float64(sum[s])
				crow[ps[s]] += float32(on[s])
			}
		}
		unmaskGroup(row, grp, held)
	}
	m.coefScale = 0
	if count == 0 {
		return 0
	}
	m.coefScale = float32(1 / float64(count))
	return float32(total / float64(count))
}

// nextPositives takes up to four of anchor i's positives from its label
// group grp, starting at grp[t] (held: their distances to the anchor), into
// ps and dp; it returns how many it took and where the next call starts.
func nextPositives(grp []int32, held []float32, i, t int, ps *[4]int32, dp *[4]float32) (n, next int) {
	for ; t < len(grp) && n < 4; t++ {
		if int(grp[t]) != i {
			dp[n], ps[n] = held[t], grp[t]
			n++
		}
	}
	return n, t
}

func (m *TripletMiner) semiHard(set *kernels.Set, labels []int32, b int) float32 {
	d := m.dist
	m.groups.build(labels)
	m.held = growF32(m.held, b)
	for i := 0; i < b; i++ {
		row, grp := d[i*b:(i+1)*b], m.groups.group(i)
		if len(grp) == 1 || len(grp) == b {
			continue
		}
		// With the group masked (NaN: never above a threshold), the
		// semi-hard negative of a positive at distance dp is the least
		// distance above dp, the first of equals; -1 means there is none.
		held := m.maskGroup(row, grp, maskedKey)
		far := -1 // the fallback, found when first needed
		var ps [4]int32
		var dp, th [4]float32
		for t := 0; t < len(grp); {
			var n int
			n, t = nextPositives(grp, held, i, t, &ps, &dp)
			th = dp
			for s := n; s < 4; s++ {
				th[s] = float32(math.Inf(1)) // selects nothing
			}
			idx := set.AboveMin(row, th)
			for s := 0; s < n; s++ {
				k := idx[s]
				if k < 0 {
					if far < 0 {
						far = int(uint32(farthestKey(row)))
					}
					k = far
				}
				m.picks = append(m.picks, pair{ps[s], int32(k), dp[s] - row[k] + m.Triplet.Margin})
				m.anchors = append(m.anchors, int32(i))
			}
		}
		unmaskGroup(row, grp, held)
	}
	return m.hingeMean()
}

// farthestKey returns the key of the farthest unmasked entry of row, the
// lowest index among equals.
func farthestKey(row []float32) uint64 {
	best := uint64(0)
	for k, v := range row {
		if math.Float32bits(v) != maskedBits {
			best = max(best, uint64(math.Float32bits(v))<<32|uint64(0xFFFFFFFF-uint32(k)))
		}
	}
	return best&^0xFFFFFFFF | (0xFFFFFFFF - best&0xFFFFFFFF)
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
// and subtracted from grad_j, in pair order (Set.PairUpdates; pairs whose
// coefficient is 0 are left out).
func (m *TripletMiner) sparseGradient(set *kernels.Set, emb, grad []float32, b, dim int) {
	clear(grad)
	m.pi, m.pj, m.pk = m.pi[:0], m.pj[:0], m.pk[:0]
	for _, p := range m.pairs {
		k := float32(p.g * m.factor(m.dist[int(p.i)*b+int(p.j)]))
		if k != 0 {
			m.pi, m.pj, m.pk = append(m.pi, p.i), append(m.pj, p.j), append(m.pk, k)
		}
	}
	set.PairUpdates(grad[:b*dim], emb[:b*dim], m.pi, m.pj, m.pk, dim)
}

// gradient turns the dense coefficients C (∂loss/∂d_ij up to the factor
// coefScale, BatchAll) into d loss/d emb. With V = C + Cᵀ (Set.Symmetrize)
// and a zero diagonal, K_ij = V_ij·coefScale·factor(d_ij), and grad_i =
// (Σ_j K_ij)·x_i - (K·X)_i, with K·X from the MatMul kernel and the row
// sums from Set.Sum64. For the squared distance the factor is the constant
// 2, so K = V and 2·coefScale multiplies the result instead.
func (m *TripletMiner) gradient(set *kernels.Set, emb, grad []float32, b, dim int) {
	d, c, s := m.dist, m.coef[:b*b], m.coefScale
	m.rowSum = growF32(m.rowSum, b)
	set.Symmetrize(c, b)
	for i := 0; i < b; i++ {
		c[i*b+i] = 0
	}
	f := float32(1)
	if m.Triplet.Distance == SquaredEuclidean {
		f = 2 * s
	} else {
		d = d[:b*b]
		for i, v := range c {
			c[i] = float32(float32(v*s) * m.factor(d[i]))
		}
	}
	for i := 0; i < b; i++ {
		m.rowSum[i] = float32(set.Sum64(c[i*b : (i+1)*b]))
	}
	m.kx = growF32(m.kx, b*dim)
	set.MatMul(m.kx, c, emb, b, dim, b, false, false)
	for i := 0; i < b; i++ {
		rs := m.rowSum[i]
		x, kx, g := emb[i*dim:(i+1)*dim], m.kx[i*dim:(i+1)*dim], grad[i*dim:(i+1)*dim]
		kx, g = kx[:len(x)], g[:len(x)]
		for k, v := range x {
			g[k] = float32(f * (float32(rs*v) - kx[k]))
		}
	}
}
