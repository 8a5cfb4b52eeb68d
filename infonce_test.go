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

// refNTXent is NT-Xent in float64 from its definition.
func refNTXent(tau float64, z []float64, dim int) (float64, []float64) {
	rows := len(z) / dim
	s, back := cos64(z, z, rows, rows, dim)
	dS := make([]float64, len(s))
	total := 0.0
	for i := 0; i < rows; i++ {
		logits := make([]float64, rows)
		for j := range logits {
			logits[j] = s[i*rows+j] / tau
		}
		logits[i] = math.Inf(-1)
		l, g := ce64(logits, (i+rows/2)%rows)
		total += l
		for j := range g {
			dS[i*rows+j] = g[j] / tau / float64(rows)
		}
	}
	gx, gy := back(dS)
	for k := range gx {
		gx[k] += gy[k]
	}
	return total / float64(rows), gx
}

// refCLIP is the symmetric InfoNCE in float64 from its definition.
func refCLIP(tau float64, a, b []float64, dim int) (float64, []float64, []float64) {
	n := len(a) / dim
	s, back := cos64(a, b, n, n, dim)
	dS := make([]float64, len(s))
	total := 0.0
	for dir := 0; dir < 2; dir++ {
		for i := 0; i < n; i++ {
			logits := make([]float64, n)
			for j := range logits {
				if dir == 0 {
					logits[j] = s[i*n+j] / tau
				} else {
					logits[j] = s[j*n+i] / tau
				}
			}
			l, g := ce64(logits, i)
			total += l
			for j := range g {
				if dir == 0 {
					dS[i*n+j] += g[j] / tau / float64(2*n)
				} else {
					dS[j*n+i] += g[j] / tau / float64(2*n)
				}
			}
		}
	}
	ga, gb := back(dS)
	return total / float64(2*n), ga, gb
}

func embeddings(rng *rand.Rand, rows, dim int) []float32 {
	z := make([]float32, rows*dim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}

func TestInfoNCE(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 1))
	// (dim 1 is out: 1-D cosines are ±1 and the gradients rounding noise
	// amplified by 1/|z|.)
	for _, dim := range []int{2, 3, 8, 17, 64} {
		for _, n := range []int{1, 2, 5, 24} {
			for _, tau := range []float32{0.07, 0.5, 1} {
				c := InfoNCE{Temperature: tau}
				z := embeddings(rng, 2*n, dim)
				// a duplicate row, and a zero row (whose gradient is g/1e-12,
				// as torch.nn.functional.normalize's, and not differentiable)
				fd := []int{0}
				if n > 2 {
					copy(z[dim:2*dim], z[:dim])
					if tau == 1 {
						clear(z[2*dim : 3*dim])
						fd = nil
					}
				}
				z64 := [][]float64{f64(z)}
				lossCheck{
					name: fmt.Sprintf("NTXent n=%d dim=%d tau=%v", n, dim, tau),
					run: func(set *kernels.Set) (float32, [][]float32, error) {
						c := c
						c.Kernels = set
						g := make([]float32, len(z))
						l, err := c.ForwardNTXent(z, dim, g)
						return l, [][]float32{g}, err
					},
					ref: func() (float64, [][]float64) {
						l, g := refNTXent(float64(tau), z64[0], dim)
						return l, [][]float64{g}
					},
					in64: z64, fd: fd, scale: 1 / float64(tau) / float64(2*n),
				}.verify(t)

				a, b := embeddings(rng, n, dim), embeddings(rng, n, dim)
				ab64 := [][]float64{f64(a), f64(b)}
				lossCheck{
					name: fmt.Sprintf("Symmetric n=%d dim=%d tau=%v", n, dim, tau),
					run: func(set *kernels.Set) (float32, [][]float32, error) {
						c := c
						c.Kernels = set
						ga, gb := make([]float32, len(a)), make([]float32, len(b))
						l, err := c.ForwardSymmetric(a, b, dim, ga, gb)
						return l, [][]float32{ga, gb}, err
					},
					ref: func() (float64, [][]float64) {
						l, ga, gb := refCLIP(float64(tau), ab64[0], ab64[1], dim)
						return l, [][]float64{ga, gb}
					},
					in64: ab64, fd: []int{0, 1}, scale: 1 / float64(tau) / float64(2*n),
				}.verify(t)
			}
		}
	}
}

// TestInfoNCEPartial checks that the loss alone, and one gradient alone,
// equal the corresponding parts of the full call.
func TestInfoNCEPartial(t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 2))
	c := InfoNCE{Temperature: 0.1}
	a, b := embeddings(rng, 40, 33), embeddings(rng, 40, 33)
	ga, gb := make([]float32, len(a)), make([]float32, len(b))
	full, _ := c.ForwardSymmetric(a, b, 33, ga, gb)
	if l, _ := c.ForwardSymmetric(a, b, 33, nil, nil); !tu.Same(l, full) {
		t.Errorf("loss without gradients %v, with %v", l, full)
	}
	only := make([]float32, len(b))
	if l, _ := c.ForwardSymmetric(a, b, 33, nil, only); !tu.Same(l, full) || tu.DiffMsg(only, gb) != "" {
		t.Errorf("gradB alone differs: %s", tu.DiffMsg(only, gb))
	}
	z := append(a, b...)
	g := make([]float32, len(z))
	full, _ = c.ForwardNTXent(z, 33, g)
	if l, _ := c.ForwardNTXent(z, 33, nil); !tu.Same(l, full) {
		t.Errorf("NT-Xent loss without gradient %v, with %v", l, full)
	}
}

func TestInfoNCESpecial(t *testing.T) {
	c := InfoNCE{Temperature: 0.5}
	z := []float32{1, 0, tu.NaN, 0}
	g := make([]float32, 4)
	if l, err := c.ForwardNTXent(z, 2, g); err != nil || l == l {
		t.Errorf("NaN embedding: %v %v, want a NaN loss", l, err)
	}
	// two identical views of one example against nothing else: the
	// positive is the only candidate, the loss is 0 and so is the gradient
	z = []float32{1, 2, 3, 1, 2, 3}
	g = make([]float32, 6)
	if l, err := c.ForwardNTXent(z, 3, g); err != nil || l != 0 {
		t.Errorf("single pair: %v %v, want 0", l, err)
	}
	for _, v := range g {
		if v != 0 {
			t.Errorf("single pair: gradient %v, want zeros", g)
			break
		}
	}
	// large embeddings whose squared norms stay finite normalise exactly
	// as small ones; the cosines of these are 0, the loss log 1 + log 1
	big := []float32{1e18, 1e18, -1e18, 1e18}
	if l, err := c.ForwardSymmetric(big[:2], big[2:], 2, nil, nil); err != nil || math.Abs(float64(l)) > 1e-6 {
		t.Errorf("large embeddings: %v %v, want 0", l, err)
	}
	// a finite embedding whose squared norm overflows (1e20² > MaxFloat32)
	// has no direction: the loss is NaN and so is every gradient element,
	// with and without gradients, in both forms, on every set
	huge := []float32{1e20, 1, 0.3, -2, 1, 1, -0.5, 0.7}
	for _, set := range kernels.Sets() {
		if !set.Supported() {
			continue
		}
		c := InfoNCE{Temperature: 0.5, Kernels: set}
		for _, withGrad := range []bool{false, true} {
			var g, gb []float32
			if withGrad {
				g, gb = make([]float32, 8), make([]float32, 4)
			}
			if l, err := c.ForwardNTXent(huge, 2, g); err != nil || l == l {
				t.Errorf("%s NTXent, squared norm overflowing: %v %v, want NaN", set.Name(), l, err)
			}
			if l, err := c.ForwardSymmetric(huge[:4], huge[4:], 2, g[:min(len(g), 4)], gb); err != nil || l == l {
				t.Errorf("%s Symmetric, squared norm overflowing: %v %v, want NaN", set.Name(), l, err)
			}
			for i, v := range append(g, gb...) {
				if v == v {
					t.Errorf("%s grad[%d] = %v, want NaN", set.Name(), i, v)
					break
				}
			}
		}
	}
}

func TestInfoNCEErrors(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	ok := InfoNCE{Temperature: 0.1}
	for _, c := range []struct {
		name, want string
		c          InfoNCE
		z          []float32
		dim, g     int
	}{
		{"temperature 0", "Temperature = 0", InfoNCE{}, x, 2, 4},
		{"temperature NaN", "Temperature = NaN", InfoNCE{Temperature: tu.NaN}, x, 2, 4},
		{"temperature Inf", "Temperature = +Inf", InfoNCE{Temperature: tu.PosInf}, x, 2, 4},
		{"dim", "dim = 0", ok, x, 0, 4},
		{"odd rows", "must be 2N rows", ok, x[:3], 1, 3},
		{"empty", "must be 2N rows", ok, nil, 2, 0},
		{"ragged", "must be 2N rows", ok, x, 3, 4},
		{"grad", "len(grad) = 3", ok, x, 2, 3},
	} {
		g := tu.Filled(c.g)
		errCheck(t, "NTXent "+c.name, c.want, [][]float32{g}, func() error {
			_, err := c.c.ForwardNTXent(c.z, c.dim, g)
			return err
		})
	}
	for _, c := range []struct {
		name, want string
		c          InfoNCE
		a, b       []float32
		dim        int
		ga, gb     int
	}{
		{"temperature", "Temperature = -1", InfoNCE{Temperature: -1}, x, x, 2, 4, 4},
		{"dim", "dim = -2", ok, x, x, -2, 4, 4},
		{"lengths", "must be the same N", ok, x, x[:2], 2, 4, 2},
		{"empty", "must be the same N", ok, nil, nil, 2, 0, 0},
		{"ragged", "must be the same N", ok, x, x, 3, 4, 4},
		{"gradA", "len(gradA) = 2", ok, x, x, 2, 2, 4},
		{"gradB", "len(gradB) = 5", ok, x, x, 2, 4, 5},
	} {
		ga, gb := tu.Filled(c.ga), tu.Filled(c.gb)
		errCheck(t, "Symmetric "+c.name, c.want, [][]float32{ga, gb}, func() error {
			_, err := c.c.ForwardSymmetric(c.a, c.b, c.dim, ga, gb)
			return err
		})
	}
	buf := make([]float32, 8)
	if _, err := ok.ForwardNTXent(buf[:4], 2, buf[2:6]); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("NTXent grad overlapping z: %v", err)
	}
	if _, err := ok.ForwardSymmetric(x, x, 2, buf[:4], buf[2:6]); err == nil || !strings.Contains(err.Error(), "gradA overlaps gradB") {
		t.Errorf("overlapping gradients: %v", err)
	}
	if _, err := ok.ForwardSymmetric(buf[:4], x, 2, nil, buf[:4]); err == nil || !strings.Contains(err.Error(), "gradB overlaps a") {
		t.Errorf("gradient overlapping an input: %v", err)
	}
}

func TestInfoNCENoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 3))
	c := InfoNCE{Temperature: 0.1}
	a, b := embeddings(rng, 64, 32), embeddings(rng, 64, 32)
	ga, gb := make([]float32, len(a)), make([]float32, len(b))
	z := append(append([]float32{}, a...), b...)
	g := make([]float32, len(z))
	noAllocs(t, "ForwardSymmetric", func() { _, _ = c.ForwardSymmetric(a, b, 32, ga, gb) })
	noAllocs(t, "ForwardNTXent", func() { _, _ = c.ForwardNTXent(z, 32, g) })
}
