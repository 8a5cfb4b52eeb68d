package main

import (
	"fmt"
	"math"

	"github.com/simdloss/simdloss"
	"github.com/simdloss/simdloss/kernels"
)

// familyCases are the losses built on the embedding kernels (issue 6). No
// peer has them; each case sets the loss's forward+backward beside "its
// kernels alone": the kernel calls the loss is made of, on buffers of the
// same shapes, with none of the loss's own glue. The ratio of the two is
// the cost of that glue.
func familyCases(batch, d int) []benchCase {
	shape := fmt.Sprintf("%dx%d", batch, d)
	n := float64(batch * d)
	mk := func(kernel string, groupRows, groupCols int, extra string, loss func(set *kernels.Set, emb []float32, labels []int32, grad []float32) float32) benchCase {
		return benchCase{kernel, shape, d, n, 0, 0, func() prepared {
			rng := rngFor("family", shape)
			emb, grad := randn(rng, batch*d), make([]float32, batch*d)
			labels := make([]int32, batch)
			for i := range labels {
				labels[i] = int32(i / 4) // P×K batch, K = 4
			}
			var l float32
			o := func() []float64 { return outs(float64(l), grad) }
			return prepared{[]impl{
				{implSimdloss, func() { l = loss(nil, emb, labels, grad) }, o},
				{implGeneric, func() { l = loss(kernels.Generic, emb, labels, grad) }, o},
				{"its kernels alone", similarityKernels(emb, batch, d, groupRows, groupCols, extra), nil},
			}, nil}
		}}
	}
	return []benchCase{
		mk("InfoNCE NT-Xent fwd+bwd", batch, batch, "", func(set *kernels.Set, z []float32, _ []int32, g []float32) float32 {
			l, _ := (&simdloss.InfoNCE{Temperature: 0.1, Kernels: set}).ForwardNTXent(z, d, g)
			return l
		}),
		// Circle and multi-similarity: one group row of batch+1 logits per
		// anchor for its negatives (its positives' rows, K-1 logits each,
		// are left out of the reference)
		mk("Circle fwd+bwd", batch, batch+1, "circle", func(set *kernels.Set, z []float32, labels []int32, g []float32) float32 {
			l, _ := (&simdloss.Circle{Margin: 0.25, Gamma: 80, Kernels: set}).Forward(z, labels, d, g)
			return l
		}),
		mk("MultiSimilarity+miner fwd+bwd", batch, batch+1, "ms", func(set *kernels.Set, z []float32, labels []int32, g []float32) float32 {
			ms := &simdloss.MultiSimilarity{Alpha: 2, Beta: 50, Base: 0.5, Mine: true, Epsilon: 0.1, Kernels: set}
			l, _ := ms.Forward(z, labels, d, g)
			return l
		}),
	}
}

// marginCase: ArcFace forward+backward (gradients for the embeddings and
// the class weights) beside its kernels alone.
func marginCase(rows, classes, d int) benchCase {
	shape := fmt.Sprintf("%dx%dx%d", rows, classes, d)
	return benchCase{"ArcFace fwd+bwd", shape, d, float64(rows * classes), 0, 6 * float64(rows) * float64(classes) * float64(d), func() prepared {
		rng := rngFor("margin", shape)
		x, w := randn(rng, rows*d), randn(rng, classes*d)
		gx, gw := make([]float32, rows*d), make([]float32, classes*d)
		labels := make([]int32, rows)
		for i := range labels {
			labels[i] = int32(rng.IntN(classes))
		}
		var l float32
		o := func() []float64 { return outs(float64(l), gx, gw) }
		loss := func(set *kernels.Set) func() {
			arc := simdloss.ArcFace(64, 0.5)
			arc.Kernels = set
			return func() { l, _ = arc.Forward(x, w, labels, d, gx, gw) }
		}
		c, xh := make([]float32, rows*classes), make([]float32, rows*d)
		one, dots := ones(max(rows, classes)), make([]float32, max(rows, classes))
		mx, lsum := make([]float32, rows), make([]float32, rows)
		k := simdloss.KernelSet()
		return prepared{[]impl{
			{implSimdloss, loss(nil), o},
			{implGeneric, loss(kernels.Generic), o},
			{"its kernels alone", func() {
				k.Cosines(c, x, w, d)
				k.CrossEntropyRows(c, c, nil, 0, one[:rows], one[:rows], mx, lsum, nil, classes)
				k.FlushSubnormals(c)
				k.DotRows(dots[:rows], x, x, d) // normalise x
				k.AxpbyRows(xh, x, x, one[:rows], one[:rows], d)
				k.MatMul(gw, c, xh, classes, d, rows, true, false) // dŴ = dCᵀ·x̂
				k.DotRows(dots[:classes], w, w, d)                 // w's norms, then through them
				k.DotRows(dots[:classes], gw, w, d)
				k.AxpbyRows(gw, gw, w, one[:classes], one[:classes], d)
				k.MatMul(gx, c, w, rows, d, classes, false, false) // dx̂ = dC·Ŵ
				k.DotRows(dots[:rows], gx, xh, d)                  // through x's norm
				k.AxpbyRows(gx, gx, xh, one[:rows], one[:rows], d)
			}, nil},
		}, nil}
	}}
}

// focalCase: the softmax focal loss forward+backward beside its kernels
// alone (the cross-entropy row kernel writing the softmax, the per-row focal
// terms and the row scaling).
func focalCase(rows, cols int) benchCase {
	shape := fmt.Sprintf("%dx%d", rows, cols)
	return benchCase{"Focal fwd+bwd", shape, cols, float64(rows * cols), 0, 0, func() prepared {
		in := newRowInputs(rows, cols, shape)
		var l float32
		o := func() []float64 { return outs(float64(l), in.y) }
		loss := func(set *kernels.Set) func() {
			f := &simdloss.Focal{Gamma: 2, Kernels: set}
			return func() { l, _ = f.Forward(in.x, in.labels, cols, nil, in.y) }
		}
		one, zero := ones(rows), make([]float32, rows)
		lp, terms, coef := make([]float32, rows), make([]float32, rows), make([]float32, rows)
		k := simdloss.KernelSet()
		return prepared{[]impl{
			{implSimdloss, loss(nil), o},
			{implGeneric, loss(kernels.Generic), o},
			{"its kernels alone", func() {
				k.CrossEntropyRows(in.y, in.x, nil, 0, one, one, in.l, zero, nil, cols)
				k.FocalTerms(terms, coef, lp, one, 2, 1)
				k.AxpbyRows(in.y, in.y, in.y, one, zero, cols)
			}, nil},
		}, nil}
	}}
}

// sigmoidFocalCase: the sigmoid focal loss (elementwise: an exponential, a
// logarithm and two divisions per element) on the dispatched and the
// generic kernels, beside its kernel alone (without the target check and
// the sum), against torchvision's formula in torch.
func sigmoidFocalCase(rows, cols int) benchCase {
	shape := fmt.Sprintf("%dx%d", rows, cols)
	n := rows * cols
	const alpha, gamma = 0.25, 2
	return benchCase{"SigmoidFocal fwd+bwd", shape, cols, float64(n), 0, 0, func() prepared {
		rng := rngFor("sigmoid", shape)
		x, tg, g := randn(rng, n), make([]float32, n), make([]float32, n)
		for i := range tg {
			if rng.IntN(cols) == 0 { // about one positive class per row
				tg[i] = 1
			}
		}
		var l float32
		o := func() []float64 { return outs(float64(l), g) }
		loss := func(set *kernels.Set) func() {
			f := &simdloss.SigmoidFocal{Alpha: alpha, Gamma: gamma, Kernels: set}
			return func() { l, _ = f.Forward(x, tg, nil, g) }
		}
		k, per := simdloss.KernelSet(), make([]float32, n)
		return prepared{[]impl{
			{implSimdloss, loss(nil), o},
			{implGeneric, loss(kernels.Generic), o},
			{"its kernel alone", func() { k.SigmoidFocal(per, g, x, tg, alpha, 1-alpha, gamma, 1/float32(n)) }, nil},
		}, &torchCall{Op: "sigmoid_focal_grad", Args: []torchArg{f32Arg(x, rows, cols), f32Arg(tg, rows, cols)},
			Params: map[string]float64{"alpha": alpha, "gamma": gamma}}}
	}}
}

// pairedCases: the losses on paired rows (Centre, Contrastive,
// LosslessTriplet), forward+backward beside their kernels alone.
func pairedCases(rows, d int) []benchCase {
	shape := fmt.Sprintf("%dx%d", rows, d)
	n := rows * d
	type bufs struct {
		a, b, c, ga, gb, gc, dist, dist2, k, nk []float32
		labels                                  []int32
		similar                                 []bool
		centres                                 []float32
	}
	mk := func(kernel string, loss func(set *kernels.Set, in *bufs) float32, alone func(k *kernels.Set, in *bufs)) benchCase {
		return benchCase{kernel, shape, d, float64(n), 0, 0, func() prepared {
			rng := rngFor("paired", shape)
			in := &bufs{a: randn(rng, n), b: randn(rng, n), c: randn(rng, n), ga: make([]float32, n), gb: make([]float32, n), gc: make([]float32, n),
				dist: make([]float32, rows), dist2: make([]float32, rows), k: ones(rows), nk: ones(rows),
				labels: make([]int32, rows), similar: make([]bool, rows), centres: randn(rng, 100*d)}
			for _, x := range [][]float32{in.a, in.b, in.c} { // in [0, 1], for the lossless triplet
				for i, v := range x {
					x[i] = float32(1 / (1 + math.Exp(-float64(v))))
				}
			}
			for i := range in.labels {
				in.labels[i], in.similar[i] = int32(rng.IntN(100)), rng.IntN(2) == 0
			}
			var l float32
			o := func() []float64 { return outs(float64(l), in.ga, in.gb) }
			k := simdloss.KernelSet()
			return prepared{[]impl{
				{implSimdloss, func() { l = loss(nil, in) }, o},
				{implGeneric, func() { l = loss(kernels.Generic, in) }, o},
				{"its kernels alone", func() { alone(k, in) }, nil},
			}, nil}
		}}
	}
	return []benchCase{
		mk("Centre fwd+bwd", func(set *kernels.Set, in *bufs) float32 {
			l, _ := (&simdloss.Centre{Kernels: set}).Forward(in.a, in.centres, in.labels, d, nil, in.ga)
			return l
		}, func(k *kernels.Set, in *bufs) {
			k.SquaredL2RowsIdx(in.dist, in.a, in.centres, in.labels, d)
			k.AxpbyRowsIdx(in.ga, in.a, in.centres, in.k, in.nk, in.labels, d)
		}),
		mk("Contrastive fwd+bwd", func(set *kernels.Set, in *bufs) float32 {
			l, _ := (&simdloss.Contrastive{Margin: 1, Kernels: set}).Forward(in.a, in.b, in.similar, d, nil, in.ga, in.gb)
			return l
		}, func(k *kernels.Set, in *bufs) {
			k.SquaredL2Rows(in.dist, in.a, in.b, d)
			k.AxpbyRows(in.ga, in.a, in.b, in.k, in.nk, d)
			k.AxpbyRows(in.gb, in.a, in.b, in.nk, in.k, d)
		}),
		mk("LosslessTriplet fwd+bwd", func(set *kernels.Set, in *bufs) float32 {
			l, _ := (&simdloss.LosslessTriplet{Eps: 1e-8, Kernels: set}).Forward(in.a, in.b, in.c, d, nil, in.ga, in.gb, in.gc)
			return l
		}, func(k *kernels.Set, in *bufs) {
			k.SquaredL2Rows(in.dist, in.a, in.b, d)
			k.SquaredL2Rows(in.dist2, in.a, in.c, d)
			k.TripletGradRows(in.ga, in.gb, in.gc, in.a, in.b, in.c, in.k, in.nk, nil, 0, d)
		}),
	}
}

// similarityKernels returns the kernel calls of a loss on the cosine
// self-similarities of batch rows of emb: the normalisation, the
// similarity matrix, the cross-entropy row kernel over groupRows rows of
// groupCols logits (the loss's log-sum-exps and softmax), and the backward
// through the similarities and the normalisation.
// extra names the elementwise kernels a loss adds over the batch×batch
// similarities: "ms" multi-similarity's negatives pass (MaskedAffine),
// "circle" circle loss's negative logits and gradients.
func similarityKernels(emb []float32, batch, d, groupRows, groupCols int, extra string) func() {
	s, zh := make([]float32, batch*batch), make([]float32, batch*d)
	gz, out := make([]float32, batch*d), make([]float32, batch*d)
	groups := make([]float32, groupRows*groupCols)
	one, dots := ones(max(batch, groupRows)), make([]float32, max(batch, groupRows))
	stats := make([]float32, 2*groupRows)
	k := simdloss.KernelSet()
	return func() {
		k.DotRows(dots[:batch], emb, emb, d) // normalise
		k.AxpbyRows(zh, emb, emb, one[:batch], one[:batch], d)
		k.Cosines(s, emb, emb, d)
		for i := 0; i < batch && extra != ""; i++ {
			row, g := s[i*batch:(i+1)*batch], groups[i*groupCols:i*groupCols+batch]
			if extra == "ms" {
				k.MaskedAffine(g, row, 0.5, 0.1, 50, 0.5)
			} else {
				k.CircleLogits(g, row, 80, 0.25)
				k.CircleGrads(row, g, 0.3, 0.25)
			}
		}
		clear(groups) // finite logits
		k.CrossEntropyRows(groups, groups, nil, 0, one[:groupRows], one[:groupRows], stats[:groupRows], stats[groupRows:], nil, groupCols)
		k.Symmetrize(s, batch) // dS + dSᵀ
		k.FlushSubnormals(s)
		k.MatMul(gz, s, zh, batch, d, batch, false, false) // (dS + dSᵀ)·Ẑ
		k.DotRows(dots[:batch], gz, zh, d)                 // through the normalisation
		k.AxpbyRows(out, gz, zh, one[:batch], one[:batch], d)
	}
}

func ones(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 1
	}
	return x
}
