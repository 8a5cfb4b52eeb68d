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
	if len(dst) == 0 || len(src) == 0 {
		return
	}
	d0 := uintptr(unsafe.Pointer(unsafe.SliceData(dst)))
	s0 := uintptr(unsafe.Pointer(unsafe.SliceData(src)))
	if d0 < s0+uintptr(len(src))*4 && s0 < d0+uintptr(len(dst))*4 {
		panic(fmt.Sprintf("simdloss: %s: %s and %s overlap; they must be disjoint", op, dstName, srcName))
	}
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
