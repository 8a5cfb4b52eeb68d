//go:build purego || !(amd64 || arm64)

package kernels

// archSets is empty: this build has no SIMD kernels.
var archSets []*Set
