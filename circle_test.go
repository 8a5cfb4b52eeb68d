package simdloss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// refCircle is the circle loss in float64 from its definition. The weights
// α are computed from the similarities alphaS (nil: the current ones) and
// are constants of the gradient: finite differences with alphaS fixed at
// the unperturbed similarities check the detached gradient.
func refCircle(m, gamma float64, emb []float64, labels []int32, dim int, alphaS []float64) (float64, []float64) {
	rows := len(labels)
	s, back := cos64(emb, emb, rows, rows, dim)
	if alphaS == nil {
		alphaS = s
	}
	dS := make([]float64, len(s))
	total, count := 0.0, 0
	for i := 0; i < rows; i++ {
		row := s[i*rows : (i+1)*rows]
		logit, slope := make([]float64, rows), make([]float64, rows)
		isPos := func(j int) bool { return j != i && labels[j] == labels[i] }
		isNeg := func(j int) bool { return labels[j] != labels[i] }
		for j, v := range row {
			u := alphaS[i*rows+j]
			if isPos(j) {
				a := math.Max(0, 1+m-u)
				logit[j], slope[j] = -gamma*a*(v-(1-m)), -gamma*a
			} else if isNeg(j) {
				a := math.Max(0, u+m)
				logit[j], slope[j] = gamma*a*(v-m), gamma*a
			}
		}
		lp, gp := lse64(logit, isPos)
		ln, gn := lse64(logit, isNeg)
		if math.IsInf(lp, -1) || math.IsInf(ln, -1) {
			continue
		}
		x := lp + ln
		count++
		total += math.Log1p(math.Exp(x))
		sig := 1 / (1 + math.Exp(-x))
		for j := range row {
			dS[i*rows+j] = sig * (gp[j] + gn[j]) * slope[j]
		}
	}
	if count == 0 {
		return 0, make([]float64, len(emb))
	}
	for k := range dS {
		dS[k] /= float64(count)
	}
	gx, gy := back(dS)
	for k := range gx {
		gx[k] += gy[k]
	}
	return total / float64(count), gx
}

// pkLabels labels rows in classes of k (a P×K batch), with a few
// singletons (anchors without positives) when odd is set.
func pkLabels(rng *rand.Rand, rows, k int, odd bool) []int32 {
	l := make([]int32, rows)
	for i := range l {
		l[i] = int32(i / k)
	}
	if odd && rows > 3 {
		l[rows-1] = 1000
	}
	rng.Shuffle(rows, func(i, j int) { l[i], l[j] = l[j], l[i] })
	return l
}

func TestCircle(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 1))
	for _, dim := range []int{2, 5, 16, 33} {
		for _, rows := range []int{1, 2, 7, 40, 70} { // 70 crosses the anchor blocks
			for _, p := range [][2]float32{{0.25, 80}, {0.4, 80}, {0.25, 256}, {0, 1}} {
				c := Circle{Margin: p[0], Gamma: p[1]}
				emb := embeddings(rng, rows, dim)
				labels := pkLabels(rng, rows, 4, rows%2 == 1)
				e64 := [][]float64{f64(emb)}
				s0, _ := cos64(e64[0], e64[0], rows, rows, dim) // α's similarities
				lossCheck{
					name: fmt.Sprintf("rows=%d dim=%d m=%v γ=%v", rows, dim, p[0], p[1]),
					run: func(set *kernels.Set) (float32, [][]float32, error) {
						c := c
						c.Kernels = set
						g := make([]float32, len(emb))
						l, err := c.Forward(emb, labels, dim, g)
						return l, [][]float32{g}, err
					},
					ref: func() (float64, [][]float64) {
						l, g := refCircle(float64(p[0]), float64(p[1]), e64[0], labels, dim, s0)
						return l, [][]float64{g}
					},
					in64: e64, fd: []int{0}, scale: float64(p[1]) / float64(rows),
				}.verify(t)
			}
		}
	}
}

func TestCircleSpecial(t *testing.T) {
	c := Circle{Margin: 0.25, Gamma: 80}
	emb := []float32{1, 0, 0, 1, 1, 1}
	// one class, or all distinct: no anchor has both pair kinds
	for _, labels := range [][]int32{{3, 3, 3}, {1, 2, 3}} {
		g := tu.Filled(6)
		if l, err := c.Forward(emb, labels, 2, g); err != nil || l != 0 || !allZero(g) {
			t.Errorf("labels %v: %v %v %v, want 0 and a zero gradient", labels, l, err, g)
		}
	}
	g := make([]float32, 6)
	if l, err := c.Forward([]float32{1, 0, tu.PosInf, 1, 1, 1}, []int32{1, 1, 2}, 2, g); err != nil || l == l || g[5] == g[5] {
		t.Errorf("Inf embedding: %v %v %v, want a NaN loss and gradient", l, err, g)
	}
	if l, err := c.Forward(nil, nil, 2, nil); err != nil || l != 0 {
		t.Errorf("empty batch: %v %v", l, err)
	}
}

func allZero(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}

func TestCircleErrors(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	l2 := []int32{1, 2}
	ok := Circle{Margin: 0.25, Gamma: 80}
	for _, c := range []struct {
		name, want string
		c          Circle
		emb        []float32
		labels     []int32
		dim, g     int
	}{
		{"gamma", "Gamma = 0", Circle{}, x, l2, 2, 4},
		{"gamma Inf", "Gamma = +Inf", Circle{Gamma: tu.PosInf}, x, l2, 2, 4},
		{"margin", "Margin = NaN", Circle{Gamma: 1, Margin: tu.NaN}, x, l2, 2, 4},
		{"dim", "dim = 0", ok, x, l2, 0, 4},
		{"ragged", "not a multiple", ok, x, l2, 3, 4},
		{"labels", "len(labels) = 1", ok, x, l2[:1], 2, 4},
		{"grad", "len(grad) = 5", ok, x, l2, 2, 5},
	} {
		g := tu.Filled(c.g)
		errCheck(t, c.name, c.want, [][]float32{g}, func() error {
			_, err := c.c.Forward(c.emb, c.labels, c.dim, g)
			return err
		})
	}
	buf := make([]float32, 6)
	errCheck(t, "overlap", "grad overlaps emb", nil, func() error {
		_, err := ok.Forward(buf[:4], l2, 2, buf[2:])
		return err
	})
}

func TestCircleNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(72, 2))
	emb, g := embeddings(rng, 96, 32), make([]float32, 96*32)
	labels := pkLabels(rng, 96, 4, false)
	c := Circle{Margin: 0.25, Gamma: 80}
	noAllocs(t, "Circle.Forward", func() { _, _ = c.Forward(emb, labels, 32, g) })
}
