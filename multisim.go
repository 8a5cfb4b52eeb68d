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
// kernel, both log-sum-exps of every anchor (with the 1 as an extra 0
// logit) from one pass of the cross-entropy row kernel, which leaves the
// softmax the gradient needs, and the backward from MatMul.
//
// Embeddings are L2-normalised inside (eps 1e-12); NaN or infinite
// embeddings make the loss and the whole gradient NaN. A MultiSimilarity is
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
	sc.growAll(rows, rows, dim, false)
	sc.growGroups(rows)
	if !normalise(set, sc.zh, sc.inv, sc.v1, emb, rows, dim) {
		return poisoned(grad), nil
	}
	s := sc.s
	set.Cosines(s, emb, emb, dim)

	alpha, beta, base, eps := c.Alpha, c.Beta, c.Base, c.Epsilon
	ninf := float32(math.Inf(-1))
	cols := rows + 1 // the last column is the 0 logit of the added 1
	total := 0.0
	for i0 := 0; i0 < rows; i0 += anchorBlock {
		nb := min(anchorBlock, rows-i0)
		for r := 0; r < nb; r++ {
			i := i0 + r
			row := s[i*rows : (i+1)*rows]
			pr, nr := sc.blk[2*r*cols:(2*r+1)*cols], sc.blk[(2*r+1)*cols:(2*r+2)*cols]
			minPos, maxNeg := float32(math.Inf(1)), ninf
			if c.Mine {
				minPos, maxNeg = hardest(row, labels, i)
			}
			for j, sij := range row {
				pr[j], nr[j] = ninf, ninf
				switch {
				case j == i:
				case labels[j] == labels[i]:
					if !c.Mine || sij-eps < maxNeg {
						pr[j] = -alpha * (sij - base)
					}
				default:
					if !c.Mine || sij+eps > minPos {
						nr[j] = beta * (sij - base)
					}
				}
			}
			pr[rows], nr[rows] = 0, 0
		}
		sc.groupSoftmax(set, 2*nb, cols)
		for r := 0; r < nb; r++ {
			i := i0 + r
			total += sc.groupLSE(2*r)/float64(alpha) + sc.groupLSE(2*r+1)/float64(beta)
			if grad == nil {
				continue
			}
			// d L_i/d s_ij = -softmax_pos(j) for a positive, softmax_neg(j)
			// for a negative (the 1/α, 1/β cancel the logits' slopes)
			pr, nr := sc.blk[2*r*cols:(2*r+1)*cols], sc.blk[(2*r+1)*cols:(2*r+2)*cols]
			row := s[i*rows : (i+1)*rows]
			for j := range row {
				row[j] = nr[j] - pr[j] // one of the two is 0
			}
		}
	}
	if grad != nil {
		simBackward(set, sc, grad, 1/float32(rows), rows, dim)
	}
	return float32(total / float64(rows)), nil
}

// hardest returns the smallest similarity of anchor i to its positives
// (+Inf when none) and the largest to its negatives (-Inf when none).
func hardest(row []float32, labels []int32, i int) (minPos, maxNeg float32) {
	minPos, maxNeg = float32(math.Inf(1)), float32(math.Inf(-1))
	li := labels[i]
	for j, v := range row { // no NaN here: those embeddings were poisoned
		if labels[j] == li {
			if v < minPos && j != i {
				minPos = v
			}
		} else if v > maxNeg {
			maxNeg = v
		}
	}
	return
}
