package asm

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// avx512Only matches the registers that exist only with AVX-512: X16–X31
// and Y16–Y31 (EVEX-encoded), the Z registers and the mask registers.
var avx512Only = regexp.MustCompile(`\b(?:[XY](?:1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)

// TestAVX2KernelsNeedNoAVX512 reads the generated amd64 kernels and fails
// on an AVX-512 register in a kernel that the AVX2 set runs (every kernel
// whose name does not end in AVX512): avo's register allocator takes Y16
// and up when 16 registers are not enough, and nothing else would notice on
// a machine that has AVX-512, as the one the tests usually run on does (a
// CPU with AVX2 only faults), and avo's "Requires:" line does not list
// AVX-512 for them; it does for an AVX-512 instruction, which is checked
// too. CI also runs the tests on an emulated CPU without
// AVX-512 (qemu-x86_64 -cpu max), which catches the instruction itself.
func TestAVX2KernelsNeedNoAVX512(t *testing.T) {
	for _, file := range []string{"rows_amd64.s", "l2_amd64.s", "rows512_amd64.s"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name, funcs, requires := "", 0, ""
		for i, line := range strings.Split(string(src), "\n") {
			if r, ok := strings.CutPrefix(line, "// Requires: "); ok {
				requires = r
				continue
			}
			if strings.HasPrefix(line, "TEXT ") {
				name = strings.TrimSuffix(strings.Fields(line)[1], ",")
				funcs++
				if !strings.HasSuffix(name, "AVX512(SB)") && strings.Contains(requires, "AVX512") {
					t.Errorf("%s:%d: %s, a kernel of the AVX2 set, requires %s", file, i+1, name, requires)
				}
				requires = ""
				continue
			}
			if name == "" || strings.HasSuffix(name, "AVX512(SB)") || strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if r := avx512Only.FindString(line); r != "" {
				t.Errorf("%s:%d: %s uses %s, an AVX-512 register, in a kernel of the AVX2 set: %s", file, i+1, name, r, strings.TrimSpace(line))
			}
		}
		if funcs == 0 {
			t.Errorf("%s: no TEXT symbols found", file)
		}
	}
}
