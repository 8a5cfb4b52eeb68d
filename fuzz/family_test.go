package fuzz

import (
	"math"

	"testing"

	"github.com/simdloss/simdloss"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// agree is the body of the loss-family fuzz targets: run computes the loss
// on a kernel set into fresh Filled outputs. On kernels.Generic it must not
// panic, and an error must be a "simdloss: " error that left the outputs
// untouched; otherwise every SIMD set of this CPU (simdSets), and the
// dispatched one (run(nil)), must give the same bits.
func agree(t *testing.T, name string, run func(set *kernels.Set) (float32, [][]float32, error)) {
	t.Helper()
	var want float32
	var wantOut [][]float32
	var err error
	mustNotPanic(t, name, func() { want, wantOut, err = run(kernels.Generic) })
	if !lossErr(t, name, err) {
		if !tu.Untouched(wantOut...) {
			t.Fatalf("%s: error %q but an output was written", name, err)
		}
		return
	}
	for _, set := range append(simdSets[:len(simdSets):len(simdSets)], nil) {
		what := "the dispatched (" + simdloss.Kernels() + ")"
		if set != nil {
			what = set.Name()
		}
		var got float32
		var out [][]float32
		mustNotPanic(t, name, func() { got, out, err = run(set) })
		if err != nil {
			t.Fatalf("%s: %s kernels fail where generic does not: %v", name, what, err)
		}
		if !tu.Same(got, want) {
			t.Fatalf("%s: %s kernels differ from generic: loss %v vs %v", name, what, got, want)
		}
		for i := range out {
			if msg := tu.DiffMsg(out[i], wantOut[i]); msg != "" {
				t.Fatalf("%s: %s kernels, output %d: %s", name, what, i, msg)
			}
		}
	}
}

// FuzzInfoNCE drives both InfoNCE forms with arbitrary embeddings (any
// special values), dims, temperatures (some invalid) and gradient lengths.
func FuzzInfoNCE(f *testing.F) {
	f.Add(uint8(2), uint8(10), uint8(0), make([]byte, 4*4*2))
	f.Add(uint8(9), uint8(0), uint8(3), make([]byte, 4*6*9+4))
	f.Fuzz(func(t *testing.T, d8, tau8, flags uint8, data []byte) {
		dim := int(d8%40) - 1 // -1 and 0 are invalid
		// At most 96 rows: the similarity matrix is rows², and 1024 rows of
		// one column made one call take 50 ms (hundreds under the fuzzer's
		// coverage counters) for no tail the smaller shapes miss.
		x := floats(data)
		x = x[:min(len(x), 96*max(dim, 1))]
		c := simdloss.InfoNCE{Temperature: float32(tau8) / 50}
		gl := len(x)
		if flags&1 != 0 {
			gl = max(gl-1, 0) // wrong length
		}
		agree(t, "InfoNCE.ForwardNTXent", func(set *kernels.Set) (float32, [][]float32, error) {
			c := c
			c.Kernels = set
			g := tu.Filled(gl)
			l, err := c.ForwardNTXent(x, dim, g)
			return l, [][]float32{g}, err
		})
		a, b := x[:len(x)/2], x[len(x)/2:]
		if flags&2 != 0 {
			b = b[:len(a)]
		}
		agree(t, "InfoNCE.ForwardSymmetric", func(set *kernels.Set) (float32, [][]float32, error) {
			c := c
			c.Kernels = set
			ga, gb := tu.Filled(len(a)), tu.Filled(len(b))
			l, err := c.ForwardSymmetric(a, b, dim, ga, gb)
			return l, [][]float32{ga, gb}, err
		})
	})
}

// labelledInputs cuts fuzz data into embeddings of dim (-1 and 0 invalid), at
// most 200 rows, and labels from labelBytes (a wrong count when flags&1).
func labelledInputs(data, labelBytes []byte, d8, flags uint8) ([]float32, []int32, int) {
	x := floats(data)
	dim := int(d8%40) - 1
	rows := 0
	if dim > 0 {
		rows = min(len(x)/dim, 200)
		x = x[:rows*dim]
	}
	if flags&1 != 0 {
		rows++
	}
	labels := make([]int32, rows)
	for i := range labels {
		if i < len(labelBytes) {
			labels[i] = int32(labelBytes[i] % 6)
		}
	}
	return x, labels, dim
}

// FuzzCircle drives the circle loss with arbitrary embeddings, labels,
// margins and scales (some invalid).
func FuzzCircle(f *testing.F) {
	f.Add(uint8(3), uint8(2), uint8(25), uint8(80), make([]byte, 4*2*6), []byte{1, 1, 2})
	f.Add(uint8(9), uint8(0), uint8(200), uint8(0), make([]byte, 4*8*9), []byte{0, 1, 0, 1, 2, 2, 3, 3})
	f.Fuzz(func(t *testing.T, d8, flags, m8, g8 uint8, data, labelBytes []byte) {
		emb, labels, dim := labelledInputs(data, labelBytes, d8, flags)
		c := simdloss.Circle{Margin: float32(int8(m8)) / 100, Gamma: float32(g8) * 2}
		agree(t, "Circle", func(set *kernels.Set) (float32, [][]float32, error) {
			c := c
			c.Kernels = set
			g := tu.Filled(len(emb))
			l, err := c.Forward(emb, labels, dim, g)
			return l, [][]float32{g}, err
		})
	})
}

// FuzzMultiSimilarity drives the multi-similarity loss and its miner.
func FuzzMultiSimilarity(f *testing.F) {
	f.Add(uint8(3), uint8(2), uint8(2), uint8(50), make([]byte, 4*2*6), []byte{1, 1, 2})
	f.Add(uint8(9), uint8(4), uint8(0), uint8(10), make([]byte, 4*8*9), []byte{0, 1, 0, 1, 2, 2, 3, 3})
	f.Fuzz(func(t *testing.T, d8, flags, a8, b8 uint8, data, labelBytes []byte) {
		emb, labels, dim := labelledInputs(data, labelBytes, d8, flags)
		c := simdloss.MultiSimilarity{Alpha: float32(a8) / 4, Beta: float32(b8), Base: 0.5,
			Mine: flags&2 != 0, Epsilon: float32(flags>>2) / 20}
		agree(t, "MultiSimilarity", func(set *kernels.Set) (float32, [][]float32, error) {
			c := c
			c.Kernels = set
			g := tu.Filled(len(emb))
			l, err := c.Forward(emb, labels, dim, g)
			return l, [][]float32{g}, err
		})
	})
}

// FuzzMarginSoftmax drives the margin-softmax family with arbitrary
// embeddings and class weights, labels (often out of range) and margins
// (some invalid).
func FuzzMarginSoftmax(f *testing.F) {
	f.Add(uint8(3), uint8(2), uint8(50), uint8(0), uint8(64), make([]byte, 4*3*5), []byte{0, 1})
	f.Add(uint8(5), uint8(9), uint8(0), uint8(35), uint8(30), make([]byte, 4*5*7), []byte{2, 0, 8})
	f.Fuzz(func(t *testing.T, d8, flags, m2, m3, s8 uint8, data, labelBytes []byte) {
		x := floats(data)
		dim := int(d8%24) - 1 // -1 and 0 are invalid
		xs, ws, classes := x, x, 1
		if dim > 0 { // about half the rows are classes
			n := len(x) / dim
			classes = max(n/2, 1)
			xs, ws = x[:max(n-classes, 0)*dim], x[max(n-classes, 0)*dim:n*dim]
		}
		labels := make([]int32, len(xs)/max(dim, 1))
		for i := range labels {
			if i < len(labelBytes) {
				labels[i] = int32(int8(labelBytes[i])) % int32(classes+2) // some out of range
			}
		}
		c := simdloss.MarginSoftmax{Scale: float32(s8), M1: 1 + float32(flags>>4)/4, M2: float32(m2) / 60, M3: float32(m3) / 100,
			EasyMargin: flags&1 != 0}
		if flags&2 != 0 {
			c.M1 = 1
		}
		agree(t, "MarginSoftmax", func(set *kernels.Set) (float32, [][]float32, error) {
			c := c
			c.Kernels = set
			gx, gw := tu.Filled(len(xs)), tu.Filled(len(ws))
			l, err := c.Forward(xs, ws, labels, dim, gx, gw)
			return l, [][]float32{gx, gw}, err
		})
	})
}

// FuzzFocal drives both focal forms with arbitrary logits, labels (often
// out of range), targets (often outside [0, 1]), α and γ (some invalid).
func FuzzFocal(f *testing.F) {
	f.Add(uint8(3), uint8(2), uint8(0), make([]byte, 4*3*4), []byte{0, 1, 2, 0})
	f.Add(uint8(0), uint8(0), uint8(9), make([]byte, 40), []byte{9, 255})
	f.Fuzz(func(t *testing.T, c, g8, flags uint8, data, labelBytes []byte) {
		z, cols := rowsOf(floats(data), c%40)
		rows := len(z) / max(cols, 1)
		labels := make([]int32, rows)
		for i := range labels {
			if i < len(labelBytes) {
				labels[i] = int32(int8(labelBytes[i])) % int32(cols+1)
			}
		}
		fo := simdloss.Focal{Gamma: float32(int8(g8)) / 16, Reduction: simdloss.Reduction(flags % 4)}
		if flags&4 != 0 && cols > 0 {
			fo.Alpha = make([]float32, cols)
			for i := range fo.Alpha {
				fo.Alpha[i] = float32(int(flags)+i)/9 - 1 // some negative
			}
		}
		agree(t, "Focal", func(set *kernels.Set) (float32, [][]float32, error) {
			fo := fo
			fo.Kernels = set
			per, g := tu.Filled(rows), tu.Filled(len(z))
			l, err := fo.Forward(z, labels, cols, per, g)
			return l, [][]float32{per, g}, err
		})
		// the sigmoid form: the second half of the values as targets
		x, tg := z[:len(z)/2], z[len(z)/2:]
		if flags&8 != 0 {
			for i := range tg {
				tg[i] = float32(math.Abs(math.Mod(float64(tg[i]), 1)))
			}
		}
		gamma := float32(g8) / 32
		if flags&16 != 0 {
			gamma = float32(g8 % 17) // the integer γ of the SIMD kernels
		}
		sf := simdloss.SigmoidFocal{Alpha: float32(int8(flags)) / 64, Gamma: gamma, Reduction: simdloss.Reduction(flags % 4)}
		agree(t, "SigmoidFocal", func(set *kernels.Set) (float32, [][]float32, error) {
			sf := sf
			sf.Kernels = set
			per, g := tu.Filled(len(x)), tu.Filled(len(x))
			if flags&32 != 0 {
				per = nil // the loss through the chunked scratch
			}
			l, err := sf.Forward(x, tg[:len(x)], per, g)
			return l, [][]float32{per, g}, err
		})
	})
}

// FuzzPairedLosses drives Centre (and its update), Contrastive and
// LosslessTriplet with arbitrary rows, labels, flags and parameters.
func FuzzPairedLosses(f *testing.F) {
	f.Add(uint8(3), uint8(0), uint8(10), make([]byte, 4*3*6), []byte{0, 1, 2, 1})
	f.Add(uint8(1), uint8(7), uint8(0), make([]byte, 4*9), []byte{5, 255})
	f.Fuzz(func(t *testing.T, d8, flags, p8 uint8, data, labelBytes []byte) {
		x := floats(data)
		dim := int(d8%40) - 1
		third := len(x) / 3
		a, b, c := x[:third], x[third:2*third], x[2*third:3*third]
		rows := 0
		if dim > 0 {
			rows = third / dim
		}
		if flags&1 != 0 {
			rows++ // a wrong label count
		}
		labels, similar := make([]int32, rows), make([]bool, rows)
		for i := range labels {
			if i < len(labelBytes) {
				labels[i] = int32(int8(labelBytes[i])) % 4
				similar[i] = labelBytes[i]&1 != 0
			}
		}
		red := simdloss.Reduction(flags >> 1 % 4)
		centre := simdloss.Centre{Alpha: float32(p8) / 128, Reduction: red}
		agree(t, "Centre", func(set *kernels.Set) (float32, [][]float32, error) {
			centre := centre
			centre.Kernels = set
			per, g := tu.Filled(rows), tu.Filled(len(a))
			l, err := centre.Forward(a, c[:min(len(c), 3*max(dim, 0))], labels, dim, per, g)
			return l, [][]float32{per, g}, err
		})
		agree(t, "Centre.Update", func(set *kernels.Set) (float32, [][]float32, error) {
			centre := centre
			centre.Kernels = set
			centres := append([]float32(nil), c[:min(len(c), 3*max(dim, 0))]...)
			err := centre.Update(centres, a, labels, dim)
			if err != nil {
				// nothing may be written: compare with the input
				if msg := tu.DiffMsg(centres, c[:len(centres)]); msg != "" {
					t.Fatalf("Centre.Update: error %q but the centres changed: %s", err, msg)
				}
				return 0, nil, err
			}
			return 0, [][]float32{centres}, nil
		})
		ct := simdloss.Contrastive{Margin: float32(int8(p8)) / 16, Reduction: red}
		agree(t, "Contrastive", func(set *kernels.Set) (float32, [][]float32, error) {
			ct := ct
			ct.Kernels = set
			per, ga, gb := tu.Filled(rows), tu.Filled(len(a)), tu.Filled(len(b))
			l, err := ct.Forward(a, b, similar, dim, per, ga, gb)
			return l, [][]float32{per, ga, gb}, err
		})
		lt := simdloss.LosslessTriplet{Beta: float32(int8(p8)) / 8, Eps: 1e-8, Reduction: red}
		agree(t, "LosslessTriplet", func(set *kernels.Set) (float32, [][]float32, error) {
			lt := lt
			lt.Kernels = set
			per, ga, gp := tu.Filled(rows-int(flags&1)), tu.Filled(len(a)), tu.Filled(len(a))
			l, err := lt.Forward(a, b, c, dim, per, ga, gp, nil)
			return l, [][]float32{per, ga, gp}, err
		})
	})
}
