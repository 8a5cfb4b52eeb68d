package simdloss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// refFocal is the softmax focal loss in float64 from its definition, the
// gradient by the chain rule through p: dFL/dz_j = dFL/dp·p·(δ_jy - p_j).
func refFocal(f *Focal, z []float64, labels []int32, cols int) (float64, []float64, []float64) {
	rows := len(labels)
	per, grad := make([]float64, rows), make([]float64, len(z))
	red := 1.0
	if f.Reduction == Mean {
		red = 1 / float64(rows)
	}
	g := float64(f.Gamma)
	total := 0.0
	for i, y := range labels {
		row := z[i*cols : (i+1)*cols]
		lse, sm := lse64(row, func(int) bool { return true })
		logp := row[y] - lse
		p := math.Exp(logp)
		alpha := 1.0
		if f.Alpha != nil {
			alpha = float64(f.Alpha[y])
		}
		per[i] = -alpha * math.Pow(1-p, g) * logp
		total += per[i]
		dp := -alpha * (-g*math.Pow(1-p, g-1)*logp + math.Pow(1-p, g)/p) // dFL/dp
		for j := range row {
			d := -p * sm[j]
			if j == int(y) {
				d += p
			}
			grad[i*cols+j] = dp * d * red
		}
	}
	return total * red, per, grad
}

func TestFocal(t *testing.T) {
	rng := rand.New(rand.NewPCG(101, 1))
	for _, cols := range []int{1, 2, 3, 10, 37, 130} {
		rows := 23
		for _, f := range []Focal{
			{Gamma: 2}, {Gamma: 0}, {Gamma: 0.5, Reduction: Sum}, {Gamma: 5, Reduction: None},
			{Gamma: 2, Alpha: make([]float32, cols)},
		} {
			if f.Alpha != nil {
				for i := range f.Alpha {
					f.Alpha[i] = rng.Float32()
				}
			}
			z := make([]float32, rows*cols)
			for i := range z {
				z[i] = float32(rng.NormFloat64() * 2)
			}
			labels := make([]int32, rows)
			for i := range labels {
				labels[i] = int32(rng.IntN(cols))
			}
			z64 := [][]float64{f64(z)}
			fd := []int{-1, 0}
			if cols == 1 {
				fd = []int{-1, -1} // p = 1: the gradient is 0, not differentiable through q^(γ-1) for γ < 1
			}
			lossCheck{
				name: fmt.Sprintf("cols=%d γ=%v α=%v %s", cols, f.Gamma, f.Alpha != nil, f.Reduction),
				run: func(set *kernels.Set) (float32, [][]float32, error) {
					f := f
					f.Kernels = set
					per, g := make([]float32, rows), make([]float32, len(z))
					l, err := f.Forward(z, labels, cols, per, g)
					return l, [][]float32{per, g}, err
				},
				ref: func() (float64, [][]float64) {
					l, per, g := refFocal(&f, z64[0], labels, cols)
					if cols == 1 {
						g = make([]float64, len(g))
					}
					return l, [][]float64{per, g}
				},
				in64: z64, fd: fd, tol: 1e-5,
			}.verify(t)
		}
	}
}

// TestFocalIsCrossEntropy: γ = 0 with class weights as α is the
// cross-entropy with those weights and a plain sum.
func TestFocalIsCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(102, 2))
	z := make([]float32, 50*9)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	labels := make([]int32, 50)
	for i := range labels {
		labels[i] = int32(rng.IntN(9))
	}
	f := Focal{Reduction: Sum}
	ce := CrossEntropy{Reduction: Sum}
	gf, gc := make([]float32, len(z)), make([]float32, len(z))
	lf, _ := f.Forward(z, labels, 9, nil, gf)
	lc, _ := ce.Forward(z, labels, 9, nil, gc)
	if math.Abs(float64(lf-lc)) > 1e-5*math.Abs(float64(lc)) {
		t.Errorf("γ = 0: focal %v, cross-entropy %v", lf, lc)
	}
	for i := range gf {
		if math.Abs(float64(gf[i]-gc[i])) > 1e-6 {
			t.Fatalf("γ = 0: grad[%d] focal %v, cross-entropy %v", i, gf[i], gc[i])
		}
	}
}

func TestFocalSpecial(t *testing.T) {
	f := Focal{Gamma: 0.5}
	// a certain prediction: p = 1 in float32, loss 0, finite zero gradient
	g := make([]float32, 2)
	if l, err := f.Forward([]float32{100, -100}, []int32{0}, 2, nil, g); err != nil || l != 0 || g[0] != 0 || g[1] != 0 {
		t.Errorf("p = 1: %v %v %v", l, err, g)
	}
	// an impossible one: huge but finite loss
	if l, _ := f.Forward([]float32{-100, 100}, []int32{0}, 2, nil, g); !(l > 199 && l < 201) {
		t.Errorf("p = e^-200: loss %v, want about 200", l)
	}
	if l, _ := f.Forward([]float32{tu.NaN, 0}, []int32{0}, 2, nil, g); l == l {
		t.Errorf("NaN logit: loss %v", l)
	}
	if l, err := f.Forward(nil, nil, 2, nil, nil); err != nil || l == l {
		t.Errorf("empty batch, Mean: %v %v, want NaN", l, err)
	}
}

func TestFocalErrors(t *testing.T) {
	z := []float32{1, 2, 3, 4}
	l := []int32{0, 1}
	for _, c := range []struct {
		name, want string
		f          Focal
		labels     []int32
		cols       int
		per, g     int
	}{
		{"gamma", "Gamma = -1", Focal{Gamma: -1}, l, 2, 2, 4},
		{"gamma NaN", "Gamma = NaN", Focal{Gamma: tu.NaN}, l, 2, 2, 4},
		{"reduction", "unknown Reduction", Focal{Reduction: 7}, l, 2, 2, 4},
		{"alpha len", "len(Alpha) = 1", Focal{Alpha: []float32{1}}, l, 2, 2, 4},
		{"alpha", "Alpha[1] = -1", Focal{Alpha: []float32{1, -1}}, l, 2, 2, 4},
		{"cols", "cols = 0", Focal{}, l, 0, 2, 4},
		{"ragged", "not a multiple", Focal{}, l, 3, 2, 4},
		{"labels", "len(labels) = 1", Focal{}, l[:1], 2, 2, 4},
		{"label", "labels[1] = 2 is outside [0, 2)", Focal{}, []int32{0, 2}, 2, 2, 4},
		{"perRow", "len(perRow) = 3", Focal{}, l, 2, 3, 4},
		{"grad", "len(grad) = 2", Focal{}, l, 2, 2, 2},
	} {
		per, g := tu.Filled(c.per), tu.Filled(c.g)
		errCheck(t, c.name, c.want, [][]float32{per, g}, func() error {
			_, err := c.f.Forward(z, c.labels, c.cols, per, g)
			return err
		})
	}
}

// refSigmoidFocal is torchvision's sigmoid focal loss in float64, the
// gradient by the chain rule through p = σ(x).
func refSigmoidFocal(f *SigmoidFocal, x, tg []float64) (float64, []float64, []float64) {
	n := len(x)
	per, grad := make([]float64, n), make([]float64, n)
	red := 1.0
	if f.Reduction == Mean {
		red = 1 / float64(n)
	}
	a, g := float64(f.Alpha), float64(f.Gamma)
	total := 0.0
	for i := range x {
		p, t := 1/(1+math.Exp(-x[i])), tg[i]
		ce := -(t*math.Log(p) + (1-t)*math.Log(1-p))
		omp := 1 - (p*t + (1-p)*(1-t))
		at := 1.0
		if a >= 0 {
			at = a*t + (1-a)*(1-t)
		}
		per[i] = at * ce * math.Pow(omp, g)
		total += per[i]
		dce := -t/p + (1-t)/(1-p)
		dmod := 0.0
		if g != 0 {
			dmod = g * math.Pow(omp, g-1) * (1 - 2*t)
		}
		grad[i] = at * (dce*math.Pow(omp, g) + ce*dmod) * p * (1 - p) * red
	}
	return total * red, per, grad
}

func TestSigmoidFocal(t *testing.T) {
	rng := rand.New(rand.NewPCG(103, 3))
	for _, f := range []SigmoidFocal{
		{Alpha: 0.25, Gamma: 2}, {Alpha: -1, Gamma: 0}, {Alpha: 0.5, Gamma: 1.5, Reduction: Sum},
		{Alpha: 0.9, Gamma: 3, Reduction: None},
	} {
		n := 200
		x, tg := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 3)
			switch i % 3 {
			case 0, 1:
				tg[i] = float32(i % 3) // hard 0/1 targets
			default:
				tg[i] = rng.Float32() // soft targets
			}
		}
		in := [][]float64{f64(x), f64(tg)}
		lossCheck{
			name: fmt.Sprintf("%+v", f),
			run: func(set *kernels.Set) (float32, [][]float32, error) {
				f := f
				f.Kernels = set
				per, g := make([]float32, n), make([]float32, n)
				l, err := f.Forward(x, tg, per, g)
				return l, [][]float32{per, g}, err
			},
			ref: func() (float64, [][]float64) {
				l, per, g := refSigmoidFocal(&f, in[0], in[1])
				return l, [][]float64{per, g}
			},
			in64: in, fd: []int{-1, 0}, tol: 1e-5,
		}.verify(t)
	}
}

func TestSigmoidFocalSpecial(t *testing.T) {
	f := SigmoidFocal{Alpha: 0.25, Gamma: 0.5}
	// saturated, correct predictions: 1 - p_t = 0 exactly, no NaN
	per, g := make([]float32, 2), make([]float32, 2)
	if l, err := f.Forward([]float32{800, -800}, []float32{1, 0}, per, g); err != nil || l != 0 || g[0] != 0 || g[1] != 0 {
		t.Errorf("saturated: %v %v %v", l, err, g)
	}
	// saturated, wrong: finite loss ≈ α_t·|x|
	if l, _ := f.Forward([]float32{-80}, []float32{1}, nil, g[:1]); math.Abs(float64(l)-0.25*80) > 1e-3 || g[0] != -0.25 {
		t.Errorf("saturated wrong: %v, grad %v", l, g[0])
	}
	for _, c := range []struct {
		name, want string
		f          SigmoidFocal
		x, tg      []float32
		per, g     int
	}{
		{"alpha", "Alpha = 1.5", SigmoidFocal{Alpha: 1.5}, []float32{1}, []float32{1}, 1, 1},
		{"alpha NaN", "Alpha = NaN", SigmoidFocal{Alpha: tu.NaN}, []float32{1}, []float32{1}, 1, 1},
		{"gamma", "Gamma = +Inf", SigmoidFocal{Gamma: tu.PosInf}, []float32{1}, []float32{1}, 1, 1},
		{"target", "targets[0] = 2", SigmoidFocal{}, []float32{1}, []float32{2}, 1, 1},
		{"target NaN", "targets[0] = NaN", SigmoidFocal{}, []float32{1}, []float32{tu.NaN}, 1, 1},
		{"lengths", "len(targets) = 2", SigmoidFocal{}, []float32{1}, []float32{1, 0}, 1, 1},
		{"perElem", "len(perElem) = 2", SigmoidFocal{}, []float32{1}, []float32{1}, 2, 1},
		{"reduction", "unknown Reduction", SigmoidFocal{Reduction: 5}, []float32{1}, []float32{1}, 1, 1},
	} {
		per, g := tu.Filled(c.per), tu.Filled(c.g)
		errCheck(t, c.name, c.want, [][]float32{per, g}, func() error {
			_, err := c.f.Forward(c.x, c.tg, per, g)
			return err
		})
	}
}

func TestFocalNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(104, 4))
	z := embeddings(rng, 64, 10)
	labels := make([]int32, 64)
	per, g := make([]float32, 64), make([]float32, len(z))
	f := Focal{Gamma: 2}
	noAllocs(t, "Focal.Forward", func() { _, _ = f.Forward(z, labels, 10, per, g) })
	sf := SigmoidFocal{Alpha: 0.25, Gamma: 2}
	tg := make([]float32, len(z))
	noAllocs(t, "SigmoidFocal.Forward", func() { _, _ = sf.Forward(z, tg, g, nil) })
}

// TestSigmoidFocalChunks: the reduced loss and the gradient do not depend on
// whether perElem is asked for, across the chunks the loss is summed in.
func TestSigmoidFocalChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(105, 5))
	const n = 1000
	x, tg := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], tg[i] = float32(rng.NormFloat64()*3), float32(rng.IntN(2))
	}
	for _, set := range kernels.Sets() {
		if !set.Supported() {
			continue
		}
		f := SigmoidFocal{Alpha: 0.25, Gamma: 2, Kernels: set}
		per, g1, g2 := make([]float32, n), make([]float32, n), make([]float32, n)
		l1, err1 := f.Forward(x, tg, per, g1)
		l2, err2 := f.Forward(x, tg, nil, g2)
		if err1 != nil || err2 != nil || !tu.Same(l1, l2) || tu.DiffMsg(g1, g2) != "" {
			t.Fatalf("%s: with perElem %v (%v), without %v (%v), grads: %s", set.Name(), l1, err1, l2, err2, tu.DiffMsg(g1, g2))
		}
	}
}
