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

// refPsi is the target logit's ψ and dψ/d cos θ from the definitions, on
// the angle θ = acos(c).
func refPsi(c *MarginSoftmax, ct float64) (float64, float64) {
	m1, m2, m3 := float64(c.M1), float64(c.M2), float64(c.M3)
	theta := math.Acos(ct)
	dTheta := -1 / math.Sin(theta) // dθ/d cos θ
	if m1 == 1 {
		switch {
		case c.EasyMargin && ct <= 0, m2 == 0:
			return ct - m3, 1
		case !c.EasyMargin && theta+m2 >= math.Pi:
			return ct - math.Sin(math.Pi-m2)*m2 - m3, 1
		}
		return math.Cos(theta+m2) - m3, -math.Sin(theta+m2) * dTheta
	}
	phi := m1*theta + m2
	k := math.Floor(phi / math.Pi)
	sign := math.Pow(-1, k)
	return sign*math.Cos(phi) - 2*k - m3, -sign * m1 * math.Sin(phi) * dTheta
}

// refMargin is the margin-softmax loss in float64 from its definition.
func refMargin(c *MarginSoftmax, x, w []float64, labels []int32, dim int) (float64, []float64, []float64) {
	rows, classes := len(x)/dim, len(w)/dim
	cs, back := cos64(x, w, rows, classes, dim)
	s := float64(c.Scale)
	dC := make([]float64, len(cs))
	total := 0.0
	for i, y := range labels {
		logits := make([]float64, classes)
		for j := range logits {
			logits[j] = s * cs[i*classes+j]
		}
		psi, dpsi := refPsi(c, cs[i*classes+int(y)])
		logits[y] = s * psi
		l, g := ce64(logits, int(y))
		total += l
		for j := range g {
			dC[i*classes+j] = s * g[j] / float64(rows)
		}
		dC[i*classes+int(y)] *= dpsi
	}
	gx, gw := back(dC)
	return total / float64(rows), gx, gw
}

func marginCases() []MarginSoftmax {
	return []MarginSoftmax{
		ArcFace(64, 0.5), ArcFace(30, 0.3), CosFace(64, 0.35), SphereFace(16, 4), SphereFace(8, 1.5),
		{Scale: 30, M1: 1, M2: 0.5, EasyMargin: true},
		{Scale: 64, M1: 1.2, M2: 0.3, M3: 0.2}, // the combined form
		{Scale: 1, M1: 1},                      // plain normalised softmax
	}
}

func TestMarginSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 1))
	for _, shape := range [][3]int{{1, 2, 3}, {7, 5, 8}, {40, 33, 17}, {16, 100, 64}} {
		rows, classes, dim := shape[0], shape[1], shape[2]
		for _, c := range marginCases() {
			x, w := embeddings(rng, rows, dim), embeddings(rng, classes, dim)
			labels := make([]int32, rows)
			for i := range labels {
				labels[i] = int32(rng.IntN(classes))
			}
			in := [][]float64{f64(x), f64(w)}
			lossCheck{
				name: fmt.Sprintf("%v %+v", shape, c),
				run: func(set *kernels.Set) (float32, [][]float32, error) {
					c := c
					c.Kernels = set
					gx, gw := make([]float32, len(x)), make([]float32, len(w))
					l, err := c.Forward(x, w, labels, dim, gx, gw)
					return l, [][]float32{gx, gw}, err
				},
				ref: func() (float64, [][]float64) {
					l, gx, gw := refMargin(&c, in[0], in[1], labels, dim)
					return l, [][]float64{gx, gw}
				},
				in64: in, fd: []int{0, 1}, scale: float64(c.Scale) / float64(rows), tol: 1e-4,
			}.verify(t)
		}
	}
}

// TestMarginTarget checks ψ on a grid of angles: non-increasing in θ
// (a larger angle is never rewarded; the easy margin is the exception by
// design, jumping back up to cos θ at θ = π/2), ψ(0) = cos(m2) - m3 where the margin
// applies at 0, and the derivative against central differences.
func TestMarginTarget(t *testing.T) {
	for _, c := range marginCases() {
		prev := math.Inf(1)
		for k := 0; k <= 2000; k++ {
			theta := math.Pi * float64(k) / 2000
			psi, d := c.target(math.Cos(theta))
			if psi > prev+1e-12 && !c.EasyMargin {
				t.Fatalf("%+v: ψ increases at θ = %v: %v after %v", c, theta, psi, prev)
			}
			prev = psi
			rp, rd := refPsi(&c, math.Cos(theta))
			if math.Abs(psi-rp) > 1e-12 {
				t.Fatalf("%+v: ψ(θ = %v) = %v, reference %v", c, theta, psi, rp)
			}
			if k > 0 && k < 2000 && math.Abs(d-rd) > 1e-6*math.Max(1, math.Abs(rd)) {
				t.Fatalf("%+v: dψ(θ = %v) = %v, reference %v", c, theta, d, rd)
			}
		}
		if psi, _ := c.target(1); math.Abs(psi-(math.Cos(float64(c.M2))-float64(c.M3))) > 1e-12 {
			t.Errorf("%+v: ψ(0) = %v", c, psi)
		}
	}
	// the derivative stays finite at θ = 0 and π
	for _, c := range marginCases() {
		for _, ct := range []float64{1, -1, 1.0000001, -1.0000001} {
			if psi, d := c.target(ct); math.IsNaN(psi) || math.IsInf(d, 0) || math.IsNaN(d) {
				t.Errorf("%+v at cos θ = %v: ψ %v, dψ %v", c, ct, psi, d)
			}
		}
	}
}

func TestMarginSoftmaxErrors(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	l := []int32{0, 1}
	ok := ArcFace(64, 0.5)
	for _, c := range []struct {
		name, want string
		c          MarginSoftmax
		x, w       []float32
		labels     []int32
		dim        int
		gx, gw     int
	}{
		{"scale", "Scale = 0", MarginSoftmax{M1: 1}, x, x, l, 2, 4, 4},
		{"m1", "M1 = 0", MarginSoftmax{Scale: 1}, x, x, l, 2, 4, 4},
		{"m2", "M2 = 3.2", MarginSoftmax{Scale: 1, M1: 1, M2: 3.2}, x, x, l, 2, 4, 4},
		{"m3", "M3 = -0.1", MarginSoftmax{Scale: 1, M1: 1, M3: -0.1}, x, x, l, 2, 4, 4},
		{"easy", "EasyMargin needs M1 = 1", MarginSoftmax{Scale: 1, M1: 2, EasyMargin: true}, x, x, l, 2, 4, 4},
		{"dim", "dim = 0", ok, x, x, l, 0, 4, 4},
		{"no classes", "classes >= 1", ok, x, nil, l, 2, 4, 0},
		{"ragged", "must be rows and classes", ok, x, x[:3], l, 2, 4, 3},
		{"labels", "len(labels) = 1", ok, x, x, l[:1], 2, 4, 4},
		{"label range", "labels[1] = 2 is outside [0, 2)", ok, x, x, []int32{0, 2}, 2, 4, 4},
		{"negative label", "labels[0] = -1", ok, x, x, []int32{-1, 0}, 2, 4, 4},
		{"gradX", "len(gradX) = 3", ok, x, x, l, 2, 3, 4},
		{"gradW", "len(gradW) = 5", ok, x, x, l, 2, 4, 5},
	} {
		gx, gw := tu.Filled(c.gx), tu.Filled(c.gw)
		errCheck(t, c.name, c.want, [][]float32{gx, gw}, func() error {
			_, err := c.c.Forward(c.x, c.w, c.labels, c.dim, gx, gw)
			return err
		})
	}
	buf := make([]float32, 8)
	if _, err := ok.Forward(x, x, l, 2, buf[:4], buf[2:6]); err == nil || !strings.Contains(err.Error(), "gradX overlaps gradW") {
		t.Errorf("overlapping gradients: %v", err)
	}
	if _, err := ok.Forward(buf[:4], x, l, 2, nil, buf[:4]); err == nil || !strings.Contains(err.Error(), "gradW overlaps x") {
		t.Errorf("gradient overlapping an input: %v", err)
	}
}

func TestMarginSoftmaxSpecial(t *testing.T) {
	c := ArcFace(64, 0.5)
	if l, err := c.Forward([]float32{1, tu.NaN}, []float32{1, 0, 0, 1}, []int32{0}, 2, nil, nil); err != nil || l == l {
		t.Errorf("NaN embedding: %v %v", l, err)
	}
	if l, err := c.Forward(nil, []float32{1, 0}, nil, 2, nil, nil); err != nil || l == l {
		t.Errorf("no rows: %v %v, want NaN (the mean of nothing)", l, err)
	}
	// an embedding exactly on its class: θ = 0, finite gradient
	gx, gw := make([]float32, 2), make([]float32, 4)
	if l, err := c.Forward([]float32{2, 0}, []float32{1, 0, 0, 1}, []int32{0}, 2, gx, gw); err != nil || math.IsNaN(float64(l)) {
		t.Errorf("θ = 0: %v %v", l, err)
	}
	for _, v := range append(gx, gw...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Errorf("θ = 0: gradients %v %v", gx, gw)
			break
		}
	}
	// a finite row whose squared norm overflows (in x, then in w): no
	// direction, so a NaN loss and NaN gradients, on every set
	x, w := []float32{1e20, 1, 0.5, -1}, []float32{1, 0, 0, 1, -1, 1}
	for _, set := range kernels.Sets() {
		if !set.Supported() {
			continue
		}
		c := ArcFace(64, 0.5)
		c.Kernels = set
		for _, in := range [][2][]float32{{x, w}, {[]float32{1, 1, 0.5, -1}, []float32{1, 0, 0, 3e19, -1, 1}}} {
			gx, gw := make([]float32, 4), make([]float32, 6)
			if l, err := c.Forward(in[0], in[1], []int32{0, 2}, 2, gx, gw); err != nil || l == l {
				t.Errorf("%s: squared norm overflowing: %v %v, want NaN", set.Name(), l, err)
			}
			for _, v := range append(gx, gw...) {
				if v == v {
					t.Errorf("%s: squared norm overflowing: gradients %v %v, want NaN", set.Name(), gx, gw)
					break
				}
			}
		}
	}
}

func TestMarginSoftmaxNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(92, 2))
	x, w := embeddings(rng, 64, 32), embeddings(rng, 100, 32)
	labels := make([]int32, 64)
	gx, gw := make([]float32, len(x)), make([]float32, len(w))
	c := ArcFace(64, 0.5)
	noAllocs(t, "MarginSoftmax.Forward", func() { _, _ = c.Forward(x, w, labels, 32, gx, gw) })
}
