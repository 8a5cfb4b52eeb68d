package simdloss

import (
	"fmt"
	"math"
	"sync"

	"github.com/simdloss/simdloss/kernels"
)

// Contrastive is the contrastive loss of Hadsell, Chopra and LeCun (2006)
// on pairs of rows (a_i, b_i) with D_i = ‖a_i - b_i‖:
//
//	L_i = ½·D_i²                  for a similar pair
//	L_i = ½·max(0, m - D_i)²      for a dissimilar pair
//
// The squared distances come from the SquaredL2Rows kernel and the
// gradients, k_i·(a_i - b_i) and its negation, from AxpbyRows. At D = 0 a
// dissimilar pair's gradient is 0 (a subgradient; the direction is
// undefined). pytorch-metric-learning's ContrastiveLoss differs: it forms
// every pair of a labelled batch and uses unsquared hinges [d - m_pos]_+
// and [m_neg - d]_+ (use TripletMiner-style mining for that); this is the
// paper's paired, squared form.
//
// Reduction: Mean over the pairs, Sum, or None. A Contrastive is safe for
// concurrent use while its fields are not changed; steady-state calls
// allocate nothing.
type Contrastive struct {
	Margin    float32   // m: finite, > 0
	Reduction Reduction // Mean (the zero value), Sum or None: see above

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

type pairScratch struct {
	d, k, nk []float32
}

var pairPool = sync.Pool{New: func() any { return new(pairScratch) }}

// Forward returns the reduced loss (for None: the sum) of the pairs of
// rows of a and b (rows×dim each), similar[i] telling whether pair i is
// similar. perRow (len rows), gradA and gradB (len(a)), each when non-nil,
// receive the per-pair losses and the gradients. Errors (nothing written):
// shapes as Triplet.Forward, a similar count other than the row count, a
// Margin that is not finite and positive, an unknown Reduction.
func (c *Contrastive) Forward(a, b []float32, similar []bool, dim int, perRow, gradA, gradB []float32) (float32, error) {
	const op = "simdloss: Contrastive.Forward"
	rows, err := checkPaired(op, dim, []named{{"a", a}, {"b", b}}, perRow, []named{{"gradA", gradA}, {"gradB", gradB}})
	switch {
	case err != nil:
		return 0, err
	case !positive32(c.Margin):
		return 0, fmt.Errorf("%s: Margin = %g must be finite and > 0", op, c.Margin)
	case c.Reduction > None:
		return 0, fmt.Errorf("%s: unknown Reduction %d", op, c.Reduction)
	case len(similar) != rows:
		return 0, fmt.Errorf("%s: len(similar) = %d, want one per row (%d)", op, len(similar), rows)
	}
	if rows == 0 {
		return reduceEmpty(c.Reduction), nil
	}
	set := kernelSet(c.Kernels)
	sc := pairPool.Get().(*pairScratch)
	defer pairPool.Put(sc)
	sc.d, sc.k, sc.nk = growF32(sc.d, rows), growF32(sc.k, rows), growF32(sc.nk, rows)
	set.SquaredL2Rows(sc.d, a, b, dim)
	red := reduceScale(c.Reduction, rows)
	m := float64(c.Margin)
	total := 0.0
	for i, d2 := range sc.d {
		var l, k float64 // the loss and d L/d a = k·(a - b)
		if similar[i] {
			l, k = 0.5*float64(d2), 1
		} else if d := math.Sqrt(float64(d2)); d < m {
			l = 0.5 * (m - d) * (m - d)
			if d > 0 {
				k = -(m - d) / d
			}
		}
		if perRow != nil {
			perRow[i] = float32(l)
		}
		total += l
		sc.k[i] = float32(k * red)
		sc.nk[i] = -sc.k[i]
	}
	if gradA != nil {
		set.AxpbyRows(gradA, a, b, sc.k, sc.nk, dim)
	}
	if gradB != nil {
		set.AxpbyRows(gradB, a, b, sc.nk, sc.k, dim)
	}
	return float32(total * red), nil
}

// reduceScale is the factor that turns a sum of rows into the reduction.
func reduceScale(r Reduction, rows int) float64 {
	if r == Mean {
		return 1 / float64(rows)
	}
	return 1
}

// LosslessTriplet is the "lossless triplet loss" (Arsenault 2018), the
// triplet loss for embeddings bounded by a sigmoid (every element in
// [0, 1]), whose distances therefore lie in [0, N] with N = dim: with
// pos = ‖a - p‖², neg = ‖a - n‖² and β (default N),
//
//	L = -ln(1 + ε - pos/β) - ln(1 + ε - (N - neg)/β)
//
// No hinge: every triplet keeps a gradient, which grows as pos nears β or
// neg nears 0. The squared distances come from SquaredL2Rows and the
// gradients from the fused triplet gradient kernel (TripletGradRows).
//
// Distances where a logarithm's argument is <= 0 (pos >= β(1 + ε), or
// neg <= N - β(1 + ε) when β < N) have no loss: they mean the embeddings
// are not in [0, 1], and Forward returns an error. Reduction: Mean over the triplets, Sum, or None. A
// LosslessTriplet is safe for concurrent use while its fields are not
// changed; steady-state calls allocate nothing.
type LosslessTriplet struct {
	Beta      float32   // β: finite, > 0; 0 means N = dim, as the original
	Eps       float32   // ε: finite, >= 0 (1e-8 in the original)
	Reduction Reduction // Mean (the zero value), Sum or None: see above

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

// Forward returns the reduced loss (for None: the sum) over the rows of
// anchor, positive and negative (rows×dim each); perRow and the gradients
// (any may be nil) as Triplet.Forward. Errors (nothing written): shapes as
// Triplet.Forward, a negative, NaN or infinite Beta or Eps, an unknown
// Reduction, distances outside the loss's domain (above).
func (t *LosslessTriplet) Forward(anchor, positive, negative []float32, dim int, perRow, gradA, gradP, gradN []float32) (float32, error) {
	const op = "simdloss: LosslessTriplet.Forward"
	rows, err := checkPaired(op, dim, []named{{"anchor", anchor}, {"positive", positive}, {"negative", negative}}, perRow,
		[]named{{"gradA", gradA}, {"gradP", gradP}, {"gradN", gradN}})
	switch {
	case err != nil:
		return 0, err
	case !(t.Beta >= 0 && t.Beta <= math.MaxFloat32):
		return 0, fmt.Errorf("%s: Beta = %g must be finite and > 0 (0: dim)", op, t.Beta)
	case !(t.Eps >= 0 && t.Eps <= math.MaxFloat32):
		return 0, fmt.Errorf("%s: Eps = %g must be finite and >= 0", op, t.Eps)
	case t.Reduction > None:
		return 0, fmt.Errorf("%s: unknown Reduction %d", op, t.Reduction)
	}
	if rows == 0 {
		return reduceEmpty(t.Reduction), nil
	}
	set := kernelSet(t.Kernels)
	n := float64(dim)
	beta := float64(t.Beta)
	if beta == 0 {
		beta = n
	}
	eps := float64(t.Eps)
	ps := pairPool.Get().(*pairScratch)
	defer pairPool.Put(ps)
	ps.d, ps.k = growF32(ps.d, 2*rows), growF32(ps.k, 2*rows)
	dap, dan := ps.d[:rows], ps.d[rows:]
	set.SquaredL2Rows(dap, anchor, positive, dim)
	set.SquaredL2Rows(dan, anchor, negative, dim)
	// the whole batch is checked before anything is written (NaN passes:
	// NaN embeddings give a NaN loss, as in the other losses)
	for i := range dap {
		if u, v := 1+eps-float64(dap[i])/beta, 1+eps-(n-float64(dan[i]))/beta; u <= 0 || v <= 0 {
			return 0, fmt.Errorf("%s: row %d: squared distances %g (positive), %g (negative) are outside the loss's domain for β = %g, ε = %g; are the embeddings in [0, 1]?",
				op, i, dap[i], dan[i], beta, eps)
		}
	}
	red := reduceScale(t.Reduction, rows)
	cu, cv := ps.k[:rows], ps.k[rows:]
	total := 0.0
	for i := range dap {
		u := 1 + eps - float64(dap[i])/beta
		v := 1 + eps - (n-float64(dan[i]))/beta
		l := -math.Log(u) - math.Log(v)
		if perRow != nil {
			perRow[i] = float32(l)
		}
		total += l
		// dL/dpos = 1/(β·u), dL/dneg = -1/(β·v); d pos/da = 2(a - p)
		cu[i] = float32(2 / (beta * u) * red)
		cv[i] = float32(2 / (beta * v) * red)
	}
	if gradA == nil && gradP == nil && gradN == nil {
		return float32(total * red), nil
	}
	sc := tripletPool.Get().(*tripletScratch)
	defer tripletPool.Put(sc)
	if (gradA == nil || gradP == nil || gradN == nil) && len(sc.grad) < 3*tripletChunk*dim {
		sc.grad = make([]float32, 3*tripletChunk*dim)
	}
	for r0 := 0; r0 < rows; r0 += tripletChunk {
		k := min(tripletChunk, rows-r0)
		a, p, ng := anchor[r0*dim:(r0+k)*dim], positive[r0*dim:(r0+k)*dim], negative[r0*dim:(r0+k)*dim]
		ga, gp, gn := gradRows(gradA, r0, k, dim, sc.grad, 0), gradRows(gradP, r0, k, dim, sc.grad, 1), gradRows(gradN, r0, k, dim, sc.grad, 2)
		set.TripletGradRows(ga, gp, gn, a, p, ng, cu[r0:r0+k], cv[r0:r0+k], nil, 0, dim)
	}
	return float32(total * red), nil
}
