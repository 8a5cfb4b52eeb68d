// Package check holds the shape checks shared by every entry point of the
// module. A failed check panics with a message that starts with "simdloss:"
// and names the length that is wrong, as copy-like kernels in Go do.
package check

import (
	"fmt"
	"unsafe"
)

// Rows checks a row-major matrix src of rows of cols elements and an output
// dst that needs want(rows) elements, and returns the number of rows.
// Empty src is valid whatever cols is (a no-op for the caller).
func Rows(op string, dstLen, srcLen, cols int, dstPerRow int) int {
	if srcLen == 0 {
		return 0
	}
	if cols <= 0 {
		panic(fmt.Sprintf("simdloss: %s: cols = %d must be positive for non-empty src (len %d)", op, cols, srcLen))
	}
	if srcLen%cols != 0 {
		panic(fmt.Sprintf("simdloss: %s: len(src) = %d is not a multiple of cols = %d", op, srcLen, cols))
	}
	rows := srcLen / cols
	if dstLen < rows*dstPerRow {
		panic(fmt.Sprintf("simdloss: %s: len(dst) = %d, need at least %d (%d rows x %d)", op, dstLen, rows*dstPerRow, rows, dstPerRow))
	}
	return rows
}

// Pairwise checks a (m x dim) and b (n x dim) and dst of at least want(m, n)
// elements, and returns m and n.
func Pairwise(op string, dstLen, aLen, bLen, dim int, paired bool) (m, n int) {
	if aLen == 0 && bLen == 0 {
		return 0, 0
	}
	if dim <= 0 {
		panic(fmt.Sprintf("simdloss: %s: dim = %d must be positive for non-empty input (len(a) = %d, len(b) = %d)", op, dim, aLen, bLen))
	}
	if aLen%dim != 0 {
		panic(fmt.Sprintf("simdloss: %s: len(a) = %d is not a multiple of dim = %d", op, aLen, dim))
	}
	if bLen%dim != 0 {
		panic(fmt.Sprintf("simdloss: %s: len(b) = %d is not a multiple of dim = %d", op, bLen, dim))
	}
	m, n = aLen/dim, bLen/dim
	if !paired && short(dstLen, m, n) {
		panic(fmt.Sprintf("simdloss: %s: len(dst) = %d, need at least %d (%d x %d)", op, dstLen, m*n, m, n))
	}
	want := m * n
	if paired {
		if m != n {
			panic(fmt.Sprintf("simdloss: %s: len(a) = %d and len(b) = %d differ; paired rows need equal lengths", op, aLen, bLen))
		}
		want = m
	}
	if dstLen < want {
		if paired {
			panic(fmt.Sprintf("simdloss: %s: len(dst) = %d, need at least %d (one per row pair)", op, dstLen, want))
		}
		panic(fmt.Sprintf("simdloss: %s: len(dst) = %d, need at least %d (%d x %d)", op, dstLen, want, m, n))
	}
	return m, n
}

// Overlap panics if dst and src share memory without starting at the same
// element: in-place operation (dst[0] and src[0] the same element) is allowed,
// any other overlap is not.
func Overlap(op, dstName, srcName string, dst, src []float32) {
	if len(dst) == 0 || len(src) == 0 {
		return
	}
	d0 := uintptr(unsafe.Pointer(unsafe.SliceData(dst)))
	s0 := uintptr(unsafe.Pointer(unsafe.SliceData(src)))
	d1 := d0 + uintptr(len(dst))*4
	s1 := s0 + uintptr(len(src))*4
	if d0 != s0 && d0 < s1 && s0 < d1 {
		panic(fmt.Sprintf("simdloss: %s: %s and %s partially overlap; they must be the same slice or disjoint", op, dstName, srcName))
	}
}

// Disjoint panics if dst and src share any memory.
func Disjoint(op, dstName, srcName string, dst, src []float32) {
	if Overlaps(dst, src) {
		panic(fmt.Sprintf("simdloss: %s: %s and %s overlap; they must be disjoint", op, dstName, srcName))
	}
}

// Overlaps reports whether a and b share any memory (an empty slice shares
// none).
func Overlaps(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0 := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return a0 < b0+uintptr(len(b))*4 && b0 < a0+uintptr(len(a))*4
}

// Len panics unless x has at least n elements (or x is nil and nilOK).
func Len(op, name string, x []float32, n int, nilOK bool) {
	if x == nil && nilOK {
		return
	}
	if len(x) < n {
		panic(fmt.Sprintf("simdloss: %s: len(%s) = %d, need at least %d", op, name, len(x), n))
	}
}

// LenRows panics unless x has at least rows×cols elements (rows, cols >= 0;
// or x is nil and nilOK), where rows and cols come from different places
// (a label count and a column count): the product is never formed, so one
// past the largest int cannot wrap around to a small length that passes.
func LenRows(op, name string, x []float32, rows, cols int, nilOK bool) {
	if x == nil && nilOK {
		return
	}
	if short(len(x), rows, cols) {
		panic(fmt.Sprintf("simdloss: %s: len(%s) = %d, need at least %d×%d", op, name, len(x), rows, cols))
	}
}

// MatMul checks the shapes of dst = op(a)·op(b) with op(a) m×k and op(b) k×n.
func MatMul(op string, dstLen, aLen, bLen, m, n, k int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("simdloss: %s: m = %d, n = %d, k = %d must not be negative", op, m, n, k))
	}
	if short(aLen, m, k) {
		panic(fmt.Sprintf("simdloss: %s: len(a) = %d, need at least m*k = %d*%d", op, aLen, m, k))
	}
	if short(bLen, k, n) {
		panic(fmt.Sprintf("simdloss: %s: len(b) = %d, need at least k*n = %d*%d", op, bLen, k, n))
	}
	if short(dstLen, m, n) {
		panic(fmt.Sprintf("simdloss: %s: len(dst) = %d, need at least m*n = %d*%d", op, dstLen, m, n))
	}
}

// short reports whether length < x*y for x, y >= 0, without overflow.
func short(length, x, y int) bool {
	return y != 0 && x > length/y
}
