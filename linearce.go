package simdloss

import (
	"fmt"
	"math"
	"strings"
	"sync"
)

// LinearCrossEntropy is the cross-entropy of the logits of a linear layer,
// logits = hidden·weightᵀ (hidden rows×dim, weight V×dim: one row per class),
// computed without materialising the rows×V logits: for vocabularies of 32k
// to 256k classes the logits would dwarf everything else.
//
// It streams over the classes in blocks. A forward sweep computes each
// block of logits (a tile of BlockRows×BlockCols, with the Dots
// micro-kernel), reduces it with the cross-entropy row kernel to each row's
// block maximum and log-sum-exp, and combines the blocks with an online
// log-sum-exp. When gradients are asked for, a backward sweep recomputes
// each tile, turns it in place into d loss/d logits with the same row kernel
// (its softmax rescaled by exp(lse_block - lse)), and accumulates
// gradHidden += G·W_block and gradWeight_block += Gᵀ·hidden_rows with the
// micro-kernel's accumulating product (MatMulAdd). Gradient entries of
// magnitude below 2^-126 are flushed to zero before those products (they
// change nothing that float32 can hold, and subnormal operands are very slow
// on x86). Extra memory: a few values per row and per row and block, and
// one tile.
//
// The embedded CrossEntropy gives the semantics (PyTorch's cross_entropy on
// the logits): ClassWeights (len V), LabelSmoothing, IgnoreIndex, Reduction,
// Kernels. Labels are class indices in [0, V). The block sizes change the
// order of the floating-point sums and so the last bits of the results
// (every kernel set still agrees bit for bit for the same block sizes).
//
// A LinearCrossEntropy is safe for concurrent use while its fields are not
// changed; steady-state calls allocate nothing.
type LinearCrossEntropy struct {
	CrossEntropy
	// BlockRows and BlockCols are the tile of logits computed at a time;
	// 0 means 256 rows and 2048 classes (a 2 MiB tile).
	BlockRows, BlockCols int
}

type linearScratch struct {
	tile         []float32 // BlockRows×BlockCols logits, then gradients
	mx, lsum, zw []float32 // per row of a tile
	a, scale     []float32 // per row of a tile: the gradient's coefficients
	lse, wz      []float64 // per row: running log-sum-exp, Σ_k w_k·z_k
	zy           []float32 // per row: the label's logit
	blockLSE     []float64 // per row and block: the block's log-sum-exp
	wsumBlock    []float64 // per block: Σ of the class weights in it
}

var linearPool = sync.Pool{New: func() any { return new(linearScratch) }}

func growF32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func growF64(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// Forward returns the reduced loss of labels given the logits hidden·weightᵀ
// (for None: the sum). perRow (len rows), when non-nil, receives each row's
// loss; gradHidden (len rows*dim) and gradWeight (len V*dim), when non-nil,
// receive d loss/d hidden and d loss/d weight (for None: of the sum of the
// per-row losses).
//
// Errors (nothing is written when an error is returned): len(hidden) or
// len(weight) not a multiple of dim, dim <= 0 with data, no class, len(labels)
// != rows, a label outside [0, V) that is not the ignore index, the
// CrossEntropy options' errors (weights, smoothing, ignore index,
// reduction), outputs of the wrong length, an output overlapping an input
// (hidden, weight, ClassWeights) or another output, negative block sizes.
func (c *LinearCrossEntropy) Forward(hidden, weight []float32, labels []int32, dim int, perRow, gradHidden, gradWeight []float32) (float32, error) {
	rows, classes, denom, err := c.validate(hidden, weight, labels, dim, perRow, gradHidden, gradWeight)
	if err != nil {
		return 0, err
	}
	if rows == 0 {
		if gradWeight != nil {
			clear(gradWeight)
		}
		return c.empty(), nil
	}
	set := kernelSet(c.Kernels)
	br, bc := c.BlockRows, c.BlockCols
	if br == 0 {
		br = 256
	}
	if bc == 0 {
		bc = 2048
	}
	br, bc = min(br, rows), min(bc, classes)
	nb := (classes + bc - 1) / bc

	w := c.ClassWeights
	keep := 1 - c.LabelSmoothing
	k := c.LabelSmoothing / float32(classes)
	smooth := k != 0
	wsum := float64(classes)
	if w != nil {
		wsum = 0
		for _, v := range w {
			wsum += float64(v)
		}
	}
	kW := float32(k * float32(wsum))
	if c.Reduction != Mean {
		denom = 1
	}
	inv := float32(1 / denom)

	sc := linearPool.Get().(*linearScratch)
	defer linearPool.Put(sc)
	sc.tile = growF32(sc.tile, br*bc)
	sc.mx, sc.lsum, sc.zw = growF32(sc.mx, br), growF32(sc.lsum, br), growF32(sc.zw, br)
	sc.a, sc.scale = growF32(sc.a, br), growF32(sc.scale, br)
	sc.lse, sc.wz, sc.zy = growF64(sc.lse, rows), growF64(sc.wz, rows), growF32(sc.zy, rows)
	sc.blockLSE = growF64(sc.blockLSE, rows*nb)
	sc.wsumBlock = growF64(sc.wsumBlock, nb)
	for b := 0; b < nb; b++ {
		b0, b1 := b*bc, min(classes, (b+1)*bc)
		if w == nil {
			sc.wsumBlock[b] = float64(b1 - b0)
			continue
		}
		t := 0.0
		for _, v := range w[b0:b1] {
			t += v64(v)
		}
		sc.wsumBlock[b] = t
	}

	// Forward sweep: every row's log-sum-exp, label logit and Σ w·z.
	for r0 := 0; r0 < rows; r0 += br {
		n := min(br, rows-r0)
		h := hidden[r0*dim : (r0+n)*dim]
		for i := 0; i < n; i++ {
			sc.lse[r0+i], sc.wz[r0+i] = math.Inf(-1), 0
		}
		for b := 0; b < nb; b++ {
			b0, b1 := b*bc, min(classes, (b+1)*bc)
			vb := b1 - b0
			z := sc.tile[:n*vb]
			set.Dots(z, h, weight[b0*dim:b1*dim], dim)
			var zw []float32
			if smooth {
				zw = sc.zw[:n]
			}
			set.CrossEntropyRows(nil, z, blockWeights(w, b0, b1), 0, nil, nil, sc.mx[:n], sc.lsum[:n], zw, vb)
			for i := 0; i < n; i++ {
				r := r0 + i
				lb := v64(sc.mx[i]) + v64(sc.lsum[i])
				sc.blockLSE[r*nb+b] = lb
				sc.lse[r] = logAddExp(sc.lse[r], lb)
				if y := int(labels[r]); y >= b0 && y < b1 {
					sc.zy[r] = z[i*vb+y-b0]
				}
				if smooth {
					// Σ_k w_k·z_k over the block = Σ w·(z - m) + m·Σ w
					sc.wz[r] += v64(sc.zw[i]) + v64(sc.mx[i])*sc.wsumBlock[b]
				}
			}
		}
	}

	// The loss.
	total := 0.0
	for r, y := range labels {
		if y < 0 {
			if perRow != nil {
				perRow[r] = 0
			}
			continue
		}
		l := float64(keep) * v64(classWeight(w, y)) * (sc.lse[r] - v64(sc.zy[r]))
		if smooth {
			l += float64(k) * (wsum*sc.lse[r] - sc.wz[r])
		}
		if perRow != nil {
			perRow[r] = float32(l)
		}
		total += l
	}
	if c.Reduction == Mean {
		total /= denom
	}
	if gradHidden == nil && gradWeight == nil {
		return float32(total), nil
	}

	// Backward sweep: recompute each tile, turn it into d loss/d logits in
	// place, and accumulate both gradients.
	for r0 := 0; r0 < rows; r0 += br {
		n := min(br, rows-r0)
		h := hidden[r0*dim : (r0+n)*dim]
		for b := 0; b < nb; b++ {
			b0, b1 := b*bc, min(classes, (b+1)*bc)
			vb := b1 - b0
			z := sc.tile[:n*vb]
			set.Dots(z, h, weight[b0*dim:b1*dim], dim)
			for i := 0; i < n; i++ {
				r := r0 + i
				y := labels[r]
				if y < 0 {
					sc.a[i], sc.scale[i] = 0, 0
					continue
				}
				// softmax over all classes = this block's softmax·exp(lse_b - lse)
				f := math.Exp(sc.blockLSE[r*nb+b] - sc.lse[r])
				sc.a[i] = float32(float64(float32(keep*classWeight(w, y))+kW) * f)
				sc.scale[i] = inv
			}
			set.CrossEntropyRows(z, z, blockWeights(w, b0, b1), k, sc.a[:n], sc.scale[:n], sc.mx[:n], sc.lsum[:n], nil, vb)
			for i := 0; i < n; i++ {
				y := int(labels[r0+i])
				switch {
				case y < 0:
					clear(z[i*vb : (i+1)*vb])
				case y >= b0 && y < b1:
					z[i*vb+y-b0] -= float32(inv * float32(keep*classWeight(w, int32(y))))
				}
			}
			// Gradient entries below 2^-126 (far-out classes of a peaked
			// softmax) would cost a microcode assist per multiply-add in
			// the products below on many x86 cores; they add nothing.
			set.FlushSubnormals(z)
			if gradHidden != nil {
				gh := gradHidden[r0*dim : (r0+n)*dim]
				if b == 0 {
					set.MatMul(gh, z, weight[b0*dim:b1*dim], n, dim, vb, false, false)
				} else {
					set.MatMulAdd(gh, z, weight[b0*dim:b1*dim], n, dim, vb, false, false)
				}
			}
			if gradWeight != nil {
				gw := gradWeight[b0*dim : b1*dim]
				if r0 == 0 {
					set.MatMul(gw, z, h, vb, dim, n, true, false)
				} else {
					set.MatMulAdd(gw, z, h, vb, dim, n, true, false)
				}
			}
		}
	}
	return float32(total), nil
}

func v64(v float32) float64 { return float64(v) }

// logAddExp returns log(exp(x) + exp(y)) without overflow; -Inf is neutral
// and NaN propagates.
func logAddExp(x, y float64) float64 {
	if x < y {
		x, y = y, x
	}
	if math.IsInf(y, -1) {
		return x
	}
	if x != x || y != y {
		return math.NaN()
	}
	return x + math.Log1p(math.Exp(y-x))
}

func blockWeights(w []float32, b0, b1 int) []float32 {
	if w == nil {
		return nil
	}
	return w[b0:b1]
}

func (c *LinearCrossEntropy) validate(hidden, weight []float32, labels []int32, dim int, perRow, gradHidden, gradWeight []float32) (rows, classes int, denom float64, err error) {
	const op = "simdloss: LinearCrossEntropy.Forward"
	if (len(hidden) > 0 || len(weight) > 0) && dim <= 0 {
		return 0, 0, 0, fmt.Errorf("%s: dim = %d must be positive", op, dim)
	}
	if dim > 0 {
		if len(hidden)%dim != 0 {
			return 0, 0, 0, fmt.Errorf("%s: len(hidden) = %d is not a multiple of dim = %d", op, len(hidden), dim)
		}
		if len(weight)%dim != 0 {
			return 0, 0, 0, fmt.Errorf("%s: len(weight) = %d is not a multiple of dim = %d", op, len(weight), dim)
		}
		rows, classes = len(hidden)/dim, len(weight)/dim
	}
	switch {
	case rows > 0 && classes == 0:
		return 0, 0, 0, fmt.Errorf("%s: weight has no class (len %d)", op, len(weight))
	case len(labels) != rows:
		return 0, 0, 0, fmt.Errorf("%s: len(labels) = %d, want rows = %d", op, len(labels), rows)
	case c.BlockRows < 0 || c.BlockCols < 0:
		return 0, 0, 0, fmt.Errorf("%s: BlockRows = %d and BlockCols = %d must not be negative", op, c.BlockRows, c.BlockCols)
	case perRow != nil && len(perRow) != rows:
		return 0, 0, 0, fmt.Errorf("%s: len(perRow) = %d, want rows = %d", op, len(perRow), rows)
	case gradHidden != nil && len(gradHidden) != len(hidden):
		return 0, 0, 0, fmt.Errorf("%s: len(gradHidden) = %d, want len(hidden) = %d", op, len(gradHidden), len(hidden))
	case gradWeight != nil && len(gradWeight) != len(weight):
		return 0, 0, 0, fmt.Errorf("%s: len(gradWeight) = %d, want len(weight) = %d", op, len(gradWeight), len(weight))
	}
	if s := overlapping([]named{{"gradHidden", gradHidden}, {"gradWeight", gradWeight}, {"perRow", perRow}},
		named{"hidden", hidden}, named{"weight", weight}, named{"ClassWeights", c.ClassWeights}); s != "" {
		return 0, 0, 0, fmt.Errorf("%s: %s", op, s)
	}
	// The options, checked as CrossEntropy checks them, with V columns.
	if _, err := c.CrossEntropy.validate(kernelSet(c.Kernels), "Forward", nil, classes, nil, nil, nil); err != nil {
		return 0, 0, 0, fmt.Errorf("%s", strings.Replace(err.Error(), "simdloss: CrossEntropy.Forward", op, 1))
	}
	// The labels' check and the mean's denominator Σ_kept w_y, as CrossEntropy
	// takes them.
	denom, bad, _ := kernelSet(c.Kernels).LabelWeights(labels, c.ClassWeights, nil, classes, c.IgnoreIndex)
	if bad >= 0 {
		return 0, 0, 0, fmt.Errorf("%s: labels[%d] = %d is outside [0, %d) and not the ignore index", op, bad, labels[bad], classes)
	}
	return rows, classes, denom, nil
}
