// Package fuzz holds the go test -fuzz targets of simdloss. Each compares the
// dispatched kernels with the generic ones bit for bit and checks the
// documented contract on arbitrary inputs; FuzzShapes checks that any shape
// either works or panics with a "simdloss:" message. Run one with e.g.
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzSoftmax$' -fuzztime 30s
package fuzz
