package main

import (
	"fmt"

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
	g := kernels.Generic
	mk := func(kernel string, build func(emb, grad []float32, set *kernels.Set) (func() float32, func())) benchCase {
		return benchCase{kernel, shape, d, n, 0, 0, func() prepared {
			rng := rngFor("family", shape)
			emb, grad := randn(rng, batch*d), make([]float32, batch*d)
			var loss float32
			o := func() []float64 { return outs(float64(loss), grad) }
			run, alone := build(emb, grad, nil)
			runG, _ := build(emb, grad, g)
			return prepared{[]impl{
				{implSimdloss, func() { loss = run() }, o},
				{implGeneric, func() { loss = runG() }, o},
				{"its kernels alone", alone, nil},
			}, nil}
		}}
	}
	return []benchCase{
		mk("InfoNCE NT-Xent fwd+bwd", func(z, grad []float32, set *kernels.Set) (func() float32, func()) {
			c := &simdloss.InfoNCE{Temperature: 0.1, Kernels: set}
			s, zh, gz, gz2 := make([]float32, batch*batch), make([]float32, batch*d), make([]float32, batch*d), make([]float32, batch*d)
			ones, mx, lsum, dots := ones(batch), make([]float32, batch), make([]float32, batch), make([]float32, batch)
			k := simdloss.KernelSet()
			return func() float32 { l, _ := c.ForwardNTXent(z, d, grad); return l }, func() {
				k.Cosines(s, z, z, d)
				k.CrossEntropyRows(s, s, nil, 0, ones, ones, mx, lsum, nil, batch)
				k.FlushSubnormals(s)
				k.DotRows(dots, z, z, d) // normalise
				k.AxpbyRows(zh, z, z, ones, ones, d)
				k.MatMul(gz, s, zh, batch, d, batch, false, false)
				k.MatMulAdd(gz, s, zh, batch, d, batch, true, false)
				k.DotRows(dots, gz, zh, d) // through the normalisation
				k.AxpbyRows(gz2, gz, zh, ones, ones, d)
			}
		}),
	}
}

func ones(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 1
	}
	return x
}
