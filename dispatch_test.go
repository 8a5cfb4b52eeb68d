package simdloss

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/simdloss/simdloss/kernels"
)

func TestChoose(t *testing.T) {
	if got := choose("generic"); got != kernels.Generic {
		t.Errorf("choose(generic) = %s", got.Name())
	}
	if got := choose(""); got != kernels.Best() {
		t.Errorf("choose(\"\") = %s, want the best set %s", got.Name(), kernels.Best().Name())
	}
	if got := choose("auto"); got != kernels.Best() {
		t.Errorf("choose(auto) = %s, want %s", got.Name(), kernels.Best().Name())
	}
	for _, bad := range []string{"bogus", "AVX2", "sse"} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "simdloss: SIMDLOSS_KERNELS=") || !strings.Contains(msg, "generic") {
					t.Errorf("choose(%q) panicked with %q, want a simdloss: message listing the valid sets", bad, msg)
				}
			}()
			choose(bad)
		}()
	}
	for _, s := range kernels.Sets() {
		if !s.Supported() {
			func() {
				defer func() {
					if msg, _ := recover().(string); !strings.Contains(msg, "does not support") {
						t.Errorf("choose(%s) on an unsupported CPU panicked with %q", s.Name(), msg)
					}
				}()
				choose(s.Name())
			}()
		}
	}
}

// TestEnvKernels starts this test binary again with SIMDLOSS_KERNELS set and
// checks what the package chose at init (and that bad values panic at init).
func TestEnvKernels(t *testing.T) {
	if name := os.Getenv("SIMDLOSS_TEST_PRINT_KERNELS"); name != "" {
		os.Stdout.WriteString("kernels=" + Kernels() + "\n")
		os.Exit(0)
	}
	run := func(value string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvKernels$")
		cmd.Env = append(os.Environ(), "SIMDLOSS_TEST_PRINT_KERNELS=1", EnvKernels+"="+value)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, s := range kernels.Sets() {
		if !s.Supported() {
			continue
		}
		out, err := run(s.Name())
		if err != nil || !strings.Contains(out, "kernels="+s.Name()+"\n") {
			t.Errorf("%s=%s: got %q (%v)", EnvKernels, s.Name(), out, err)
		}
	}
	out, err := run("nonsense")
	if err == nil || !strings.Contains(out, "simdloss: SIMDLOSS_KERNELS=\"nonsense\"") {
		t.Errorf("%s=nonsense: want a panic at init, got %q (%v)", EnvKernels, out, err)
	}
}

func TestCPU(t *testing.T) {
	if c := CPU(); c == "" {
		t.Error("CPU() is empty")
	}
	t.Logf("CPU: %s; kernels: %s", CPU(), Kernels())
}
