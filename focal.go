package simdloss

import (
	"fmt"
	"math"
	"sync"

	"github.com/simdloss/simdloss/kernels"
)

// Focal is the softmax focal loss (Lin et al. 2017) with per-class α and
// focusing parameter γ: for a row with label y and p = softmax(z)_y,
//
//	FL = -α_y·(1 - p)^γ·log p
//
// γ = 0 and α = 1 is the cross-entropy. Its gradient w.r.t. the logits is
// F·(softmax(z) - onehot(y)) with F = α_y·((1-p)^γ - γ(1-p)^(γ-1)·p·log p),
// so one pass of the fused cross-entropy row kernel (row maximum,
// log-sum-exp and softmax), one call of the per-row focal terms
// (FocalTerms) and one row scaling (AxpbyRows) make the whole forward and
// backward. log p comes from the log-sum-exp and 1 - p = -expm1(log p) from
// a polynomial near 0, so the loss keeps its accuracy as p → 1 (within a few
// float32 ulps of the float64 formula; generic.FocalTerms states the
// operations). The SIMD kernels take integer γ up to 16; other γ run the
// generic code, with (1 - p)^γ by math.Pow.
//
// Reduction: Mean is the plain mean over the rows (as kornia's focal_loss;
// α is not a normaliser here), Sum the sum, None the per-row losses. An
// empty batch gives NaN with Mean. A Focal is safe for concurrent use while
// its fields are not changed; steady-state calls allocate nothing.
type Focal struct {
	Gamma     float32   // γ: finite, >= 0 (2 in the paper)
	Alpha     []float32 // α per class (len cols); nil: 1 for every class
	Reduction Reduction // Mean (the zero value), Sum or None: see above

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

type focalScratch struct {
	mx, lsum, coef, logp, alpha, loss []float32
	ones, zeros                       []float32 // constant, see constRows
}

// constRows returns (*buf)[:n] with v in every element. The buffer only
// ever holds v, so it is filled when it grows and not on every call.
func constRows(buf *[]float32, n int, v float32) []float32 {
	if len(*buf) < n {
		b := make([]float32, max(n, 2*len(*buf)))
		for i := range b {
			b[i] = v
		}
		*buf = b
	}
	return (*buf)[:n]
}

var focalPool = sync.Pool{New: func() any { return new(focalScratch) }}

// Forward returns the focal loss of the rows×cols logits with one label in
// [0, cols) per row; perRow (len rows), when non-nil, receives the per-row
// losses and grad (len(logits)), when non-nil, the gradient of the
// returned value. Errors (nothing written): cols <= 0 with logits, a ragged
// batch, a label out of range, a label count other than the row count,
// Alpha of the wrong length or with a NaN, infinite or negative value, a
// NaN, infinite or negative Gamma, an unknown Reduction, outputs of the
// wrong length, an output overlapping logits, Alpha or the other output.
func (f *Focal) Forward(logits []float32, labels []int32, cols int, perRow, grad []float32) (float32, error) {
	const op = "simdloss: Focal.Forward"
	rows, err := checkRows(op, logits, cols, perRow, grad)
	if err != nil {
		return 0, err
	}
	switch {
	case !(f.Gamma >= 0 && f.Gamma <= math.MaxFloat32):
		return 0, fmt.Errorf("%s: Gamma = %g must be finite and >= 0", op, f.Gamma)
	case f.Reduction > None:
		return 0, fmt.Errorf("%s: unknown Reduction %d", op, f.Reduction)
	case f.Alpha != nil && len(f.Alpha) != cols:
		return 0, fmt.Errorf("%s: len(Alpha) = %d, want cols = %d", op, len(f.Alpha), cols)
	case len(labels) != rows:
		return 0, fmt.Errorf("%s: len(labels) = %d, want one per row (%d)", op, len(labels), rows)
	}
	if s := overlapping([]named{{"grad", grad}, {"perRow", perRow}}, named{"Alpha", f.Alpha}); s != "" {
		return 0, fmt.Errorf("%s: %s", op, s)
	}
	if i := badValue(kernelSet(f.Kernels), f.Alpha); i >= 0 {
		return 0, fmt.Errorf("%s: Alpha[%d] = %g must be finite and >= 0", op, i, f.Alpha[i])
	}
	for i, y := range labels {
		if y < 0 || int(y) >= cols {
			return 0, fmt.Errorf("%s: labels[%d] = %d is outside [0, %d)", op, i, y, cols)
		}
	}
	if rows == 0 {
		return reduceEmpty(f.Reduction), nil
	}
	set := kernelSet(f.Kernels)
	sc := focalPool.Get().(*focalScratch)
	defer focalPool.Put(sc)
	sc.mx, sc.lsum = growF32(sc.mx, rows), growF32(sc.lsum, rows)
	sc.coef = growF32(sc.coef, rows)
	ones, zeros := constRows(&sc.ones, rows, 1), constRows(&sc.zeros, rows, 0)
	var a []float32
	if grad != nil {
		a = ones // a = scale = 1: grad becomes the softmax
	}
	set.CrossEntropyRows(grad, logits, nil, 0, a, a, sc.mx, sc.lsum, nil, cols)

	red := 1.0
	if f.Reduction == Mean {
		red = 1 / float64(rows)
	}
	// Each row's log p = (z_y - max) - L and α_y, then every row's loss
	// and gradient factor in one kernel call.
	sc.logp, sc.loss = growF32(sc.logp, rows), growF32(sc.loss, rows)
	lp, mx, lsum := sc.logp[:rows], sc.mx[:rows], sc.lsum[:rows]
	off := 0
	for i, y := range labels {
		lp[i] = (logits[off+int(y)] - mx[i]) - lsum[i]
		off += cols
	}
	alpha := ones
	if f.Alpha != nil {
		sc.alpha = growF32(sc.alpha, rows)
		alpha = sc.alpha
		for i, y := range labels {
			alpha[i] = f.Alpha[y]
		}
	}
	loss := sc.loss
	if perRow != nil {
		loss = perRow
	}
	set.FocalTerms(loss, sc.coef, lp, alpha, f.Gamma, float32(red))
	total := set.Sum64(loss)
	if grad != nil {
		set.AxpbyRows(grad, grad, grad, sc.coef, zeros, cols)
		for i, y := range labels {
			grad[i*cols+int(y)] -= sc.coef[i]
		}
	}
	return float32(total * red), nil
}

// SigmoidFocal is the sigmoid (binary, per element) focal loss as
// torchvision.ops.sigmoid_focal_loss computes it: with p = σ(x) and a
// target t in [0, 1],
//
//	ce  = -(t·log p + (1-t)·log(1-p))     (binary cross-entropy with logits)
//	p_t = p·t + (1-p)·(1-t)
//	FL  = α_t·ce·(1 - p_t)^γ,   α_t = α·t + (1-α)·(1-t)  (α < 0: α_t = 1)
//
// torchvision's defaults are α = 0.25, γ = 2. It is elementwise, in float32:
// one exponential, one logarithm and two divisions per element, in the
// order generic.SigmoidFocal states (within a few float32 ulps of the
// float64 formula, gradient included; softplus(-x) and σ(-|x|) are +0
// rather than subnormal beyond |x| = 87.3). The SIMD kernels take integer γ
// up to 16; other γ run generic's code, with (1 - p_t)^γ by math.Pow.
// Reduction: Mean over all elements, Sum, or None (per-element losses
// through perElem); the reduced loss is a float64 sum of the float32
// per-element losses. A SigmoidFocal is safe for concurrent use and
// allocates nothing.
type SigmoidFocal struct {
	Alpha     float32   // α in [0, 1], or negative to turn the weighting off
	Gamma     float32   // γ: finite, >= 0
	Reduction Reduction // Mean (the zero value), Sum or None: see above

	// Kernels is the kernel set the loss runs on; nil means the set chosen
	// at init (KernelSet).
	Kernels *kernels.Set
}

// Forward returns the loss of logits against targets (same length, each
// target in [0, 1]); perElem (len(logits)) receives the per-element losses
// and grad (len(logits)) the gradient of the returned value, each when
// non-nil. Errors (nothing written): lengths that differ, a target outside
// [0, 1] or NaN, α above 1 or NaN, a NaN, infinite or negative γ, an
// unknown Reduction, outputs overlapping an input.
func (f *SigmoidFocal) Forward(logits, targets, perElem, grad []float32) (float32, error) {
	const op = "simdloss: SigmoidFocal.Forward"
	n := len(logits)
	switch {
	case len(targets) != n:
		return 0, fmt.Errorf("%s: len(targets) = %d, want len(logits) = %d", op, len(targets), n)
	case !(f.Alpha <= 1) || f.Alpha < 0 && !finite32(f.Alpha):
		return 0, fmt.Errorf("%s: Alpha = %g must be in [0, 1] (or negative: off)", op, f.Alpha)
	case !(f.Gamma >= 0 && f.Gamma <= math.MaxFloat32):
		return 0, fmt.Errorf("%s: Gamma = %g must be finite and >= 0", op, f.Gamma)
	case f.Reduction > None:
		return 0, fmt.Errorf("%s: unknown Reduction %d", op, f.Reduction)
	}
	for _, o := range []struct {
		name string
		x    []float32
	}{{"perElem", perElem}, {"grad", grad}} {
		if o.x == nil {
			continue
		}
		if len(o.x) != n {
			return 0, fmt.Errorf("%s: len(%s) = %d, want %d", op, o.name, len(o.x), n)
		}
	}
	if s := overlapping([]named{{"perElem", perElem}, {"grad", grad}}, named{"logits", logits}, named{"targets", targets}); s != "" {
		return 0, fmt.Errorf("%s: %s", op, s)
	}
	set := kernelSet(f.Kernels)
	if i := set.FirstOutside(targets, 0, 1); i >= 0 {
		return 0, fmt.Errorf("%s: targets[%d] = %g is outside [0, 1]", op, i, targets[i])
	}
	if n == 0 {
		return reduceEmpty(f.Reduction), nil
	}
	red := 1.0
	if f.Reduction == Mean {
		red = 1 / float64(n)
	}
	beta := 1 - f.Alpha
	// The losses go to perElem (or scratch) a chunk at a time and are
	// summed per chunk, in the same order with and without perElem.
	sc := cePool.Get().(*ceScratch)
	defer cePool.Put(sc)
	total := 0.0
	for i := 0; i < n; i += ceChunk {
		j := min(i+ceChunk, n)
		l := sc.loss[:j-i]
		if perElem != nil {
			l = perElem[i:j]
		}
		var g []float32
		if grad != nil {
			g = grad[i:j]
		}
		set.SigmoidFocal(l, g, logits[i:j], targets[i:j], f.Alpha, beta, f.Gamma, float32(red))
		total += set.Sum64(l)
	}
	return float32(total * red), nil
}

// checkRows validates a rows×cols batch and its per-row and gradient
// outputs, returning the row count.
func checkRows(op string, x []float32, cols int, perRow, grad []float32) (int, error) {
	if len(x) > 0 && cols <= 0 {
		return 0, fmt.Errorf("%s: cols = %d must be positive", op, cols)
	}
	if len(x) > 0 && len(x)%cols != 0 {
		return 0, fmt.Errorf("%s: len(logits) = %d is not a multiple of cols = %d", op, len(x), cols)
	}
	rows := 0
	if cols > 0 {
		rows = len(x) / cols
	}
	switch {
	case perRow != nil && len(perRow) != rows:
		return 0, fmt.Errorf("%s: len(perRow) = %d, want rows = %d", op, len(perRow), rows)
	case grad != nil && len(grad) != len(x):
		return 0, fmt.Errorf("%s: len(grad) = %d, want len(logits) = %d", op, len(grad), len(x))
	case grad != nil && overlaps(grad, x):
		return 0, fmt.Errorf("%s: grad overlaps logits", op)
	case perRow != nil && (overlaps(perRow, x) || overlaps(perRow, grad)):
		return 0, fmt.Errorf("%s: perRow overlaps logits or grad", op)
	}
	return rows, nil
}

// reduceEmpty is a reduction over nothing: NaN for a mean (0/0, as
// PyTorch), 0 for a sum.
func reduceEmpty(r Reduction) float32 {
	if r == Mean {
		return float32(math.NaN())
	}
	return 0
}
