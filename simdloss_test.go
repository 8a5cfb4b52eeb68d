package simdloss_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/simdloss/simdloss"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

type call struct {
	name string
	out  int
	f    func(dst []float32) // the public function
	g    func(dst []float32) // the same on the generic set
}

// calls returns one invocation of every public kernel on fixed inputs.
func calls(rng *rand.Rand) []call {
	x := make([]float32, 37*29)
	tu.Fill(rng, x, 29, tu.Adversarial)
	a := make([]float32, 13*29)
	b := make([]float32, 13*29)
	tu.Fill(rng, a, 29, tu.Normal)
	tu.Fill(rng, b, 29, tu.Normal)
	g := kernels.Generic
	return []call{
		{"Softmax", len(x), func(d []float32) { simdloss.Softmax(d, x, 29) }, func(d []float32) { g.Softmax(d, x, 29) }},
		{"LogSoftmax", len(x), func(d []float32) { simdloss.LogSoftmax(d, x, 29) }, func(d []float32) { g.LogSoftmax(d, x, 29) }},
		{"LogSumExp", 37, func(d []float32) { simdloss.LogSumExp(d, x, 29) }, func(d []float32) { g.LogSumExp(d, x, 29) }},
		{"SquaredL2", 13 * 13, func(d []float32) { simdloss.SquaredL2(d, a, b, 29) }, func(d []float32) { g.SquaredL2(d, a, b, 29) }},
		{"Dots", 13 * 13, func(d []float32) { simdloss.Dots(d, a, b, 29) }, func(d []float32) { g.Dots(d, a, b, 29) }},
		{"Cosines", 13 * 13, func(d []float32) { simdloss.Cosines(d, a, b, 29) }, func(d []float32) { g.Cosines(d, a, b, 29) }},
		{"MatMul", 13 * 13, func(d []float32) { simdloss.MatMul(d, a, b, 13, 13, 29, true, false) }, func(d []float32) { g.MatMul(d, a, b, 13, 13, 29, true, false) }},
		{"SquaredL2Rows", 13, func(d []float32) { simdloss.SquaredL2Rows(d, a, b, 29) }, func(d []float32) { g.SquaredL2Rows(d, a, b, 29) }},
		{"DotRows", 13, func(d []float32) { simdloss.DotRows(d, a, b, 29) }, func(d []float32) { g.DotRows(d, a, b, 29) }},
	}
}

// TestDispatchedMatchesGeneric checks every public function (whatever set
// was chosen at init) against the generic set, bit for bit.
func TestDispatchedMatchesGeneric(t *testing.T) {
	for _, c := range calls(rand.New(rand.NewPCG(1, 1))) {
		got, want := make([]float32, c.out), make([]float32, c.out)
		c.f(got)
		c.g(want)
		if msg := tu.DiffMsg(got, want); msg != "" {
			t.Errorf("%s with the %s kernels: %s", c.name, simdloss.Kernels(), msg)
		}
	}
}

// TestConcurrentUse runs every public function from many goroutines at once
// and checks each result against a sequential run (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	cs := calls(rand.New(rand.NewPCG(2, 2)))
	want := make([][]float32, len(cs))
	for i, c := range cs {
		want[i] = make([]float32, c.out)
		c.f(want[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 20; rep++ {
				for i, c := range cs {
					got := make([]float32, c.out)
					c.f(got)
					if msg := tu.DiffMsg(got, want[i]); msg != "" {
						errs <- c.name + ": " + msg
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestNoAllocs(t *testing.T) {
	if tu.Race {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	for _, c := range calls(rand.New(rand.NewPCG(3, 3))) {
		dst := make([]float32, c.out)
		c.f(dst)
		if a := testing.AllocsPerRun(10, func() { c.f(dst) }); a != 0 {
			t.Errorf("%s allocates %v times per call", c.name, a)
		}
	}
}

func ExampleSoftmax() {
	logits := []float32{
		1, 2, 3, // row 0
		0, 0, 0, // row 1
	}
	p := make([]float32, len(logits))
	simdloss.Softmax(p, logits, 3)
	fmt.Printf("%.4f\n", p)
	// Output: [0.0900 0.2447 0.6652 0.3333 0.3333 0.3333]
}

func ExampleLogSoftmax() {
	logits := []float32{0, 0, 0, 0}
	simdloss.LogSoftmax(logits, logits, 4) // in place
	fmt.Printf("%.4f\n", logits)
	// Output: [-1.3863 -1.3863 -1.3863 -1.3863]
}

func ExampleLogSumExp() {
	rows := []float32{
		88.7, 88.7, 88.7, 88.7, // would overflow exp in float32 without the max shift
		1, 2, 3, 4,
	}
	lse := make([]float32, 2)
	simdloss.LogSumExp(lse, rows, 4)
	fmt.Printf("%.4f\n", lse)
	// Output: [90.0863 4.4402]
}

func ExampleSquaredL2() {
	a := []float32{0, 0, 1, 1}       // two points in 2-D
	b := []float32{3, 4, 1, 1, 0, 0} // three points
	d := make([]float32, 2*3)
	simdloss.SquaredL2(d, a, b, 2)
	fmt.Println(d)
	// Output: [25 2 0 13 0 2]
}

func ExampleSquaredL2Rows() {
	a := []float32{0, 0, 1, 1}
	b := []float32{3, 4, 1, 2}
	d := make([]float32, 2)
	simdloss.SquaredL2Rows(d, a, b, 2)
	fmt.Println(d)
	// Output: [25 1]
}

func ExampleDots() {
	a := []float32{1, 2}
	b := []float32{3, 4, -1, 0.5}
	d := make([]float32, 2)
	simdloss.Dots(d, a, b, 2)
	fmt.Println(d)
	// Output: [11 0]
}

func ExampleDotRows() {
	a := []float32{1, 2, 3, 4}
	b := []float32{1, 1, 2, 2}
	d := make([]float32, 2)
	simdloss.DotRows(d, a, b, 2)
	fmt.Println(d)
	// Output: [3 14]
}

func ExampleKernels() {
	fmt.Println(simdloss.Kernels() != "")
	// Output: true
}

func ExampleCosines() {
	a := []float32{1, 0, 3, 4}
	b := []float32{0, 2, 6, 8, -1, 0}
	cos := make([]float32, 2*3)
	simdloss.Cosines(cos, a, b, 2)
	fmt.Printf("%.2f\n", cos)
	// Output: [0.00 0.60 -1.00 0.80 1.00 -0.60]
}

func ExampleMatMul() {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	b := []float32{1, 0, 0, 1, 1, 1} // 3×2
	c := make([]float32, 2*2)
	simdloss.MatMul(c, a, b, 2, 2, 3, false, false)
	fmt.Println(c)
	// Output: [4 5 10 11]
}

func ExampleMatMulAdd() {
	// A linear layer's weight gradient accumulated over two micro-batches:
	// dW += dYᵀ·X for each, with dY stored rows×out and X rows×in.
	dW := make([]float32, 2*3) // out×in
	for _, mb := range []struct{ dY, X []float32 }{
		{dY: []float32{1, 0}, X: []float32{1, 2, 3}},
		{dY: []float32{0, 2}, X: []float32{1, 1, 1}},
	} {
		simdloss.MatMulAdd(dW, mb.dY, mb.X, 2, 3, 1, true, false)
	}
	fmt.Println(dW)
	// Output: [1 2 3 2 2 2]
}

func ExampleCPU() {
	// CPU names the processor and the features the dispatcher looked at,
	// e.g. "Intel(R) Xeon(R) ... [AVX2 FMA3 AVX512F ...]"; Kernels names
	// the set it chose.
	fmt.Println(simdloss.CPU() != "")
	// Output: true
}

func ExampleKernelSet() {
	// Every kernel set returns the generic set's bits: compare the one in
	// use with the oracle.
	logits := []float32{1, 2, 3, 4, -1e30, 0, 88.7, 88.7, 88.7, 88.7, 0.5, 0}
	fast := make([]float32, len(logits))
	oracle := make([]float32, len(logits))
	simdloss.KernelSet().LogSoftmax(fast, logits, 4)
	kernels.Generic.LogSoftmax(oracle, logits, 4)
	same := true
	for i := range fast {
		same = same && math.Float32bits(fast[i]) == math.Float32bits(oracle[i])
	}
	fmt.Println(same)
	// Output: true
}
