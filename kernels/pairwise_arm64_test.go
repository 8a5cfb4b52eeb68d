//go:build !purego

package kernels

// The pairwise tests' subjects on arm64.
var pairSubjects = []pairSubject{{NEON, neonPair}}
