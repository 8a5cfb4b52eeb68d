package simdloss

import (
	"fmt"
	"sync"

	"github.com/simdloss/simdloss/kernels"
)

// Centre is the centre loss of Wen et al. (2016): each embedding x_i is
// pulled towards the centre c_{y_i} of its class,
//
//	L = ½·Σ_i ‖x_i - c_{y_i}‖²,   ∂L/∂x_i = x_i - c_{y_i}
//
// and the centres follow the paper's update rule rather than the gradient
// (Update). The distances are one SquaredL2RowsIdx call and the gradient
// one AxpbyRowsIdx call, which read each row's centre in place through the
// labels (no gathered copy of the centres). The paper trains with softmax +
// λ·L: scale the loss and gradient by λ yourself.
//
// Reduction: Sum is the paper's ½·Σ_i, Mean that over the rows
// (½·Σ_i / rows; the common PyTorch implementations divide Σ_i without the
// ½ by the rows, twice this), None the per-row ½·‖x_i - c_{y_i}‖².
//
// A Centre is safe for concurrent use while its fields are not changed
// (Update writes the centres: do not run it concurrently with another call
// on the same centres); steady-state calls allocate nothing.
type Centre struct {
	// Alpha is the learning rate of the centres in Update: in [0, 1]
	// (0.5 in the paper).
	Alpha float32
	// Reduction is Mean (the zero value), Sum or None: see above.
	Reduction Reduction

	// Kernels is the kernel set to run on; nil means the set chosen at init.
	Kernels *kernels.Set
}

type centreScratch struct {
	d, ca, cb []float32
	slot      []int32 // per class: its row in sums, or -1
	sums      []float32
	count     []int32
}

var centrePool = sync.Pool{New: func() any { return new(centreScratch) }}

// Forward returns the reduced loss (for None: the sum) of the rows of x
// (rows×dim) against centres (classes×dim) with one label in [0, classes)
// per row; perRow (len rows) and grad (len(x)), each when non-nil, receive
// the per-row losses and ∂L/∂x. Errors (nothing written): dim <= 0, len(x)
// or len(centres) not a multiple of dim, no centres, a label count other
// than the row count, a label out of range, an unknown Reduction, outputs
// of the wrong length or overlapping an input.
func (c *Centre) Forward(x, centres []float32, labels []int32, dim int, perRow, grad []float32) (float32, error) {
	const op = "simdloss: Centre.Forward"
	rows, err := c.check(op, x, centres, labels, dim)
	if err != nil {
		return 0, err
	}
	if c.Reduction > None {
		return 0, fmt.Errorf("%s: unknown Reduction %d", op, c.Reduction)
	}
	if perRow != nil && len(perRow) != rows {
		return 0, fmt.Errorf("%s: len(perRow) = %d, want rows = %d", op, len(perRow), rows)
	}
	if grad != nil && (len(grad) != len(x) || overlaps(grad, x) || overlaps(grad, centres)) {
		return 0, fmt.Errorf("%s: grad must have len(x) = %d and overlap no input (len %d)", op, len(x), len(grad))
	}
	if perRow != nil && (overlaps(perRow, x) || overlaps(perRow, centres) || overlaps(perRow, grad)) {
		return 0, fmt.Errorf("%s: perRow overlaps an input or grad", op)
	}
	if rows == 0 {
		return reduceEmpty(c.Reduction), nil
	}
	set := kernelSet(c.Kernels)
	sc := centrePool.Get().(*centreScratch)
	defer centrePool.Put(sc)
	sc.d = growF32(sc.d, rows)
	sc.ca, sc.cb = growF32(sc.ca, rows), growF32(sc.cb, rows)
	// each row's distance to its class centre, read in place (no gather)
	set.SquaredL2RowsIdx(sc.d, x, centres, labels, dim)
	red := reduceScale(c.Reduction, rows)
	total := 0.0
	for i, d := range sc.d {
		l := 0.5 * float64(d)
		total += l
		if perRow != nil {
			perRow[i] = float32(l)
		}
	}
	if grad != nil {
		r := float32(red)
		for i := range sc.ca[:rows] {
			sc.ca[i], sc.cb[i] = r, -r
		}
		set.AxpbyRowsIdx(grad, x, centres, sc.ca, sc.cb, labels, dim)
	}
	return float32(total * red), nil
}

// Update moves the centres of the batch's classes by the paper's rule:
// for each class j with n_j rows in the batch,
//
//	c_j ← c_j - α·Σ_{y_i = j}(c_j - x_i)/(1 + n_j)
//
// (the other centres are unchanged). The per-class sums are accumulated in
// row order with AxpbyRows, so the result is the same on every kernel set.
// NaN or infinite embeddings propagate into their class's centre. Errors
// (nothing written): the shape and label errors of Forward, Alpha outside
// [0, 1], centres overlapping x.
func (c *Centre) Update(centres, x []float32, labels []int32, dim int) error {
	const op = "simdloss: Centre.Update"
	rows, err := c.check(op, x, centres, labels, dim)
	if err != nil {
		return err
	}
	if !(c.Alpha >= 0 && c.Alpha <= 1) {
		return fmt.Errorf("%s: Alpha = %g must be in [0, 1]", op, c.Alpha)
	}
	if overlaps(centres, x) {
		return fmt.Errorf("%s: centres overlaps x", op)
	}
	classes := len(centres) / dim
	set := kernelSet(c.Kernels)
	sc := centrePool.Get().(*centreScratch)
	defer centrePool.Put(sc)
	sc.slot = growI32(sc.slot, classes)
	for i := range sc.slot {
		sc.slot[i] = -1
	}
	// the classes present, in order of first appearance
	k := 0
	for _, y := range labels {
		if sc.slot[y] < 0 {
			sc.slot[y] = int32(k)
			k++
		}
	}
	sc.sums, sc.count = growF32(sc.sums, k*dim), growI32(sc.count, k)
	clear(sc.sums)
	clear(sc.count)
	sc.ca, sc.cb = growF32(sc.ca, max(k, 1)), growF32(sc.cb, max(k, 1))
	one := sc.ca[:1]
	one[0] = 1
	for i, y := range labels[:rows] {
		s := int(sc.slot[y])
		sc.count[s]++
		row := sc.sums[s*dim : (s+1)*dim]
		set.AxpbyRows(row, row, x[i*dim:(i+1)*dim], one, one, dim) // Σ x_i
	}
	// c ← (1 - α·n/(1+n))·c + (α/(1+n))·Σ x_i
	alpha := float64(c.Alpha)
	for j, s := range sc.slot {
		if s < 0 {
			continue
		}
		n := float64(sc.count[s])
		sc.ca[0] = float32(1 - alpha*n/(1+n))
		sc.cb[0] = float32(alpha / (1 + n))
		cj := centres[j*dim : (j+1)*dim]
		set.AxpbyRows(cj, cj, sc.sums[int(s)*dim:(int(s)+1)*dim], sc.ca[:1], sc.cb[:1], dim)
	}
	return nil
}

// check validates the shapes and labels shared by Forward and Update.
func (c *Centre) check(op string, x, centres []float32, labels []int32, dim int) (int, error) {
	rows, _, err := checkClassRows(op, x, centres, "centres", labels, dim)
	return rows, err
}

func growI32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
