//go:build !purego

package kernels

// The pairwise tests' subjects on amd64.
var pairSet, pairTestISA = AVX2, avx2Pair
