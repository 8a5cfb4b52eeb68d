//go:build !goexperiment.simd || !amd64

package main

// Without GOEXPERIMENT=simd (or off amd64) there is no simd/archsimd: the
// archsimd column is reported as not built and these stubs are never run.

const archsimdBuilt = false

func archsimdOK() bool { return false }

func preemptWarning() string { return "" }

func archsimdNote() string {
	return "not built: needs GOEXPERIMENT=simd on amd64 (GOEXPERIMENT=simd go run ./bench)"
}

func archsimdImpl(func(), func() []float64) impl { return impl{name: implArchsimd} }

func archsimdSoftmax(dst, src []float32, cols int)    { panic(archsimdNote()) }
func archsimdLogSoftmax(dst, src []float32, cols int) { panic(archsimdNote()) }
func archsimdLogSumExp(dst, src []float32, cols int)  { panic(archsimdNote()) }
func archsimdCrossEntropy(z []float32, labels []int32, w []float32, cols int, grad []float32) float32 {
	panic(archsimdNote())
}
func archsimdTriplet(a, p, n []float32, dim int, ga, gp, gn []float32) float32 {
	panic(archsimdNote())
}
func archsimdSquaredL2Rows(dst, a, b []float32, dim int) { panic(archsimdNote()) }
func archsimdSquaredL2(dst, a, b []float32, dim int)     { panic(archsimdNote()) }
func archsimdDots(dst, a, b []float32, dim int)          { panic(archsimdNote()) }
