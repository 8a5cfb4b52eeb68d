package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/simdloss/simdloss"
	"github.com/simdloss/simdloss/kernels"
)

// impl is one implementation of a kernel, ready to run on prepared buffers.
type impl struct {
	name string
	run  func()
}

// benchCase is one kernel at one shape with every implementation to compare.
type benchCase struct {
	kernel string
	shape  string
	elems  float64 // elements of the main input (ns/element)
	bytes  float64 // bytes the kernel must move at least (GB/s), 0 if not reported
	flops  float64 // flops counted as in the anchors (GFLOP/s), 0 if not reported
	impls  []impl
}

var (
	softmaxShapes = [][2]int{{4096, 10}, {1024, 128}, {256, 1000}, {64, 32000}, {8, 262144}}
	l2Shapes      = [][3]int{{256, 256, 128}, {1024, 1024, 128}, {1024, 1024, 512}, {4096, 4096, 64}}
	l2RowsShapes  = [][2]int{{1024, 128}, {1024, 512}}
	tripletShapes = [][2]int{{1024, 128}, {1024, 512}}
	minerShapes   = [][2]int{{256, 128}}
)

func randn(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// cases builds every benchmark case; the buffers are allocated once here.
func cases() []benchCase {
	rng := rand.New(rand.NewPCG(1, 2))
	g := kernels.Generic
	var cs []benchCase
	for _, sh := range softmaxShapes {
		rows, cols := sh[0], sh[1]
		n := rows * cols
		x, y, l := randn(rng, n), make([]float32, n), make([]float32, rows)
		shape := fmt.Sprintf("%dx%d", rows, cols)
		cs = append(cs,
			benchCase{"Softmax", shape, float64(n), 8 * float64(n), 0, []impl{
				{"simdloss", func() { simdloss.Softmax(y, x, cols) }},
				{"generic", func() { g.Softmax(y, x, cols) }},
				{"naive", func() { naiveSoftmax(y, x, cols) }},
			}},
			benchCase{"LogSoftmax", shape, float64(n), 8 * float64(n), 0, []impl{
				{"simdloss", func() { simdloss.LogSoftmax(y, x, cols) }},
				{"generic", func() { g.LogSoftmax(y, x, cols) }},
				{"naive", func() { naiveLogSoftmax(y, x, cols) }},
			}},
			benchCase{"LogSumExp", shape, float64(n), 4*float64(n) + 4*float64(rows), 0, []impl{
				{"simdloss", func() { simdloss.LogSumExp(l, x, cols) }},
				{"generic", func() { g.LogSumExp(l, x, cols) }},
				{"naive", func() { naiveLogSumExp(l, x, cols) }},
			}},
		)
		labels := make([]int32, rows)
		for i := range labels {
			labels[i] = int32(rng.IntN(cols))
		}
		cw := make([]float32, cols)
		for i := range cw {
			cw[i] = 0.5 + rng.Float32()
		}
		ce := &simdloss.CrossEntropy{ClassWeights: cw}
		ceg := &simdloss.CrossEntropy{ClassWeights: cw, Kernels: g}
		cs = append(cs,
			benchCase{"CrossEntropy fwd (weighted)", shape, float64(n), 4 * float64(n), 0, []impl{
				{"simdloss", func() { _, _ = ce.Forward(x, labels, cols, nil, nil) }},
				{"generic", func() { _, _ = ceg.Forward(x, labels, cols, nil, nil) }},
				{"naive", func() { naiveCrossEntropy(x, labels, cw, cols, nil) }},
			}},
			benchCase{"CrossEntropy fwd+bwd (weighted)", shape, float64(n), 8 * float64(n), 0, []impl{
				{"simdloss", func() { _, _ = ce.Forward(x, labels, cols, nil, y) }},
				{"generic", func() { _, _ = ceg.Forward(x, labels, cols, nil, y) }},
				{"naive", func() { naiveCrossEntropy(x, labels, cw, cols, y) }},
			}},
		)
	}
	for _, sh := range l2Shapes {
		m, n, d := sh[0], sh[1], sh[2]
		a, b, dst := randn(rng, m*d), randn(rng, n*d), make([]float32, m*n)
		cs = append(cs, benchCase{"SquaredL2", fmt.Sprintf("%dx%dx%d", m, n, d), float64(m * n), 0, 2 * float64(m) * float64(n) * float64(d), []impl{
			{"simdloss", func() { simdloss.SquaredL2(dst, a, b, d) }},
			{"generic", func() { g.SquaredL2(dst, a, b, d) }},
			{"naive", func() { naiveSquaredL2(dst, a, b, d) }},
		}})
	}
	for _, sh := range tripletShapes {
		rows, d := sh[0], sh[1]
		a, p, ng := randn(rng, rows*d), randn(rng, rows*d), randn(rng, rows*d)
		ga, gp, gn := make([]float32, rows*d), make([]float32, rows*d), make([]float32, rows*d)
		tr := &simdloss.Triplet{Margin: 1, Distance: simdloss.Euclidean, Eps: 1e-6}
		trg := &simdloss.Triplet{Margin: 1, Distance: simdloss.Euclidean, Eps: 1e-6, Kernels: g}
		shape := fmt.Sprintf("%dx%d", rows, d)
		cs = append(cs,
			benchCase{"Triplet fwd", shape, float64(rows * d), 12 * float64(rows*d), 0, []impl{
				{"simdloss", func() { _, _ = tr.Forward(a, p, ng, d, nil, nil, nil, nil) }},
				{"generic", func() { _, _ = trg.Forward(a, p, ng, d, nil, nil, nil, nil) }},
				{"naive", func() { naiveTriplet(a, p, ng, d, nil, nil, nil) }},
			}},
			benchCase{"Triplet fwd+bwd", shape, float64(rows * d), 24 * float64(rows*d), 0, []impl{
				{"simdloss", func() { _, _ = tr.Forward(a, p, ng, d, nil, ga, gp, gn) }},
				{"generic", func() { _, _ = trg.Forward(a, p, ng, d, nil, ga, gp, gn) }},
				{"naive", func() { naiveTriplet(a, p, ng, d, ga, gp, gn) }},
			}},
		)
	}
	for _, sh := range minerShapes {
		rows, d := sh[0], sh[1]
		emb, grad := randn(rng, rows*d), make([]float32, rows*d)
		labels := make([]int32, rows)
		for i := range labels {
			labels[i] = int32(i / 4) // P×K batch, K = 4
		}
		for _, mining := range []simdloss.Mining{simdloss.BatchHard, simdloss.SemiHard, simdloss.BatchAll} {
			m := &simdloss.TripletMiner{Triplet: simdloss.Triplet{Margin: 0.2}, Mining: mining}
			mg := &simdloss.TripletMiner{Triplet: simdloss.Triplet{Margin: 0.2, Kernels: g}, Mining: mining}
			sq := make([]float32, rows*rows)
			cs = append(cs, benchCase{"Miner " + mining.String() + " fwd+bwd", fmt.Sprintf("%dx%d", rows, d), float64(rows * d), 0, 4 * float64(rows) * float64(rows) * float64(d), []impl{
				{"simdloss", func() { _, _ = m.Forward(emb, labels, d, grad) }},
				{"generic", func() { _, _ = mg.Forward(emb, labels, d, grad) }},
				{"SquaredL2 alone", func() { simdloss.SquaredL2(sq, emb, emb, d) }},
			}})
		}
	}
	for _, sh := range l2RowsShapes {
		rows, d := sh[0], sh[1]
		a, b, dst := randn(rng, rows*d), randn(rng, rows*d), make([]float32, rows)
		cs = append(cs, benchCase{"SquaredL2Rows", fmt.Sprintf("%dx%d", rows, d), float64(rows * d), 8 * float64(rows*d), 0, []impl{
			{"simdloss", func() { simdloss.SquaredL2Rows(dst, a, b, d) }},
			{"generic", func() { g.SquaredL2Rows(dst, a, b, d) }},
			{"naive", func() { naiveSquaredL2Rows(dst, a, b, d) }},
		}})
	}
	return cs
}
