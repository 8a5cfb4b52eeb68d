package simdloss

import (
	"fmt"
	"math"
	"sync"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels"
)

// cosScratch is the reusable memory of the losses built on cosine
// similarities (InfoNCE, circle, multi-similarity): the similarity matrix
// (then its gradient), the L2-normalised rows and their inverse norms, the
// gradient w.r.t. the normalised rows, and per-row vectors.
type cosScratch struct {
	s            []float32 // similarities, then d loss / d similarities
	zh, zh2      []float32 // normalised rows (of a, and of b for two sets)
	inv, inv2    []float32 // inverse norms
	gz, gz2      []float32 // d loss / d normalised rows
	v1, v2, v3   []float32 // per-row scratch
	mx, lsum, tl []float32 // per-row outputs of the cross-entropy rows

	// the group rows of one anchor (pair losses), and their outputs
	blk, bmx, blsum, bones []float32
	labelGroups                      // the rows grouped by label
	keep                   []int32   // one anchor's kept positives
	save                   []float32 // one anchor's similarities to its label group
}

var cosPool = sync.Pool{New: func() any { return new(cosScratch) }}

// normalise writes zh_i = z_i·inv_i with inv_i = generic.InvNormOf(z_i·z_i):
// the rows L2-normalised as the Cosines kernel normalises them. tmp is a
// per-row scratch vector. It reports whether every squared norm is finite
// (no NaN or Inf element, no overflow): normsFinite, then normaliseSquares.
func normalise(set *kernels.Set, zh, inv, tmp, z []float32, rows, dim int) bool {
	finite := normsFinite(set, inv, z, rows, dim)
	normaliseSquares(set, zh, inv, tmp, z, rows, dim)
	return finite
}

// normaliseSquares is normalise after normsFinite left the squared norms of
// z's rows in inv (a caller that checked them first takes them once).
func normaliseSquares(set *kernels.Set, zh, inv, tmp, z []float32, rows, dim int) {
	for i, v := range inv[:rows] {
		inv[i] = generic.InvNormOf(v)
	}
	clear(tmp[:rows])
	set.AxpbyRows(zh[:rows*dim], z[:rows*dim], z[:rows*dim], inv[:rows], tmp[:rows], dim)
}

// normsFinite reports whether every row of z (rows of dim) has a finite
// squared norm, the canonical sum of squares (left in sq), for a forward
// pass that does not need the normalised rows, or before normaliseSquares.
func normsFinite(set *kernels.Set, sq, z []float32, rows, dim int) bool {
	set.DotRows(sq[:rows], z[:rows*dim], z[:rows*dim], dim)
	for _, v := range sq[:rows] {
		if !(v <= math.MaxFloat32) {
			return false
		}
	}
	return true
}

// normBackward writes the gradient w.r.t. z of a loss whose gradient w.r.t.
// the normalised rows zh is scale·gz: grad_i = scale·inv_i·(gz_i -
// (gz_i·zh_i)·zh_i). dots and cb are per-row scratch.
func normBackward(set *kernels.Set, grad, gz, zh, inv, dots, ca, cb []float32, scale float32, rows, dim int) {
	set.DotRows(dots[:rows], gz[:rows*dim], zh[:rows*dim], dim)
	for i := 0; i < rows; i++ {
		ca[i] = float32(scale * inv[i])
		cb[i] = -float32(ca[i] * dots[i])
	}
	set.AxpbyRows(grad[:rows*dim], gz[:rows*dim], zh[:rows*dim], ca[:rows], cb[:rows], dim)
}

// growAll sizes the scratch for n×m similarities of rows of dim (two sets
// when two is true).
func (c *cosScratch) growAll(n, m, dim int, two bool) {
	c.s = growF32(c.s, n*m)
	c.zh, c.inv, c.gz = growF32(c.zh, n*dim), growF32(c.inv, n), growF32(c.gz, n*dim)
	if two {
		c.zh2, c.inv2, c.gz2 = growF32(c.zh2, m*dim), growF32(c.inv2, m), growF32(c.gz2, m*dim)
	}
	r := max(n, m)
	c.v1, c.v2, c.v3 = growF32(c.v1, r), growF32(c.v2, r), growF32(c.v3, r)
	c.mx, c.lsum, c.tl = growF32(c.mx, r), growF32(c.lsum, r), growF32(c.tl, r)
}

// poisoned is the result of an embedding loss on NaN or infinite
// embeddings: a NaN loss and a gradient (when non-nil) of NaNs, rather than
// a finite loss from the pairs that happened to stay finite.
func poisoned(grad []float32) float32 {
	nan := float32(math.NaN())
	for i := range grad {
		grad[i] = nan
	}
	return nan
}

// simBackward writes grad, the gradient w.r.t. the raw rows of a loss on
// the self-similarities S = Ẑ·Ẑᵀ whose gradient w.r.t. S (scaled by
// 1/scale) is in sc.s: through S it is (dS + dSᵀ)·Ẑ, one matrix product
// once dS is made symmetric in place, then through the normalisation.
// sc.zh and sc.inv must hold the normalised rows.
func simBackward(set *kernels.Set, sc *cosScratch, grad []float32, scale float32, rows, dim int) {
	ds := sc.s[:rows*rows]
	set.Symmetrize(ds, rows)
	set.FlushSubnormals(ds)
	set.MatMul(sc.gz, ds, sc.zh, rows, dim, rows, false, false)
	normBackward(set, grad, sc.gz, sc.zh, sc.inv, sc.v1, sc.v2, sc.v3, scale, rows, dim)
}

// checkPairs validates the arguments shared by the pair losses on
// labelled embeddings and returns the row count.
func checkPairs(op string, emb []float32, labels []int32, dim int, grad []float32) (int, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("%s: dim = %d must be positive", op, dim)
	}
	if len(emb)%dim != 0 {
		return 0, fmt.Errorf("%s: len(emb) = %d is not a multiple of dim = %d", op, len(emb), dim)
	}
	rows := len(emb) / dim
	if len(labels) != rows {
		return 0, fmt.Errorf("%s: len(labels) = %d, want one per row (%d)", op, len(labels), rows)
	}
	if grad != nil && len(grad) != len(emb) {
		return 0, fmt.Errorf("%s: len(grad) = %d, want len(emb) = %d", op, len(grad), len(emb))
	}
	if grad != nil && overlaps(grad, emb) {
		return 0, fmt.Errorf("%s: grad overlaps emb", op)
	}
	return rows, nil
}

// pairSetup prepares sc for a pair loss on the rows of emb (rows×dim, one
// label each): sizes the scratch, groups the rows by label, L2-normalises
// them into sc.zh (with sc.inv) and writes their cosine similarities into
// sc.s. It reports false when an embedding is not finite, for which the
// caller returns poisoned(grad).
func (c *cosScratch) pairSetup(set *kernels.Set, emb []float32, labels []int32, rows, dim int) bool {
	c.growAll(rows, rows, dim, false)
	c.blk = growF32(c.blk, 2*(rows+1)) // two group rows of at most rows+1 logits
	c.bmx, c.blsum, c.bones = growF32(c.bmx, 1), growF32(c.blsum, 1), growF32(c.bones, 1)
	c.bones[0] = 1
	c.keep, c.save = growI32(c.keep, rows), growF32(c.save, rows)
	if !normalise(set, c.zh, c.inv, c.v1, emb, rows, dim) {
		return false
	}
	set.Cosines(c.s[:rows*rows], emb, emb, dim)
	c.labelGroups.build(labels)
	return true
}

// groupRows returns the anchor's two group rows, for its positives' and its
// negatives' logits, each of length and capacity n <= rows+1 (an append to
// one cannot run into the other).
func (c *cosScratch) groupRows(n int) (pos, neg []float32) {
	return c.blk[:n:n], c.blk[n : 2*n : 2*n]
}

// groupSoftmax runs the cross-entropy row kernel in place over one group
// row g (compacted: only the logits of the group, no -Inf padding, so that
// no exp is spent on absent pairs) and returns its log-sum-exp; g becomes
// its softmax. g must not be all -Inf.
func (c *cosScratch) groupSoftmax(set *kernels.Set, g []float32) float64 {
	set.CrossEntropyRows(g, g, nil, 0, c.bones[:1], c.bones[:1], c.bmx[:1], c.blsum[:1], nil, len(g))
	return float64(c.bmx[0]) + float64(c.blsum[0])
}
