package simdloss

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/kernels"
)

// MultiSimilarity is the multi-similarity loss (Wang et al. 2019) on cosine
// similarities, with the paper's pair mining, as pytorch-metric-learning's
// MultiSimilarityLoss and MultiSimilarityMiner compute them. For anchor i
// with mined positives P_i and negatives N_i,
//
//	L_i = 1/α·log(1 + Σ_{p∈P_i} exp(-α(s_ip - λ))) + 1/β·log(1 + Σ_{n∈N_i} exp(β(s_in - λ)))
//
// and the loss is the mean of L_i over all anchors (an anchor with no
// mined pair contributes 0). With Mine, a negative is kept when s_in + ε
// exceeds the anchor's smallest positive similarity and a positive when
// s_ip - ε is below its largest negative similarity (the hardest pairs of
// the other kind); without it every pair is used. The mining is a
// selection: it takes no part in the gradient.
//
// The paper's and pytorch-metric-learning's defaults are α = 2, β = 50,
// λ = 0.5 (Base) and ε = 0.1. The similarities come from the Cosines
// kernel; each anchor's two log-sum-exps (with the 1 as an extra 0 logit)
// from the cross-entropy row kernel over its compacted group rows (the
// mined positives' logits and the negatives'), which leaves the softmax
// the gradient needs; and the backward from MatMul.
//
// Embeddings are L2-normalised inside (eps 1e-12); NaN or infinite
// embeddings, and embeddings whose squared norm overflows float32
// (elements beyond about 1e19; float32 PyTorch's F.normalize makes those
// zero rows), make the loss and the whole gradient NaN. A MultiSimilarity is
// safe for concurrent use while its fields are not changed; steady-state
// calls allocate nothing.
type MultiSimilarity struct {
	Alpha, Beta float32 // α, β: finite and > 0
	Base        float32 // λ: finite
	Mine        bool    // mine pairs as the paper does
	Epsilon     float32 // ε of the mining: finite

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

// Forward returns the multi-similarity loss of the rows of emb (rows×dim)
// with one label per row and, when grad is non-nil (len(emb)), writes
// d loss/d emb. Errors (nothing written): as Circle.Forward, and an Alpha
// or Beta that is not finite and positive, a NaN or infinite Base or
// Epsilon.
func (c *MultiSimilarity) Forward(emb []float32, labels []int32, dim int, grad []float32) (float32, error) {
	const op = "simdloss: MultiSimilarity.Forward"
	switch {
	case !positive32(c.Alpha):
		return 0, fmt.Errorf("%s: Alpha = %g must be finite and > 0", op, c.Alpha)
	case !positive32(c.Beta):
		return 0, fmt.Errorf("%s: Beta = %g must be finite and > 0", op, c.Beta)
	case !finite32(c.Base):
		return 0, fmt.Errorf("%s: Base = %g must be finite", op, c.Base)
	case !finite32(c.Epsilon):
		return 0, fmt.Errorf("%s: Epsilon = %g must be finite", op, c.Epsilon)
	}
	rows, err := checkPairs(op, emb, labels, dim, grad)
	if err != nil {
		return 0, err
	}
	if rows == 0 {
		return 0, nil // no pairs, as pytorch-metric-learning
	}
	set := kernelSet(c.Kernels)
	sc := cosPool.Get().(*cosScratch)
	defer cosPool.Put(sc)
	if !sc.pairSetup(set, emb, labels, rows, dim) {
		return poisoned(grad), nil
	}
	s := sc.s

	alpha, beta, base, eps := c.Alpha, c.Beta, c.Base, c.Epsilon
	ninf, pinf := float32(math.Inf(-1)), float32(math.Inf(1))
	total := 0.0
	for i := 0; i < rows; i++ {
		row, grp := s[i*rows:(i+1)*rows], sc.group(i)
		// Set the anchor's label group aside and mask it in the row: the
		// row then holds only its negatives' similarities.
		save := sc.save[:len(grp)]
		for k, j := range grp {
			save[k], row[j] = row[j], ninf
		}
		minPos, maxNeg := pinf, ninf
		if c.Mine {
			for k, j := range grp {
				if int(j) != i && save[k] < minPos {
					minPos = save[k]
				}
			}
		}
		// the anchor's group rows: every column's negative logit (-Inf on
		// the label group and, mining, on the negatives left out), and its
		// kept positives' logits, compacted; each ends with the 0 logit of
		// the added 1
		pr, nr := sc.groupRows(rows + 1)
		if c.Mine {
			// a negative left out gets -Inf, a kept one its logit; the
			// same pass finds the hardest negative (no NaN here: those
			// embeddings were poisoned)
			maxNeg = set.MaskedAffine(nr[:len(row)], row, minPos, eps, beta, base)
		} else {
			for j, sij := range row {
				nr[j] = beta * (sij - base)
			}
		}
		nr[rows] = 0
		keep := sc.keep[:0]
		pr = pr[:0]
		for k, j := range grp {
			if int(j) != i && (!c.Mine || save[k]-eps < maxNeg) {
				pr = append(pr, -alpha*(save[k]-base))
				keep = append(keep, j)
			}
		}
		pr = append(pr, 0)
		total += sc.groupSoftmax(set, pr)/float64(alpha) + sc.groupSoftmax(set, nr)/float64(beta)
		if grad == nil {
			continue
		}
		// d L_i/d s_ij = -softmax_pos(j) for a kept positive, softmax_neg(j)
		// for a negative (the 1/α, 1/β cancel the logits' slopes), 0 for a
		// pair left out (its softmax is 0)
		copy(row, nr)
		for k, j := range keep {
			row[j] = -pr[k]
		}
	}
	if grad != nil {
		simBackward(set, sc, grad, 1/float32(rows), rows, dim)
	}
	return float32(total / float64(rows)), nil
}
