//go:build !purego

package kernels

// The pairwise tests' subjects on amd64.
var pairSubjects = []pairSubject{{AVX2, avx2Pair}, {AVX512, avx512Pair}}
