package simdloss

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/kernels"
)

// Circle is the circle loss (Sun et al. 2020) in its pair-based form on
// cosine similarities, as pytorch-metric-learning's CircleLoss computes
// it. For each anchor i with similarities s_p to its positives (same
// label, other rows) and s_n to its negatives,
//
//	L_i = softplus( LSE_n(γ·α_n·(s_n - m)) + LSE_p(-γ·α_p·(s_p - (1-m))) )
//	α_p = [1 + m - s_p]_+,  α_n = [s_n + m]_+
//
// with the weights α treated as constants in the gradient (detached, as in
// the paper's and pytorch-metric-learning's implementations). The loss is
// the mean of L_i over the anchors that have at least one positive and one
// negative (0 when none has); pytorch-metric-learning's AvgNonZeroReducer
// averages over the anchors whose loss is > 0, which differs only where an
// anchor's softplus underflows to 0 in float32.
//
// The similarities come from the Cosines kernel; each anchor's two
// log-sum-exps from the cross-entropy row kernel over its two group rows
// (its positives' logits and its negatives', compacted: no exp is spent on
// absent pairs), which leaves the softmax the gradient needs; and the
// backward through the similarities from MatMul. The paper's defaults are
// m = 0.25, γ = 256 (face recognition) and m = 0.25, γ = 80 (retrieval);
// pytorch-metric-learning's are m = 0.4, γ = 80.
//
// Embeddings are L2-normalised inside (eps 1e-12); NaN or infinite
// embeddings, and embeddings whose squared norm overflows float32
// (elements beyond about 1e19; float32 PyTorch's F.normalize makes those
// zero rows), make the loss and the whole gradient NaN. A Circle is safe for
// concurrent use while its fields are not changed; steady-state calls
// allocate nothing.
type Circle struct {
	Margin float32 // m, the relaxation: finite
	Gamma  float32 // γ, the scale: finite and > 0

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

// Forward returns the circle loss of the rows of emb (rows×dim) with one
// label per row and, when grad is non-nil (len(emb)), writes d loss/d emb.
// Errors (nothing written): dim <= 0, len(emb) not a multiple of dim, a
// label count other than the row count, grad of the wrong length or
// overlapping emb, a NaN or infinite Margin, a Gamma that is not finite
// and positive.
func (c *Circle) Forward(emb []float32, labels []int32, dim int, grad []float32) (float32, error) {
	const op = "simdloss: Circle.Forward"
	if !positive32(c.Gamma) {
		return 0, fmt.Errorf("%s: Gamma = %g must be finite and > 0", op, c.Gamma)
	}
	if !finite32(c.Margin) {
		return 0, fmt.Errorf("%s: Margin = %g must be finite", op, c.Margin)
	}
	rows, err := checkPairs(op, emb, labels, dim, grad)
	if err != nil {
		return 0, err
	}
	if rows == 0 {
		clear(grad)
		return 0, nil
	}
	set := kernelSet(c.Kernels)
	sc := cosPool.Get().(*cosScratch)
	defer cosPool.Put(sc)
	if !sc.pairSetup(set, emb, labels, rows, dim) {
		return poisoned(grad), nil
	}
	s := sc.s

	m, gamma := c.Margin, c.Gamma
	op1, dp := 1+m, 1-m // the optimum and decision boundary of s_p
	ninf := float32(math.Inf(-1))
	total, count := 0.0, 0
	for i := 0; i < rows; i++ {
		row, grp := s[i*rows:(i+1)*rows], sc.group(i)
		np, nn := len(grp)-1, rows-len(grp)
		if np == 0 || nn == 0 { // no loss
			if grad != nil {
				clear(row)
			}
			continue
		}
		// the anchor's group rows: its positives' logits (compacted), and
		// every column's negative logit with the label group's set to -Inf
		pr, nr := sc.groupRows(rows)
		pr = pr[:0]
		set.CircleLogits(nr[:rows], row, gamma, m)
		for _, j := range grp {
			nr[j] = ninf
			if int(j) != i {
				sij := row[j]
				pr = append(pr, -gamma*relu(op1-sij)*(sij-dp))
			}
		}
		nr = nr[:rows]
		l, sig := softplus(sc.groupSoftmax(set, pr) + sc.groupSoftmax(set, nr))
		count++
		total += l
		if grad == nil {
			continue
		}
		// d L_i/d s_ij = σ(x)·softmax_group(j)·(d logit_j/d s_ij), α fixed;
		// the negatives' softmax is 0 on the label group
		cp, cn := -gamma*float32(sig), gamma*float32(sig)
		k := 0
		for _, j := range grp {
			if int(j) != i {
				pr[k] = cp * relu(op1-row[j]) * pr[k]
				k++
			}
		}
		set.CircleGrads(row, nr[:rows], cn, m)
		k = 0
		for _, j := range grp {
			if int(j) == i {
				row[j] = 0
				continue
			}
			row[j] = pr[k]
			k++
		}
	}
	if count == 0 {
		clear(grad)
		return 0, nil
	}
	if grad != nil {
		simBackward(set, sc, grad, 1/float32(count), rows, dim)
	}
	return float32(total / float64(count)), nil
}
