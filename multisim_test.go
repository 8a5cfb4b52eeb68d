package simdloss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// refMultiSimilarity is the multi-similarity loss in float64 from its
// definition. The mining reads the similarities mineS (nil: the current
// ones): it selects pairs and takes no part in the gradient, so finite
// differences hold it fixed at the unperturbed similarities.
func refMultiSimilarity(c *MultiSimilarity, emb []float64, labels []int32, dim int, mineS []float64) (float64, []float64) {
	rows := len(labels)
	alpha, beta, base, eps := float64(c.Alpha), float64(c.Beta), float64(c.Base), float64(c.Epsilon)
	s, back := cos64(emb, emb, rows, rows, dim)
	if mineS == nil {
		mineS = s
	}
	dS := make([]float64, len(s))
	total := 0.0
	for i := 0; i < rows; i++ {
		minPos, maxNeg := math.Inf(1), math.Inf(-1)
		for j := 0; j < rows; j++ {
			if j != i && labels[j] == labels[i] {
				minPos = math.Min(minPos, mineS[i*rows+j])
			} else if labels[j] != labels[i] {
				maxNeg = math.Max(maxNeg, mineS[i*rows+j])
			}
		}
		// the added 1 is the extra logit 0 at index rows
		pos, neg := make([]float64, rows+1), make([]float64, rows+1)
		isPos := func(j int) bool {
			if j == rows {
				return true
			}
			ok := j != i && labels[j] == labels[i]
			return ok && (!c.Mine || mineS[i*rows+j]-eps < maxNeg)
		}
		isNeg := func(j int) bool {
			if j == rows {
				return true
			}
			ok := labels[j] != labels[i]
			return ok && (!c.Mine || mineS[i*rows+j]+eps > minPos)
		}
		for j := 0; j < rows; j++ {
			pos[j] = -alpha * (s[i*rows+j] - base)
			neg[j] = beta * (s[i*rows+j] - base)
		}
		lp, gp := lse64(pos, isPos)
		ln, gn := lse64(neg, isNeg)
		total += lp/alpha + ln/beta
		for j := 0; j < rows; j++ {
			dS[i*rows+j] = (gn[j] - gp[j]) / float64(rows)
		}
	}
	gx, gy := back(dS)
	for k := range gx {
		gx[k] += gy[k]
	}
	return total / float64(rows), gx
}

func TestMultiSimilarity(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 1))
	for _, dim := range []int{2, 5, 16, 33} {
		for _, rows := range []int{1, 2, 7, 40, 70} {
			for _, c := range []MultiSimilarity{
				{Alpha: 2, Beta: 50, Base: 0.5, Mine: true, Epsilon: 0.1},
				{Alpha: 2, Beta: 50, Base: 0.5},
				{Alpha: 1, Beta: 10, Base: 0, Mine: true, Epsilon: 0.3},
			} {
				emb := embeddings(rng, rows, dim)
				labels := pkLabels(rng, rows, 4, rows%2 == 1)
				e64 := [][]float64{f64(emb)}
				s0, _ := cos64(e64[0], e64[0], rows, rows, dim)
				lossCheck{
					name: fmt.Sprintf("rows=%d dim=%d %+v", rows, dim, c),
					run: func(set *kernels.Set) (float32, [][]float32, error) {
						c := c
						c.Kernels = set
						g := make([]float32, len(emb))
						l, err := c.Forward(emb, labels, dim, g)
						return l, [][]float32{g}, err
					},
					ref: func() (float64, [][]float64) {
						l, g := refMultiSimilarity(&c, e64[0], labels, dim, s0)
						return l, [][]float64{g}
					},
					in64: e64, fd: []int{0}, scale: 1 / float64(rows),
				}.verify(t)
			}
		}
	}
}

func TestMultiSimilaritySpecial(t *testing.T) {
	c := MultiSimilarity{Alpha: 2, Beta: 50, Base: 0.5, Mine: true, Epsilon: 0.1}
	// two tight classes far apart: the miner finds no hard pair, the loss is 0
	emb := []float32{1, 0, 1, 0.01, 0, 1, 0.01, 1}
	g := tu.Filled(8)
	if l, err := c.Forward(emb, []int32{1, 1, 2, 2}, 2, g); err != nil || l != 0 || !allZero(g) {
		t.Errorf("easy batch: %v %v %v, want 0 and a zero gradient", l, err, g)
	}
	// the same batch with logits that overflow: β·(s - λ) = +Inf for every
	// negative, all of them left out by the miner, so they must stay out
	// (-Inf, not +Inf + -Inf = NaN); α·(s - λ) = +Inf too: the loss is 0
	huge := MultiSimilarity{Alpha: 2, Beta: 2, Base: -3e38, Mine: true, Epsilon: 0.1}
	if l, err := huge.Forward(emb, []int32{1, 1, 2, 2}, 2, g); err != nil || l != 0 || !allZero(g) {
		t.Errorf("easy batch, overflowing logits: %v %v %v, want 0 and a zero gradient", l, err, g)
	}
	// without mining the same batch has a small positive loss
	c.Mine = false
	if l, _ := c.Forward(emb, []int32{1, 1, 2, 2}, 2, nil); !(l > 0) {
		t.Errorf("easy batch unmined: loss %v, want > 0", l)
	}
	if l, err := c.Forward([]float32{1, tu.NaN}, []int32{1}, 2, g[:2]); err != nil || l == l || g[0] == g[0] {
		t.Errorf("NaN embedding: %v %v %v, want NaN", l, err, g[:2])
	}
	if l, err := c.Forward(nil, nil, 2, nil); err != nil || l != 0 {
		t.Errorf("empty batch: %v %v", l, err)
	}
}

func TestMultiSimilarityErrors(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	l2 := []int32{1, 2}
	ok := MultiSimilarity{Alpha: 2, Beta: 50, Base: 0.5}
	for _, c := range []struct {
		name, want string
		c          MultiSimilarity
		labels     []int32
		dim, g     int
	}{
		{"alpha", "Alpha = 0", MultiSimilarity{Beta: 1}, l2, 2, 4},
		{"beta", "Beta = -1", MultiSimilarity{Alpha: 1, Beta: -1}, l2, 2, 4},
		{"base", "Base = +Inf", MultiSimilarity{Alpha: 1, Beta: 1, Base: tu.PosInf}, l2, 2, 4},
		{"epsilon", "Epsilon = NaN", MultiSimilarity{Alpha: 1, Beta: 1, Epsilon: tu.NaN}, l2, 2, 4},
		{"dim", "dim = -1", ok, l2, -1, 4},
		{"labels", "len(labels) = 3", ok, []int32{1, 2, 3}, 2, 4},
		{"grad", "len(grad) = 2", ok, l2, 2, 2},
	} {
		g := tu.Filled(c.g)
		errCheck(t, c.name, c.want, [][]float32{g}, func() error {
			_, err := c.c.Forward(x, c.labels, c.dim, g)
			return err
		})
	}
}

func TestMultiSimilarityNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(82, 2))
	emb, g := embeddings(rng, 96, 32), make([]float32, 96*32)
	labels := pkLabels(rng, 96, 4, false)
	c := MultiSimilarity{Alpha: 2, Beta: 50, Base: 0.5, Mine: true, Epsilon: 0.1}
	noAllocs(t, "MultiSimilarity.Forward", func() { _, _ = c.Forward(emb, labels, 32, g) })
}
