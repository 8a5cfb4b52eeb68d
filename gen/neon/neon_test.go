package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
)

var kinds = []struct{ kind, asm, stubs string }{
	{"rows", "../../kernels/asm/rows_arm64.s", "../../kernels/asm/rows_arm64.go"},
	{"l2", "../../kernels/asm/l2_arm64.s", "../../kernels/asm/l2_arm64.go"},
	{"elem", "../../kernels/asm/elem_arm64.s", "../../kernels/asm/elem_arm64.go"},
}

var wordLine = regexp.MustCompile(`^\tWORD\t\$0x([0-9a-f]{8})\t// (.*)$`)

// checkWordLines decodes every WORD line of an assembly file with
// golang.org/x/arch/arm64/arm64asm and compares it with the instruction
// written in its comment. It returns the number of WORD lines.
func checkWordLines(t *testing.T, name string, src []byte) int {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if !strings.Contains(text, "WORD") {
			continue
		}
		m := wordLine.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("%s:%d: malformed WORD line %q", name, line, text)
			continue
		}
		v, _ := strconv.ParseUint(m[1], 16, 32)
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(v))
		in, err := arm64asm.Decode(b[:])
		if err != nil {
			t.Errorf("%s:%d: %s does not decode: %v", name, line, m[1], err)
			continue
		}
		if got := in.String(); got != m[2] {
			t.Errorf("%s:%d: WORD $0x%s decodes as %q, the comment says %q", name, line, m[1], got, m[2])
		}
		n++
	}
	return n
}

// TestGeneratedWords checks every WORD the generator emits, both as recorded
// by the emitter and as written in the text.
func TestGeneratedWords(t *testing.T) {
	for _, k := range kinds {
		f, _, err := generate(k.kind, "asm")
		if err != nil {
			t.Fatal(err)
		}
		if n := checkWordLines(t, k.kind, f.Asm()); n != len(f.Words) || n == 0 {
			t.Errorf("%s: %d WORD lines, %d recorded", k.kind, n, len(f.Words))
		}
	}
}

// TestCommittedFiles checks that the committed files are what the generator
// writes now, and decodes every WORD in them.
func TestCommittedFiles(t *testing.T) {
	for _, k := range kinds {
		f, _, err := generate(k.kind, "asm")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path string
			want []byte
		}{{k.asm, f.Asm()}, {k.stubs, f.Stubs()}} {
			got, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.want) {
				t.Errorf("%s is stale: run go generate ./kernels/asm", c.path)
			}
		}
		src, _ := os.ReadFile(k.asm)
		t.Logf("%s: %d WORD instructions decode as commented", k.asm, checkWordLines(t, k.asm, src))
	}
}

// TestLoopsBranchFree checks that the inner loops hold no branch but their
// own back edge (no per-element branches). A branch commented "uniform"
// depends on a kernel parameter alone (the same way for every element, as
// SigmoidFocal's loop over γ) and is allowed.
func TestLoopsBranchFree(t *testing.T) {
	branch := map[string]bool{"B": true, "BEQ": true, "BNE": true, "BLT": true, "BGT": true,
		"BLE": true, "BVS": true, "BVC": true, "BCC": true, "BCS": true, "BHI": true, "BLS": true,
		"BMI": true, "BPL": true, "CBZ": true, "CBNZ": true, "TBZ": true, "TBNZ": true, "JMP": true}
	for _, k := range kinds {
		f, _, err := generate(k.kind, "asm")
		if err != nil {
			t.Fatalf("%s: %v", k.kind, err)
		}
		loops, inLoop := 0, false
		for _, l := range strings.Split(string(f.Asm()), "\n") {
			if strings.HasPrefix(l, "\t// loop:") {
				inLoop = true
				loops++
				continue
			}
			fields := strings.Fields(l)
			if !inLoop || len(fields) == 0 {
				continue
			}
			switch {
			case fields[0] == "BGE":
				inLoop = false
			case branch[fields[0]] && !strings.HasSuffix(l, "// uniform"):
				t.Errorf("%s: branch %q inside a loop", k.kind, l)
			}
		}
		if loops == 0 {
			t.Errorf("%s: no annotated loop found", k.kind)
		}
	}
}
