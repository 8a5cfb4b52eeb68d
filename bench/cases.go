package main

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/simdloss/simdloss"
	"github.com/simdloss/simdloss/kernels"
)

// Implementation (column) names, in table order. generic and naive are
// simdloss's own portable path and a plain Go loop; the rest are peers.
const (
	implSimdloss = "simdloss"
	implGeneric  = "generic"
	implNaive    = "naive"
	implGonum    = "gonum"
	implGonum32  = "gonum32"
	implVek      = "vek"
	implArchsimd = "archsimd"
	implTorch    = "torch"
)

// allImpls is every column in table order; torch is measured by the helper
// script (torch.go), all others in this process.
var allImpls = []string{implSimdloss, implGeneric, implNaive, implGonum, implGonum32, implVek, implArchsimd, implTorch}

// impl is one implementation of a kernel, ready to run on prepared buffers.
type impl struct {
	name string
	run  func()
	// out returns the result of the last run, widened to float64: the loss
	// first where there is one, then the outputs (gradients) in order. Tests
	// compare it with simdloss's; nil means there is nothing to compare.
	out func() []float64
}

// benchCase is one kernel at one shape. Its buffers are allocated by prepare,
// only when the case is measured, so that filtering is cheap and one case's
// buffers can be freed before the next.
type benchCase struct {
	kernel  string
	shape   string
	rowLen  int     // the length of one row (cols or dim): the x axis of -plot
	elems   float64 // elements of the main input (ns/element)
	bytes   float64 // bytes the kernel must move at least (GB/s), 0 if not reported
	flops   float64 // flops counted as in the anchors (GFLOP/s), 0 if not reported
	prepare func() prepared
}

// prepared holds a case's implementations over one set of inputs, and the
// equivalent PyTorch call on the same inputs (nil when torch has none).
type prepared struct {
	impls []impl
	torch *torchCall
}

// shapeSet lists the shapes the cases are built for.
type shapeSet struct {
	softmax [][2]int // rows, cols: softmax family and cross-entropy
	l2      [][3]int // m, n, dim: SquaredL2 and Dots
	l2Rows  [][2]int // rows, dim
	triplet [][2]int // batch, dim
	miner   [][2]int // batch, dim
	linear  [][3]int // rows, classes, dim: LinearCrossEntropy
	family  [][2]int // batch, dim: the embedding losses of family.go
	margin  [][3]int // rows, classes, dim: MarginSoftmax
	sigmoid [][2]int // rows, classes: SigmoidFocal (elementwise)
}

// defaultShapes are the anchors' shapes (../shared/anchors.md) plus the
// losses' own.
var defaultShapes = shapeSet{
	softmax: [][2]int{{4096, 10}, {1024, 128}, {256, 1000}, {64, 32000}, {8, 262144}},
	l2:      [][3]int{{256, 256, 128}, {1024, 1024, 128}, {1024, 1024, 512}, {4096, 4096, 64}},
	l2Rows:  [][2]int{{1024, 128}, {1024, 512}},
	triplet: [][2]int{{1024, 128}, {1024, 512}},
	miner:   [][2]int{{256, 128}},
	linear:  [][3]int{{256, 32000, 256}},
	family:  [][2]int{{512, 128}, {512, 512}},
	margin:  [][3]int{{256, 8192, 128}},
	sigmoid: [][2]int{{4096, 80}}, // anchors × classes of a RetinaNet-style head
}

// tinyShapes is a smoke-test set (-shapes tiny, and the tests): odd sizes
// that exercise every implementation's tails.
var tinyShapes = shapeSet{
	softmax: [][2]int{{7, 10}, {3, 37}, {2, 300}},
	l2:      [][3]int{{5, 9, 13}, {4, 6, 70}},
	l2Rows:  [][2]int{{6, 19}, {3, 70}},
	triplet: [][2]int{{8, 17}, {4, 40}},
	miner:   [][2]int{{16, 12}},
	linear:  [][3]int{{6, 37, 9}},
	family:  [][2]int{{10, 13}},
	margin:  [][3]int{{6, 37, 9}},
	sigmoid: [][2]int{{7, 10}},
}

func randn(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// rngFor seeds the inputs from the shape alone, so that every kernel at one
// shape (Softmax, LogSoftmax, … at 1024x128) sees the same inputs.
func rngFor(what, shape string) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s", what, shape)
	return rand.New(rand.NewPCG(h.Sum64(), 2))
}

// widen returns x as float64 (for gonum, whose floats and mat packages work
// on float64, and for comparisons).
func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// outs concatenates a loss and float32 outputs as float64.
func outs(loss float64, ys ...[]float32) []float64 {
	r := []float64{loss}
	for _, y := range ys {
		for _, v := range y {
			r = append(r, float64(v))
		}
	}
	return r
}

// outs64 is outs for float64 outputs.
func outs64(loss float64, ys ...[]float64) []float64 {
	r := []float64{loss}
	for _, y := range ys {
		r = append(r, y...)
	}
	return r
}

// vec returns a copy of y as float64 (no loss).
func vec(y []float32) func() []float64 { return func() []float64 { return widen(y) } }

// vec64 returns a copy of y (no loss).
func vec64(y []float64) func() []float64 {
	return func() []float64 { return append([]float64(nil), y...) }
}

// cases builds every benchmark case for the shapes; nothing is allocated
// until a case's prepare runs.
func cases(sh shapeSet) []benchCase {
	var cs []benchCase
	for _, s := range sh.softmax {
		cs = append(cs, softmaxCases(s[0], s[1])...)
	}
	for _, s := range sh.l2 {
		cs = append(cs, matrixCases(s[0], s[1], s[2])...)
	}
	for _, s := range sh.triplet {
		cs = append(cs, tripletCases(s[0], s[1])...)
		cs = append(cs, pairedCases(s[0], s[1])...)
	}
	for _, s := range sh.miner {
		cs = append(cs, minerCases(s[0], s[1])...)
	}
	for _, s := range sh.linear {
		cs = append(cs, linearCases(s[0], s[1], s[2])...)
	}
	for _, s := range sh.family {
		cs = append(cs, familyCases(s[0], s[1])...)
	}
	for _, s := range sh.softmax {
		cs = append(cs, focalCase(s[0], s[1]))
	}
	for _, s := range sh.margin {
		cs = append(cs, marginCase(s[0], s[1], s[2]))
	}
	for _, s := range sh.sigmoid {
		cs = append(cs, sigmoidFocalCase(s[0], s[1]))
	}
	for _, s := range sh.l2Rows {
		cs = append(cs, l2RowsCase(s[0], s[1]))
	}
	return cs
}

// rowInputs are the inputs of the softmax family and cross-entropy at one
// shape, in float32 and (for gonum) float64.
type rowInputs struct {
	rows, cols int
	x, y, l    []float32
	x64, y64   []float64
	l64        []float64
	labels     []int32
	cw         []float32
	cw64       []float64
	scratch    []float32
}

func newRowInputs(rows, cols int, shape string) *rowInputs {
	rng := rngFor("rows", shape)
	n := rows * cols
	in := &rowInputs{rows: rows, cols: cols, x: randn(rng, n), y: make([]float32, n), l: make([]float32, rows),
		y64: make([]float64, n), l64: make([]float64, rows), labels: make([]int32, rows),
		cw: make([]float32, cols), scratch: make([]float32, cols)}
	in.x64 = widen(in.x)
	for i := range in.labels {
		in.labels[i] = int32(rng.IntN(cols))
	}
	for i := range in.cw {
		in.cw[i] = 0.5 + rng.Float32()
	}
	in.cw64 = widen(in.cw)
	return in
}

func softmaxCases(rows, cols int) []benchCase {
	g := kernels.Generic
	n := rows * cols
	shape := fmt.Sprintf("%dx%d", rows, cols)
	mk := func(kernel string, bytes float64, f func(in *rowInputs) prepared) benchCase {
		return benchCase{kernel, shape, cols, float64(n), bytes, 0, func() prepared { return f(newRowInputs(rows, cols, shape)) }}
	}
	ceBytes := 4*float64(n) + 4*float64(rows)
	return []benchCase{
		mk("Softmax", 8*float64(n), func(in *rowInputs) prepared {
			x, y, y64 := in.x, in.y, in.y64
			return prepared{[]impl{
				{implSimdloss, func() { simdloss.Softmax(y, x, cols) }, vec(y)},
				{implGeneric, func() { g.Softmax(y, x, cols) }, vec(y)},
				{implNaive, func() { naiveSoftmax(y, x, cols) }, vec(y)},
				{implGonum, func() { gonumSoftmax(y64, in.x64, cols) }, vec64(y64)},
				{implVek, func() { vekSoftmax(y, x, cols) }, vec(y)},
				archsimdImpl(func() { archsimdSoftmax(y, x, cols) }, vec(y)),
				copyFloor(y, x),
			}, &torchCall{Op: "softmax", Args: []torchArg{f32Arg(x, rows, cols)}}}
		}),
		mk("LogSoftmax", 8*float64(n), func(in *rowInputs) prepared {
			x, y, y64 := in.x, in.y, in.y64
			return prepared{[]impl{
				{implSimdloss, func() { simdloss.LogSoftmax(y, x, cols) }, vec(y)},
				{implGeneric, func() { g.LogSoftmax(y, x, cols) }, vec(y)},
				{implNaive, func() { naiveLogSoftmax(y, x, cols) }, vec(y)},
				{implGonum, func() { gonumLogSoftmax(y64, in.x64, cols) }, vec64(y64)},
				{implVek, func() { vekLogSoftmax(y, x, cols) }, vec(y)},
				archsimdImpl(func() { archsimdLogSoftmax(y, x, cols) }, vec(y)),
				copyFloor(y, x),
			}, &torchCall{Op: "log_softmax", Args: []torchArg{f32Arg(x, rows, cols)}}}
		}),
		mk("LogSumExp", 4*float64(n)+4*float64(rows), func(in *rowInputs) prepared {
			x, l, l64, s := in.x, in.l, in.l64, in.scratch
			return prepared{[]impl{
				{implSimdloss, func() { simdloss.LogSumExp(l, x, cols) }, vec(l)},
				{implGeneric, func() { g.LogSumExp(l, x, cols) }, vec(l)},
				{implNaive, func() { naiveLogSumExp(l, x, cols) }, vec(l)},
				{implGonum, func() { gonumLogSumExp(l64, in.x64, cols) }, vec64(l64)},
				{implVek, func() { vekLogSumExp(l, x, cols, s) }, vec(l)},
				archsimdImpl(func() { archsimdLogSumExp(l, x, cols) }, vec(l)),
				// the whole input as one row: per-row overhead would make
				// short rows' "floor" a measure of the call, not of memory
				{"read floor", func() { simdloss.DotRows(l[:1], x, x, len(x)) }, nil},
			}, &torchCall{Op: "logsumexp", Args: []torchArg{f32Arg(x, rows, cols)}}}
		}),
		mk("CrossEntropy fwd (weighted)", ceBytes, func(in *rowInputs) prepared {
			return crossEntropyImpls(in, false)
		}),
		mk("CrossEntropy fwd+bwd (weighted)", ceBytes+4*float64(n), func(in *rowInputs) prepared {
			// "Softmax alone" on the same logits, into the gradient's buffer,
			// measured in turn with the loss: the ratio the loss is judged by
			p := crossEntropyImpls(in, true)
			p.impls = append(p.impls, impl{"Softmax alone", func() { simdloss.Softmax(in.y, in.x, cols) }, nil})
			return p
		}),
	}
}

// copyFloor is the row kernels' memory floor: copying the input to the
// output (Go's memmove: the same bytes read and written, with non-temporal
// stores above its size threshold), which no out-of-place row kernel can beat
// once the data outgrow the caches. LogSumExp's floor is one read of the
// input (DotRows of the whole input, as one row, with itself).
func copyFloor(y, x []float32) impl {
	return impl{"read+write floor", func() { copy(y, x) }, nil}
}

// crossEntropyImpls is the class-weighted mean cross-entropy, with its
// gradient when grad is set.
func crossEntropyImpls(in *rowInputs, grad bool) prepared {
	g := kernels.Generic
	x, labels, cw, cols := in.x, in.labels, in.cw, in.cols
	var gr []float32
	var gr64 []float64
	if grad {
		gr, gr64 = in.y, in.y64
	}
	ce := &simdloss.CrossEntropy{ClassWeights: cw}
	ceg := &simdloss.CrossEntropy{ClassWeights: cw, Kernels: g}
	var loss float32
	var loss64 float64
	o := func() []float64 { return outs(float64(loss), gr) }
	o64 := func() []float64 { return outs64(loss64, gr64) }
	op := "cross_entropy"
	if grad {
		op = "cross_entropy_grad"
	}
	return prepared{[]impl{
		{implSimdloss, func() { loss, _ = ce.Forward(x, labels, cols, nil, gr) }, o},
		{implGeneric, func() { loss, _ = ceg.Forward(x, labels, cols, nil, gr) }, o},
		{implNaive, func() { loss = naiveCrossEntropy(x, labels, cw, cols, gr) }, o},
		{implGonum, func() { loss64 = gonumCrossEntropy(in.x64, labels, in.cw64, cols, gr64) }, o64},
		{implVek, func() { loss = vekCrossEntropy(x, labels, cw, cols, gr, in.scratch) }, o},
		archsimdImpl(func() { loss = archsimdCrossEntropy(x, labels, cw, cols, gr) }, o),
	}, &torchCall{Op: op, Args: []torchArg{f32Arg(x, in.rows, cols), i32Arg(labels, in.rows), f32Arg(cw, cols)}}}
}

// matrixCases are SquaredL2 (||a_i - b_j||²) and Dots (a·bᵀ) at m×n×dim.
func matrixCases(m, n, d int) []benchCase {
	g := kernels.Generic
	shape := fmt.Sprintf("%dx%dx%d", m, n, d)
	flops := 2 * float64(m) * float64(n) * float64(d)
	mk := func(kernel string, f func(a, b, dst []float32) prepared) benchCase {
		return benchCase{kernel, shape, d, float64(m * n), 0, flops, func() prepared {
			rng := rngFor("matrix", shape)
			a, b := randn(rng, m*d), randn(rng, n*d)
			return f(a, b, make([]float32, m*n))
		}}
	}
	return []benchCase{
		mk("SquaredL2", func(a, b, dst []float32) prepared {
			gm, g32, vk := newGonumMatrix(a, b, d), newGonum32Matrix(a, b, d), newVekMatrix(a, b, d)
			return prepared{[]impl{
				{implSimdloss, func() { simdloss.SquaredL2(dst, a, b, d) }, vec(dst)},
				{implGeneric, func() { g.SquaredL2(dst, a, b, d) }, vec(dst)},
				{implNaive, func() { naiveSquaredL2(dst, a, b, d) }, vec(dst)},
				{implGonum, gm.squaredL2, gm.result},
				{implGonum32, g32.squaredL2, g32.result},
				{implVek, vk.squaredL2, vk.result},
				archsimdImpl(func() { archsimdSquaredL2(dst, a, b, d) }, vec(dst)),
			}, &torchCall{Op: "sqdist", Args: []torchArg{f32Arg(a, m, d), f32Arg(b, n, d)}}}
		}),
		mk("Dots", func(a, b, dst []float32) prepared {
			gm, g32, vk := newGonumMatrix(a, b, d), newGonum32Matrix(a, b, d), newVekMatrix(a, b, d)
			return prepared{[]impl{
				{implSimdloss, func() { simdloss.Dots(dst, a, b, d) }, vec(dst)},
				{implGeneric, func() { g.Dots(dst, a, b, d) }, vec(dst)},
				{implNaive, func() { naiveDots(dst, a, b, d) }, vec(dst)},
				{implGonum, gm.dots, gm.result},
				{implGonum32, g32.dots, g32.result},
				{implVek, vk.dots, vk.result},
				archsimdImpl(func() { archsimdDots(dst, a, b, d) }, vec(dst)),
			}, &torchCall{Op: "mm_t", Args: []torchArg{f32Arg(a, m, d), f32Arg(b, n, d)}}}
		}),
	}
}

// tripletIn are the inputs of the triplet cases.
type tripletIn struct {
	a, p, n, ga, gp, gn        []float32
	a64, p64, n64              []float64
	ga64, gp64, gn64, u64, v64 []float64
	u, v, sink                 []float32
}

// Triplet cases use the Euclidean distance with PyTorch's eps (1e-6) and
// margin 1, as torch.nn.functional.triplet_margin_loss does by default.
const (
	tripletMargin = 1
	tripletEps    = 1e-6
)

func tripletCases(rows, d int) []benchCase {
	g := kernels.Generic
	shape := fmt.Sprintf("%dx%d", rows, d)
	n := rows * d
	mk := func(kernel string, bytes float64, grad bool) benchCase {
		return benchCase{kernel, shape, d, float64(n), bytes, 0, func() prepared {
			rng := rngFor("triplet", shape)
			in := &tripletIn{a: randn(rng, n), p: randn(rng, n), n: randn(rng, n), u: make([]float32, d), v: make([]float32, d), sink: make([]float32, rows),
				u64: make([]float64, d), v64: make([]float64, d)}
			in.a64, in.p64, in.n64 = widen(in.a), widen(in.p), widen(in.n)
			if grad {
				in.ga, in.gp, in.gn = make([]float32, n), make([]float32, n), make([]float32, n)
				in.ga64, in.gp64, in.gn64 = make([]float64, n), make([]float64, n), make([]float64, n)
			}
			return tripletImpls(in, rows, d, g, grad)
		}}
	}
	return []benchCase{
		mk("Triplet fwd", 12*float64(n), false),
		mk("Triplet fwd+bwd", 24*float64(n), true),
	}
}

func tripletImpls(in *tripletIn, rows, d int, g *kernels.Set, grad bool) prepared {
	tr := &simdloss.Triplet{Margin: tripletMargin, Distance: simdloss.Euclidean, Eps: tripletEps}
	trg := &simdloss.Triplet{Margin: tripletMargin, Distance: simdloss.Euclidean, Eps: tripletEps, Kernels: g}
	a, p, ng, ga, gp, gn := in.a, in.p, in.n, in.ga, in.gp, in.gn
	var loss float32
	var loss64 float64
	o := func() []float64 { return outs(float64(loss), ga, gp, gn) }
	o64 := func() []float64 { return outs64(loss64, in.ga64, in.gp64, in.gn64) }
	op := "triplet"
	if grad {
		op = "triplet_grad"
	}
	// floors: one pass reading a, p and n (DotRows of each row with itself: a
	// stream per array), and copying them (read + write: the traffic of
	// forward+backward)
	floor := impl{"read floor", func() {
		simdloss.DotRows(in.sink, a, a, d)
		simdloss.DotRows(in.sink, p, p, d)
		simdloss.DotRows(in.sink, ng, ng, d)
	}, nil}
	if grad {
		floor = impl{"read+write floor", func() { copy(ga, a); copy(gp, p); copy(gn, ng) }, nil}
	}
	return prepared{[]impl{
		{implSimdloss, func() { loss, _ = tr.Forward(a, p, ng, d, nil, ga, gp, gn) }, o},
		{implGeneric, func() { loss, _ = trg.Forward(a, p, ng, d, nil, ga, gp, gn) }, o},
		{implNaive, func() { loss = naiveTriplet(a, p, ng, d, ga, gp, gn) }, o},
		{implGonum, func() {
			loss64 = gonumTriplet(in.a64, in.p64, in.n64, d, in.ga64, in.gp64, in.gn64, in.u64, in.v64)
		}, o64},
		{implVek, func() { loss = vekTriplet(a, p, ng, d, ga, gp, gn, in.u, in.v) }, o},
		archsimdImpl(func() { loss = archsimdTriplet(a, p, ng, d, ga, gp, gn) }, o),
		floor,
	}, &torchCall{Op: op, Args: []torchArg{f32Arg(a, rows, d), f32Arg(p, rows, d), f32Arg(ng, rows, d)},
		Params: map[string]float64{"margin": tripletMargin, "eps": tripletEps}}}
}

// minerCases: no peer has a triplet miner; "SquaredL2 alone" shows what the
// distance matrix inside it costs. The forward cases (no gradient) show the
// mining itself next to the distances.
func minerCases(rows, d int) []benchCase {
	g := kernels.Generic
	shape := fmt.Sprintf("%dx%d", rows, d)
	var cs []benchCase
	for _, mining := range []simdloss.Mining{simdloss.BatchHard, simdloss.SemiHard, simdloss.BatchAll} {
		for _, bwd := range []bool{false, true} {
			cs = append(cs, minerCase(mining, bwd, rows, d, shape, g))
		}
	}
	return cs
}

func minerCase(mining simdloss.Mining, bwd bool, rows, d int, shape string, g *kernels.Set) benchCase {
	// The work counted is the distance matrix's product; BatchAll's backward
	// is a second product of the same size, BatchHard's and SemiHard's are
	// sparse (PairUpdates) and add nothing countable.
	name, flops := " fwd", 2*float64(rows)*float64(rows)*float64(d)
	if bwd {
		name = " fwd+bwd"
		if mining == simdloss.BatchAll {
			flops *= 2
		}
	}
	return benchCase{"Miner " + mining.String() + name, shape, d, float64(rows * d), 0,
		flops, func() prepared {
			rng := rngFor("miner", shape)
			emb, grad := randn(rng, rows*d), make([]float32, rows*d)
			if !bwd {
				grad = nil
			}
			labels := make([]int32, rows)
			for i := range labels {
				labels[i] = int32(i / 4) // P×K batch, K = 4
			}
			m := &simdloss.TripletMiner{Triplet: simdloss.Triplet{Margin: 0.2}, Mining: mining}
			mg := &simdloss.TripletMiner{Triplet: simdloss.Triplet{Margin: 0.2, Kernels: g}, Mining: mining}
			sq := make([]float32, rows*rows)
			var loss float32
			o := func() []float64 { return outs(float64(loss), grad) }
			return prepared{[]impl{
				{implSimdloss, func() { loss, _ = m.Forward(emb, labels, d, grad) }, o},
				{implGeneric, func() { loss, _ = mg.Forward(emb, labels, d, grad) }, o},
				{"SquaredL2 alone", func() { simdloss.SquaredL2(sq, emb, emb, d) }, nil},
			}, nil}
		}}
}

// linearCases: LinearCrossEntropy (logits = h·wᵀ never materialised) against
// the GEMMs it contains and the materialised computation; PyTorch computes
// cross_entropy(h @ w.T) with the logits materialised.
func linearCases(rows, classes, d int) []benchCase {
	shape := fmt.Sprintf("%dx%dx%d", rows, classes, d)
	gemm := 2 * float64(rows) * float64(classes) * float64(d)
	mk := func(kernel string, flops float64, grad bool) benchCase {
		return benchCase{kernel, shape, d, float64(rows * classes), 0, flops, func() prepared {
			rng := rngFor("linear", shape)
			h, w := randn(rng, rows*d), randn(rng, classes*d)
			for i := range w {
				w[i] /= float32(math.Sqrt(float64(d))) // an initialised layer: logits of unit scale
			}
			labels := make([]int32, rows)
			for i := range labels {
				labels[i] = int32(rng.IntN(classes))
			}
			var gh, gw []float32
			if grad {
				gh, gw = make([]float32, rows*d), make([]float32, classes*d)
			}
			lc := &simdloss.LinearCrossEntropy{}
			z, zg := make([]float32, rows*classes), make([]float32, rows*classes) // only for the comparisons
			var loss float32
			o := func() []float64 { return outs(float64(loss), gh, gw) }
			op := "linear_cross_entropy"
			if grad {
				op += "_grad"
			}
			tc := &torchCall{Op: op, Args: []torchArg{f32Arg(h, rows, d), f32Arg(w, classes, d), i32Arg(labels, rows)}}
			if !grad {
				return prepared{[]impl{
					{implSimdloss, func() { loss, _ = lc.Forward(h, w, labels, d, nil, nil, nil) }, o},
					{"its GEMM alone", func() { simdloss.Dots(z, h, w, d) }, nil},
				}, tc}
			}
			return prepared{[]impl{
				{implSimdloss, func() { loss, _ = lc.Forward(h, w, labels, d, nil, gh, gw) }, o},
				{"its 4 GEMMs alone", func() {
					simdloss.Dots(z, h, w, d)
					simdloss.Dots(z, h, w, d)
					simdloss.MatMul(gh, z, w, rows, d, classes, false, false)
					simdloss.MatMul(gw, z, h, classes, d, rows, true, false)
				}, nil},
				{"materialised (3 GEMMs + CE)", func() {
					simdloss.Dots(z, h, w, d)
					loss, _ = lc.CrossEntropy.Forward(z, labels, classes, nil, zg)
					simdloss.MatMul(gh, zg, w, rows, d, classes, false, false)
					simdloss.MatMul(gw, zg, h, classes, d, rows, true, false)
				}, o},
			}, tc}
		}}
	}
	return []benchCase{
		mk("LinearCrossEntropy fwd", gemm, false),
		// The work counted is the three GEMMs any implementation needs (the
		// logits, then the gradients of hidden and of weight); simdloss's
		// fused form runs a fourth (the logits again, block by block).
		mk("LinearCrossEntropy fwd+bwd", 3*gemm, true),
	}
}

func l2RowsCase(rows, d int) benchCase {
	g := kernels.Generic
	shape := fmt.Sprintf("%dx%d", rows, d)
	return benchCase{"SquaredL2Rows", shape, d, float64(rows * d), 8 * float64(rows*d), 0, func() prepared {
		rng := rngFor("l2rows", shape)
		a, b, dst := randn(rng, rows*d), randn(rng, rows*d), make([]float32, rows)
		a64, b64, dst64, s64 := widen(a), widen(b), make([]float64, rows), make([]float64, d)
		return prepared{[]impl{
			{implSimdloss, func() { simdloss.SquaredL2Rows(dst, a, b, d) }, vec(dst)},
			{implGeneric, func() { g.SquaredL2Rows(dst, a, b, d) }, vec(dst)},
			{implNaive, func() { naiveSquaredL2Rows(dst, a, b, d) }, vec(dst)},
			{implGonum, func() { gonumSquaredL2Rows(dst64, a64, b64, d, s64) }, vec64(dst64)},
			{implVek, func() { vekSquaredL2Rows(dst, a, b, d) }, vec(dst)},
			archsimdImpl(func() { archsimdSquaredL2Rows(dst, a, b, d) }, vec(dst)),
		}, &torchCall{Op: "sqdist_rows", Args: []torchArg{f32Arg(a, rows, d), f32Arg(b, rows, d)}}}
	}}
}
