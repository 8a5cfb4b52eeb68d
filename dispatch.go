package simdloss

import (
	"fmt"
	"os"
	"strings"

	"github.com/klauspost/cpuid/v2"
	"github.com/simdloss/simdloss/kernels"
)

// EnvKernels is the environment variable that forces a kernel set at init:
// "generic", "avx2", "avx512", "neon" (where compiled and supported), or "auto" / empty
// for the fastest supported set. Any other value panics at init with the list
// of valid choices.
const EnvKernels = "SIMDLOSS_KERNELS"

// active is the kernel set every public function calls; chosen once at init
// and never changed, so the package holds no mutable global state.
var active = choose(os.Getenv(EnvKernels))

func choose(want string) *kernels.Set {
	if want == "" || want == "auto" {
		return kernels.Best()
	}
	if s := kernels.Lookup(want); s != nil {
		if !s.Supported() {
			panic(fmt.Sprintf("simdloss: %s=%s: this CPU does not support the %s kernels (valid here: %s)",
				EnvKernels, want, want, validChoices()))
		}
		return s
	}
	panic(fmt.Sprintf("simdloss: %s=%q is not a kernel set of this build (valid here: %s)",
		EnvKernels, want, validChoices()))
}

func validChoices() string {
	names := []string{"auto"}
	for _, s := range kernels.Sets() {
		if s.Supported() {
			names = append(names, s.Name())
		}
	}
	return strings.Join(names, ", ")
}

// Kernels reports the kernel set in use: "generic", "avx2", "avx512" or "neon".
func Kernels() string { return active.Name() }

// KernelSet returns the kernel set in use (for tests and benchmarks that
// compare it with kernels.Generic).
func KernelSet() *kernels.Set { return active }

// CPU describes the processor as the dispatcher saw it: brand name and the
// SIMD features that matter to simdloss.
func CPU() string {
	var f []string
	for _, x := range []struct {
		id   cpuid.FeatureID
		name string
	}{{cpuid.SSE2, "SSE2"}, {cpuid.AVX, "AVX"}, {cpuid.AVX2, "AVX2"}, {cpuid.FMA3, "FMA3"},
		{cpuid.AVX512F, "AVX512F"}, {cpuid.ASIMD, "ASIMD"}, {cpuid.SVE, "SVE"}} {
		if cpuid.CPU.Supports(x.id) {
			f = append(f, x.name)
		}
	}
	brand := cpuid.CPU.BrandName
	if brand == "" {
		brand = "unknown CPU"
	}
	return fmt.Sprintf("%s [%s]", brand, strings.Join(f, " "))
}
