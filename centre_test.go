package simdloss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

func refCentre(c *Centre, x, centres []float64, labels []int32, dim int) (float64, []float64, []float64) {
	rows := len(labels)
	per, g := make([]float64, rows), make([]float64, len(x))
	red := reduceScale(c.Reduction, rows)
	total := 0.0
	for i, y := range labels {
		for k := 0; k < dim; k++ {
			u := x[i*dim+k] - centres[int(y)*dim+k]
			per[i] += u * u / 2
			g[i*dim+k] = u * red
		}
		total += per[i]
	}
	return total * red, per, g
}

func TestCentre(t *testing.T) {
	rng := rand.New(rand.NewPCG(121, 1))
	for _, dim := range []int{1, 3, 8, 33, 128} {
		for _, c := range []Centre{{}, {Reduction: Sum}, {Reduction: None}} {
			rows, classes := 60, 7
			x, centres := embeddings(rng, rows, dim), embeddings(rng, classes, dim)
			labels := make([]int32, rows)
			for i := range labels {
				labels[i] = int32(rng.IntN(classes))
			}
			in := [][]float64{f64(x), f64(centres)}
			lossCheck{
				name: fmt.Sprintf("dim=%d %s", dim, c.Reduction),
				run: func(set *kernels.Set) (float32, [][]float32, error) {
					c := c
					c.Kernels = set
					per, g := make([]float32, rows), make([]float32, len(x))
					l, err := c.Forward(x, centres, labels, dim, per, g)
					return l, [][]float32{per, g}, err
				},
				ref: func() (float64, [][]float64) {
					l, per, g := refCentre(&c, in[0], in[1], labels, dim)
					return l, [][]float64{per, g}
				},
				in64: in, fd: []int{-1, 0},
			}.verify(t)
		}
	}
}

// TestCentreUpdate compares the update with the paper's rule in float64,
// and the kernel sets bit for bit.
func TestCentreUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(122, 2))
	for _, dim := range []int{1, 5, 64} {
		rows, classes := 50, 9 // some classes absent from the batch
		x, centres := embeddings(rng, rows, dim), embeddings(rng, classes, dim)
		labels := make([]int32, rows)
		for i := range labels {
			labels[i] = int32(rng.IntN(classes - 2))
		}
		c := Centre{Alpha: 0.5}
		want := f64(centres)
		for j := 0; j < classes; j++ {
			n, delta := 0.0, make([]float64, dim)
			for i, y := range labels {
				if int(y) == j {
					n++
					for k := range delta {
						delta[k] += float64(centres[j*dim+k]) - float64(x[i*dim+k])
					}
				}
			}
			for k := range delta {
				want[j*dim+k] -= 0.5 * delta[k] / (1 + n)
			}
		}
		var first []float32
		for _, set := range kernels.Sets() {
			if !set.Supported() {
				continue
			}
			c.Kernels = set
			got := append([]float32(nil), centres...)
			if err := c.Update(got, x, labels, dim); err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				if math.Abs(float64(v)-want[i]) > 1e-5*math.Max(1, math.Abs(want[i])) {
					t.Fatalf("%s dim=%d: centre element %d = %v, rule %v", set.Name(), dim, i, v, want[i])
				}
			}
			for j := classes - 2; j < classes; j++ { // absent classes unchanged
				if msg := tu.DiffMsg(got[j*dim:(j+1)*dim], centres[j*dim:(j+1)*dim]); msg != "" {
					t.Fatalf("%s: absent class %d moved: %s", set.Name(), j, msg)
				}
			}
			if first == nil {
				first = got
			} else if msg := tu.DiffMsg(got, first); msg != "" {
				t.Fatalf("%s differs from generic: %s", set.Name(), msg)
			}
		}
	}
}

func TestCentreErrors(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	l := []int32{0, 1}
	for _, c := range []struct {
		name, want string
		c          Centre
		centres    []float32
		labels     []int32
		dim        int
		per, g     int
	}{
		{"dim", "dim = 0", Centre{}, x, l, 0, 2, 4},
		{"no centres", "classes >= 1", Centre{}, nil, l, 2, 2, 4},
		{"labels", "len(labels) = 1", Centre{}, x, l[:1], 2, 2, 4},
		{"label", "labels[0] = 5 is outside [0, 2)", Centre{}, x, []int32{5, 0}, 2, 2, 4},
		{"reduction", "unknown Reduction", Centre{Reduction: 3}, x, l, 2, 2, 4},
		{"perRow", "len(perRow) = 3", Centre{}, x, l, 2, 3, 4},
		{"grad", "grad must have len(x) = 4", Centre{}, x, l, 2, 2, 5},
	} {
		per, g := tu.Filled(c.per), tu.Filled(c.g)
		errCheck(t, c.name, c.want, [][]float32{per, g}, func() error {
			_, err := c.c.Forward(x, c.centres, c.labels, c.dim, per, g)
			return err
		})
	}
	centres := tu.Filled(4)
	errCheck(t, "update alpha", "Alpha = 2", [][]float32{centres}, func() error {
		return (&Centre{Alpha: 2}).Update(centres, x, l, 2)
	})
	errCheck(t, "update label", "labels[1] = -1", [][]float32{centres}, func() error {
		return (&Centre{Alpha: 0.5}).Update(centres, x, []int32{0, -1}, 2)
	})
	errCheck(t, "update overlap", "centres overlaps x", [][]float32{centres}, func() error {
		return (&Centre{Alpha: 0.5}).Update(centres, centres, l, 2)
	})
}

func TestCentreNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(123, 3))
	x, centres := embeddings(rng, 64, 32), embeddings(rng, 10, 32)
	labels := make([]int32, 64)
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	g := make([]float32, len(x))
	c := Centre{Alpha: 0.5}
	noAllocs(t, "Centre.Forward", func() { _, _ = c.Forward(x, centres, labels, 32, nil, g) })
	noAllocs(t, "Centre.Update", func() { _ = c.Update(centres, x, labels, 32) })
}
