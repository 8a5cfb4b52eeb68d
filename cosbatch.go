package simdloss

import (
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
}

var cosPool = sync.Pool{New: func() any { return new(cosScratch) }}

// normalise writes zh_i = z_i·inv_i with inv_i = generic.InvNormOf(z_i·z_i):
// the rows L2-normalised as the Cosines kernel normalises them. tmp is a
// per-row scratch vector.
func normalise(set *kernels.Set, zh, inv, tmp, z []float32, rows, dim int) {
	set.DotRows(inv[:rows], z[:rows*dim], z[:rows*dim], dim) // the canonical sum of squares
	for i, v := range inv[:rows] {
		inv[i] = generic.InvNormOf(v)
	}
	clear(tmp[:rows])
	set.AxpbyRows(zh[:rows*dim], z[:rows*dim], z[:rows*dim], inv[:rows], tmp[:rows], dim)
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
