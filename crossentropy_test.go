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

// refCE is a float64 reference of the cross-entropy, written from the
// definition (PyTorch's formulas), independent of the kernels. It returns the
// reduced loss, the per-row losses and the gradient of the returned loss
// (for None: of each row's loss).
func refCE(c *CrossEntropy, z []float64, labels []int32, soft []float64, sw []float64, cols int) (float64, []float64, []float64) {
	rows := len(z) / cols
	eps := float64(c.LabelSmoothing)
	w := func(k int) float64 {
		if c.ClassWeights == nil {
			return 1
		}
		return float64(c.ClassWeights[k])
	}
	s := func(i int) float64 {
		if sw == nil {
			return 1
		}
		return sw[i]
	}
	per := make([]float64, rows)
	grad := make([]float64, len(z))
	denom := 0.0
	for i := 0; i < rows; i++ {
		x := z[i*cols : (i+1)*cols]
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, v)
		}
		sum := 0.0
		for _, v := range x {
			sum += math.Exp(v - m)
		}
		lse := m + math.Log(sum)
		// target distribution t (weighted), loss = Σ_k t_k·(lse - z_k)
		t := make([]float64, cols)
		if soft != nil {
			for k := range t {
				t[k] = w(k) * ((1-eps)*soft[i*cols+k] + eps/float64(cols))
			}
			denom += s(i)
		} else {
			y := int(labels[i])
			if labels[i] < 0 {
				continue
			}
			for k := range t {
				t[k] = eps / float64(cols) * w(k)
			}
			t[y] += (1 - eps) * w(y)
			denom += s(i) * w(y)
		}
		mass := 0.0
		for k := range t {
			per[i] += t[k] * (lse - x[k])
			mass += t[k]
		}
		per[i] *= s(i)
		for k := range t {
			grad[i*cols+k] = s(i) * (mass*math.Exp(x[k]-lse) - t[k])
		}
	}
	total := 0.0
	for _, v := range per {
		total += v
	}
	if c.Reduction == Mean {
		total /= denom
		for k := range grad {
			grad[k] /= denom
		}
	}
	return total, per, grad
}

func f64(x []float32) []float64 {
	if x == nil {
		return nil
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

type ceCase struct {
	name   string
	c      CrossEntropy
	soft   bool
	sample bool
}

func ceCases(cols int, rng *rand.Rand) []ceCase {
	w := make([]float32, cols)
	for i := range w {
		w[i] = float32(0.2 + 2*rng.Float64())
	}
	var cs []ceCase
	for _, weights := range [][]float32{nil, w} {
		for _, eps := range []float32{0, 0.1} {
			for _, ig := range []int32{0, -100} {
				for _, red := range []Reduction{Mean, Sum, None} {
					for _, soft := range []bool{false, true} {
						for _, sample := range []bool{false, true} {
							if soft && ig != 0 {
								continue
							}
							cs = append(cs, ceCase{
								name:   fmt.Sprintf("w=%v/eps=%g/ignore=%d/%s/soft=%v/sample=%v", weights != nil, eps, ig, red, soft, sample),
								c:      CrossEntropy{ClassWeights: weights, LabelSmoothing: eps, IgnoreIndex: ig, Reduction: red},
								soft:   soft,
								sample: sample,
							})
						}
					}
				}
			}
		}
	}
	return cs
}

// ceInputs makes logits, labels (some ignored when ignore < 0), soft
// targets (rows of a random distribution) and sample weights.
func ceInputs(rng *rand.Rand, rows, cols int, ignore int32) (z []float32, labels []int32, q, sw []float32) {
	z = make([]float32, rows*cols)
	for i := range z {
		z[i] = float32(rng.NormFloat64() * 3)
	}
	labels = make([]int32, rows)
	for i := range labels {
		labels[i] = int32(rng.IntN(cols))
		if ignore < 0 && rng.IntN(5) == 0 {
			labels[i] = ignore
		}
	}
	q = make([]float32, rows*cols)
	for i := 0; i < rows; i++ {
		s := 0.0
		for k := 0; k < cols; k++ {
			v := rng.Float64()
			q[i*cols+k] = float32(v)
			s += v
		}
		for k := 0; k < cols; k++ {
			q[i*cols+k] /= float32(s)
		}
	}
	sw = make([]float32, rows)
	for i := range sw {
		sw[i] = float32(rng.Float64() * 2)
	}
	return
}

func runCE(set *kernels.Set, cc ceCase, z []float32, labels []int32, q, sw []float32, cols int, perRow, grad []float32) (float32, error) {
	if !cc.sample {
		sw = nil
	}
	if cc.soft {
		return cc.c.forwardSoft(set, z, q, sw, cols, perRow, grad)
	}
	return cc.c.forward(set, z, labels, sw, cols, perRow, grad)
}

// TestCrossEntropyReference checks loss, per-row losses and gradients of
// every option combination against the float64 reference.
func TestCrossEntropyReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, cols := range []int{1, 2, 10, 33, 300} {
		rows := 37
		for _, cc := range ceCases(cols, rng) {
			z, labels, q, sw := ceInputs(rng, rows, cols, cc.c.IgnoreIndex)
			per := make([]float32, rows)
			grad := make([]float32, rows*cols)
			got, err := runCE(active, cc, z, labels, q, sw, cols, per, grad)
			if err != nil {
				t.Fatalf("cols=%d %s: %v", cols, cc.name, err)
			}
			var sw64 []float64
			if cc.sample {
				sw64 = f64(sw)
			}
			var q64 []float64
			if cc.soft {
				q64 = f64(q)
			}
			want, wantPer, wantGrad := refCE(&cc.c, f64(z), labels, q64, sw64, cols)
			if math.Abs(float64(got)-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("cols=%d %s: loss %v, reference %v", cols, cc.name, got, want)
			}
			gmax := 0.0
			for _, g := range wantGrad {
				gmax = math.Max(gmax, math.Abs(g))
			}
			for i := range per {
				if math.Abs(float64(per[i])-wantPer[i]) > 1e-5*math.Max(1, math.Abs(wantPer[i])) {
					t.Fatalf("cols=%d %s: perRow[%d] = %v, reference %v", cols, cc.name, i, per[i], wantPer[i])
				}
			}
			for i := range grad {
				if math.Abs(float64(grad[i])-wantGrad[i]) > 1e-6*math.Max(gmax, 1e-30)+1e-6*math.Abs(wantGrad[i]) {
					t.Fatalf("cols=%d %s: grad[%d] = %v, reference %v", cols, cc.name, i, grad[i], wantGrad[i])
				}
				if !cc.soft && labels[i/cols] < 0 && (grad[i] != 0 || math.Signbit(float64(grad[i]))) {
					t.Fatalf("cols=%d %s: grad[%d] of an ignored row = %v, want +0", cols, cc.name, i, grad[i])
				}
			}
		}
	}
}

// TestCrossEntropyFiniteDifferences checks the reference gradient (and so
// the kernels' gradient, tested against it above) by central differences of
// the float64 reference loss.
func TestCrossEntropyFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const cols, rows = 5, 4
	for _, cc := range ceCases(cols, rng) {
		z, labels, q, sw := ceInputs(rng, rows, cols, cc.c.IgnoreIndex)
		var sw64, q64 []float64
		if cc.sample {
			sw64 = f64(sw)
		}
		if cc.soft {
			q64 = f64(q)
		}
		x := f64(z)
		_, _, g := refCE(&cc.c, x, labels, q64, sw64, cols)
		grad := make([]float32, len(z))
		if _, err := runCE(active, cc, z, labels, q, sw, cols, nil, grad); err != nil {
			t.Fatal(err)
		}
		for i := range x {
			loss := func(d float64) float64 {
				old := x[i]
				x[i] += d
				l, per, _ := refCE(&cc.c, x, labels, q64, sw64, cols)
				x[i] = old
				if cc.c.Reduction == None {
					return per[i/cols] // None: the gradient is of each row's loss
				}
				return l
			}
			const h = 1e-5
			fd := (loss(h) - loss(-h)) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Fatalf("%s: reference grad[%d] = %v, central difference %v", cc.name, i, g[i], fd)
			}
			if math.Abs(float64(grad[i])-fd) > 2e-6*math.Max(1, math.Abs(fd)) {
				t.Fatalf("%s: grad[%d] = %v, central difference %v", cc.name, i, grad[i], fd)
			}
		}
	}
}

// TestCrossEntropySetsAgree runs every option combination on every kernel
// set this CPU supports and requires the generic set's bits.
func TestCrossEntropySetsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, cols := range []int{1, 3, 8, 10, 31, 64, 129, 1000} {
		rows := 300
		if cols >= 129 {
			rows = 20
		}
		for _, cc := range ceCases(cols, rng) {
			z, labels, q, sw := ceInputs(rng, rows, cols, cc.c.IgnoreIndex)
			if cols > 3 {
				tu.Fill(rng, z[:2*cols], cols, tu.Adversarial)
			}
			wantPer, wantGrad := make([]float32, rows), make([]float32, rows*cols)
			want, err := runCE(kernels.Generic, cc, z, labels, q, sw, cols, wantPer, wantGrad)
			if err != nil {
				t.Fatal(err)
			}
			for _, set := range kernels.Sets()[1:] {
				if !set.Supported() {
					continue
				}
				per, grad := make([]float32, rows), make([]float32, rows*cols)
				got, err := runCE(set, cc, z, labels, q, sw, cols, per, grad)
				if err != nil {
					t.Fatal(err)
				}
				if !tu.Same(got, want) {
					t.Fatalf("%s cols=%d %s: loss %v, generic %v", set.Name(), cols, cc.name, got, want)
				}
				if msg := tu.DiffMsg(per, wantPer); msg != "" {
					t.Fatalf("%s cols=%d %s: perRow: %s", set.Name(), cols, cc.name, msg)
				}
				if msg := tu.DiffMsg(grad, wantGrad); msg != "" {
					t.Fatalf("%s cols=%d %s: grad: %s", set.Name(), cols, cc.name, msg)
				}
			}
		}
	}
}

// TestCrossEntropySpecial checks PyTorch's conventions on degenerate input.
func TestCrossEntropySpecial(t *testing.T) {
	c := CrossEntropy{IgnoreIndex: -100}
	// every row ignored: Mean is 0/0 = NaN, Sum is 0, gradients are zero
	grad := []float32{9, 9, 9, 9}
	l, err := c.Forward([]float32{1, 2, 3, 4}, []int32{-100, -100}, 2, nil, grad)
	if err != nil || l == l {
		t.Errorf("all ignored, Mean: %v, %v; want NaN", l, err)
	}
	for _, g := range grad {
		if g != 0 {
			t.Errorf("all ignored: grad %v, want zeros", grad)
		}
	}
	c.Reduction = Sum
	if l, _ := c.Forward([]float32{1, 2}, []int32{-100}, 2, nil, nil); l != 0 {
		t.Errorf("all ignored, Sum: %v, want 0", l)
	}
	// NaN and Inf logits propagate to the loss
	c.Reduction = Mean
	for _, z := range [][]float32{{tu.NaN, 1}, {tu.PosInf, 1}} {
		if l, _ := c.Forward(z, []int32{1}, 2, nil, nil); l == l {
			t.Errorf("logits %v: loss %v, want NaN", z, l)
		}
	}
	if l, _ := c.Forward([]float32{tu.NegInf, 1}, []int32{0}, 2, nil, nil); !math.IsInf(float64(l), 1) {
		t.Errorf("label logit -Inf: loss %v, want +Inf", l)
	}
	// huge logits do not overflow
	if l, _ := c.Forward([]float32{1e30, -1e30}, []int32{0}, 2, nil, nil); l != 0 {
		t.Errorf("logits ±1e30, label 0: loss %v, want 0", l)
	}
	// empty batch
	if l, err := c.Forward(nil, nil, 10, nil, nil); err != nil || l == l {
		t.Errorf("empty batch, Mean: %v, %v; want NaN", l, err)
	}
}

// TestCrossEntropyErrors checks that bad input returns a descriptive error
// and leaves every output untouched.
func TestCrossEntropyErrors(t *testing.T) {
	z := []float32{1, 2, 3, 4, 5, 6}
	good := []int32{0, 2}
	q := []float32{0.5, 0.5, 0, 1, 0, 0}
	cases := []struct {
		name, want string
		c          CrossEntropy
		z          []float32
		labels     []int32
		q, sw      []float32
		cols       int
		per, grad  int // lengths of the outputs
	}{
		{"label too big", "labels[1] = 3", CrossEntropy{}, z, []int32{0, 3}, nil, nil, 3, 2, 6},
		{"label negative", "labels[0] = -1", CrossEntropy{}, z, []int32{-1, 0}, nil, nil, 3, 2, 6},
		{"other negative than ignore", "labels[0] = -2", CrossEntropy{IgnoreIndex: -100}, z, []int32{-2, 0}, nil, nil, 3, 2, 6},
		{"labels length", "len(labels) = 1", CrossEntropy{}, z, []int32{0}, nil, nil, 3, 2, 6},
		{"cols", "not a multiple", CrossEntropy{}, z, good, nil, nil, 4, 2, 6},
		{"cols zero", "cols = 0", CrossEntropy{}, z, good, nil, nil, 0, 2, 6},
		{"weights length", "len(ClassWeights) = 2", CrossEntropy{ClassWeights: []float32{1, 1}}, z, good, nil, nil, 3, 2, 6},
		{"weight NaN", "ClassWeights[1] = NaN", CrossEntropy{ClassWeights: []float32{1, tu.NaN, 1}}, z, good, nil, nil, 3, 2, 6},
		{"weight negative", "ClassWeights[2] = -1", CrossEntropy{ClassWeights: []float32{1, 1, -1}}, z, good, nil, nil, 3, 2, 6},
		{"weight Inf", "ClassWeights[0] = +Inf", CrossEntropy{ClassWeights: []float32{tu.PosInf, 1, 1}}, z, good, nil, nil, 3, 2, 6},
		{"sample weight", "sampleWeights[1] = -0.5", CrossEntropy{}, z, good, nil, []float32{1, -0.5}, 3, 2, 6},
		{"sample weights length", "len(sampleWeights) = 3", CrossEntropy{}, z, good, nil, []float32{1, 1, 1}, 3, 2, 6},
		{"smoothing 1", "LabelSmoothing = 1", CrossEntropy{LabelSmoothing: 1}, z, good, nil, nil, 3, 2, 6},
		{"smoothing NaN", "LabelSmoothing = NaN", CrossEntropy{LabelSmoothing: tu.NaN}, z, good, nil, nil, 3, 2, 6},
		{"smoothing negative", "LabelSmoothing = -0.1", CrossEntropy{LabelSmoothing: -0.1}, z, good, nil, nil, 3, 2, 6},
		{"positive ignore", "IgnoreIndex = 3", CrossEntropy{IgnoreIndex: 3}, z, good, nil, nil, 3, 2, 6},
		{"reduction", "unknown Reduction", CrossEntropy{Reduction: 7}, z, good, nil, nil, 3, 2, 6},
		{"perRow length", "len(perRow) = 3", CrossEntropy{}, z, good, nil, nil, 3, 3, 6},
		{"grad length", "len(grad) = 5", CrossEntropy{}, z, good, nil, nil, 3, 2, 5},
		{"soft negative", "targets[4] (row 1) = -1", CrossEntropy{}, z, nil, []float32{0, 1, 0, 1, -1, 1}, nil, 3, 2, 6},
		{"soft NaN", "targets[0] (row 0) = NaN", CrossEntropy{}, z, nil, []float32{tu.NaN, 1, 0, 1, 0, 0}, nil, 3, 2, 6},
		{"soft length", "len(targets) = 5", CrossEntropy{}, z, nil, q[:5], nil, 3, 2, 6},
	}
	for _, c := range cases {
		per, grad := tu.Filled(c.per), tu.Filled(c.grad)
		var err error
		if c.q != nil {
			_, err = c.c.ForwardSoftWeighted(c.z, c.q, c.sw, c.cols, per, grad)
		} else {
			_, err = c.c.ForwardWeighted(c.z, c.labels, c.sw, c.cols, per, grad)
		}
		if err == nil || !strings.HasPrefix(err.Error(), "simdloss: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if !tu.Untouched(per, grad) {
			t.Errorf("%s: an output was written despite the error", c.name)
		}
	}
	// grad overlapping the logits
	buf := make([]float32, 12)
	if _, err := (&CrossEntropy{}).Forward(buf[:6], good, 3, nil, buf[3:9]); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("overlapping grad: %v", err)
	}
	// perRow overlapping the logits or the gradient
	if _, err := (&CrossEntropy{}).Forward(buf[:6], good, 3, buf[5:7], nil); err == nil || !strings.Contains(err.Error(), "perRow overlaps") {
		t.Errorf("perRow overlapping logits: %v", err)
	}
	if _, err := (&CrossEntropy{}).Forward(buf[:6], good, 3, buf[6:8], buf[6:12]); err == nil || !strings.Contains(err.Error(), "grad overlaps perRow") {
		t.Errorf("perRow overlapping grad: %v", err)
	}
}

func TestCrossEntropyNoAllocs(t *testing.T) {
	if tu.Race {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	z, labels, q, sw := ceInputs(rng, 600, 10, -100)
	per, grad := make([]float32, 600), make([]float32, 6000)
	c := CrossEntropy{ClassWeights: make([]float32, 10), LabelSmoothing: 0.1, IgnoreIndex: -100}
	for i := range c.ClassWeights {
		c.ClassWeights[i] = 1
	}
	if a := testing.AllocsPerRun(10, func() { _, _ = c.ForwardWeighted(z, labels, sw, 10, per, grad) }); a != 0 {
		t.Errorf("Forward allocates %v times per call", a)
	}
	if a := testing.AllocsPerRun(10, func() { _, _ = c.ForwardSoft(z, q, 10, per, grad) }); a != 0 {
		t.Errorf("ForwardSoft allocates %v times per call", a)
	}
}
