//go:build !purego && (amd64 || arm64)

package kernels

import "unsafe"

func ptr(s []float32) *float32 { return unsafe.SliceData(s) }
