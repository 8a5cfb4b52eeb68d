//go:build !purego

package kernels

// The pairwise tests' subjects on arm64.
var pairSet, pairTestISA = NEON, neonPair
