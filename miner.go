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

	dist, coef []float32 // B×B distances and gradient coefficients
	embT, kx   []float32 // dim×B transpose of the batch, B×dim product K·X
	rowSum     []float32
}

// Forward returns the mined loss of the batch emb (rows×dim) with labels
// (one per row). grad (len rows*dim), when non-nil, receives d loss/d emb.
//
// Errors (nothing is written when an error is returned): len(emb) not a
// multiple of dim, dim <= 0 with data, len(labels) != rows, grad of the
// wrong length or overlapping emb, a NaN or infinite Margin, an unknown
// Distance or Mining. NaN or infinite embeddings make the loss and every
// gradient element NaN.
func (m *TripletMiner) Forward(emb []float32, labels []int32, dim int, grad []float32) (float32, error) {
	t := &m.Triplet
	switch {
	case len(emb) > 0 && dim <= 0:
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: dim = %d must be positive", dim)
	case len(emb) > 0 && len(emb)%dim != 0:
		return 0, fmt.Errorf("simdloss: TripletMiner.Forward: len(emb) = %d is not a multiple of dim = %d", len(emb), dim)
	case t.Margin != t.Margin || math.IsInf(float64(t.Margin), 0):
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
	m.dist = grow(m.dist, b*b)
	m.coef = grow(m.coef, b*b)
	d, c := m.dist, m.coef
	set.SquaredL2(d, emb, emb, dim)
	for i := 0; i < b; i++ {
		d[i*b+i] = 0 // the expansion leaves rounding noise on the diagonal
		if t.Distance == Euclidean {
			for j := i * b; j < (i+1)*b; j++ {
				d[j] = float32(math.Sqrt(float64(d[j])))
			}
		}
	}
	for _, v := range d {
		if v != v {
			// NaN or Inf embeddings: the loss is NaN, as is the gradient.
			if grad != nil {
				for i := range grad {
					grad[i] = float32(math.NaN())
				}
			}
			return float32(math.NaN()), nil
		}
	}
	clear(c)
	var loss float32
	switch m.Mining {
	case BatchHard:
		loss = m.batchHard(labels, b)
	case BatchAll:
		loss = m.batchAll(labels, b)
	case SemiHard:
		loss = m.semiHard(labels, b)
	}
	if grad != nil {
		m.gradient(set, emb, grad, b, dim)
	}
	return loss, nil
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// negOf and posOf tell whether column j is a negative / a positive of row i.
func posOf(labels []int32, i, j int) bool { return j != i && labels[j] == labels[i] }
func negOf(labels []int32, i, j int) bool { return labels[j] != labels[i] }

func (m *TripletMiner) batchHard(labels []int32, b int) float32 {
	d, c := m.dist, m.coef
	anchors := 0
	total := 0.0
	// two passes so that the mean's 1/anchors is known before the coefficients
	for pass := 0; pass < 2; pass++ {
		for i := 0; i < b; i++ {
			p, n := -1, -1
			for j := 0; j < b; j++ {
				v := d[i*b+j]
				if posOf(labels, i, j) && (p < 0 || v > d[i*b+p]) {
					p = j
				}
				if negOf(labels, i, j) && (n < 0 || v < d[i*b+n]) {
					n = j
				}
			}
			if p < 0 || n < 0 {
				continue
			}
			if pass == 0 {
				anchors++
				continue
			}
			x := d[i*b+p] - d[i*b+n] + m.Triplet.Margin
			l, g := hinge(x, m.Triplet.SoftMargin)
			total += float64(l)
			g = float32(g / float32(anchors))
			c[i*b+p] += g
			c[i*b+n] -= g
		}
		if anchors == 0 {
			return 0
		}
	}
	return float32(total / float64(anchors))
}

func (m *TripletMiner) batchAll(labels []int32, b int) float32 {
	d, c := m.dist, m.coef
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
			for j := 0; j < b; j++ {
				if !posOf(labels, i, j) {
					continue
				}
				dp := d[i*b+j]
				for k := 0; k < b; k++ {
					if !negOf(labels, i, k) {
						continue
					}
					x := dp - d[i*b+k] + margin
					if !soft && !(x > 0) {
						continue
					}
					if pass == 0 {
						count++
						continue
					}
					l, g := hinge(x, soft)
					total += float64(l)
					g = float32(g * inv)
					c[i*b+j] += g
					c[i*b+k] -= g
				}
			}
		}
	}
	return float32(total / float64(count))
}

func (m *TripletMiner) semiHard(labels []int32, b int) float32 {
	d, c := m.dist, m.coef
	pairs := 0
	total := 0.0
	for pass := 0; pass < 2; pass++ {
		var inv float32
		if pass == 1 {
			if pairs == 0 {
				return 0
			}
			inv = float32(1 / float64(pairs))
		}
		for i := 0; i < b; i++ {
			hasNeg := false
			for k := 0; k < b && !hasNeg; k++ {
				hasNeg = negOf(labels, i, k)
			}
			if !hasNeg {
				continue
			}
			for j := 0; j < b; j++ {
				if !posOf(labels, i, j) {
					continue
				}
				if pass == 0 {
					pairs++
					continue
				}
				dp := d[i*b+j]
				// nearest negative farther than the positive, else the farthest
				out, in := -1, -1
				for k := 0; k < b; k++ {
					if !negOf(labels, i, k) {
						continue
					}
					v := d[i*b+k]
					if v > dp && (out < 0 || v < d[i*b+out]) {
						out = k
					}
					if in < 0 || v > d[i*b+in] {
						in = k
					}
				}
				n := out
				if n < 0 {
					n = in
				}
				x := dp - d[i*b+n] + m.Triplet.Margin
				l, g := hinge(x, m.Triplet.SoftMargin)
				total += float64(l)
				g = float32(g * inv)
				c[i*b+j] += g
				c[i*b+n] -= g
			}
		}
	}
	return float32(total / float64(pairs))
}

// gradient turns the coefficients C (∂loss/∂d_ij) into d loss/d emb:
// K_ij = (C_ij + C_ji)·∂d_ij/∂(x_i - x_j) factor (2 squared, 1/d Euclidean,
// 0 at d = 0), and grad_i = (Σ_j K_ij)·x_i - (K·X)_i, with K·X from the
// Dots kernel on the transposed batch.
func (m *TripletMiner) gradient(set *kernels.Set, emb, grad []float32, b, dim int) {
	d, c := m.dist, m.coef
	m.rowSum = grow(m.rowSum, b)
	for i := 0; i < b; i++ {
		for j := i; j < b; j++ {
			k := c[i*b+j] + c[j*b+i]
			switch {
			case i == j:
				k = 0
			case m.Triplet.Distance == SquaredEuclidean:
				k = float32(2 * k)
			case d[i*b+j] == 0:
				k = 0
			default:
				k /= d[i*b+j]
			}
			c[i*b+j], c[j*b+i] = k, k
		}
	}
	for i := 0; i < b; i++ {
		s := 0.0
		for _, v := range c[i*b : (i+1)*b] {
			s += float64(v)
		}
		m.rowSum[i] = float32(s)
	}
	m.embT = grow(m.embT, dim*b)
	m.kx = grow(m.kx, b*dim)
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
