package simdloss

import (
	"fmt"
	"math"
	"sync"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels"
)

// Reduction says how a loss combines its per-row values.
type Reduction uint8

const (
	// Mean is PyTorch's weighted mean: Σ loss_i / Σ_{kept i} weight_i, where
	// a row's weight is its class weight (CrossEntropy) times its sample
	// weight, and ignored rows are not kept. A batch with no kept weight
	// gives NaN (0/0), as PyTorch does.
	Mean Reduction = iota
	// Sum adds the per-row losses.
	Sum
	// None returns the per-row losses (through perRow); the returned scalar
	// is their sum.
	None
)

// String returns the reduction's name.
func (r Reduction) String() string {
	switch r {
	case Mean:
		return "Mean"
	case Sum:
		return "Sum"
	case None:
		return "None"
	}
	return fmt.Sprintf("Reduction(%d)", uint8(r))
}

// CrossEntropy is the weighted softmax cross-entropy loss with PyTorch's
// semantics (torch.nn.functional.cross_entropy with weight, ignore_index,
// reduction and label_smoothing), for logits in a row-major rows×cols matrix
// (one row per sample, one column per class).
//
// With logp = log_softmax(z_i), class weights w (all 1 when nil), smoothing
// ε and C = cols, row i with label y contributes
//
//	loss_i = s_i · ( (1-ε)·w_y·(-logp_y) + (ε/C)·Σ_k w_k·(-logp_k) )
//
// where s_i is the row's sample weight (1 without ForwardWeighted). Mean
// divides the sum by Σ_kept s_i·w_{y_i} (PyTorch's normalisation when all
// s_i = 1). Rows whose label is IgnoreIndex contribute 0 and get a zero
// gradient.
//
// The gradient w.r.t. the logits is written in the same pass that computes
// the log-sum-exp: d loss_i/d z_ij = s_i·(a_i·softmax(z_i)_j − (ε/C)·w_j −
// (1-ε)·w_y·[j=y]) with a_i = (1-ε)·w_y + (ε/C)·Σ_k w_k (times 1/Σ s·w for
// Mean): one read of the logits for the maximum, one for the exponentials,
// one write of the gradient, no rows×cols scratch.
//
// NaN or ±Inf logits make their row's loss NaN (or ±Inf) and so the reduced
// loss; nothing is zeroed silently. A CrossEntropy is safe for concurrent use
// while its fields are not changed; calls allocate nothing.
type CrossEntropy struct {
	ClassWeights   []float32 // len cols; nil means every class weighs 1
	LabelSmoothing float32   // in [0, 1)
	IgnoreIndex    int32     // 0 = off; a negative value: rows with that label are skipped (PyTorch uses -100)
	Reduction      Reduction // Mean (the zero value; see above), Sum or None

	// Kernels is the kernel set the loss runs on; nil means the set chosen
	// at init (KernelSet). Benchmarks and tests set kernels.Generic here.
	Kernels *kernels.Set
}

// kernelSet returns the set a loss configured with k runs on.
func kernelSet(k *kernels.Set) *kernels.Set {
	if k == nil {
		return active
	}
	return k
}

// ceChunk is how many rows a loss hands the row kernel at a time: their
// per-row scalars live in a pooled ceScratch.
const ceChunk = 1024

// ceScratch holds the per-row scalars of one chunk. (Arrays on the stack
// would escape through the kernel's function value, so they are pooled.)
type ceScratch struct {
	a, scale, mx, lsum, zw, mass, loss [ceChunk]float32
}

var cePool = sync.Pool{New: func() any { return new(ceScratch) }}

// Forward returns the reduced loss (for None: the sum). perRow (len rows),
// when non-nil, receives each row's loss; grad (len rows*cols), when non-nil,
// receives d loss/d logits (for None: d perRow_i/d logits_i). labels has one
// class index per row, in [0, cols) or equal to a negative IgnoreIndex.
//
// Errors (nothing is written when an error is returned): len(logits) not a
// multiple of cols or cols <= 0 with data, len(labels) != rows, a label out
// of range, class weights of the wrong length or NaN/Inf/negative, smoothing
// outside [0, 1), a positive IgnoreIndex, an unknown Reduction, perRow or
// grad of the wrong length, perRow or grad overlapping logits, a weight
// vector (ClassWeights, sampleWeights) or each other.
func (c *CrossEntropy) Forward(logits []float32, labels []int32, cols int, perRow, grad []float32) (float32, error) {
	return c.ForwardWeighted(logits, labels, nil, cols, perRow, grad)
}

// ForwardWeighted is Forward with a weight per sample (len rows, finite and
// >= 0; nil means all 1), e.g. per-pixel weights when each row is a pixel.
func (c *CrossEntropy) ForwardWeighted(logits []float32, labels []int32, sampleWeights []float32, cols int, perRow, grad []float32) (float32, error) {
	return c.forward(kernelSet(c.Kernels), logits, labels, sampleWeights, cols, perRow, grad)
}

func (c *CrossEntropy) forward(set *kernels.Set, logits []float32, labels []int32, sampleWeights []float32, cols int, perRow, grad []float32) (float32, error) {
	rows, err := c.validate(set, "Forward", logits, cols, sampleWeights, perRow, grad)
	if err != nil {
		return 0, err
	}
	if len(labels) != rows {
		return 0, fmt.Errorf("simdloss: CrossEntropy.Forward: len(labels) = %d, want %d (one per row)", len(labels), rows)
	}
	w := c.ClassWeights
	denom, bad, _ := set.LabelWeights(labels, w, sampleWeights, cols, c.IgnoreIndex)
	if bad >= 0 {
		return 0, fmt.Errorf("simdloss: CrossEntropy.Forward: labels[%d] = %d is outside [0, %d) and not the ignore index", bad, labels[bad], cols)
	}
	if rows == 0 {
		return c.empty(), nil
	}
	if c.Reduction != Mean {
		denom = 1
	}

	keep := 1 - c.LabelSmoothing
	k := c.LabelSmoothing / float32(cols) // ε/C
	// Σ w only matters with smoothing (k = 0 makes kW = 0·wsum = +0, as the
	// weights are finite): a row of 262144 class weights costs a fifth of
	// the loss when added one by one.
	wsum := float32(cols)
	if w != nil && k != 0 {
		wsum = float32(set.Sum64(w))
	}
	kW := float32(k * wsum)
	inv := float32(1 / denom)
	zw := k != 0
	// The kernel reads the class weights for the smoothing sums and for
	// u_j = k·w_j; without smoothing u_j = 0·w_j = +0 (weights are finite
	// and >= 0), the same bits as without weights.
	wk := w
	if !zw {
		wk = nil
	}

	sc := cePool.Get().(*ceScratch)
	defer cePool.Put(sc)
	total := 0.0
	for r0 := 0; r0 < rows; r0 += ceChunk {
		n := min(ceChunk, rows-r0)
		z := logits[r0*cols : (r0+n)*cols]
		ys := labels[r0 : r0+n]
		var sw []float32
		if sampleWeights != nil {
			sw = sampleWeights[r0 : r0+n]
		}
		var g []float32
		if grad != nil {
			g = grad[r0*cols : (r0+n)*cols]
		}
		// Each row's loss goes to perRow (or scratch); the float64 total adds
		// them in Sum64's order (the fused kernel's partials, then the rest).
		chunkLoss := sc.loss[:n]
		if perRow != nil {
			chunkLoss = perRow[r0 : r0+n]
		}
		ls := chunkLoss
		// Without smoothing, a fused kernel may take the leading rows, label
		// terms included; the rest go through CrossEntropyRows and ceLabelTerms.
		done := 0
		var part [generic.Sum64Lanes]float64 // Sum64's partials of the chunk's losses
		if !zw {
			done, part = set.CrossEntropyLabelRows(g, z, w, ys, sw, keep, inv, ls, cols)
		}
		if done < n {
			z, ys, ls = z[done*cols:], ys[done:], ls[done:]
			if g != nil {
				g = g[done*cols:]
			}
			if sw != nil {
				sw = sw[done:]
			}
			m := n - done
			a, scale, wy := sc.a[:m], sc.scale[:m], sc.mass[:m]
			ceRowPrep(wy, a, scale, ys, w, sw, keep, kW, inv, g != nil, zw)
			var zwp []float32
			if zw {
				zwp = sc.zw[:m]
			}
			mx, lsum := sc.mx[:m], sc.lsum[:m]
			set.CrossEntropyRows(g, z, wk, k, a, scale, mx, lsum, zwp, cols)
			tw := wy // the gradient's label term is scale·tw: scale·wy, or 1·c
			if !zw {
				tw = a
			}
			ceLabelTerms(ls, g, z, ys, wy, mx, lsum, zwp, sw, scale, tw, k, wsum, cols)
		}
		if done == 0 {
			total += set.Sum64(chunkLoss)
		} else {
			generic.Sum64Partials(chunkLoss, done, &part) // the same order as Sum64
			total += generic.Sum64Fold(&part)
		}
	}
	if c.Reduction == Mean {
		return float32(total / denom), nil
	}
	return float32(total), nil
}

// ForwardSoft is the cross-entropy with a target distribution per row
// instead of a label: targets has the shape of logits (rows×cols, finite and
// >= 0; rows need not sum to 1). As in PyTorch, label smoothing mixes each
// target row with the uniform distribution, q' = (1-ε)·q + ε/C, and
//
//	loss_i = s_i · Σ_k w_k·q'_ik·(-logp_ik)
//
// Mean divides by Σ s_i (the number of rows without sample weights, as
// PyTorch does for probability targets); IgnoreIndex does not apply. The
// gradient is s_i·(m_i·softmax(z_i)_j − w_j·q'_ij) with m_i = Σ_k w_k·q'_ik.
// Errors as for Forward, plus a target that is NaN, infinite or negative, or
// targets of the wrong length.
func (c *CrossEntropy) ForwardSoft(logits, targets []float32, cols int, perRow, grad []float32) (float32, error) {
	return c.ForwardSoftWeighted(logits, targets, nil, cols, perRow, grad)
}

// ForwardSoftWeighted is ForwardSoft with a weight per sample (nil: all 1).
func (c *CrossEntropy) ForwardSoftWeighted(logits, targets, sampleWeights []float32, cols int, perRow, grad []float32) (float32, error) {
	return c.forwardSoft(kernelSet(c.Kernels), logits, targets, sampleWeights, cols, perRow, grad)
}

func (c *CrossEntropy) forwardSoft(set *kernels.Set, logits, targets, sampleWeights []float32, cols int, perRow, grad []float32) (float32, error) {
	rows, err := c.validate(set, "ForwardSoft", logits, cols, sampleWeights, perRow, grad)
	if err != nil {
		return 0, err
	}
	if len(targets) != len(logits) {
		return 0, fmt.Errorf("simdloss: CrossEntropy.ForwardSoft: len(targets) = %d, want len(logits) = %d", len(targets), len(logits))
	}
	if i := badValue(set, targets); i >= 0 {
		return 0, fmt.Errorf("simdloss: CrossEntropy.ForwardSoft: targets[%d] (row %d) = %g; targets must be finite and >= 0", i, i/cols, targets[i])
	}
	if s := overlapping([]named{{"grad", grad}, {"perRow", perRow}}, named{"targets", targets}); s != "" {
		return 0, fmt.Errorf("simdloss: CrossEntropy.ForwardSoft: %s", s)
	}
	if rows == 0 {
		return c.empty(), nil
	}
	keep := 1 - c.LabelSmoothing
	spread := c.LabelSmoothing / float32(cols)
	denom := 1.0
	if c.Reduction == Mean {
		denom = float64(rows)
		if sampleWeights != nil {
			denom = 0
			for _, s := range sampleWeights {
				denom += float64(s)
			}
		}
	}
	inv := float32(1 / denom)
	sc := cePool.Get().(*ceScratch)
	defer cePool.Put(sc)
	scale, mx, lsum, mass, zc := &sc.scale, &sc.mx, &sc.lsum, &sc.mass, &sc.zw
	total := 0.0
	for r0 := 0; r0 < rows; r0 += ceChunk {
		n := min(ceChunk, rows-r0)
		z := logits[r0*cols : (r0+n)*cols]
		q := targets[r0*cols : (r0+n)*cols]
		var g []float32
		if grad != nil {
			g = grad[r0*cols : (r0+n)*cols]
		}
		for i := 0; i < n; i++ {
			s := sampleWeight(sampleWeights, r0+i)
			if c.Reduction == Mean {
				s = float32(s * inv)
			}
			scale[i] = s
		}
		set.CrossEntropySoftRows(g, z, q, c.ClassWeights, scale[:n], mx[:n], lsum[:n], mass[:n], zc[:n], keep, spread, cols)
		for i := 0; i < n; i++ {
			l := float32(mass[i]*lsum[i]) - zc[i] // Σ_k c_k·(-logp_k)
			l = float32(sampleWeight(sampleWeights, r0+i) * l)
			if perRow != nil {
				perRow[r0+i] = l
			}
			total += float64(l)
		}
	}
	if c.Reduction == Mean {
		return float32(total / denom), nil
	}
	return float32(total), nil
}

// validate checks everything Forward and ForwardSoft share and returns rows.
func (c *CrossEntropy) validate(set *kernels.Set, op string, logits []float32, cols int, sampleWeights, perRow, grad []float32) (int, error) {
	if len(logits) > 0 && cols <= 0 {
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: cols = %d must be positive", op, cols)
	}
	if len(logits) > 0 && len(logits)%cols != 0 {
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: len(logits) = %d is not a multiple of cols = %d", op, len(logits), cols)
	}
	rows := 0
	if cols > 0 {
		rows = len(logits) / cols
	}
	switch {
	case c.Reduction > None:
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: unknown Reduction %d", op, c.Reduction)
	case !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1):
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: LabelSmoothing = %g is outside [0, 1)", op, c.LabelSmoothing)
	case c.IgnoreIndex > 0:
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: IgnoreIndex = %d; use 0 (off) or a negative label such as -100", op, c.IgnoreIndex)
	case c.ClassWeights != nil && len(c.ClassWeights) != cols:
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: len(ClassWeights) = %d, want cols = %d", op, len(c.ClassWeights), cols)
	case sampleWeights != nil && len(sampleWeights) != rows:
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: len(sampleWeights) = %d, want rows = %d", op, len(sampleWeights), rows)
	case perRow != nil && len(perRow) != rows:
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: len(perRow) = %d, want rows = %d", op, len(perRow), rows)
	case grad != nil && len(grad) != len(logits):
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: len(grad) = %d, want len(logits) = %d", op, len(grad), len(logits))
	}
	if s := overlapping([]named{{"grad", grad}, {"perRow", perRow}},
		named{"logits", logits}, named{"sampleWeights", sampleWeights}, named{"ClassWeights", c.ClassWeights}); s != "" {
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: %s", op, s)
	}
	if i := badValue(set, c.ClassWeights); i >= 0 {
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: ClassWeights[%d] = %g; weights must be finite and >= 0", op, i, c.ClassWeights[i])
	}
	if i := badValue(set, sampleWeights); i >= 0 {
		return 0, fmt.Errorf("simdloss: CrossEntropy.%s: sampleWeights[%d] = %g; weights must be finite and >= 0", op, i, sampleWeights[i])
	}
	return rows, nil
}

func (c *CrossEntropy) empty() float32 {
	if c.Reduction == Mean {
		return float32(math.NaN())
	}
	return 0
}

// badValue returns the index of the first element of x that is NaN,
// infinite or negative (-0 is fine), or -1: the check of weights and
// targets, on the kernel set's FirstOutside (a scan of rows×cols targets or
// of a large class-weight vector would otherwise cost as much as the loss).
func badValue(set *kernels.Set, x []float32) int {
	return set.FirstOutside(x, 0, math.MaxFloat32)
}

func classWeight(w []float32, y int32) float32 {
	if w == nil {
		return 1
	}
	return w[y]
}

func sampleWeight(s []float32, i int) float32 {
	if s == nil {
		return 1
	}
	return s[i]
}

// ceRowPrep sets each row's scalars for CrossEntropyRows and ceLabelTerms:
// wy = keep·w_y (w nil: keep) and, with grad, with label smoothing a = wy +
// kW and scale = s·inv (s nil: inv); without it (smooth false), the
// gradient of generic.CrossEntropyLabelRows: a = c = (s·inv)·wy and scale =
// 1 (multiplying by 1 is exact). ceLabelTerms' label term is then scale·wy,
// or 1·c. All are 0 for an ignored (negative) label, whose gradient row is
// cleared afterwards. The labels have been checked.
func ceRowPrep(wy, a, scale []float32, ys []int32, w, s []float32, keep, kW, inv float32, grad, smooth bool) {
	n := len(ys)
	wy, a, scale = wy[:n], a[:n], scale[:n]
	if grad && w != nil && s == nil && smooth { // the common smoothed case, in one short loop
		for i, y := range ys {
			if y < 0 {
				wy[i], a[i], scale[i] = 0, 0, 0
				continue
			}
			v := float32(keep * w[y])
			wy[i], a[i], scale[i] = v, v+kW, inv
		}
		return
	}
	for i, y := range ys {
		if y < 0 {
			wy[i], a[i], scale[i] = 0, 0, 0
			continue
		}
		v := keep
		if w != nil {
			v = float32(keep * w[y])
		}
		wy[i] = v
		if grad {
			sc := inv
			if s != nil {
				sc = float32(s[i] * inv)
			}
			if smooth {
				a[i], scale[i] = v+kW, sc
			} else {
				a[i], scale[i] = float32(sc*v), 1
			}
		}
	}
}

// ceLabelTerms finishes the rows the kernel left: each row's loss
//
//	ls_i = s_i·(wy_i·(lsum_i − (z_{i,y} − mx_i)) + k·(W·lsum_i − zw_i))
//
// (the smoothing term only with zw, s_i only with s) and the gradient's
// label term, g_{i,y} −= scale_i·tw_i (tw = wy with label smoothing, c
// without: see ceRowPrep). An ignored row gets a zero loss and a zero
// gradient row.
func ceLabelTerms(ls, g, z []float32, ys []int32, wy, mx, lsum, zw, s, scale, tw []float32, k, wsum float32, cols int) {
	n := len(ys)
	ls, wy, mx, lsum = ls[:n], wy[:n], mx[:n], lsum[:n]
	if g != nil {
		scale = scale[:n]
	}
	// The label's term, then the smoothing term and the sample weight, then
	// the gradient: loops short enough to keep their values in registers.
	ignored := ceLabelLoss(ls, z, ys, wy, mx, lsum, cols)
	if zw != nil || s != nil {
		for i, y := range ys {
			if y < 0 {
				continue
			}
			l := ls[i] // (1-ε)·w_y·(-logp_y)
			if zw != nil {
				l += float32(k * (float32(wsum*lsum[i]) - zw[i])) // (ε/C)·Σ_k w_k·(-logp_k)
			}
			if s != nil {
				l = float32(s[i] * l)
			}
			ls[i] = l
		}
	}
	if g != nil {
		ceLabelGrad(g, ys, tw, scale, cols)
	}
	if ignored && g != nil {
		for i, y := range ys {
			if y < 0 {
				clear(g[i*cols : (i+1)*cols])
			}
		}
	}
}

// ceLabelLoss is the label's term of ceLabelTerms' loss (all of it without
// smoothing or sample weights); it reports whether a row was ignored.
func ceLabelLoss(ls, z []float32, ys []int32, wy, mx, lsum []float32, cols int) bool {
	ignored := false
	ls, wy, mx, lsum = ls[:len(ys)], wy[:len(ys)], mx[:len(ys)], lsum[:len(ys)]
	off := 0
	for i, y := range ys {
		if y < 0 {
			ls[i] = 0
			ignored = true
		} else {
			ls[i] = float32(wy[i] * (lsum[i] - (z[off+int(y)] - mx[i])))
		}
		off += cols
	}
	return ignored
}

// ceLabelGrad is ceLabelTerms' gradient label term, g_{i,y} −= scale_i·tw_i
// (ignored rows are cleared afterwards).
func ceLabelGrad(g []float32, ys []int32, tw, scale []float32, cols int) {
	tw, scale = tw[:len(ys)], scale[:len(ys)]
	off := 0
	for i, y := range ys {
		if y >= 0 {
			g[off+int(y)] -= float32(scale[i] * tw[i])
		}
		off += cols
	}
}
