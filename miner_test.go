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

// refMiner is a float64 reference of the mined triplet losses, written from
// the definitions: it enumerates the selected triplets explicitly and
// accumulates each one's gradient directly (no coefficient matrix, no
// matrix product). ok is false when two distances that a selection compares
// are too close for float32 and float64 to agree on the choice.
func refMiner(m *TripletMiner, x []float64, labels []int32, dim int) (loss float64, grad []float64, ok bool) {
	return refMinerTies(m, x, labels, dim, 1e-3)
}

// refMinerTies is refMiner with the relative distance below which two
// compared distances count as a near-tie; 0 for batches whose distances
// float32 computes exactly (small integers), where exact ties must pick the
// lowest row index as the reference does.
func refMinerTies(m *TripletMiner, x []float64, labels []int32, dim int, tie float64) (loss float64, grad []float64, ok bool) {
	b := len(x) / dim
	eu := m.Triplet.Distance == Euclidean
	d := make([]float64, b*b)
	for i := 0; i < b; i++ {
		for j := 0; j < b; j++ {
			s := 0.0
			for k := 0; k < dim; k++ {
				u := x[i*dim+k] - x[j*dim+k]
				s += u * u
			}
			if eu {
				s = math.Sqrt(s)
			}
			d[i*b+j] = s
		}
	}
	ok = true
	near := func(u, v float64) bool { return math.Abs(u-v) < tie*math.Max(1, math.Abs(u)) }
	grad = make([]float64, len(x))
	addD := func(i, j int, g float64) { // g·∂d_ij/∂x
		for k := 0; k < dim; k++ {
			u := x[i*dim+k] - x[j*dim+k]
			c := 2 * u
			if eu {
				if d[i*b+j] == 0 {
					c = 0
				} else {
					c = u / d[i*b+j]
				}
			}
			grad[i*dim+k] += g * c
			grad[j*dim+k] -= g * c
		}
	}
	type trip struct{ a, p, n int }
	var ts []trip
	pos := func(i, j int) bool { return j != i && labels[j] == labels[i] }
	neg := func(i, j int) bool { return labels[j] != labels[i] }
	margin := float64(m.Triplet.Margin)
	for a := 0; a < b; a++ {
		var ps, ns []int
		for j := 0; j < b; j++ {
			if pos(a, j) {
				ps = append(ps, j)
			}
			if neg(a, j) {
				ns = append(ns, j)
			}
		}
		if len(ps) == 0 || len(ns) == 0 {
			continue
		}
		switch m.Mining {
		case BatchAll:
			for _, p := range ps {
				for _, n := range ns {
					if !m.Triplet.SoftMargin && near(d[a*b+p]+margin, d[a*b+n]) {
						ok = false
					}
					ts = append(ts, trip{a, p, n})
				}
			}
		case BatchHard:
			p, n := ps[0], ns[0]
			for _, j := range ps {
				if d[a*b+j] > d[a*b+p] {
					p = j
				}
			}
			for _, j := range ns {
				if d[a*b+j] < d[a*b+n] {
					n = j
				}
			}
			for _, j := range ps {
				if j != p && near(d[a*b+j], d[a*b+p]) {
					ok = false
				}
			}
			for _, j := range ns {
				if j != n && near(d[a*b+j], d[a*b+n]) {
					ok = false
				}
			}
			ts = append(ts, trip{a, p, n})
		case SemiHard:
			for _, p := range ps {
				n := -1
				for _, k := range ns {
					if near(d[a*b+k], d[a*b+p]) {
						ok = false
					}
					if d[a*b+k] > d[a*b+p] && (n < 0 || d[a*b+k] < d[a*b+n]) {
						n = k
					}
				}
				if n < 0 {
					for _, k := range ns {
						if n < 0 || d[a*b+k] > d[a*b+n] {
							n = k
						}
					}
				}
				ts = append(ts, trip{a, p, n})
			}
		}
	}
	count := 0
	for pass := 0; pass < 2; pass++ {
		for _, t := range ts {
			v := d[t.a*b+t.p] - d[t.a*b+t.n] + margin
			var l, g float64
			switch {
			case m.Triplet.SoftMargin:
				l, g = math.Log1p(math.Exp(v)), 1/(1+math.Exp(-v))
			case v >= 0:
				l, g = v, 1
			}
			if m.Mining == BatchAll && !m.Triplet.SoftMargin && v <= 0 {
				continue
			}
			if pass == 0 {
				count++
				continue
			}
			loss += l / float64(count)
			addD(t.a, t.p, g/float64(count))
			addD(t.a, t.n, -g/float64(count))
		}
		if count == 0 {
			return 0, grad, ok
		}
	}
	return loss, grad, ok
}

func minerCases() []TripletMiner {
	var ms []TripletMiner
	for _, mining := range []Mining{BatchAll, BatchHard, SemiHard} {
		for _, dist := range []Distance{SquaredEuclidean, Euclidean} {
			for _, soft := range []bool{false, true} {
				ms = append(ms, TripletMiner{Triplet: Triplet{Margin: 0.3, Distance: dist, SoftMargin: soft}, Mining: mining})
			}
		}
	}
	return ms
}

func minerName(m *TripletMiner) string {
	return fmt.Sprintf("%s/%s/soft=%v", m.Mining, m.Triplet.Distance, m.Triplet.SoftMargin)
}

// minerBatch makes a P×K batch: classes with K rows each around a centre,
// plus a row of a class of its own (an anchor without positives).
func minerBatch(rng *rand.Rand, classes, k, dim int) ([]float32, []int32) {
	var emb []float32
	var labels []int32
	for c := 0; c < classes; c++ {
		centre := make([]float64, dim)
		for i := range centre {
			centre[i] = rng.NormFloat64()
		}
		for j := 0; j < k; j++ {
			for i := 0; i < dim; i++ {
				emb = append(emb, float32(centre[i]+0.6*rng.NormFloat64()))
			}
			labels = append(labels, int32(c*7))
		}
	}
	for i := 0; i < dim; i++ {
		emb = append(emb, float32(rng.NormFloat64()))
	}
	labels = append(labels, -5)
	return emb, labels
}

func TestMinerReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 1))
	checked := 0
	for _, dim := range []int{3, 8, 17} {
		for _, mc := range minerCases() {
			for trial := 0; trial < 6; trial++ {
				m := mc
				// K = 2, 4, 7 rows per class: 1, 3 and 6 positives per
				// anchor (the scans take up to four at a time)
				emb, labels := minerBatch(rng, 4, []int{2, 4, 7}[trial%3], dim)
				want, wantGrad, ok := refMiner(&m, f64(emb), labels, dim)
				if !ok {
					continue // a near-tie: float32 and float64 may select differently
				}
				checked++
				grad := make([]float32, len(emb))
				got, err := m.Forward(emb, labels, dim, grad)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(float64(got)-want) > 1e-4*math.Max(1, math.Abs(want)) {
					t.Fatalf("dim=%d %s: loss %v, reference %v", dim, minerName(&m), got, want)
				}
				for i := range grad {
					if math.Abs(float64(grad[i])-wantGrad[i]) > 1e-4*math.Max(1, math.Abs(wantGrad[i])) {
						t.Fatalf("dim=%d %s: grad[%d] = %v, reference %v", dim, minerName(&m), i, grad[i], wantGrad[i])
					}
				}
			}
		}
	}
	if checked < 150 {
		t.Fatalf("only %d of the cases were free of near-ties", checked)
	}
}

func TestMinerFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 2))
	const dim = 4
	for _, mc := range minerCases() {
		m := mc
		emb, labels := minerBatch(rng, 3, 3, dim)
		x := f64(emb)
		_, g, ok := refMiner(&m, x, labels, dim)
		if !ok {
			continue
		}
		for i := range x {
			loss := func(h float64) (float64, bool) {
				old := x[i]
				x[i] += h
				l, _, ok := refMiner(&m, x, labels, dim)
				x[i] = old
				return l, ok
			}
			const h = 1e-7
			lp, ok1 := loss(h)
			lm, ok2 := loss(-h)
			if !ok1 || !ok2 {
				continue
			}
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Fatalf("%s: reference grad[%d] = %v, central difference %v", minerName(&m), i, g[i], fd)
			}
		}
	}
}

func TestMinerSetsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 3))
	for _, dim := range []int{1, 5, 16, 33, 128} {
		for _, mc := range minerCases() {
			emb, labels := minerBatch(rng, 9, 5, dim)
			run := func(set *kernels.Set) (float32, []float32) {
				m := mc
				m.Triplet.Kernels = set
				g := make([]float32, len(emb))
				l, err := m.Forward(emb, labels, dim, g)
				if err != nil {
					t.Fatal(err)
				}
				return l, g
			}
			want, wantG := run(kernels.Generic)
			for _, set := range kernels.Sets()[1:] {
				if !set.Supported() {
					continue
				}
				got, g := run(set)
				if !tu.Same(got, want) {
					t.Fatalf("%s dim=%d %s: loss %v, generic %v", set.Name(), dim, minerName(&mc), got, want)
				}
				if msg := tu.DiffMsg(g, wantG); msg != "" {
					t.Fatalf("%s dim=%d %s: grad: %s", set.Name(), dim, minerName(&mc), msg)
				}
			}
		}
	}
}

// TestMinerTies checks the tie rule (the lowest row index among equal
// distances) against the reference on batches of small integers, whose
// squared distances float32 computes exactly, so that ties are exact.
func TestMinerTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(44, 4))
	for _, mc := range minerCases() {
		if mc.Triplet.Distance == Euclidean {
			continue // square roots are rounded: near-ties, not exact ones
		}
		for trial := 0; trial < 20; trial++ {
			const dim = 2
			b := 6 + trial%11
			emb := make([]float32, b*dim)
			labels := make([]int32, b)
			for i := range labels {
				labels[i] = int32(rng.IntN(3))
				for k := 0; k < dim; k++ {
					emb[i*dim+k] = float32(rng.IntN(3))
				}
			}
			m := mc
			want, wantGrad, _ := refMinerTies(&m, f64(emb), labels, dim, 0)
			grad := make([]float32, len(emb))
			got, err := m.Forward(emb, labels, dim, grad)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(float64(got)-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("%s %v %v: loss %v, reference %v", minerName(&m), emb, labels, got, want)
			}
			for i := range grad {
				if math.Abs(float64(grad[i])-wantGrad[i]) > 1e-5*math.Max(1, math.Abs(wantGrad[i])) {
					t.Fatalf("%s %v %v: grad[%d] = %v, reference %v", minerName(&m), emb, labels, i, grad[i], wantGrad[i])
				}
			}
		}
	}
}

// TestMinerSemiHardTFA checks SemiHard on a batch worked out by hand with
// TensorFlow Addons' rules (1-D embeddings, squared distances).
func TestMinerSemiHardTFA(t *testing.T) {
	// rows: a0=0 (class 0), a1=1 (class 0), n2=1.5 (class 1), n3=3 (class 1)
	emb := []float32{0, 1, 1.5, 3}
	labels := []int32{0, 0, 1, 1}
	m := TripletMiner{Triplet: Triplet{Margin: 1}, Mining: SemiHard}
	// squared distances: d01=1, d02=2.25, d03=9, d12=0.25, d13=4, d23=2.25
	// pair (0,1): negatives farther than 1: 2.25 (n2), 9 (n3) -> nearest 2.25; loss [1-2.25+1]_+ = 0
	// pair (1,0): negatives farther than 1: 4 (n3) -> 4; loss [1-4+1]_+ = 0
	// pair (2,3): d23 = 2.25; negatives of 2: d20=2.25, d21=0.25; none > 2.25 -> farthest 2.25; loss 1
	// pair (3,2): d32 = 2.25; negatives of 3: d30=9, d31=4 -> nearest 4; loss [2.25-4+1]_+ = 0
	got, err := m.Forward(emb, labels, 1, nil)
	if err != nil || got != 0.25 {
		t.Errorf("SemiHard = %v (%v), want (0+0+1+0)/4 = 0.25", got, err)
	}
}

func TestMinerSpecial(t *testing.T) {
	m := TripletMiner{Triplet: Triplet{Margin: 1}, Mining: BatchHard}
	// no anchor has both a positive and a negative: loss 0, gradient 0
	g := []float32{9, 9, 9}
	if l, err := m.Forward([]float32{1, 2, 3}, []int32{1, 2, 3}, 1, g); err != nil || l != 0 || g[0] != 0 || g[1] != 0 || g[2] != 0 {
		t.Errorf("all labels distinct: loss %v (%v), grad %v; want 0 and zeros", l, err, g)
	}
	// NaN embeddings propagate
	g = make([]float32, 4)
	if l, err := m.Forward([]float32{1, tu.NaN, 3, 4}, []int32{0, 0, 1, 1}, 1, g); err != nil || l == l || g[0] == g[0] {
		t.Errorf("NaN embedding: loss %v (%v), grad %v; want NaN", l, err, g)
	}
	// Euclidean with identical embeddings: zero distance, zero gradient, no NaN
	me := TripletMiner{Triplet: Triplet{Margin: 1, Distance: Euclidean}, Mining: BatchAll}
	g = make([]float32, 4)
	l, _ := me.Forward([]float32{1, 1, 2, 2}, []int32{0, 0, 1, 1}, 1, g)
	for _, v := range g {
		if v != v {
			t.Errorf("identical positives: grad %v has NaN (loss %v)", g, l)
		}
	}
}

// TestMinerNonFinite pins both sides of the miner's NaN check: rows whose
// squared norms are finite and small skip the scan of the distances, the
// others are scanned; an infinite (or overflowing) embedding must still
// poison the loss and the whole gradient, a large finite one must not.
func TestMinerNonFinite(t *testing.T) {
	labels := []int32{0, 0, 1, 1}
	inf := float32(math.Inf(1))
	for _, mining := range []Mining{BatchAll, BatchHard, SemiHard} {
		for _, set := range []*kernels.Set{nil, kernels.Generic} {
			m := TripletMiner{Triplet: Triplet{Margin: 1, Kernels: set}, Mining: mining}
			for _, c := range []struct {
				name   string
				emb    []float32
				poison bool
			}{
				{"+Inf", []float32{1, inf, 3, 4}, true},
				{"-Inf", []float32{1, 2, float32(math.Inf(-1)), 4}, true},
				{"norm overflows (3e19)", []float32{3e19, 1, -3e19, 2}, true},
				{"distance overflows (1.5e19 apart)", []float32{1.5e19, 1, -1.5e19, 2}, true},
				{"large, finite (1e18)", []float32{1e18, 0.9e18, -1e18, -0.8e18}, false},
			} {
				g := make([]float32, len(c.emb))
				l, err := m.Forward(c.emb, labels, 1, g)
				nanGrad := true
				for _, v := range g {
					nanGrad = nanGrad && v != v
				}
				if err != nil || (l != l) != c.poison || nanGrad != c.poison {
					t.Errorf("%v, set %v, %s: loss %v (%v), grad %v; want poisoned = %v", mining, set, c.name, l, err, g, c.poison)
				}
			}
		}
	}
}

func TestMinerErrors(t *testing.T) {
	emb := []float32{1, 2, 3, 4}
	for _, c := range []struct {
		name, want string
		m          TripletMiner
		emb        []float32
		labels     []int32
		dim, g     int
	}{
		{"dim", "not a multiple", TripletMiner{}, emb, []int32{0, 1}, 3, 4},
		{"dim zero", "dim = 0", TripletMiner{}, emb, []int32{0, 1}, 0, 4},
		{"labels", "len(labels) = 3", TripletMiner{}, emb, []int32{0, 1, 2}, 2, 4},
		{"grad", "len(grad) = 3", TripletMiner{}, emb, []int32{0, 1}, 2, 3},
		{"margin", "Margin = NaN", TripletMiner{Triplet: Triplet{Margin: tu.NaN}}, emb, []int32{0, 1}, 2, 4},
		{"mining", "unknown Mining", TripletMiner{Mining: 7}, emb, []int32{0, 1}, 2, 4},
		{"distance", "unknown Distance", TripletMiner{Triplet: Triplet{Distance: 7}}, emb, []int32{0, 1}, 2, 4},
	} {
		g := tu.Filled(c.g)
		_, err := c.m.Forward(c.emb, c.labels, c.dim, g)
		if err == nil || !strings.HasPrefix(err.Error(), "simdloss: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if !tu.Untouched(g) {
			t.Errorf("%s: grad written despite the error", c.name)
		}
	}
	if _, err := (&TripletMiner{}).Forward(emb, []int32{0, 1}, 2, emb); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("grad overlapping emb: %v", err)
	}
}

func TestMinerNoAllocs(t *testing.T) {
	if tu.Race {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	emb, labels := minerBatch(rand.New(rand.NewPCG(4, 4)), 16, 4, 32)
	g := make([]float32, len(emb))
	for _, mc := range minerCases() {
		m := mc
		_, _ = m.Forward(emb, labels, 32, g)
		if a := testing.AllocsPerRun(5, func() { _, _ = m.Forward(emb, labels, 32, g) }); a != 0 {
			t.Errorf("%s allocates %v times per steady-state call", minerName(&m), a)
		}
	}
}
