package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// minerRow fills a row of distances as the miners see them: small integers
// (many exact ties) or spread values, with some entries masked to +Inf (the
// BatchAll mask) or NaN (the SemiHard mask).
func minerRow(rng *rand.Rand, row []float32, ties bool) {
	for k := range row {
		switch {
		case rng.IntN(10) == 0:
			row[k] = tu.PosInf
		case rng.IntN(10) == 0:
			row[k] = tu.NaN
		case ties:
			row[k] = float32(rng.IntN(6))
		default:
			row[k] = float32(rng.ExpFloat64() * 4)
		}
	}
}

// minerThresholds picks four thresholds: row values (ties with the row),
// values between them, and the unused-slot values ±Inf.
func minerThresholds(rng *rand.Rand, row []float32) [4]float32 {
	var t [4]float32
	for s := range t {
		switch rng.IntN(5) {
		case 0:
			t[s] = tu.NegInf
		case 1:
			t[s] = tu.PosInf
		case 2:
			t[s] = float32(rng.IntN(7)) - 0.5
		default:
			if len(row) > 0 {
				t[s] = row[rng.IntN(len(row))]
			}
			if t[s] != t[s] {
				t[s] = 1
			}
		}
	}
	return t
}

// TestMinerScansMatchGeneric compares HingeCounts and AboveMin of every set
// with generic for every row length 0..300 and a few long ones, at offsets
// 0..7, with ties, masked entries and every kind of threshold.
func TestMinerScansMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(71, 7))
	lens := make([]int, 0, 305)
	for n := 0; n <= 300; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 1024, 4099)
	for _, n := range lens {
		for _, ties := range []bool{true, false} {
			off := n % 8
			row := make([]float32, n+8)[off : off+n]
			minerRow(rng, row, ties)
			th := minerThresholds(rng, row)
			margin := []float32{0.2, 0, 1, 3}[n%4]
			crow0 := make([]float32, n)
			for k := range crow0 {
				crow0[k] = float32(rng.IntN(9) - 4)
			}
			wcrow := append([]float32(nil), crow0...)
			won, wsum := kernels.Generic.HingeCounts(row, wcrow, th, margin)
			widx := kernels.Generic.AboveMin(row, th)
			for _, s := range sets {
				what := fmt.Sprintf("%s n=%d ties=%v t=%v margin=%g", s.Name(), n, ties, th, margin)
				crow := append(make([]float32, 0, n+8)[:off], crow0...)[off:]
				on, sum := s.HingeCounts(row, crow, th, margin)
				if on != won || !tu.Same(sum[0], wsum[0]) || !tu.Same(sum[1], wsum[1]) || !tu.Same(sum[2], wsum[2]) || !tu.Same(sum[3], wsum[3]) {
					t.Fatalf("%s: HingeCounts %v %v, generic %v %v", what, on, sum, won, wsum)
				}
				if msg := tu.DiffMsg(crow, wcrow); msg != "" {
					t.Fatalf("%s: HingeCounts crow: %s", what, msg)
				}
				if idx := s.AboveMin(row, th); idx != widx {
					t.Fatalf("%s: AboveMin %v, generic %v", what, idx, widx)
				}
			}
		}
	}
}

// TestAboveMin pins generic.AboveMin to its definition: a brute-force
// search for the least value above each threshold, then its first index.
func TestAboveMin(t *testing.T) {
	rng := rand.New(rand.NewPCG(72, 7))
	for n := 0; n <= 70; n++ {
		row := make([]float32, n)
		minerRow(rng, row, n%2 == 0)
		th := minerThresholds(rng, row)
		got := kernels.Generic.AboveMin(row, th)
		for s, ts := range th {
			best, want := math.Inf(1), -1
			for _, v := range row {
				if v > ts && !math.IsInf(float64(v), 1) {
					best = math.Min(best, float64(v))
				}
			}
			for k, v := range row {
				if float64(v) == best && !math.IsInf(best, 1) {
					want = k
					break
				}
			}
			if got[s] != want {
				t.Fatalf("n=%d t=%g: index %d, want %d (row %v)", n, ts, got[s], want, row)
			}
		}
	}
}

// TestHingeCounts pins generic.HingeCounts to a float64 count and sum.
func TestHingeCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(73, 7))
	for n := 0; n <= 70; n++ {
		row := make([]float32, n)
		minerRow(rng, row, false)
		dp := [4]float32{1, 3.5, tu.NegInf, 0}
		crow := make([]float32, n)
		on, sum := kernels.Generic.HingeCounts(row, crow, dp, 0.5)
		for s := range dp {
			cnt, total := 0, 0.0
			for _, v := range row {
				if x := (float64(dp[s]) - float64(v)) + 0.5; x > 0 {
					cnt++
					total += x
				}
			}
			if on[s] != cnt || math.Abs(float64(sum[s])-total) > 1e-5*total {
				t.Fatalf("n=%d s=%d: %d, %g; want %d, %g", n, s, on[s], sum[s], cnt, total)
			}
		}
		for k, v := range row {
			c := 0
			for s := range dp {
				if (float64(dp[s])-float64(v))+0.5 > 0 {
					c++
				}
			}
			if crow[k] != float32(-c) {
				t.Fatalf("n=%d: crow[%d] = %g, want %d", n, k, crow[k], -c)
			}
		}
	}
}

// TestFirstMinBitsMatchGeneric compares FirstMinBits of every set with
// generic for every length 0..300 at offsets 0..7, on distances with ties,
// zeros of both signs, +Inf, NaNs of both signs and all-ones bits, the
// least placed first, last, in the tail and nowhere special; and pins
// generic to its definition (least unsigned bits, first of equals).
func TestFirstMinBitsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(86, 10))
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()),
		math.Float32frombits(0xFFC00000), math.Float32frombits(0xFFFFFFFF), 1, 1, 2}
	for n := 0; n <= 300; n++ {
		for trial := 0; trial < 4; trial++ {
			off := (n + trial) % 8
			row := make([]float32, n+8)[off : off+n]
			for k := range row {
				switch trial {
				case 0:
					row[k] = float32(rng.IntN(5)) // many ties
				case 1:
					row[k] = specials[rng.IntN(len(specials))]
				case 2:
					row[k] = rng.Float32() + 1
				default:
					row[k] = math.Float32frombits(0xFFFFFFFF - uint32(rng.IntN(3)))
				}
			}
			if trial == 2 && n > 0 {
				row[rng.IntN(n)] = 0.5 // a single least, anywhere
			}
			want := -1
			for k, v := range row {
				if want < 0 || math.Float32bits(v) < math.Float32bits(row[want]) {
					want = k
				}
			}
			if got := generic.FirstMinBits(row); got != want {
				t.Fatalf("generic n=%d trial=%d: %d, want %d", n, trial, got, want)
			}
			for _, s := range allSets() {
				if got := s.FirstMinBits(row); got != want {
					t.Fatalf("%s n=%d trial=%d: %d, want %d", s.Name(), n, trial, got, want)
				}
			}
		}
	}
}
