package simdloss

import (
	"fmt"
	"math"
	"sync"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels"
)

// MarginSoftmax is the margin-softmax family of face-recognition losses on
// L2-normalised embeddings x_i and class weights w_j: the softmax
// cross-entropy of the logits s·cos θ_ij, where the target class's logit is
// s·ψ(θ) with the combined margin of the ArcFace paper
//
//	ψ(θ) = cos(m1·θ + m2) - m3
//
// SphereFace is m1 > 1 (multiplicative angular margin), ArcFace m2 > 0
// (additive angular margin), CosFace/LMCL m3 > 0 (additive cosine margin);
// ArcFace, CosFace and SphereFace build the usual settings.
//
// Where cos(m1·θ + m2) stops decreasing (m1·θ + m2 > π) the target logit
// must not reward a larger angle, and each paper handles it its own way,
// kept here:
//   - m1 = 1 (ArcFace and CosFace, as the ArcFace paper and insightface's
//     original ArcFace module with easy_margin=False): beyond θ = π - m2
//     the target is cos θ - sin(π - m2)·m2 - m3; with EasyMargin the margin
//     is only applied where cos θ > 0 (elsewhere the target is cos θ - m3).
//     The gradient goes through ψ (and through the fallback). insightface's
//     current arcface_torch (CombinedMarginLoss) instead computes the target
//     without gradient and passes it straight through, with no fallback past
//     π: on rows whose θ + m2 exceeds π it gives another loss and gradient.
//   - m1 ≠ 1 (SphereFace): the monotone extension ψ(θ) = (-1)^k·cos(m1·θ +
//     m2) - 2k - m3 with k = ⌊(m1·θ + m2)/π⌋, which is SphereFace's ψ for
//     m2 = 0. SphereFace's annealing (λ blending ψ with cos θ) is not
//     included: use a smaller m1 for the same effect.
//
// The target logit and its derivative are computed in float64, with sin θ
// kept >= 1e-6 in the derivative (it is unbounded at θ = 0 and π). The
// loss is the mean over the rows. The cosines come from the Cosines
// kernel, the cross-entropy (in place, as its gradient) from the fused row
// kernel, and the backward from MatMul: d x̂ = dC·Ŵ as (dC·diag(1/‖w‖))·W
// and dŴ = dCᵀ·x̂, then through both normalisations, so no normalised
// copy of the weights is made. Extra memory: the rows×classes cosines and
// O((rows + classes)·dim).
//
// NaN or Inf inputs, and rows of x or w whose squared norm overflows
// float32 (elements beyond about 1e19), give a NaN loss and NaN gradients,
// as in the other cosine losses (float32 PyTorch's F.normalize makes such
// a row zeros and keeps the loss finite). A MarginSoftmax is safe for
// concurrent use while its fields are not changed; steady-state calls
// allocate nothing.
type MarginSoftmax struct {
	Scale      float32 // s: finite and > 0 (64 in ArcFace and CosFace)
	M1         float32 // multiplicative angular margin: finite, >= 1 (1: none)
	M2         float32 // additive angular margin, radians: in [0, π)
	M3         float32 // additive cosine margin: finite, >= 0
	EasyMargin bool    // m1 = 1 only: the margin only where cos θ > 0

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

// ArcFace returns the ArcFace loss (Deng et al. 2019): additive angular
// margin m (0.5 in the paper) at scale s (64).
func ArcFace(s, m float32) MarginSoftmax { return MarginSoftmax{Scale: s, M1: 1, M2: m} }

// CosFace returns the CosFace / large-margin cosine loss (Wang et al.
// 2018): additive cosine margin m (0.35 in the paper) at scale s (64).
func CosFace(s, m float32) MarginSoftmax { return MarginSoftmax{Scale: s, M1: 1, M3: m} }

// SphereFace returns the SphereFace loss (Liu et al. 2017) on normalised
// embeddings: multiplicative angular margin m (4 in the paper) at scale s.
func SphereFace(s, m float32) MarginSoftmax { return MarginSoftmax{Scale: s, M1: m} }

type marginScratch struct {
	c             []float32 // cosines, then d loss/d cosines
	xh            []float32 // normalised embeddings
	invx, invw    []float32 // inverse norms
	v1, v2, v3    []float32 // per-row or per-class scratch
	mx, lsum, tgt []float32 // per row
	dpsi          []float64 // per row: dψ/d cos θ at the target
}

var marginPool = sync.Pool{New: func() any { return new(marginScratch) }}

// Forward returns the mean loss of the rows of x (rows×dim) against the
// classes of w (classes×dim) with one label in [0, classes) per row, and
// writes, when non-nil, gradX (len(x)) and gradW (len(w)). Errors (nothing
// written): dim <= 0, len(x) or len(w) not a multiple of dim, no classes, a
// label count other than the row count, a label out of range, a gradient of
// the wrong length or overlapping an input or the other gradient, and
// parameters outside the ranges above.
func (c *MarginSoftmax) Forward(x, w []float32, labels []int32, dim int, gradX, gradW []float32) (float32, error) {
	const op = "simdloss: MarginSoftmax.Forward"
	if err := c.check(op); err != nil {
		return 0, err
	}
	rows, classes, err := checkClassRows(op, x, w, "w", labels, dim)
	if err != nil {
		return 0, err
	}
	for _, g := range []struct {
		name string
		g    []float32
		n    int
	}{{"gradX", gradX, len(x)}, {"gradW", gradW, len(w)}} {
		if g.g == nil {
			continue
		}
		if len(g.g) != g.n {
			return 0, fmt.Errorf("%s: len(%s) = %d, want %d", op, g.name, len(g.g), g.n)
		}
	}
	if s := overlapping([]named{{"gradX", gradX}, {"gradW", gradW}}, named{"x", x}, named{"w", w}); s != "" {
		return 0, fmt.Errorf("%s: %s", op, s)
	}
	if rows == 0 {
		return float32(math.NaN()), nil // the mean over no rows, as PyTorch
	}
	set := kernelSet(c.Kernels)
	sc := marginPool.Get().(*marginScratch)
	defer marginPool.Put(sc)
	sc.c = growF32(sc.c, rows*classes)
	sc.xh, sc.invx, sc.invw = growF32(sc.xh, rows*dim), growF32(sc.invx, rows), growF32(sc.invw, classes)
	r := max(rows, classes)
	sc.v1, sc.v2, sc.v3 = growF32(sc.v1, r), growF32(sc.v2, r), growF32(sc.v3, r)
	sc.mx, sc.lsum, sc.tgt = growF32(sc.mx, rows), growF32(sc.lsum, rows), growF32(sc.tgt, rows)
	sc.dpsi = growF64(sc.dpsi, rows)

	// The squared norms first: a row whose squared norm is not finite (NaN,
	// Inf, or elements beyond about 1e19) has no direction, and the
	// cosines would take it as a zero row.
	if !normsFinite(set, sc.invx, x, rows, dim) || !normsFinite(set, sc.invw, w, classes, dim) {
		poisoned(gradX)
		return poisoned(gradW), nil
	}
	cs := sc.c
	set.Cosines(cs, x, w, dim)
	s := c.Scale
	for i, y := range labels {
		row := cs[i*classes : (i+1)*classes]
		psi, d := c.target(float64(row[y]))
		sc.dpsi[i] = d
		for j, v := range row {
			row[j] = s * v
		}
		row[y] = float32(float64(s) * psi)
		sc.tgt[i] = row[y]
	}
	wantGrad := gradX != nil || gradW != nil
	var g, a, scale []float32
	if wantGrad {
		g, a, scale = cs, sc.v1[:rows], sc.v2[:rows]
		for i := range a {
			a[i], scale[i] = 1, s/float32(rows)
		}
	}
	set.CrossEntropyRows(g, cs, nil, 0, a, scale, sc.mx, sc.lsum, nil, classes)
	total := 0.0
	for i := range labels {
		total += float64(sc.lsum[i]) - (float64(sc.tgt[i]) - float64(sc.mx[i]))
	}
	loss := float32(total / float64(rows))
	if !wantGrad {
		return loss, nil
	}
	// dC = s·(softmax - onehot)/rows, the target's through dψ/d cos θ
	for i, y := range labels {
		k := i*classes + int(y)
		cs[k] = float32(float64(cs[k]-s/float32(rows)) * sc.dpsi[i])
	}
	set.FlushSubnormals(cs)
	// x's and w's squared norms are in invx and invw, from normsFinite
	normaliseSquares(set, sc.xh, sc.invx, sc.v3, x, rows, dim)
	for j, v := range sc.invw {
		sc.invw[j] = generic.InvNormOf(v)
	}
	if gradW != nil {
		// dŴ = dCᵀ·x̂, then grad_w = inv_w·(dŴ - (dŴ·ŵ)ŵ) = inv·dŴ - inv³·(dŴ·w)·w
		set.MatMul(gradW, cs, sc.xh, classes, dim, rows, true, false)
		dots, ca, cb := sc.v1[:classes], sc.v2[:classes], sc.v3[:classes]
		set.DotRows(dots, gradW, w, dim)
		for j, inv := range sc.invw {
			ca[j] = inv
			cb[j] = -inv * inv * inv * dots[j]
		}
		set.AxpbyRows(gradW, gradW, w, ca, cb, dim)
	}
	if gradX != nil {
		// dX̂ = dC·Ŵ = (dC·diag(inv_w))·W, into gradX, then through x's norm
		for i := 0; i < rows; i++ {
			row := cs[i*classes : (i+1)*classes]
			for j, inv := range sc.invw {
				row[j] *= inv
			}
		}
		set.MatMul(gradX, cs, w, rows, dim, classes, false, false)
		normBackward(set, gradX, gradX, sc.xh, sc.invx, sc.v1, sc.v2, sc.v3, 1, rows, dim)
	}
	return loss, nil
}

func (c *MarginSoftmax) check(op string) error {
	switch {
	case !positive32(c.Scale):
		return fmt.Errorf("%s: Scale = %g must be finite and > 0", op, c.Scale)
	case !(c.M1 >= 1 && finite32(c.M1)):
		return fmt.Errorf("%s: M1 = %g must be finite and >= 1 (1: no multiplicative margin)", op, c.M1)
	case !(c.M2 >= 0 && c.M2 < math.Pi):
		return fmt.Errorf("%s: M2 = %g must be in [0, π)", op, c.M2)
	case !(c.M3 >= 0 && finite32(c.M3)):
		return fmt.Errorf("%s: M3 = %g must be finite and >= 0", op, c.M3)
	case c.EasyMargin && c.M1 != 1:
		return fmt.Errorf("%s: EasyMargin needs M1 = 1 (got %g)", op, c.M1)
	}
	return nil
}

// target returns the target class's ψ for the cosine ct, and dψ/d ct.
func (c *MarginSoftmax) target(ct float64) (psi, dpsi float64) {
	if ct != ct {
		return ct, ct
	}
	ct = max(-1, min(1, ct))
	m1, m2, m3 := float64(c.M1), float64(c.M2), float64(c.M3)
	sin := math.Sqrt(max(0, 1-ct*ct))
	dsin := max(sin, 1e-6) // d sin θ/d cos θ = -cos θ/sin θ, bounded
	if m1 == 1 {
		switch {
		case m2 == 0:
			return ct - m3, 1
		case c.EasyMargin && ct <= 0:
			return ct - m3, 1
		case !c.EasyMargin && ct <= math.Cos(math.Pi-m2): // θ + m2 >= π
			return ct - math.Sin(math.Pi-m2)*m2 - m3, 1
		}
		// cos(θ + m2) = cos θ·cos m2 - sin θ·sin m2
		cm, sm := math.Cos(m2), math.Sin(m2)
		return ct*cm - sin*sm - m3, cm + ct/dsin*sm
	}
	theta := math.Acos(ct)
	phi := m1*theta + m2
	k := math.Floor(phi / math.Pi)
	sign := 1.0
	if int(k)%2 != 0 {
		sign = -1
	}
	// dψ/d cos θ = dψ/dθ · dθ/d cos θ = (-sign·m1·sin φ)·(-1/sin θ)
	return sign*math.Cos(phi) - 2*k - m3, sign * m1 * math.Sin(phi) / dsin
}
