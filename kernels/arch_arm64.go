//go:build !purego && arm64

package kernels

// archSets lists the arm64 SIMD sets (NEON lands here).
var archSets []*Set
