package simdloss

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss/kernels"
)

// InfoNCE is the InfoNCE contrastive loss on cosine similarities with a
// temperature, in SimCLR's NT-Xent form (ForwardNTXent) and CLIP's
// symmetric form (ForwardSymmetric). Each is a softmax cross-entropy over a
// similarity matrix: the matrix comes from the Cosines micro-kernel, the
// cross-entropy rows from the fused row kernel, which turns the matrix into
// its own gradient in place, and the backward products from MatMul; beyond
// that matrix no rows×rows buffer is used.
//
// Embeddings are L2-normalised inside (eps 1e-12, as
// torch.nn.functional.normalize), and the gradients flow through the
// normalisation. Temperature must be finite and > 0. NaN or Inf embeddings,
// and embeddings whose squared norm overflows float32 (elements beyond
// about 1e19), make the loss and every gradient element NaN, as in the
// other cosine losses and the triplet miner. (Float32 PyTorch's
// F.normalize turns a row whose norm overflows into zeros instead: its
// loss stays finite and ignores the row.) An InfoNCE is safe for
// concurrent use while its fields are not changed; steady-state calls
// allocate nothing.
type InfoNCE struct {
	Temperature float32 // τ: SimCLR uses 0.5 (or 0.1), CLIP starts at 0.07

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

// ForwardNTXent is SimCLR's NT-Xent: z holds 2N embeddings (rows of dim)
// where rows i and i+N are two views of the same example. Each row is an
// anchor whose positive is its other view and whose negatives are the other
// 2N-2 rows; the loss is the mean over the 2N anchors of
//
//	-log( exp(s(i, pos)/τ) / Σ_{k≠i} exp(s(i, k)/τ) )
//
// with s the cosine similarity. grad (len 2N·dim), when non-nil, receives
// d loss/d z. Errors (nothing written): an odd or zero row count, len(z)
// not a multiple of dim, dim <= 0, a bad temperature, grad of the wrong
// length or overlapping z.
func (c *InfoNCE) ForwardNTXent(z []float32, dim int, grad []float32) (float32, error) {
	const op = "simdloss: InfoNCE.ForwardNTXent"
	if err := c.check(op, dim); err != nil {
		return 0, err
	}
	if len(z) == 0 || len(z)%dim != 0 || len(z)/dim%2 != 0 {
		return 0, fmt.Errorf("%s: len(z) = %d must be 2N rows of dim = %d, N >= 1", op, len(z), dim)
	}
	rows := len(z) / dim
	if grad != nil && len(grad) != len(z) {
		return 0, fmt.Errorf("%s: len(grad) = %d, want len(z) = %d", op, len(grad), len(z))
	}
	if grad != nil && overlaps(grad, z) {
		return 0, fmt.Errorf("%s: grad overlaps z", op)
	}
	set := kernelSet(c.Kernels)
	sc := cosPool.Get().(*cosScratch)
	defer cosPool.Put(sc)
	sc.growAll(rows, rows, dim, false)
	half := rows / 2
	pos := func(i int) int { return (i + half) % rows }
	// An embedding whose squared norm is not finite (NaN, Inf, or elements
	// beyond about 1e19) has no direction: the cosines would take it as a
	// zero row. The loss is NaN, as in float32 PyTorch.
	if grad != nil {
		if !normalise(set, sc.zh, sc.inv, sc.v1, z, rows, dim) {
			return poisoned(grad), nil
		}
	} else if !normsFinite(set, sc.inv, z, rows, dim) {
		return float32(math.NaN()), nil
	}

	s := sc.s
	c.logits(set, sc, s, z, z, rows, rows, dim)
	inf := float32(math.Inf(-1))
	for i := 0; i < rows; i++ {
		s[i*rows+i] = inf // an anchor is not its own negative
		sc.tl[i] = s[i*rows+pos(i)]
	}
	loss := c.crossEntropyRows(set, sc, s, rows, rows, grad != nil, 1/float32(rows), pos)
	if grad == nil {
		return float32(loss / float64(rows)), nil
	}
	// The logits are s/τ: d loss/d s = G/τ (sc.zh and sc.inv hold the
	// normalised rows, from before the logits).
	simBackward(set, sc, grad, 1/c.Temperature, rows, dim)
	return float32(loss / float64(rows)), nil
}

// ForwardSymmetric is the CLIP-style symmetric InfoNCE over N pairs (a_i,
// b_i) (rows of dim): with S = â·b̂ᵀ/τ, the mean of the cross-entropy of
// each row of S with label i (a_i against every b) and of each column with
// label i (b_i against every a), averaged over the two directions. gradA,
// gradB (len N·dim), when non-nil, receive the gradients. The column
// direction recomputes the similarity matrix transposed (b̂·âᵀ) rather than
// keeping a second N×N buffer. Errors as ForwardNTXent, plus a and b of
// different lengths.
func (c *InfoNCE) ForwardSymmetric(a, b []float32, dim int, gradA, gradB []float32) (float32, error) {
	const op = "simdloss: InfoNCE.ForwardSymmetric"
	if err := c.check(op, dim); err != nil {
		return 0, err
	}
	if len(a) == 0 || len(a)%dim != 0 || len(b) != len(a) {
		return 0, fmt.Errorf("%s: len(a) = %d and len(b) = %d must be the same N >= 1 rows of dim = %d", op, len(a), len(b), dim)
	}
	n := len(a) / dim
	for _, g := range []struct {
		name string
		g    []float32
	}{{"gradA", gradA}, {"gradB", gradB}} {
		if g.g == nil {
			continue
		}
		if len(g.g) != len(a) {
			return 0, fmt.Errorf("%s: len(%s) = %d, want %d", op, g.name, len(g.g), len(a))
		}
	}
	if s := overlapping([]named{{"gradA", gradA}, {"gradB", gradB}}, named{"a", a}, named{"b", b}); s != "" {
		return 0, fmt.Errorf("%s: %s", op, s)
	}
	set := kernelSet(c.Kernels)
	sc := cosPool.Get().(*cosScratch)
	defer cosPool.Put(sc)
	sc.growAll(n, n, dim, true)
	diag := func(i int) int { return i }
	wantGrad := gradA != nil || gradB != nil
	finite := false // see ForwardNTXent
	if wantGrad {
		finite = normalise(set, sc.zh, sc.inv, sc.v1, a, n, dim) && normalise(set, sc.zh2, sc.inv2, sc.v1, b, n, dim)
	} else {
		finite = normsFinite(set, sc.inv, a, n, dim) && normsFinite(set, sc.inv2, b, n, dim)
	}
	if !finite {
		poisoned(gradA)
		return poisoned(gradB), nil
	}
	s := sc.s
	total := 0.0
	for dir := 0; dir < 2; dir++ {
		x, y := a, b // rows of S: x against every y
		zx, zy := sc.zh, sc.zh2
		gx, gy := sc.gz, sc.gz2
		if dir == 1 {
			x, y, zx, zy, gx, gy = b, a, sc.zh2, sc.zh, sc.gz2, sc.gz
		}
		c.logits(set, sc, s, x, y, n, n, dim)
		for i := 0; i < n; i++ {
			sc.tl[i] = s[i*n+i]
		}
		total += c.crossEntropyRows(set, sc, s, n, n, wantGrad, 0.5/float32(n), diag)
		if !wantGrad {
			continue
		}
		set.FlushSubnormals(s)
		if dir == 0 {
			set.MatMul(gx, s, zy, n, dim, n, false, false)
			set.MatMul(gy, s, zx, n, dim, n, true, false)
		} else {
			set.MatMulAdd(gx, s, zy, n, dim, n, false, false)
			set.MatMulAdd(gy, s, zx, n, dim, n, true, false)
		}
	}
	loss := float32(total / float64(2*n))
	if gradA != nil {
		normBackward(set, gradA, sc.gz, sc.zh, sc.inv, sc.v1, sc.v2, sc.v3, 1/c.Temperature, n, dim)
	}
	if gradB != nil {
		normBackward(set, gradB, sc.gz2, sc.zh2, sc.inv2, sc.v1, sc.v2, sc.v3, 1/c.Temperature, n, dim)
	}
	return loss, nil
}

func (c *InfoNCE) check(op string, dim int) error {
	if !positive32(c.Temperature) {
		return fmt.Errorf("%s: Temperature = %g must be finite and > 0", op, c.Temperature)
	}
	if dim <= 0 {
		return fmt.Errorf("%s: dim = %d must be positive", op, dim)
	}
	return nil
}

// logits writes s = cos(x_i, y_j)/τ for n rows of x and m of y.
func (c *InfoNCE) logits(set *kernels.Set, sc *cosScratch, s, x, y []float32, n, m, dim int) {
	set.Cosines(s[:n*m], x[:n*dim], y[:m*dim], dim)
	inv := sc.v2[:n]
	for i := range inv {
		inv[i] = 1 / c.Temperature
	}
	clear(sc.v3[:n])
	set.AxpbyRows(s[:n*m], s[:n*m], s[:n*m], inv, sc.v3[:n], m)
}

// crossEntropyRows runs the cross-entropy row kernel over the n×m logits s
// (the label logits already in sc.tl, label(i) the column of row i's label)
// and returns Σ_i -log p(label). With grad, s becomes w·(softmax - onehot)
// in place.
func (c *InfoNCE) crossEntropyRows(set *kernels.Set, sc *cosScratch, s []float32, n, m int, grad bool, w float32, label func(int) int) float64 {
	var g, a, scale []float32
	if grad {
		g, a, scale = s[:n*m], sc.v1[:n], sc.v2[:n]
		for i := range a {
			a[i], scale[i] = 1, w
		}
	}
	set.CrossEntropyRows(g, s[:n*m], nil, 0, a, scale, sc.mx[:n], sc.lsum[:n], nil, m)
	total := 0.0
	for i := 0; i < n; i++ {
		total += float64(sc.lsum[i] - (sc.tl[i] - sc.mx[i]))
		if grad {
			s[i*m+label(i)] -= w
		}
	}
	return total
}
