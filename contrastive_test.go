package simdloss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

func refContrastive(c *Contrastive, a, b []float64, similar []bool, dim int) (float64, []float64, []float64, []float64) {
	rows := len(similar)
	per, ga, gb := make([]float64, rows), make([]float64, len(a)), make([]float64, len(a))
	red := reduceScale(c.Reduction, rows)
	m := float64(c.Margin)
	total := 0.0
	for i := 0; i < rows; i++ {
		d2 := 0.0
		for k := 0; k < dim; k++ {
			u := a[i*dim+k] - b[i*dim+k]
			d2 += u * u
		}
		d := math.Sqrt(d2)
		var k float64
		if similar[i] {
			per[i], k = d2/2, 1
		} else if d < m {
			per[i] = (m - d) * (m - d) / 2
			if d > 0 {
				k = -(m - d) / d
			}
		}
		total += per[i]
		for j := 0; j < dim; j++ {
			ga[i*dim+j] = k * (a[i*dim+j] - b[i*dim+j]) * red
			gb[i*dim+j] = -ga[i*dim+j]
		}
	}
	return total * red, per, ga, gb
}

func TestContrastive(t *testing.T) {
	rng := rand.New(rand.NewPCG(111, 1))
	for _, dim := range []int{1, 3, 8, 33, 128} {
		for _, c := range []Contrastive{{Margin: 1}, {Margin: 2, Reduction: Sum}, {Margin: 0.5, Reduction: None}} {
			rows := 50
			a, b := embeddings(rng, rows, dim), embeddings(rng, rows, dim)
			for i := range b {
				b[i] = a[i] + b[i]*0.3
			}
			similar := make([]bool, rows)
			for i := range similar {
				similar[i] = rng.IntN(2) == 0
			}
			in := [][]float64{f64(a), f64(b)}
			lossCheck{
				name: fmt.Sprintf("dim=%d %+v", dim, c),
				run: func(set *kernels.Set) (float32, [][]float32, error) {
					c := c
					c.Kernels = set
					per, ga, gb := make([]float32, rows), make([]float32, len(a)), make([]float32, len(a))
					l, err := c.Forward(a, b, similar, dim, per, ga, gb)
					return l, [][]float32{per, ga, gb}, err
				},
				ref: func() (float64, [][]float64) {
					l, per, ga, gb := refContrastive(&c, in[0], in[1], similar, dim)
					return l, [][]float64{per, ga, gb}
				},
				in64: in, fd: []int{-1, 0, 1},
			}.verify(t)
		}
	}
}

func TestContrastiveErrors(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	s2 := []bool{true, false}
	ok := Contrastive{Margin: 1}
	for _, c := range []struct {
		name, want string
		c          Contrastive
		b          []float32
		similar    []bool
		dim        int
		per, g     int
	}{
		{"margin", "Margin = 0", Contrastive{}, x, s2, 2, 2, 4},
		{"reduction", "unknown Reduction", Contrastive{Margin: 1, Reduction: 4}, x, s2, 2, 2, 4},
		{"lengths", "must be equal", ok, x[:2], s2, 2, 2, 4},
		{"dim", "dim = 0", ok, x, s2, 0, 2, 4},
		{"similar", "len(similar) = 1", ok, x, s2[:1], 2, 2, 4},
		{"perRow", "len(perRow) = 1", ok, x, s2, 2, 1, 4},
		{"grad", "len(gradA) = 3", ok, x, s2, 2, 2, 3},
	} {
		per, g := tu.Filled(c.per), tu.Filled(c.g)
		errCheck(t, c.name, c.want, [][]float32{per, g}, func() error {
			_, err := c.c.Forward(x, c.b, c.similar, c.dim, per, g, nil)
			return err
		})
	}
	buf := make([]float32, 8)
	if _, err := ok.Forward(x, x, s2, 2, nil, buf[:4], buf[2:6]); err == nil || !strings.Contains(err.Error(), "gradA overlaps gradB") {
		t.Errorf("overlapping gradients: %v", err)
	}
	// identical dissimilar pair: the margin's loss, a zero gradient
	ga := tu.Filled(2)
	if l, err := ok.Forward([]float32{1, 2}, []float32{1, 2}, []bool{false}, 2, nil, ga, nil); err != nil || l != 0.5 || ga[0] != 0 || ga[1] != 0 {
		t.Errorf("D = 0, dissimilar: %v %v %v", l, err, ga)
	}
}

// refLossless is the lossless triplet loss in float64 from its definition.
func refLossless(lt *LosslessTriplet, a, p, n []float64, dim int) (float64, []float64, [3][]float64) {
	rows := len(a) / dim
	beta := float64(lt.Beta)
	if beta == 0 {
		beta = float64(dim)
	}
	eps := float64(lt.Eps)
	red := reduceScale(lt.Reduction, rows)
	per := make([]float64, rows)
	var g [3][]float64
	for k := range g {
		g[k] = make([]float64, len(a))
	}
	total := 0.0
	for i := 0; i < rows; i++ {
		pos, neg := 0.0, 0.0
		for k := 0; k < dim; k++ {
			o := i*dim + k
			pos += (a[o] - p[o]) * (a[o] - p[o])
			neg += (a[o] - n[o]) * (a[o] - n[o])
		}
		u, v := 1+eps-pos/beta, 1+eps-(float64(dim)-neg)/beta
		per[i] = -math.Log(u) - math.Log(v)
		total += per[i]
		dpos, dneg := 1/(beta*u), -1/(beta*v)
		for k := 0; k < dim; k++ {
			o := i*dim + k
			g[0][o] = (dpos*2*(a[o]-p[o]) + dneg*2*(a[o]-n[o])) * red
			g[1][o] = -dpos * 2 * (a[o] - p[o]) * red
			g[2][o] = -dneg * 2 * (a[o] - n[o]) * red
		}
	}
	return total * red, per, g
}

func sigmoidEmbeddings(rng *rand.Rand, rows, dim int) []float32 {
	x := make([]float32, rows*dim)
	for i := range x {
		x[i] = float32(1 / (1 + math.Exp(-rng.NormFloat64()*2)))
	}
	return x
}

func TestLosslessTriplet(t *testing.T) {
	rng := rand.New(rand.NewPCG(112, 2))
	for _, dim := range []int{1, 3, 8, 33, 128} {
		for _, lt := range []LosslessTriplet{{Eps: 1e-8}, {Beta: 2 * float32(dim), Eps: 1e-8, Reduction: Sum}, {Eps: 0.01, Reduction: None}} {
			rows := 300 // crosses the gradient chunks
			a, p, n := sigmoidEmbeddings(rng, rows, dim), sigmoidEmbeddings(rng, rows, dim), sigmoidEmbeddings(rng, rows, dim)
			in := [][]float64{f64(a), f64(p), f64(n)}
			lossCheck{
				name: fmt.Sprintf("dim=%d %+v", dim, lt),
				run: func(set *kernels.Set) (float32, [][]float32, error) {
					lt := lt
					lt.Kernels = set
					per := make([]float32, rows)
					g := [3][]float32{make([]float32, len(a)), make([]float32, len(a)), make([]float32, len(a))}
					l, err := lt.Forward(a, p, n, dim, per, g[0], g[1], g[2])
					return l, [][]float32{per, g[0], g[1], g[2]}, err
				},
				ref: func() (float64, [][]float64) {
					l, per, g := refLossless(&lt, in[0], in[1], in[2], dim)
					return l, [][]float64{per, g[0], g[1], g[2]}
				},
				in64: in, fd: []int{-1, 0, 1, 2}, tol: 1e-5,
			}.verify(t)
		}
	}
}

func TestLosslessTripletErrors(t *testing.T) {
	x := []float32{0.1, 0.2, 0.3, 0.4}
	neg := []float32{0.9, 0.9, 0.9, 0.9}
	far := []float32{2, 2, 0, 0} // squared distance to x above 2 = β: not in [0, 1]
	for _, c := range []struct {
		name, want string
		lt         LosslessTriplet
		p          []float32
		dim        int
		per, g     int
	}{
		{"beta", "Beta = -1", LosslessTriplet{Beta: -1}, x, 2, 2, 4},
		{"eps", "Eps = NaN", LosslessTriplet{Eps: tu.NaN}, x, 2, 2, 4},
		{"reduction", "unknown Reduction", LosslessTriplet{Reduction: 9}, x, 2, 2, 4},
		{"lengths", "must be equal", LosslessTriplet{}, x[:2], 2, 2, 4},
		{"domain", "row 1: squared distances", LosslessTriplet{}, []float32{0.1, 0.2, 1, 1.9}, 2, 2, 4},
		{"domain all", "row 0", LosslessTriplet{}, far, 2, 2, 4},
		{"negative domain", "row 1", LosslessTriplet{Beta: 1}, x, 2, 2, 4}, // β < N: neg below N - β
		{"grad", "len(gradA) = 5", LosslessTriplet{}, x, 2, 2, 5},
	} {
		per, g := tu.Filled(c.per), tu.Filled(c.g)
		errCheck(t, c.name, c.want, [][]float32{per, g}, func() error {
			_, err := c.lt.Forward(x, c.p, neg[:len(x)], c.dim, per, g, nil, nil)
			return err
		})
	}
}

func TestContrastiveNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(113, 3))
	a, p, n := sigmoidEmbeddings(rng, 64, 32), sigmoidEmbeddings(rng, 64, 32), sigmoidEmbeddings(rng, 64, 32)
	ga, gb := make([]float32, len(a)), make([]float32, len(a))
	similar := make([]bool, 64)
	c := Contrastive{Margin: 1}
	noAllocs(t, "Contrastive.Forward", func() { _, _ = c.Forward(a, p, similar, 32, nil, ga, gb) })
	lt := LosslessTriplet{Eps: 1e-8}
	gn := make([]float32, len(a))
	noAllocs(t, "LosslessTriplet.Forward", func() { _, _ = lt.Forward(a, p, n, 32, nil, ga, gb, gn) })
}
