package simdloss

import (
	"fmt"
	"math"
	"sync"

	"github.com/simdloss/simdloss/kernels"
)

// Distance selects the distance of the triplet losses.
type Distance uint8

const (
	// SquaredEuclidean is ||x - y||², the seed's (FaceNet's) form.
	SquaredEuclidean Distance = iota
	// Euclidean is PyTorch's pairwise_distance: ||x - y + eps||₂ with eps
	// added to every component (Triplet.Eps; PyTorch uses 1e-6).
	Euclidean
)

// String returns the distance's name.
func (d Distance) String() string {
	switch d {
	case SquaredEuclidean:
		return "SquaredEuclidean"
	case Euclidean:
		return "Euclidean"
	}
	return fmt.Sprintf("Distance(%d)", uint8(d))
}

// Triplet is the triplet loss over a batch of (anchor, positive, negative)
// rows of embeddings:
//
//	loss_i = [ d(a_i, p_i) - d(a_i, n_i) + Margin ]_+
//
// with d SquaredEuclidean (the seed's Σ_i [||f(a_i)-f(p_i)||² - ||f(a_i)-f(n_i)||² + α]_+)
// or Euclidean (torch.nn.functional.triplet_margin_loss with p=2: set
// Margin 1 and Eps 1e-6 for PyTorch's defaults). Swap uses min(d(a,n), d(p,n))
// as the negative distance (Balntas et al., PyTorch's swap). SoftMargin
// replaces the hinge by log(1 + exp(x)) (Hermans et al. 2017).
//
// At exactly zero hinge argument the subgradient is 1 (PyTorch's clamp_min
// convention). Where a Euclidean distance is 0 its gradient is taken as 0
// (no NaN). NaN or Inf in the embeddings propagate to the loss. A Triplet is
// safe for concurrent use while its fields are not changed.
type Triplet struct {
	Margin     float32   // α: finite (may be 0 or negative)
	Distance   Distance  // SquaredEuclidean (the zero value) or Euclidean
	Eps        float32   // Euclidean only: added to every component of x - y
	Swap       bool      // the negative distance is min(d(a,n), d(p,n))
	SoftMargin bool      // log(1+exp(x)) instead of the hinge (Hermans et al. 2017)
	Reduction  Reduction // Mean (the zero value), Sum or None

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

// tripletChunk is how many rows a triplet call processes at a time.
const tripletChunk = 256

type tripletScratch struct {
	dap, dan, dpn, cu, cv, cw [tripletChunk]float32
	grad                      []float32 // 3 blocks of tripletChunk*dim, for gradients the caller did not ask for
}

var tripletPool = sync.Pool{New: func() any { return new(tripletScratch) }}

// Forward returns the reduced loss (for None: the sum of the per-row
// losses) over the rows of anchor, positive and negative (each rows×dim,
// row-major). perRow (len rows), when non-nil, receives each row's loss;
// gradA, gradP, gradN (len rows*dim each), any of which may be nil, receive
// the gradient of the reduced loss (for None: of each row's loss).
//
// Errors (nothing is written when an error is returned): lengths that differ
// or are not a multiple of dim, dim <= 0 with data, a NaN or infinite Margin,
// (with Distance Euclidean) a negative, NaN or infinite Eps, an unknown
// Distance or Reduction, perRow or a gradient of the wrong length, an output
// (perRow or a gradient) overlapping an input or another output.
func (t *Triplet) Forward(anchor, positive, negative []float32, dim int, perRow, gradA, gradP, gradN []float32) (float32, error) {
	rows, err := t.validate(anchor, positive, negative, dim, perRow, gradA, gradP, gradN)
	if err != nil {
		return 0, err
	}
	if rows == 0 {
		if t.Reduction == Mean {
			return float32(math.NaN()), nil
		}
		return 0, nil
	}
	set := kernelSet(t.Kernels)
	eps := float32(0)
	if t.Distance == Euclidean {
		eps = t.Eps
	}
	scale := float32(1)
	if t.Reduction == Mean {
		scale = float32(1 / float64(rows))
	}
	wantGrad := gradA != nil || gradP != nil || gradN != nil
	sc := tripletPool.Get().(*tripletScratch)
	defer tripletPool.Put(sc)
	if wantGrad && (gradA == nil || gradP == nil || gradN == nil) && len(sc.grad) < 3*tripletChunk*dim {
		sc.grad = make([]float32, 3*tripletChunk*dim)
	}
	total := 0.0
	for r0 := 0; r0 < rows; r0 += tripletChunk {
		n := min(tripletChunk, rows-r0)
		a := anchor[r0*dim : (r0+n)*dim]
		p := positive[r0*dim : (r0+n)*dim]
		ng := negative[r0*dim : (r0+n)*dim]
		set.SquaredL2RowsEps(sc.dap[:n], a, p, eps, dim)
		set.SquaredL2RowsEps(sc.dan[:n], a, ng, eps, dim)
		if t.Swap {
			set.SquaredL2RowsEps(sc.dpn[:n], p, ng, eps, dim)
		}
		swapped := false
		for i := 0; i < n; i++ {
			dap, dan := sc.dap[i], sc.dan[i]
			if t.Distance == Euclidean {
				dap, dan = float32(math.Sqrt(float64(dap))), float32(math.Sqrt(float64(dan)))
			}
			dneg, cneg := dan, &sc.cv[i]
			sc.cv[i], sc.cw[i] = 0, 0
			if t.Swap {
				dpn := sc.dpn[i]
				if t.Distance == Euclidean {
					dpn = float32(math.Sqrt(float64(dpn)))
				}
				if dpn < dan {
					dneg, cneg = dpn, &sc.cw[i]
					swapped = true
				}
			}
			x := dap - dneg + t.Margin
			l, g := hinge(x, t.SoftMargin)
			if perRow != nil {
				perRow[r0+i] = l
			}
			total += float64(l)
			g = float32(g * scale)
			sc.cu[i] = distGrad(t.Distance, g, dap)
			*cneg = distGrad(t.Distance, g, dneg)
		}
		if !wantGrad {
			continue
		}
		ga, gp, gn := gradRows(gradA, r0, n, dim, sc.grad, 0), gradRows(gradP, r0, n, dim, sc.grad, 1), gradRows(gradN, r0, n, dim, sc.grad, 2)
		var cw []float32
		if swapped {
			cw = sc.cw[:n]
		}
		set.TripletGradRows(ga, gp, gn, a, p, ng, sc.cu[:n], sc.cv[:n], cw, eps, dim)
	}
	if t.Reduction == Mean {
		return float32(total / float64(rows)), nil
	}
	return float32(total), nil
}

// gradRows returns rows r0..r0+n of the caller's gradient, or, when the
// caller passed nil, scratch block which (the kernel writes all three).
func gradRows(g []float32, r0, n, dim int, scratch []float32, which int) []float32 {
	if g != nil {
		return g[r0*dim : (r0+n)*dim]
	}
	b := which * tripletChunk * dim
	return scratch[b : b+n*dim]
}

// hinge returns the loss of a hinge argument x and its derivative: [x]_+
// with derivative 1 at x >= 0, or softplus(x) = log(1+exp(x)) with
// derivative sigmoid(x). NaN gives NaN for both.
func hinge(x float32, soft bool) (loss, grad float32) {
	if x != x {
		return x, x
	}
	if soft {
		l, g := softplus(float64(x))
		return float32(l), float32(g)
	}
	if x >= 0 {
		return x, 1
	}
	return 0, 0
}

// distGrad is the coefficient of the gradient of d w.r.t. the difference
// vector u (gradient = coefficient·u): 2g for the squared distance, g/d for
// the Euclidean one, 0 where d is 0.
func distGrad(dist Distance, g, d float32) float32 {
	if dist == SquaredEuclidean {
		return float32(2 * g)
	}
	if d == 0 {
		return 0
	}
	return g / d
}

func (t *Triplet) validate(anchor, positive, negative []float32, dim int, perRow, gradA, gradP, gradN []float32) (int, error) {
	const op = "simdloss: Triplet.Forward"
	rows, err := checkPaired(op, dim, []named{{"anchor", anchor}, {"positive", positive}, {"negative", negative}}, perRow,
		[]named{{"gradA", gradA}, {"gradP", gradP}, {"gradN", gradN}})
	if err != nil {
		return 0, err
	}
	switch {
	case !finite32(t.Margin):
		return 0, fmt.Errorf(op+": Margin = %g must be finite", t.Margin)
	case t.Distance > Euclidean:
		return 0, fmt.Errorf(op+": unknown Distance %d", t.Distance)
	case t.Reduction > None:
		return 0, fmt.Errorf(op+": unknown Reduction %d", t.Reduction)
	case t.Distance == Euclidean && !(t.Eps >= 0 && t.Eps <= math.MaxFloat32):
		return 0, fmt.Errorf(op+": Eps = %g must be finite and >= 0", t.Eps)
	}
	return rows, nil
}
