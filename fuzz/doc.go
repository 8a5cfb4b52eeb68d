// Package fuzz holds the go test -fuzz targets of simdloss. Each compares
// every SIMD kernel set the CPU runs (avx2 and avx512 on such an amd64), and
// the dispatched public function, with the generic set bit for bit and
// checks the documented contract on arbitrary inputs; FuzzShapes checks that
// shapes the documentation allows work and any other panics with a
// "simdloss:" message. Run one with e.g.
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzSoftmax$' -fuzztime 30s
package fuzz
