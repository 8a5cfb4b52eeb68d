package a64

import (
	"strings"
	"testing"
)

// TestArgLayout checks the argument offsets of mixed pointer, int and
// float32 parameters against Go's ABI0 layout (as go vet's asmdecl
// computes it): float32 is 4 bytes, 4-aligned; pointers and ints 8-aligned;
// the result starts 8-aligned.
func TestArgLayout(t *testing.T) {
	f := NewFile("p", "", "test")
	f.TEXT("F", "func(a *float32, k float32, b *float32, n int, x, y float32, z float32) int")
	for _, name := range []string{"a", "b", "n"} {
		f.Load(name, R(0))
	}
	for _, name := range []string{"k", "x", "y", "z"} {
		f.LoadF(name, V(0))
	}
	f.Return(R(0))
	f.TEXT("G", "func(p *float32, e float32)")
	f.RET()
	asm := string(f.Asm())
	for _, want := range []string{
		"TEXT ·F(SB), NOSPLIT, $0-56", "a+0(FP)", "k+8(FP)", "b+16(FP)", "n+24(FP)",
		"x+32(FP)", "y+36(FP)", "z+40(FP)", "ret+48(FP)",
		"TEXT ·G(SB), NOSPLIT, $0-12",
	} {
		if !strings.Contains(asm, want) {
			t.Errorf("no %q in\n%s", want, asm)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Load of a float32 parameter did not panic")
		}
	}()
	f.TEXT("H", "func(k float32)")
	f.Load("k", R(0))
}
