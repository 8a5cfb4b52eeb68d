// Package generic is the pure-Go implementation of every simdloss kernel:
// the portable path (built with -tags purego, and on every GOARCH without
// SIMD kernels) and the oracle that the SIMD kernels are tested against.
//
// The functions here are the canonical algorithm written out: each SIMD
// kernel set performs the same float32 operations in the same order and so
// returns the same bits (any NaN counts as equal to any NaN). CANONICAL.md in
// this directory describes the algorithm; the exported building blocks
// (FMA32, ExpNeg, LogPos, RowMax, TreeSum, SumExp, Dot, …) and constants are
// what the generators in gen/ and the tests use.
//
// Functions validate shapes and panic with a "simdloss:" message on a
// mismatch, exactly like the root package.
package generic
