package simdloss

import (
	"math"
	"strings"
	"testing"

	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// lossCheck is one configuration of a loss on one input, checked three
// ways: the dispatched implementation against a float64 reference, the
// reference's gradients against central differences, and every kernel set
// against kernels.Generic bit for bit.
type lossCheck struct {
	name string
	// run computes the loss on set and returns it with its outputs
	// (gradients, per-row values) in the order of ref's.
	run func(set *kernels.Set) (float32, [][]float32, error)
	// ref computes the loss and the same outputs in float64 from in64.
	ref func() (float64, [][]float64)
	// in64 are the float64 inputs ref reads; fd lists, for each output of
	// ref that is a gradient, the index of the input it is the gradient of
	// (-1: not a gradient, e.g. per-row losses).
	in64 [][]float64
	fd   []int
	tol  float64 // relative tolerance of the comparison with ref (default 2e-5)
	// scale is the natural magnitude of the gradients (e.g. 1/(τ·rows)):
	// each output is compared relative to the larger of it and its largest
	// element, since float32 gradients that saturate (p ≈ 1 in p - 1) keep
	// an absolute, not a relative, accuracy. Default 1e-4.
	scale float64
}

func (c lossCheck) verify(t *testing.T) {
	t.Helper()
	tol := c.tol
	if tol == 0 {
		tol = 2e-5
	}
	if c.scale == 0 {
		c.scale = 1e-4
	}

	got, outs, err := c.run(nil)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	want, wantOuts := c.ref()
	close := func(x float32, y float64, scale float64) bool {
		return math.Abs(float64(x)-y) <= tol*math.Max(scale, math.Abs(y))
	}
	if !(want != want && got != got) && !close(got, want, 1) {
		t.Fatalf("%s: loss %v, float64 reference %v", c.name, got, want)
	}
	for k, o := range outs {
		scale := c.scale
		for _, v := range wantOuts[k] {
			scale = math.Max(scale, math.Abs(v))
		}
		for i, v := range o {
			if !close(v, wantOuts[k][i], scale) {
				t.Fatalf("%s: output %d [%d] = %v, float64 reference %v", c.name, k, i, v, wantOuts[k][i])
			}
		}
	}
	// the reference's gradients by central differences (a sample of elements)
	for k, in := range c.fd {
		if in < 0 {
			continue
		}
		x := c.in64[in]
		step := max(1, len(x)/12)
		for i := 0; i < len(x); i += step {
			old := x[i]
			const h = 1e-6
			x[i] = old + h
			lp, _ := c.ref()
			x[i] = old - h
			lm, _ := c.ref()
			x[i] = old
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-wantOuts[k][i]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Fatalf("%s: reference gradient %d [%d] = %v, central difference %v", c.name, k, i, wantOuts[k][i], fd)
			}
		}
	}
	// every set against generic, bit for bit
	gl, gouts, err := c.run(kernels.Generic)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range kernels.Sets()[1:] {
		if !set.Supported() {
			continue
		}
		l, outs, err := c.run(set)
		if err != nil {
			t.Fatal(err)
		}
		if !tu.Same(l, gl) {
			t.Fatalf("%s: %s loss %v, generic %v", c.name, set.Name(), l, gl)
		}
		for k := range outs {
			if msg := tu.DiffMsg(outs[k], gouts[k]); msg != "" {
				t.Fatalf("%s: %s output %d: %s", c.name, set.Name(), k, msg)
			}
		}
	}
}

// errCheck runs a loss call that must fail: its error must start with
// "simdloss: " and contain want, and the outputs must be left untouched.
func errCheck(t *testing.T, name, want string, outs [][]float32, call func() error) {
	t.Helper()
	err := call()
	if err == nil || !strings.HasPrefix(err.Error(), "simdloss: ") || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want one mentioning %q", name, err, want)
	}
	if !tu.Untouched(outs...) {
		t.Errorf("%s: an output was written despite the error", name)
	}
}

// noAllocs fails when a steady-state call of f allocates. It skips under
// the race detector, where sync.Pool drops items at random.
func noAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if tu.Race {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	if a := testing.AllocsPerRun(5, f); a != 0 {
		t.Errorf("%s allocates %v times per call", name, a)
	}
}
