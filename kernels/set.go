// Package kernels holds the kernel sets of simdloss: the generic (pure Go)
// set, and the SIMD sets compiled for this GOARCH (AVX2+FMA on amd64, NEON on
// arm64) unless the purego build tag is set.
//
// Every set computes the same bits as the generic set (NaN equals NaN): the
// canonical algorithm of package generic, rendered in SIMD. Every method
// checks its shapes first and panics with a "simdloss:" message on a
// mismatch, so a Set is safe to call directly; package simdloss calls the set
// it chose at init.
package kernels

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/internal/check"
)

// rowFunc computes a row kernel over rows×cols (rows >= 1, cols >= 1) with
// shapes already checked and slices cut to their exact lengths.
type rowFunc func(dst, src []float32, rows, cols int)

// pairFunc computes an m×n pairwise kernel (m, n >= 1 unless noted, dim >= 1).
type pairFunc func(dst, a, b []float32, m, n, dim int)

// pairedFunc computes a kernel over paired rows of a and b.
type pairedFunc func(dst, a, b []float32, rows, dim int)

// ceFunc is the hard-label cross-entropy row kernel (generic.CrossEntropyRows).
type ceFunc func(grad, z, w []float32, k float32, a, scale, mx, lsum, zw []float32, rows, cols int)

// ceLabelsFunc is a fused kernel of generic.CrossEntropyLabelRows that
// takes the leading rows it can and returns how many it took, and Sum64's
// partial sums of their losses.
type ceLabelsFunc func(grad, z, w []float32, labels []int32, sw []float32, keep, inv float32, loss []float32, rows, cols int) (done int, sum [generic.Sum64Lanes]float64)

// labelWeightsFunc is the vector part of generic.LabelWeightPartials from
// row 0: the partials of the rows it did, how many, and whether one was
// ignored.
type labelWeightsFunc func(labels []int32, w, s []float32, cols int, ignore int32) (p [generic.Sum64Lanes]float64, done int, ignored bool)

// ceSoftFunc is the soft-target cross-entropy row kernel (generic.CrossEntropySoftRows).
type ceSoftFunc func(grad, z, q, w, scale, mx, lsum, mass, zc []float32, keep, spread float32, rows, cols int)

// epsRowsFunc is the paired squared distance with a per-component eps
// (generic.SquaredL2RowsEps).
type epsRowsFunc func(dst, a, b []float32, eps float32, rows, dim int)

// axpbyFunc is generic.AxpbyRows.
type axpbyFunc func(dst, a, b, ca, cb []float32, rows, dim int)

// tripletGradFunc is the fused triplet gradient (generic.TripletGradRows).
type tripletGradFunc func(gA, gP, gN, a, p, n, cu, cv, cw []float32, eps float32, rows, dim int)

// sigmoidFocalFunc is generic.SigmoidFocal for the γ it takes
// (generic.SigmoidFocalGamma); grad may be nil.
type sigmoidFocalFunc func(loss, grad, x, t []float32, alpha, beta, gamma, scale float32)

// matMulFunc is generic.MatMul, or generic.MatMulAdd with add (m, n, k >= 1,
// shapes checked).
type matMulFunc func(dst, a, b []float32, m, n, k int, transA, transB, add bool)

// Set is one implementation of every kernel.
type Set struct {
	name      string
	supported func() bool

	softmax, logSoftmax, logSumExp rowFunc
	squaredL2, dots, cosines       pairFunc
	matMul                         matMulFunc
	squaredL2Rows, dotRows         pairedFunc
	crossEntropy                   ceFunc
	crossEntropySoft               ceSoftFunc
	crossEntropyLabels             ceLabelsFunc     // nil: no fused kernel
	labelWeights                   labelWeightsFunc // nil: generic's code
	squaredL2RowsEps               epsRowsFunc
	tripletGrad                    tripletGradFunc
	axpbyRows                      axpbyFunc
	sigmoidFocal                   sigmoidFocalFunc
	hingeCounts                    func(row, crow []float32, dp [4]float32, margin float32) ([4]int, [4]float32)
	aboveMin                       func(row []float32, t [4]float32) [4]int
	symmetrize                     func(a []float32, n int)
	maskedAffine                   func(dst, x []float32, thr, eps, beta, base float32) float32
	circleLogits                   func(dst, s []float32, gamma, m float32)
	circleGrads                    func(s, p []float32, c, m float32)
	sum64                          func(x []float32) float64
	firstOutside                   func(x []float32, lo, hi float32) int
	focalTerms                     func(loss, coef, logp, alpha []float32, gamma, scale float32)
	squaredL2RowsIdx               func(dst, a, b []float32, idx []int32, dim int)
	axpbyRowsIdx                   func(dst, a, b, ca, cb []float32, idx []int32, dim int)
	pairUpdates                    func(grad, emb []float32, pi, pj []int32, k []float32, dim int)
	firstMinBits                   func(row []float32) int
	flushSubnormals                func(x []float32)
}

// Name is the set's name as SIMDLOSS_KERNELS spells it: "generic", "avx2",
// "avx512" or "neon".
func (s *Set) Name() string { return s.name }

// Supported reports whether this CPU runs the set.
func (s *Set) Supported() bool { return s.supported() }

// Softmax is the row-wise softmax; see package simdloss.
func (s *Set) Softmax(dst, src []float32, cols int) {
	rows := check.Rows("Softmax", len(dst), len(src), cols, cols)
	check.Overlap("Softmax", "dst", "src", dst, src)
	if rows > 0 {
		s.softmax(dst[:rows*cols], src, rows, cols)
	}
}

// LogSoftmax is the row-wise log-softmax; see package simdloss.
func (s *Set) LogSoftmax(dst, src []float32, cols int) {
	rows := check.Rows("LogSoftmax", len(dst), len(src), cols, cols)
	check.Overlap("LogSoftmax", "dst", "src", dst, src)
	if rows > 0 {
		s.logSoftmax(dst[:rows*cols], src, rows, cols)
	}
}

// LogSumExp is the per-row log-sum-exp; see package simdloss.
func (s *Set) LogSumExp(dst, src []float32, cols int) {
	rows := check.Rows("LogSumExp", len(dst), len(src), cols, 1)
	check.Overlap("LogSumExp", "dst", "src", dst, src)
	if rows > 0 {
		s.logSumExp(dst[:rows], src, rows, cols)
	}
}

// SquaredL2 is the matrix of squared Euclidean distances; see package simdloss.
func (s *Set) SquaredL2(dst, a, b []float32, dim int) {
	m, n := check.Pairwise("SquaredL2", len(dst), len(a), len(b), dim, false)
	check.Disjoint("SquaredL2", "dst", "a", dst, a)
	check.Disjoint("SquaredL2", "dst", "b", dst, b)
	if m > 0 && n > 0 {
		s.squaredL2(dst[:m*n], a, b, m, n, dim)
	}
}

// Dots is the matrix of dot products a·bᵀ; see package simdloss.
func (s *Set) Dots(dst, a, b []float32, dim int) {
	m, n := check.Pairwise("Dots", len(dst), len(a), len(b), dim, false)
	check.Disjoint("Dots", "dst", "a", dst, a)
	check.Disjoint("Dots", "dst", "b", dst, b)
	if m > 0 && n > 0 {
		s.dots(dst[:m*n], a, b, m, n, dim)
	}
}

// Cosines is the matrix of cosine similarities of the rows of a and the rows
// of b (generic.Cosines); see package simdloss.
func (s *Set) Cosines(dst, a, b []float32, dim int) {
	m, n := check.Pairwise("Cosines", len(dst), len(a), len(b), dim, false)
	check.Disjoint("Cosines", "dst", "a", dst, a)
	check.Disjoint("Cosines", "dst", "b", dst, b)
	if m > 0 && n > 0 {
		s.cosines(dst[:m*n], a, b, m, n, dim)
	}
}

// MatMul writes dst = op(a)·op(b) (generic.MatMul): op(a) is m×k (a is m×k
// row-major, or k×m with transA), op(b) is k×n (b is k×n, or n×k with
// transB), dst is m×n row-major. With k = 0 the products are empty sums: dst
// is set to +0. It panics on a shape mismatch or overlap of dst with a or b.
func (s *Set) MatMul(dst, a, b []float32, m, n, k int, transA, transB bool) {
	check.MatMul("MatMul", len(dst), len(a), len(b), m, n, k)
	if m == 0 || n == 0 {
		return
	}
	check.Disjoint("MatMul", "dst", "a", dst[:m*n], a[:m*k])
	check.Disjoint("MatMul", "dst", "b", dst[:m*n], b[:k*n])
	if k == 0 {
		clear(dst[:m*n])
		return
	}
	s.matMul(dst[:m*n], a[:m*k], b[:k*n], m, n, k, transA, transB, false)
}

// MatMulAdd is MatMul accumulating into dst (dst += op(a)·op(b)): each
// output continues its canonical chain from the value already in dst
// (generic.MatMulAdd). With k = 0 dst is left as it is.
func (s *Set) MatMulAdd(dst, a, b []float32, m, n, k int, transA, transB bool) {
	check.MatMul("MatMulAdd", len(dst), len(a), len(b), m, n, k)
	if m == 0 || n == 0 || k == 0 {
		return
	}
	check.Disjoint("MatMulAdd", "dst", "a", dst[:m*n], a[:m*k])
	check.Disjoint("MatMulAdd", "dst", "b", dst[:m*n], b[:k*n])
	s.matMul(dst[:m*n], a[:m*k], b[:k*n], m, n, k, transA, transB, true)
}

// SquaredL2Rows is the squared distance of paired rows; see package simdloss.
func (s *Set) SquaredL2Rows(dst, a, b []float32, dim int) {
	m, _ := check.Pairwise("SquaredL2Rows", len(dst), len(a), len(b), dim, true)
	check.Overlap("SquaredL2Rows", "dst", "a", dst, a)
	check.Overlap("SquaredL2Rows", "dst", "b", dst, b)
	if m > 0 {
		s.squaredL2Rows(dst[:m], a, b, m, dim)
	}
}

// DotRows is the dot product of paired rows; see package simdloss.
func (s *Set) DotRows(dst, a, b []float32, dim int) {
	m, _ := check.Pairwise("DotRows", len(dst), len(a), len(b), dim, true)
	check.Overlap("DotRows", "dst", "a", dst, a)
	check.Overlap("DotRows", "dst", "b", dst, b)
	if m > 0 {
		s.dotRows(dst[:m], a, b, m, dim)
	}
}

// CrossEntropyRows is the fused row kernel of the hard-label cross-entropy,
// generic.CrossEntropyRows: per row of the rows×cols logits z it writes the
// row maximum mx[row], lsum[row] = log Σ exp(z - max), zw[row] (when zw is
// non-nil) and, when grad is non-nil, the gradient row without its label
// term. w (nil: ones) has cols elements; a and scale have rows elements when
// grad is non-nil. grad may be z itself (the gradient then overwrites the
// logits); any other overlap of the slices panics, as do shape mismatches.
func (s *Set) CrossEntropyRows(grad, z, w []float32, k float32, a, scale, mx, lsum, zw []float32, cols int) {
	const op = "CrossEntropyRows"
	rows := check.Rows(op, len(lsum), len(z), cols, 1)
	if rows == 0 {
		return
	}
	check.Len(op, "mx", mx, rows, false)
	check.Len(op, "zw", zw, rows, true)
	check.Len(op, "w", w, cols, true)
	if grad != nil {
		check.Len(op, "grad", grad, rows*cols, false)
		check.Len(op, "a", a, rows, false)
		check.Len(op, "scale", scale, rows, false)
		check.Overlap(op, "grad", "z", grad[:rows*cols], z)
		grad = grad[:rows*cols]
		a, scale = a[:rows], scale[:rows]
	} else {
		a, scale = nil, nil // unused without grad, and so unchecked
	}
	ins := []span{{"w", head(w, cols)}, {"a", a}, {"scale", scale}}
	disjoint(op, []span{{"grad", grad}, {"mx", mx[:rows]}, {"lsum", lsum[:rows]}, {"zw", head(zw, rows)}}, ins...)
	disjoint(op, []span{{"mx", mx[:rows]}, {"lsum", lsum[:rows]}, {"zw", head(zw, rows)}}, span{"z", z}) // grad may be z
	s.crossEntropy(grad, z, w, k, a, scale, mx, lsum, zw, rows, cols)
}

// CrossEntropyLabelRows is generic.CrossEntropyLabelRows (the hard-label
// cross-entropy without smoothing, the label's loss and gradient terms
// included) on the leading rows this set has a fused kernel for. It returns
// how many rows it did (on the amd64 sets every row, else 0), and
// generic.Sum64's partial sums of their losses (loss[i] into sum[i mod 8]),
// which generic.Sum64Partials can take on from row done. The caller does
// the rest with CrossEntropyRows and the label's terms, which give the same
// bits. rows = len(labels); z
// has rows×cols elements, loss rows, sw (nil: none) rows, w (nil: ones)
// cols, grad (nil: no gradient) rows×cols; grad and loss overlap no other
// slice.
// Labels must be negative (ignored) or below cols: others give unspecified
// results, though no memory outside the slices is touched. Shape
// mismatches and overlaps panic.
func (s *Set) CrossEntropyLabelRows(grad, z, w []float32, labels []int32, sw []float32, keep, inv float32, loss []float32, cols int) (done int, sum [generic.Sum64Lanes]float64) {
	const op = "CrossEntropyLabelRows"
	rows := len(labels)
	if rows == 0 {
		return 0, sum
	}
	if cols <= 0 {
		panic(fmt.Sprintf("simdloss: %s: cols = %d must be positive", op, cols))
	}
	check.LenRows(op, "z", z, rows, cols, false) // then rows*cols <= len(z) does not overflow
	check.Len(op, "loss", loss, rows, false)
	check.Len(op, "sw", sw, rows, true)
	check.Len(op, "w", w, cols, true)
	if grad != nil {
		check.LenRows(op, "grad", grad, rows, cols, false)
		grad = grad[:rows*cols]
	}
	disjoint(op, []span{{"grad", grad}, {"loss", loss[:rows]}}, span{"z", z[:rows*cols]}, span{"w", head(w, cols)}, span{"sw", head(sw, rows)})
	if s.crossEntropyLabels == nil {
		return 0, sum
	}
	return s.crossEntropyLabels(grad, z, w, labels, sw, keep, inv, loss, rows, cols)
}

// CrossEntropySoftRows is the fused row kernel of the soft-target
// cross-entropy, generic.CrossEntropySoftRows. q has the shape of z; w (nil:
// ones) has cols elements; mx, lsum, mass, zc (and scale, with grad) have
// rows elements. It panics on a shape mismatch or any overlap of the slices.
func (s *Set) CrossEntropySoftRows(grad, z, q, w, scale, mx, lsum, mass, zc []float32, keep, spread float32, cols int) {
	const op = "CrossEntropySoftRows"
	rows := check.Rows(op, len(lsum), len(z), cols, 1)
	if rows == 0 {
		return
	}
	check.Len(op, "q", q, rows*cols, false)
	check.Len(op, "mx", mx, rows, false)
	check.Len(op, "mass", mass, rows, false)
	check.Len(op, "zc", zc, rows, false)
	check.Len(op, "w", w, cols, true)
	if grad != nil {
		check.Len(op, "grad", grad, rows*cols, false)
		check.Len(op, "scale", scale, rows, false)
		grad, scale = grad[:rows*cols], scale[:rows]
	} else {
		scale = nil // unused without grad, and so unchecked
	}
	disjoint(op, []span{{"grad", grad}, {"mx", mx[:rows]}, {"lsum", lsum[:rows]}, {"mass", mass[:rows]}, {"zc", zc[:rows]}},
		span{"z", z[:rows*cols]}, span{"q", q[:rows*cols]}, span{"w", head(w, cols)}, span{"scale", scale})
	s.crossEntropySoft(grad, z, q, w, scale, mx, lsum, mass, zc, keep, spread, rows, cols)
}

// SquaredL2RowsEps writes dst[i] = Σ_k ((a_ik - b_ik) + eps)² for paired
// rows (generic.SquaredL2RowsEps): PyTorch's pairwise_distance before the
// square root. With eps = 0 it is SquaredL2Rows.
func (s *Set) SquaredL2RowsEps(dst, a, b []float32, eps float32, dim int) {
	m, _ := check.Pairwise("SquaredL2RowsEps", len(dst), len(a), len(b), dim, true)
	check.Overlap("SquaredL2RowsEps", "dst", "a", dst, a)
	check.Overlap("SquaredL2RowsEps", "dst", "b", dst, b)
	if m > 0 {
		s.squaredL2RowsEps(dst[:m], a, b, eps, m, dim)
	}
}

// TripletGradRows is the fused gradient kernel of the triplet losses
// (generic.TripletGradRows): a, p, n and the three gradients are rows×dim,
// cu, cv (and cw, nil without the swap term) have one coefficient per row.
// The gradients must be disjoint from the inputs (coefficients included)
// and from each other.
func (s *Set) TripletGradRows(gA, gP, gN, a, p, n, cu, cv, cw []float32, eps float32, dim int) {
	const op = "TripletGradRows"
	rows, _ := check.Pairwise(op, len(a), len(a), len(p), dim, true)
	if rows == 0 {
		return
	}
	check.Len(op, "n", n, rows*dim, false)
	check.Len(op, "gA", gA, rows*dim, false)
	check.Len(op, "gP", gP, rows*dim, false)
	check.Len(op, "gN", gN, rows*dim, false)
	check.Len(op, "cu", cu, rows, false)
	check.Len(op, "cv", cv, rows, false)
	check.Len(op, "cw", cw, rows, true)
	for _, g := range [][]float32{gA, gP, gN} {
		for _, x := range [][]float32{a, p, n} {
			check.Disjoint(op, "a gradient", "an input", g[:rows*dim], x[:rows*dim])
		}
	}
	check.Disjoint(op, "gA", "gP", gA[:rows*dim], gP[:rows*dim])
	check.Disjoint(op, "gA", "gN", gA[:rows*dim], gN[:rows*dim])
	check.Disjoint(op, "gP", "gN", gP[:rows*dim], gN[:rows*dim])
	disjoint(op, []span{{"gA", gA[:rows*dim]}, {"gP", gP[:rows*dim]}, {"gN", gN[:rows*dim]}},
		span{"cu", cu[:rows]}, span{"cv", cv[:rows]}, span{"cw", head(cw, rows)})
	s.tripletGrad(gA, gP, gN, a, p, n, cu, cv, cw, eps, rows, dim)
}

// AxpbyRows writes dst_i = ca_i·a_i + cb_i·b_i for the paired rows of a and
// b (rows×dim each; ca and cb have one coefficient per row), as
// generic.AxpbyRows rounds it: fma(ca, a, cb·b). dst may be a or b; any other
// overlap panics. It is the building block of scaled differences, row
// scaling and the backward pass of L2 normalisation.
func (s *Set) AxpbyRows(dst, a, b, ca, cb []float32, dim int) {
	const op = "AxpbyRows"
	// dst holds rows×dim elements, not one per row as Pairwise's paired
	// check counts: check.Len checks it, naming len(dst) itself.
	rows, _ := check.Pairwise(op, math.MaxInt, len(a), len(b), dim, true)
	if rows == 0 {
		return
	}
	check.Len(op, "dst", dst, rows*dim, false)
	check.Len(op, "ca", ca, rows, false)
	check.Len(op, "cb", cb, rows, false)
	check.Overlap(op, "dst", "a", dst[:rows*dim], a[:rows*dim])
	check.Overlap(op, "dst", "b", dst[:rows*dim], b[:rows*dim])
	disjoint(op, []span{{"dst", dst[:rows*dim]}}, span{"ca", ca[:rows]}, span{"cb", cb[:rows]})
	s.axpbyRows(dst, a, b, ca, cb, rows, dim)
}

// SigmoidFocal is the elementwise kernel of the sigmoid focal loss,
// generic.SigmoidFocal: loss[i] receives element i's loss and, when grad is
// non-nil, grad[i] receives scale times its derivative. t has the length of
// x, loss (and grad) at least that; loss and grad may not overlap x, t or
// each other. It panics on a shape mismatch or an overlap. γ other than the
// small integers of generic.SigmoidFocalGamma runs the generic code on every
// set.
func (s *Set) SigmoidFocal(loss, grad, x, t []float32, alpha, beta, gamma, scale float32) {
	const op = "SigmoidFocal"
	n := len(x)
	check.Len(op, "t", t, n, false)
	check.Len(op, "loss", loss, n, false)
	if n == 0 {
		return
	}
	loss, t = loss[:n], t[:n]
	check.Disjoint(op, "loss", "x", loss, x)
	check.Disjoint(op, "loss", "t", loss, t)
	if grad != nil {
		check.Len(op, "grad", grad, n, false)
		grad = grad[:n]
		check.Disjoint(op, "grad", "x", grad, x)
		check.Disjoint(op, "grad", "t", grad, t)
		check.Disjoint(op, "grad", "loss", grad, loss)
	}
	f := s.sigmoidFocal
	if f == nil || !generic.SigmoidFocalGamma(gamma) {
		f = generic.SigmoidFocal
	}
	f(loss, grad, x, t, alpha, beta, gamma, scale)
}

// HingeCounts is the scan of the BatchAll triplet miner over one anchor's
// row of distances to its negatives, for four positives at distances dp
// (generic.HingeCounts: the counts and sums of the positive hinge
// arguments x = (dp[s] - row[k]) + margin, crow[k] lowered by the number of
// positives counted at k). crow needs len(row) elements and may not overlap
// row; it panics otherwise.
func (s *Set) HingeCounts(row, crow []float32, dp [4]float32, margin float32) (on [4]int, sum [4]float32) {
	const op = "HingeCounts"
	check.Len(op, "crow", crow, len(row), false)
	crow = crow[:len(row)]
	check.Disjoint(op, "crow", "row", crow, row)
	f := s.hingeCounts
	if f == nil {
		f = generic.HingeCounts
	}
	return f(row, crow, dp, margin)
}

// AboveMin is the scan of the SemiHard triplet miner (generic.AboveMin):
// for each threshold t[s], the index of the least element of row above it,
// the lowest index among equals, or -1.
func (s *Set) AboveMin(row []float32, t [4]float32) [4]int {
	f := s.aboveMin
	if f == nil {
		f = generic.AboveMin
	}
	return f(row, t)
}

// Symmetrize replaces the n×n matrix a (at least n·n elements) by a + aᵀ
// (generic.Symmetrize): the gradient of a loss on a batch's
// self-similarities. n <= 0 is a no-op; a too short panics.
func (s *Set) Symmetrize(a []float32, n int) {
	if n <= 0 {
		return
	}
	check.LenRows("Symmetrize", "a", a, n, n, false)
	f := s.symmetrize
	if f == nil {
		f = generic.Symmetrize
	}
	f(a[:n*n], n)
}

// MaskedAffine writes dst_j = beta·(x_j - base) where x_j + eps > thr and
// -Inf elsewhere, and returns the largest non-NaN x_j plus +0 (-Inf if
// none): generic.MaskedAffine, the negatives pass of the multi-similarity
// miner. dst needs len(x) elements and may be x; other overlaps panic.
func (s *Set) MaskedAffine(dst, x []float32, thr, eps, beta, base float32) float32 {
	const op = "MaskedAffine"
	check.Len(op, "dst", dst, len(x), false)
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	dst = dst[:len(x)]
	check.Overlap(op, "dst", "x", dst, x)
	f := s.maskedAffine
	if f == nil {
		f = generic.MaskedAffine
	}
	return f(dst, x, thr, eps, beta, base)
}

// CircleLogits writes circle loss's negative logits dst_j =
// (gamma·relu(s_j + m))·(s_j - m) (generic.CircleLogits). dst needs
// len(s) elements and may be s; other overlaps panic.
func (s *Set) CircleLogits(dst, sim []float32, gamma, m float32) {
	const op = "CircleLogits"
	check.Len(op, "dst", dst, len(sim), false)
	if len(sim) == 0 {
		return
	}
	dst = dst[:len(sim)]
	check.Overlap(op, "dst", "s", dst, sim)
	f := s.circleLogits
	if f == nil {
		f = generic.CircleLogits
	}
	f(dst, sim, gamma, m)
}

// CircleGrads overwrites sim_j with circle loss's negative gradients
// (c·relu(sim_j + m))·p_j (generic.CircleGrads). p needs len(sim) elements
// and may not overlap sim; it panics otherwise.
func (s *Set) CircleGrads(sim, p []float32, c, m float32) {
	const op = "CircleGrads"
	check.Len(op, "p", p, len(sim), false)
	if len(sim) == 0 {
		return
	}
	p = p[:len(sim)]
	check.Disjoint(op, "s", "p", sim, p)
	f := s.circleGrads
	if f == nil {
		f = generic.CircleGrads
	}
	f(sim, p, c, m)
}

// Sum64 is the float64 sum of x in generic.Sum64's order (8 partial sums):
// the losses' reductions over rows or elements.
func (s *Set) Sum64(x []float32) float64 {
	f := s.sum64
	if f == nil {
		f = generic.Sum64
	}
	return f(x)
}

// LabelWeights is generic.LabelWeights: it checks hard labels (in [0, cols)
// or the negative ignore index) and returns the float64 sum of the kept
// rows' weights w[y_i]·sw_i (nil w or sw: ones) in Sum64's order, the first
// bad row (or -1), and whether a row is ignored. w needs cols elements and
// sw len(labels) when non-nil; it panics otherwise.
func (s *Set) LabelWeights(labels []int32, w, sw []float32, cols int, ignore int32) (sum float64, bad int, ignored bool) {
	const op = "LabelWeights"
	if cols < 0 {
		panic(fmt.Sprintf("simdloss: %s: cols = %d must not be negative", op, cols))
	}
	check.Len(op, "w", w, cols, true)
	check.Len(op, "sw", sw, len(labels), true)
	var p [generic.Sum64Lanes]float64
	from := 0
	if s.labelWeights != nil {
		p, from, ignored = s.labelWeights(labels, w, sw, cols, ignore)
	}
	bad, ig := generic.LabelWeightPartials(labels, w, sw, cols, ignore, from, &p)
	return generic.Sum64Fold(&p), bad, ignored || ig
}

// FirstOutside returns the index of the first x_i not in [lo, hi] (NaN
// included), or -1: the losses' checks of targets and weights.
func (s *Set) FirstOutside(x []float32, lo, hi float32) int {
	f := s.firstOutside
	if f == nil {
		f = generic.FirstOutside
	}
	return f(x, lo, hi)
}

// FocalTerms is the per-row kernel of the softmax focal loss
// (generic.FocalTerms): from each row's log-probability of its label and its
// α, the row's loss and the factor of its gradient (softmax - onehot). loss,
// coef and alpha need len(logp) elements; the outputs may not overlap the
// inputs or each other. It panics otherwise. γ other than the small
// integers of generic.SigmoidFocalGamma runs the generic code on every set.
func (s *Set) FocalTerms(loss, coef, logp, alpha []float32, gamma, scale float32) {
	const op = "FocalTerms"
	n := len(logp)
	check.Len(op, "loss", loss, n, false)
	check.Len(op, "coef", coef, n, false)
	check.Len(op, "alpha", alpha, n, false)
	if n == 0 {
		return
	}
	loss, coef, alpha = loss[:n], coef[:n], alpha[:n]
	for _, o := range []struct {
		name string
		x    []float32
	}{{"logp", logp}, {"alpha", alpha}, {"coef", coef}} {
		check.Disjoint(op, "loss", o.name, loss, o.x)
	}
	check.Disjoint(op, "coef", "logp", coef, logp)
	check.Disjoint(op, "coef", "alpha", coef, alpha)
	f := s.focalTerms
	if f == nil || !generic.SigmoidFocalGamma(gamma) {
		f = generic.FocalTerms
	}
	f(loss, coef, logp, alpha, gamma, scale)
}

// checkIdx panics unless a (rows of dim) has len(idx) rows and every idx[i]
// is a row of b (rows of dim), and returns the row count.
func checkIdx(op string, a, b []float32, idx []int32, dim int) int {
	if dim <= 0 {
		panic(fmt.Sprintf("simdloss: %s: dim = %d must be positive", op, dim))
	}
	rows, nb := len(idx), len(b)/dim
	check.LenRows(op, "a", a, rows, dim, false) // then rows*dim <= len(a) does not overflow
	for i, k := range idx {
		if k < 0 || int(k) >= nb {
			panic(fmt.Sprintf("simdloss: %s: idx[%d] = %d is not a row of b (%d rows)", op, i, k, nb))
		}
	}
	return rows
}

// SquaredL2RowsIdx writes dst[i] = ||a_i - b_idx[i]||² for the len(idx)
// rows of a (generic.SquaredL2RowsIdx): paired distances to gathered rows
// of b without copying them. It panics on a shape mismatch, an index
// outside b's rows, or dst overlapping a or b (a later row may read what an
// earlier one wrote).
func (s *Set) SquaredL2RowsIdx(dst, a, b []float32, idx []int32, dim int) {
	const op = "SquaredL2RowsIdx"
	rows := checkIdx(op, a, b, idx, dim)
	check.Len(op, "dst", dst, rows, false)
	if rows == 0 {
		return
	}
	check.Disjoint(op, "dst", "a", dst[:rows], a[:rows*dim])
	check.Disjoint(op, "dst", "b", dst[:rows], b)
	f := s.squaredL2RowsIdx
	if f == nil {
		f = generic.SquaredL2RowsIdx
	}
	f(dst[:rows], a[:rows*dim], b, idx, dim)
}

// AxpbyRowsIdx writes dst_r = ca_r·a_r + cb_r·b_idx[r] for the len(idx)
// rows of a (generic.AxpbyRowsIdx, rounded as AxpbyRows). dst may be a;
// other overlaps with a or b panic, as do shape mismatches and indices
// outside b's rows.
func (s *Set) AxpbyRowsIdx(dst, a, b, ca, cb []float32, idx []int32, dim int) {
	const op = "AxpbyRowsIdx"
	rows := checkIdx(op, a, b, idx, dim)
	check.Len(op, "dst", dst, rows*dim, false)
	check.Len(op, "ca", ca, rows, false)
	check.Len(op, "cb", cb, rows, false)
	if rows == 0 {
		return
	}
	dst, a = dst[:rows*dim], a[:rows*dim]
	check.Overlap(op, "dst", "a", dst, a)
	check.Disjoint(op, "dst", "b", dst, b)
	disjoint(op, []span{{"dst", dst}}, span{"ca", ca[:rows]}, span{"cb", cb[:rows]})
	f := s.axpbyRowsIdx
	if f == nil {
		f = generic.AxpbyRowsIdx
	}
	f(dst, a, b, ca, cb, idx, dim)
}

// FirstMinBits returns the index of the element of row with the least bits
// as an unsigned integer, the first of equals, or -1 for an empty row
// (generic.FirstMinBits): BatchHard's nearest negative, its label group
// masked with NaN.
func (s *Set) FirstMinBits(row []float32) int {
	if len(row) == 0 {
		return -1
	}
	f := s.firstMinBits
	if f == nil {
		f = generic.FirstMinBits
	}
	return f(row)
}

// PairUpdates adds k_t·(x_i - x_j) to row i and subtracts it from row j of
// grad for each pair t = (pi[t], pj[t]), in pair order
// (generic.PairUpdates): the sparse gradient of a batch's pair terms. emb
// and grad have the same rows×dim shape; pi, pj and k have one element per
// pair. It panics on a shape mismatch, an index outside the rows, or grad
// overlapping emb.
func (s *Set) PairUpdates(grad, emb []float32, pi, pj []int32, k []float32, dim int) {
	const op = "PairUpdates"
	if dim <= 0 {
		panic(fmt.Sprintf("simdloss: %s: dim = %d must be positive", op, dim))
	}
	rows := len(emb) / dim
	check.Len(op, "grad", grad, rows*dim, false)
	if len(pi) < len(k) || len(pj) < len(k) {
		panic(fmt.Sprintf("simdloss: %s: len(pi) = %d, len(pj) = %d, want %d (one per k)", op, len(pi), len(pj), len(k)))
	}
	for t := range k {
		if i, j := pi[t], pj[t]; i < 0 || int(i) >= rows || j < 0 || int(j) >= rows {
			panic(fmt.Sprintf("simdloss: %s: pair %d = (%d, %d) is not a pair of rows (%d rows)", op, t, i, j, rows))
		}
	}
	if len(k) == 0 {
		return
	}
	grad, emb = grad[:rows*dim], emb[:rows*dim]
	check.Disjoint(op, "grad", "emb", grad, emb)
	f := s.pairUpdates
	if f == nil {
		f = generic.PairUpdates
	}
	f(grad, emb, pi[:len(k)], pj[:len(k)], k, dim)
}

// FlushSubnormals sets the elements of x whose magnitude is below 2^-126 to
// +0 (generic.FlushSubnormals): used on gradients before a matrix product,
// where subnormal operands cost a microcode assist per operation on many
// x86 cores.
func (s *Set) FlushSubnormals(x []float32) {
	if len(x) > 0 {
		s.flushSubnormals(x)
	}
}

// Generic is the pure-Go set: always compiled, always supported.
var Generic = &Set{
	name:       "generic",
	supported:  func() bool { return true },
	softmax:    func(dst, src []float32, _, cols int) { generic.Softmax(dst, src, cols) },
	logSoftmax: func(dst, src []float32, _, cols int) { generic.LogSoftmax(dst, src, cols) },
	logSumExp:  func(dst, src []float32, _, cols int) { generic.LogSumExp(dst, src, cols) },
	squaredL2:  func(dst, a, b []float32, _, _, dim int) { generic.SquaredL2(dst, a, b, dim) },
	dots:       func(dst, a, b []float32, _, _, dim int) { generic.Dots(dst, a, b, dim) },
	cosines:    generic.Cosines,
	matMul: func(dst, a, b []float32, m, n, k int, transA, transB, add bool) {
		if add {
			generic.MatMulAdd(dst, a, b, m, n, k, transA, transB)
		} else {
			generic.MatMul(dst, a, b, m, n, k, transA, transB)
		}
	},
	squaredL2Rows:    func(dst, a, b []float32, _, dim int) { generic.SquaredL2Rows(dst, a, b, dim) },
	dotRows:          func(dst, a, b []float32, _, dim int) { generic.DotRows(dst, a, b, dim) },
	crossEntropy:     generic.CrossEntropyRows,
	crossEntropySoft: generic.CrossEntropySoftRows,
	squaredL2RowsEps: generic.SquaredL2RowsEps,
	tripletGrad:      generic.TripletGradRows,
	axpbyRows:        generic.AxpbyRows,
	sigmoidFocal:     generic.SigmoidFocal,
	hingeCounts:      generic.HingeCounts,
	aboveMin:         generic.AboveMin,
	symmetrize:       generic.Symmetrize,
	maskedAffine:     generic.MaskedAffine,
	circleLogits:     generic.CircleLogits,
	circleGrads:      generic.CircleGrads,
	sum64:            generic.Sum64,
	firstOutside:     generic.FirstOutside,
	focalTerms:       generic.FocalTerms,
	squaredL2RowsIdx: generic.SquaredL2RowsIdx,
	axpbyRowsIdx:     generic.AxpbyRowsIdx,
	pairUpdates:      generic.PairUpdates,
	firstMinBits:     generic.FirstMinBits,
	flushSubnormals:  generic.FlushSubnormals,
}

// Sets returns every set compiled into this build, generic first, then the
// SIMD sets from the lowest tier to the highest; some may be unsupported by
// this CPU (see Supported).
func Sets() []*Set { return append([]*Set{Generic}, archSets...) }

// Lookup returns the compiled set with the given name, or nil.
func Lookup(name string) *Set {
	for _, s := range Sets() {
		if s.name == name {
			return s
		}
	}
	return nil
}

// Best returns the highest-tier set this CPU supports.
func Best() *Set {
	sets := Sets()
	for i := len(sets) - 1; i >= 0; i-- {
		if sets[i].Supported() {
			return sets[i]
		}
	}
	return Generic
}

// rowChunk is how many rows of cols elements a SIMD kernel takes per call:
// about 128K elements, so that one assembly call (which cannot be
// preempted) stays in the tens of microseconds (50–70 µs for the softmax
// family here), while rows up to 64K elements still come at least two to a
// call: all but the first row of a call get their max pass inside the
// previous row's exponential pass (the amd64 kernels carry the maxima of a
// call's next rows across calls too: see rowChained and lseChained).
func rowChunk(cols int) int { return max(1, 1<<17/cols) }

// span is a slice with its parameter name, for disjoint.
type span struct {
	name string
	x    []float32
}

// disjoint panics (check.Disjoint) unless every output overlaps no input and
// no other output; nil and empty slices overlap nothing. The row kernels
// read their per-row and per-column arrays while they write their outputs,
// and the amd64 ones read ahead, so any such aliasing would change the
// results, and not as generic's would change. (The losses' twin, the root
// package's overlapping, returns an error instead.)
func disjoint(op string, outs []span, ins ...span) {
	for i, o := range outs {
		for _, in := range ins {
			check.Disjoint(op, o.name, in.name, o.x, in.x)
		}
		for _, p := range outs[i+1:] {
			check.Disjoint(op, o.name, p.name, o.x, p.x)
		}
	}
}

// head is x[:n], or x itself when it is nil: the part of an optional
// argument a kernel uses.
func head(x []float32, n int) []float32 {
	if x == nil {
		return nil
	}
	return x[:n]
}
