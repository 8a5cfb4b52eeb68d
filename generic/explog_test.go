package generic

import (
	"math"
	"testing"
)

// ulpErr returns |got - want| in units of the float32 ulp at want.
func ulpErr(got float32, want float64) float64 {
	w := float32(want)
	ulp := math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1))) - w))
	if w == 0 || math.IsInf(float64(w), 0) {
		ulp = math.Abs(float64(math.Nextafter32(w, 0) - w))
	}
	return math.Abs(float64(got)-want) / ulp
}

func TestExpNegAccuracy(t *testing.T) {
	worst, at := 0.0, float32(0)
	// every float32 in [ExpCutoff, 0] would be 2^31 inputs; take a dense grid
	// of bit patterns plus the neighbourhood of every integer multiple of ln2.
	step := uint32(97)
	if testing.Short() {
		step = 9973
	}
	for b := uint32(0x80000000); b <= 0xC2AEAC4F; b += step {
		x := math.Float32frombits(b)
		if e := ulpErr(ExpNeg(x), math.Exp(float64(x))); e > worst {
			worst, at = e, x
		}
	}
	for k := 0; k <= 126; k++ {
		c := float32(-float64(k) * math.Ln2)
		x := c
		for i := 0; i < 200; i++ {
			for _, v := range []float32{x, math.Nextafter32(c, 1)} {
				if v < ExpCutoff || v > 0 {
					continue
				}
				if e := ulpErr(ExpNeg(v), math.Exp(float64(v))); e > worst {
					worst, at = e, v
				}
			}
			x = math.Nextafter32(x, -1)
		}
	}
	t.Logf("ExpNeg: worst error %.3f ulp at x = %g", worst, at)
	if worst > 2 {
		t.Errorf("ExpNeg error %.3f ulp at x = %g, want <= 2", worst, at)
	}
}

func TestExpNegSpecial(t *testing.T) {
	cases := []struct{ x, want float32 }{
		{0, 1},
		{float32(math.Copysign(0, -1)), 1},
		{float32(math.Inf(-1)), 0},
		{-1e30, 0},
		{-88, 0},
		{ExpCutoff, float32(math.Exp(float64(ExpCutoff)))},
		{-0x1p-149, 1},
	}
	for _, c := range cases {
		if got := ExpNeg(c.x); !sameBits(got, c.want) && ulpErr(got, float64(c.want)) > 2 {
			t.Errorf("ExpNeg(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := ExpNeg(float32(math.NaN())); got == got {
		t.Errorf("ExpNeg(NaN) = %g, want NaN", got)
	}
}

func TestLogPosAccuracy(t *testing.T) {
	worst, at := 0.0, float32(0)
	worstAll, atAll := 0.0, float32(0)
	step := uint32(61)
	if testing.Short() {
		step = 6101
	}
	for b := uint32(0x00800000); b < 0x7F800000; b += step {
		x := math.Float32frombits(b)
		e := ulpErr(LogPos(x), math.Log(float64(x)))
		if x >= 1 && e > worst {
			worst, at = e, x
		}
		if e > worstAll {
			worstAll, atAll = e, x
		}
	}
	// dense near 1, where log(x) is tiny and relative accuracy is hardest
	for x := float32(1); x < 1.01; x = math.Nextafter32(x, 2) {
		if e := ulpErr(LogPos(x), math.Log(float64(x))); e > worst {
			worst, at = e, x
		}
	}
	t.Logf("LogPos: worst %.3f ulp for x >= 1 (at %g), %.3f ulp overall (at %g)", worst, at, worstAll, atAll)
	if worst > 1 || worstAll > 2 {
		t.Errorf("LogPos error %.3f ulp at %g (x>=1), %.3f at %g overall; want <= 1 and <= 2", worst, at, worstAll, atAll)
	}
	for _, x := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		if got := LogPos(x); got == got {
			t.Errorf("LogPos(%g) = %g, want NaN", x, got)
		}
	}
	if got := LogPos(1); got != 0 || math.Signbit(float64(got)) {
		t.Errorf("LogPos(1) = %g, want +0", got)
	}
}
