package simdloss_test

import (
	"fmt"
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
