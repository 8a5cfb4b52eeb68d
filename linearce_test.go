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

// refLinearCE is the float64 reference: the full logits H·Wᵀ, refCE on them,
// then d/dH = G·W and d/dW = Gᵀ·H.
func refLinearCE(c *CrossEntropy, h, w []float64, labels []int32, dim int) (float64, []float64, []float64, []float64) {
	rows, classes := len(h)/dim, len(w)/dim
	z := make([]float64, rows*classes)
	for i := 0; i < rows; i++ {
		for j := 0; j < classes; j++ {
			for k := 0; k < dim; k++ {
				z[i*classes+j] += h[i*dim+k] * w[j*dim+k]
			}
		}
	}
	loss, per, g := refCE(c, z, labels, nil, nil, classes)
	gh, gw := make([]float64, len(h)), make([]float64, len(w))
	for i := 0; i < rows; i++ {
		for j := 0; j < classes; j++ {
			for k := 0; k < dim; k++ {
				gh[i*dim+k] += g[i*classes+j] * w[j*dim+k]
				gw[j*dim+k] += g[i*classes+j] * h[i*dim+k]
			}
		}
	}
	return loss, per, gh, gw
}

func linearInputs(rng *rand.Rand, rows, classes, dim int, ignore int32) (h, w []float32, labels []int32) {
	h, w = make([]float32, rows*dim), make([]float32, classes*dim)
	for i := range h {
		h[i] = float32(rng.NormFloat64())
	}
	for i := range w {
		w[i] = float32(rng.NormFloat64() / math.Sqrt(float64(dim)))
	}
	labels = make([]int32, rows)
	for i := range labels {
		labels[i] = int32(rng.IntN(classes))
		if ignore < 0 && i%5 == 3 {
			labels[i] = ignore
		}
	}
	return
}

func linearCases(classes int, rng *rand.Rand) []LinearCrossEntropy {
	cw := make([]float32, classes)
	for i := range cw {
		cw[i] = 0.5 + rng.Float32()
	}
	var cs []LinearCrossEntropy
	for _, weights := range [][]float32{nil, cw} {
		for _, eps := range []float32{0, 0.1} {
			for _, red := range []Reduction{Mean, Sum, None} {
				for _, blk := range [][2]int{{0, 0}, {3, 5}, {7, 1}} {
					cs = append(cs, LinearCrossEntropy{
						CrossEntropy: CrossEntropy{ClassWeights: weights, LabelSmoothing: eps, IgnoreIndex: -100, Reduction: red},
						BlockRows:    blk[0], BlockCols: blk[1],
					})
				}
			}
		}
	}
	return cs
}

func linearName(c *LinearCrossEntropy) string {
	return fmt.Sprintf("w=%v/eps=%g/%s/block=%dx%d", c.ClassWeights != nil, c.LabelSmoothing, c.Reduction, c.BlockRows, c.BlockCols)
}

func TestLinearCrossEntropyReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 1))
	for _, sh := range [][3]int{{1, 1, 1}, {9, 13, 5}, {30, 37, 16}} {
		rows, classes, dim := sh[0], sh[1], sh[2]
		for _, lc := range linearCases(classes, rng) {
			h, w, labels := linearInputs(rng, rows, classes, dim, -100)
			per, gh, gw := make([]float32, rows), make([]float32, len(h)), make([]float32, len(w))
			got, err := lc.Forward(h, w, labels, dim, per, gh, gw)
			if err != nil {
				t.Fatal(err)
			}
			want, wantPer, wantGH, wantGW := refLinearCE(&lc.CrossEntropy, f64(h), f64(w), labels, dim)
			name := fmt.Sprintf("%dx%dx%d %s", rows, classes, dim, linearName(&lc))
			if want != want { // all rows ignored with Mean: NaN on both sides
				if got == got {
					t.Fatalf("%s: loss %v, reference NaN", name, got)
				}
				continue
			}
			if math.Abs(float64(got)-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("%s: loss %v, reference %v", name, got, want)
			}
			for i := range per {
				if math.Abs(float64(per[i])-wantPer[i]) > 1e-5*math.Max(1, math.Abs(wantPer[i])) {
					t.Fatalf("%s: perRow[%d] = %v, reference %v", name, i, per[i], wantPer[i])
				}
			}
			for _, g := range []struct {
				name      string
				got, want any
			}{{"gradHidden", gh, wantGH}, {"gradWeight", gw, wantGW}} {
				got, want := g.got.([]float32), g.want.([]float64)
				for i := range got {
					if math.Abs(float64(got[i])-want[i]) > 2e-5*math.Max(1, math.Abs(want[i])) {
						t.Fatalf("%s: %s[%d] = %v, reference %v", name, g.name, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestLinearCrossEntropyFiniteDifferences checks the reference gradients
// w.r.t. hidden and weight by central differences.
func TestLinearCrossEntropyFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 2))
	const rows, classes, dim = 3, 4, 3
	ce := CrossEntropy{ClassWeights: []float32{1, 2, 0.5, 1}, LabelSmoothing: 0.1}
	h, w, labels := linearInputs(rng, rows, classes, dim, 0)
	hh, ww := f64(h), f64(w)
	_, _, gh, gw := refLinearCE(&ce, hh, ww, labels, dim)
	for _, x := range []struct {
		v []float64
		g []float64
	}{{hh, gh}, {ww, gw}} {
		for i := range x.v {
			old := x.v[i]
			x.v[i] = old + 1e-6
			lp, _, _, _ := refLinearCE(&ce, hh, ww, labels, dim)
			x.v[i] = old - 1e-6
			lm, _, _, _ := refLinearCE(&ce, hh, ww, labels, dim)
			x.v[i] = old
			fd := (lp - lm) / 2e-6
			if math.Abs(fd-x.g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Fatalf("reference gradient [%d] = %v, central difference %v", i, x.g[i], fd)
			}
		}
	}
}

func TestLinearCrossEntropySetsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 3))
	for _, sh := range [][3]int{{17, 33, 24}, {40, 200, 64}} {
		rows, classes, dim := sh[0], sh[1], sh[2]
		for _, lc := range linearCases(classes, rng) {
			h, w, labels := linearInputs(rng, rows, classes, dim, -100)
			tu.Fill(rng, h[:dim], dim, tu.Adversarial)
			run := func(set *kernels.Set) (float32, [3][]float32) {
				lc := lc
				lc.Kernels = set
				out := [3][]float32{make([]float32, rows), make([]float32, len(h)), make([]float32, len(w))}
				l, err := lc.Forward(h, w, labels, dim, out[0], out[1], out[2])
				if err != nil {
					t.Fatal(err)
				}
				return l, out
			}
			want, wantOut := run(kernels.Generic)
			for _, set := range kernels.Sets()[1:] {
				if !set.Supported() {
					continue
				}
				got, out := run(set)
				if !tu.Same(got, want) {
					t.Fatalf("%s %v %s: loss %v, generic %v", set.Name(), sh, linearName(&lc), got, want)
				}
				for i := range out {
					if msg := tu.DiffMsg(out[i], wantOut[i]); msg != "" {
						t.Fatalf("%s %v %s: %s: %s", set.Name(), sh, linearName(&lc), [...]string{"perRow", "gradHidden", "gradWeight"}[i], msg)
					}
				}
			}
		}
	}
}

// TestLinearCrossEntropyMatchesMaterialised compares with CrossEntropy on
// the materialised logits (same semantics, different summation order).
func TestLinearCrossEntropyMatchesMaterialised(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 4))
	const rows, classes, dim = 50, 300, 32
	h, w, labels := linearInputs(rng, rows, classes, dim, -100)
	lc := LinearCrossEntropy{CrossEntropy: CrossEntropy{LabelSmoothing: 0.05, IgnoreIndex: -100}, BlockCols: 64}
	got, err := lc.Forward(h, w, labels, dim, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	z := make([]float32, rows*classes)
	Dots(z, h, w, dim)
	want, err := lc.CrossEntropy.Forward(z, labels, classes, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(got-want)) > 1e-5*math.Abs(float64(want)) {
		t.Errorf("fused %v, materialised %v", got, want)
	}
}

func TestLinearCrossEntropyErrors(t *testing.T) {
	h, w := make([]float32, 6), make([]float32, 9) // 2 rows, 3 classes, dim 3
	good := []int32{0, 2}
	for _, c := range []struct {
		name, want string
		lc         LinearCrossEntropy
		h, w       []float32
		labels     []int32
		dim        int
		per, gh    int
	}{
		{"dim", "dim = 0", LinearCrossEntropy{}, h, w, good, 0, 2, 6},
		{"hidden", "len(hidden) = 6 is not a multiple of dim = 4", LinearCrossEntropy{}, h, w[:8], good, 4, 2, 6},
		{"weight", "len(weight) = 8", LinearCrossEntropy{}, h, w[:8], good, 3, 2, 6},
		{"no class", "no class", LinearCrossEntropy{}, h, nil, good, 3, 2, 6},
		{"label", "labels[1] = 3", LinearCrossEntropy{}, h, w, []int32{0, 3}, 3, 2, 6},
		{"labels", "len(labels) = 1", LinearCrossEntropy{}, h, w, []int32{0}, 3, 2, 6},
		{"weights", "ClassWeights[1] = -1", LinearCrossEntropy{CrossEntropy: CrossEntropy{ClassWeights: []float32{1, -1, 1}}}, h, w, good, 3, 2, 6},
		{"weights length", "len(ClassWeights) = 2, want cols = 3", LinearCrossEntropy{CrossEntropy: CrossEntropy{ClassWeights: []float32{1, 1}}}, h, w, good, 3, 2, 6},
		{"smoothing", "LabelSmoothing = 2", LinearCrossEntropy{CrossEntropy: CrossEntropy{LabelSmoothing: 2}}, h, w, good, 3, 2, 6},
		{"block", "BlockRows = -1", LinearCrossEntropy{BlockRows: -1}, h, w, good, 3, 2, 6},
		{"perRow", "len(perRow) = 3", LinearCrossEntropy{}, h, w, good, 3, 3, 6},
		{"gradHidden", "len(gradHidden) = 5", LinearCrossEntropy{}, h, w, good, 3, 2, 5},
	} {
		per, gh := tu.Filled(c.per), tu.Filled(c.gh)
		_, err := c.lc.Forward(c.h, c.w, c.labels, c.dim, per, gh, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "simdloss: LinearCrossEntropy.Forward: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if !tu.Untouched(per, gh) {
			t.Errorf("%s: an output was written despite the error", c.name)
		}
	}
	buf := make([]float32, 15)
	if _, err := (&LinearCrossEntropy{}).Forward(h, w, good, 3, nil, buf[:6], buf[3:12]); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("overlapping gradients: %v", err)
	}
}

func TestLinearCrossEntropyNoAllocs(t *testing.T) {
	if tu.Race {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	h, w, labels := linearInputs(rand.New(rand.NewPCG(65, 5)), 64, 500, 32, -100)
	gh, gw := make([]float32, len(h)), make([]float32, len(w))
	lc := LinearCrossEntropy{CrossEntropy: CrossEntropy{LabelSmoothing: 0.1, IgnoreIndex: -100}, BlockCols: 128}
	_, _ = lc.Forward(h, w, labels, 32, nil, gh, gw)
	if a := testing.AllocsPerRun(5, func() { _, _ = lc.Forward(h, w, labels, 32, nil, gh, gw) }); a != 0 {
		t.Errorf("LinearCrossEntropy.Forward allocates %v times per call", a)
	}
}
