package fuzz

import (
	"math"
	"strings"
	"testing"

	"github.com/simdloss/simdloss"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// mustNotPanic runs f and fails with the panic value if it panics: bad
// input to a loss must come back as an error.
func mustNotPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", name, r)
		}
	}()
	f()
}

// lossErr checks an error's form: nil or a "simdloss: " message.
func lossErr(t *testing.T, name string, err error) bool {
	t.Helper()
	if err != nil && !strings.HasPrefix(err.Error(), "simdloss: ") {
		t.Fatalf("%s: error %q lacks the simdloss: prefix", name, err)
	}
	return err == nil
}

// FuzzCrossEntropy drives the cross-entropy with arbitrary logits, labels
// (often out of range), class and sample weights (often NaN or negative),
// smoothing and ignore index. Bad input must return an error and leave the
// outputs untouched; good input must give the generic set's bits.
func FuzzCrossEntropy(f *testing.F) {
	f.Add(uint8(2), int8(-100), uint8(0), uint8(0), []byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{1, 0, 2, 156})
	f.Add(uint8(0), int8(0), uint8(26), uint8(3), make([]byte, 40), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(9), int8(-1), uint8(250), uint8(7), make([]byte, 400), []byte{9, 255, 3})
	f.Fuzz(func(t *testing.T, c uint8, ignore int8, smooth uint8, flags uint8, data, labelBytes []byte) {
		z, cols := rowsOf(floats(data), c%40)
		rows := len(z) / cols
		labels := make([]int32, rows)
		for i := range labels {
			if i < len(labelBytes) {
				labels[i] = int32(int8(labelBytes[i]))
			}
		}
		ce := simdloss.CrossEntropy{
			IgnoreIndex:    int32(ignore),
			LabelSmoothing: float32(smooth) / 250,
			Reduction:      simdloss.Reduction(flags % 4), // 3 is invalid
		}
		var sw []float32
		if flags&4 != 0 {
			ce.ClassWeights = make([]float32, cols)
			for i := range ce.ClassWeights {
				ce.ClassWeights[i] = float32(int(c)+i)/7 - 1 // some negative
			}
		}
		if flags&8 != 0 && rows > 0 {
			sw = make([]float32, rows)
			copy(sw, z) // arbitrary values: NaN, Inf, negative
		}
		soft := flags&16 != 0
		run := func(set *kernels.Set, per, grad []float32) (float32, error) {
			ce := ce
			ce.Kernels = set
			var l float32
			var err error
			mustNotPanic(t, "CrossEntropy", func() {
				if soft {
					q := make([]float32, len(z))
					for i := range q {
						q[i] = float32(math.Abs(float64(z[(i*7)%len(z)])))
					}
					l, err = ce.ForwardSoftWeighted(z, q, sw, cols, per, grad)
				} else {
					l, err = ce.ForwardWeighted(z, labels, sw, cols, per, grad)
				}
			})
			return l, err
		}
		agree(t, "CrossEntropy", func(set *kernels.Set) (float32, [][]float32, error) {
			per, grad := tu.Filled(rows), tu.Filled(len(z))
			l, err := run(set, per, grad)
			return l, [][]float32{per, grad}, err
		})
	})
}

// FuzzTriplet drives the triplet loss with arbitrary embeddings and options.
func FuzzTriplet(f *testing.F) {
	f.Add(uint8(3), uint8(0), int8(10), make([]byte, 4*3*6))
	f.Add(uint8(0), uint8(31), int8(-3), make([]byte, 4*3*2))
	f.Fuzz(func(t *testing.T, d8, flags uint8, margin int8, data []byte) {
		x := floats(data)
		dim := int(d8)%40 + 1
		rows := len(x) / (3 * dim)
		a, p, n := x[:rows*dim], x[rows*dim:2*rows*dim], x[2*rows*dim:3*rows*dim]
		tr := simdloss.Triplet{
			Margin:     float32(margin) / 10,
			Distance:   simdloss.Distance(flags % 3), // 2 is invalid
			Eps:        1e-6,
			Swap:       flags&4 != 0,
			SoftMargin: flags&8 != 0,
			Reduction:  simdloss.Reduction((flags >> 4) % 4),
		}
		if flags&64 != 0 {
			tr.Margin = float32(math.NaN())
		}
		agree(t, "Triplet", func(set *kernels.Set) (float32, [][]float32, error) {
			tr := tr
			tr.Kernels = set
			per := tu.Filled(rows)
			ga, gp, gn := tu.Filled(len(a)), tu.Filled(len(a)), tu.Filled(len(a))
			l, err := tr.Forward(a, p, n, dim, per, ga, gp, gn)
			return l, [][]float32{per, ga, gp, gn}, err
		})
	})
}

// FuzzTripletMiner drives the miners with arbitrary embeddings and labels.
func FuzzTripletMiner(f *testing.F) {
	f.Add(uint8(2), uint8(0), make([]byte, 4*2*6), []byte{1, 1, 2, 2, 3, 3})
	f.Add(uint8(5), uint8(7), make([]byte, 4*5*9), []byte{0, 1, 0, 1, 0, 2, 2, 2, 9})
	f.Fuzz(func(t *testing.T, d8, flags uint8, data, labelBytes []byte) {
		x := floats(data)
		dim := int(d8)%32 + 1
		rows := min(len(x)/dim, 64)
		emb := x[:rows*dim]
		labels := make([]int32, rows)
		for i := range labels {
			if i < len(labelBytes) {
				labels[i] = int32(labelBytes[i] % 5)
			}
		}
		mk := func(set *kernels.Set) *simdloss.TripletMiner {
			return &simdloss.TripletMiner{
				Triplet: simdloss.Triplet{Margin: 0.2, Distance: simdloss.Distance(flags % 2), SoftMargin: flags&2 != 0, Kernels: set},
				Mining:  simdloss.Mining((flags >> 2) % 4), // 3 is invalid
			}
		}
		agree(t, "TripletMiner", func(set *kernels.Set) (float32, [][]float32, error) {
			g := tu.Filled(len(emb))
			l, err := mk(set).Forward(emb, labels, dim, g)
			return l, [][]float32{g}, err
		})
	})
}

// FuzzLinearCrossEntropy drives the fused linear cross-entropy with
// arbitrary hidden states, weights, labels, options and block sizes.
func FuzzLinearCrossEntropy(f *testing.F) {
	f.Add(uint8(3), uint8(2), uint8(0), make([]byte, 4*3*5), []byte{0, 1, 156, 2})
	f.Add(uint8(1), uint8(7), uint8(5), make([]byte, 4*9*2), []byte{8, 0, 3})
	f.Fuzz(func(t *testing.T, d8, blk, flags uint8, data, labelBytes []byte) {
		x := floats(data)
		dim := int(d8)%16 + 1
		n := len(x) / dim
		rows := n / 3
		h, w := x[:rows*dim], x[rows*dim:n*dim]
		labels := make([]int32, rows)
		for i := range labels {
			if i < len(labelBytes) {
				labels[i] = int32(int8(labelBytes[i]))
			}
		}
		lc := simdloss.LinearCrossEntropy{
			CrossEntropy: simdloss.CrossEntropy{IgnoreIndex: -100, Reduction: simdloss.Reduction(flags % 4), LabelSmoothing: float32(flags>>2%4) / 5},
			BlockRows:    int(blk%5) - 1, // -1 is invalid
			BlockCols:    int(blk/5%5) + 1,
		}
		agree(t, "LinearCrossEntropy", func(set *kernels.Set) (float32, [][]float32, error) {
			lc := lc
			lc.Kernels = set
			out := [][]float32{tu.Filled(rows), tu.Filled(len(h)), tu.Filled(len(w))}
			l, err := lc.Forward(h, w, labels, dim, out[0], out[1], out[2])
			return l, out, err
		})
	})
}
