package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// TestMatMulMatchesGeneric compares every SIMD set's MatMul in the four
// layouts with generic, over shapes that cross the tile (6×16) and panel
// edges and a block of k, on misaligned sub-slices.
func TestMatMulMatchesGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(51, 1))
	shapes := [][3]int{{1, 1, 1}, {1, 17, 3}, {7, 1, 9}, {6, 16, 8}, {7, 17, 33}, {13, 31, 64}, {25, 40, 129}, {5, 3, 300}, {64, 48, 260}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				off := (m + n + k) % 8
				buf := func(c int) []float32 { return make([]float32, c+8)[off : off+c] }
				a, b := buf(m*k), buf(k*n)
				tu.Fill(rng, a, k, tu.Adversarial)
				tu.Fill(rng, b, n, tu.Normal)
				want := make([]float32, m*n)
				kernels.Generic.MatMul(want, a, b, m, n, k, ta, tb)
				for _, s := range sets {
					got := buf(m * n)
					s.MatMul(got, a, b, m, n, k, ta, tb)
					if msg := tu.DiffMsg(got, want); msg != "" {
						t.Fatalf("%s MatMul m=%d n=%d k=%d transA=%v transB=%v: %s", s.Name(), m, n, k, ta, tb, msg)
					}
				}
			}
		}
	}
}

// TestMatMulReference checks MatMul's layouts against a float64 product.
func TestMatMulReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(52, 2))
	const m, n, k = 9, 21, 35
	a, b := make([]float32, m*k), make([]float32, k*n)
	tu.Fill(rng, a, k, tu.Normal)
	tu.Fill(rng, b, n, tu.Normal)
	for _, s := range allSets() {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				got := make([]float32, m*n)
				s.MatMul(got, a, b, m, n, k, ta, tb)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						want, mag := 0.0, 0.0
						for l := 0; l < k; l++ {
							x, y := a[i*k+l], b[l*n+j]
							if ta {
								x = a[l*m+i]
							}
							if tb {
								y = b[j*k+l]
							}
							want += float64(x) * float64(y)
							mag += math.Abs(float64(x) * float64(y))
						}
						if math.Abs(float64(got[i*n+j])-want) > 1e-6*mag {
							t.Fatalf("%s transA=%v transB=%v [%d,%d] = %v, float64 %v", s.Name(), ta, tb, i, j, got[i*n+j], want)
						}
					}
				}
			}
		}
	}
}

func TestCosines(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 3))
	for _, dim := range []int{1, 5, 16, 33, 128} {
		m, n := 13, 37
		a, b := make([]float32, m*dim), make([]float32, n*dim)
		tu.Fill(rng, a, dim, tu.Normal)
		tu.Fill(rng, b, dim, tu.Normal)
		copy(b[:dim], a[:dim]) // one identical pair: cosine 1
		clear(a[dim : 2*dim])  // a zero row: cosine 0 (the norm is clamped)
		want := make([]float32, m*n)
		kernels.Generic.Cosines(want, a, b, dim)
		for _, s := range allSets() {
			got := make([]float32, m*n)
			s.Cosines(got, a, b, dim)
			if msg := tu.DiffMsg(got, want); msg != "" {
				t.Fatalf("%s dim=%d: %s", s.Name(), dim, msg)
			}
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					ai, bj := a[i*dim:(i+1)*dim], b[j*dim:(j+1)*dim]
					na, nb := math.Sqrt(tu.RefDot(ai, ai)), math.Sqrt(tu.RefDot(bj, bj))
					ref := 0.0
					if na > 0 && nb > 0 {
						ref = tu.RefDot(ai, bj) / (na * nb)
					}
					if math.Abs(float64(got[i*n+j])-ref) > 2e-6 {
						t.Fatalf("%s dim=%d cos[%d,%d] = %v, float64 %v", s.Name(), dim, i, j, got[i*n+j], ref)
					}
				}
			}
		}
	}
}

func TestMatMulShapes(t *testing.T) {
	for _, s := range allSets() {
		dst := []float32{7, 7, 7, 7}
		s.MatMul(dst, nil, nil, 2, 2, 0, false, false)
		for _, v := range dst {
			if v != 0 || math.Signbit(float64(v)) {
				t.Fatalf("%s: k = 0 gives %v, want +0s", s.Name(), dst)
			}
		}
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"a short", func() { s.MatMul(make([]float32, 4), make([]float32, 3), make([]float32, 4), 2, 2, 2, false, false) }},
			{"b short", func() { s.MatMul(make([]float32, 4), make([]float32, 4), make([]float32, 3), 2, 2, 2, true, true) }},
			{"dst short", func() { s.MatMul(make([]float32, 3), make([]float32, 4), make([]float32, 4), 2, 2, 2, false, true) }},
			{"negative", func() { s.MatMul(nil, nil, nil, -1, 2, 2, false, false) }},
			{"overlap", func() { x := make([]float32, 8); s.MatMul(x[:4], x[2:6], x[4:], 2, 2, 2, false, false) }},
		} {
			func() {
				defer func() {
					if msg, _ := recover().(string); len(msg) < 9 || msg[:9] != "simdloss:" {
						t.Errorf("%s %s: recovered %q, want a simdloss: panic", s.Name(), c.name, msg)
					}
				}()
				c.f()
			}()
		}
	}
}

func ExampleSet_MatMul() {
	a := []float32{1, 2, 3, 4} // 2×2
	b := []float32{5, 6, 7, 8} // 2×2
	c := make([]float32, 4)
	kernels.Best().MatMul(c, a, b, 2, 2, 2, false, false) // a·b
	fmt.Println(c)
	kernels.Best().MatMul(c, a, b, 2, 2, 2, true, false) // aᵀ·b
	fmt.Println(c)
	// Output:
	// [19 22 43 50]
	// [26 30 38 44]
}

// TestMatMulAddMatchesGeneric checks the accumulating product in the four
// layouts from a non-zero dst (special values included), and that a
// product split along k into two MatMulAdd calls equals one MatMul.
func TestMatMulAddMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(54, 4))
	for _, sh := range [][3]int{{1, 1, 1}, {7, 17, 33}, {13, 31, 64}, {25, 40, 300}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c0 := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		tu.Fill(rng, a, k, tu.Normal)
		tu.Fill(rng, b, n, tu.Normal)
		tu.Fill(rng, c0, n, tu.Adversarial)
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				want := append([]float32(nil), c0...)
				kernels.Generic.MatMulAdd(want, a, b, m, n, k, ta, tb)
				for _, s := range allSets() {
					got := append([]float32(nil), c0...)
					s.MatMulAdd(got, a, b, m, n, k, ta, tb)
					if msg := tu.DiffMsg(got, want); msg != "" {
						t.Fatalf("%s MatMulAdd m=%d n=%d k=%d transA=%v transB=%v: %s", s.Name(), m, n, k, ta, tb, msg)
					}
				}
			}
		}
		// a·b over k = k1 + k2 as two accumulating products equals one product
		if k > 1 && !testing.Short() {
			k1 := k / 3
			whole := make([]float32, m*n)
			for _, s := range allSets() {
				s.MatMul(whole, a, b, m, n, k, false, true)
				split := make([]float32, m*n)
				a1, a2 := make([]float32, m*k1), make([]float32, m*(k-k1))
				b1, b2 := make([]float32, n*k1), make([]float32, n*(k-k1))
				for i := 0; i < m; i++ {
					copy(a1[i*k1:], a[i*k:i*k+k1])
					copy(a2[i*(k-k1):], a[i*k+k1:(i+1)*k])
				}
				for j := 0; j < n; j++ {
					copy(b1[j*k1:], b[j*k:j*k+k1])
					copy(b2[j*(k-k1):], b[j*k+k1:(j+1)*k])
				}
				s.MatMulAdd(split, a1, b1, m, n, k1, false, true)
				s.MatMulAdd(split, a2, b2, m, n, k-k1, false, true)
				if msg := tu.DiffMsg(split, whole); msg != "" {
					t.Fatalf("%s: a product split along k differs from the whole: %s", s.Name(), msg)
				}
			}
		}
	}
}
