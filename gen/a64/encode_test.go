package a64

import (
	"encoding/binary"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"
)

// Decode returns the Arm-syntax text of an instruction word as
// golang.org/x/arch/arm64/arm64asm prints it.
func decode(t *testing.T, bits uint32) string {
	t.Helper()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], bits)
	in, err := arm64asm.Decode(b[:])
	if err != nil {
		t.Fatalf("%#08x does not decode: %v", bits, err)
	}
	return in.String()
}

// CheckWords decodes every recorded WORD and compares it with its text.
func checkWords(t *testing.T, words []Word) {
	t.Helper()
	for _, w := range words {
		if got := decode(t, w.Bits); got != w.Text {
			t.Errorf("WORD $%#08x decodes as %q, the emitter wrote %q", w.Bits, got, w.Text)
		}
	}
}

// TestEncoders emits every encoded instruction with every register (and
// every element index) and checks each word against the decoder.
func TestEncoders(t *testing.T) {
	f := NewFile("p", "", "test")
	f.TEXT("F", "func()")
	three := []func(d, n, m VReg){f.FADD, f.FSUB, f.FMUL, f.FMAXNM, f.FMAX, f.FADDP, f.FCMGT, f.FACGT, f.BIC, f.FDIV, f.FMIN, f.UMIN, f.CMEQ, f.FCMEQ, f.FCMGE, f.FADDD}
	for d := 0; d < 32; d++ {
		for n := 0; n < 32; n++ {
			for m := 0; m < 32; m++ {
				for _, op := range three {
					op(V(d), V(n), V(m))
				}
				for i := 0; i < 4; i++ {
					f.FMLAElem(V(d), V(n), V(m), i)
					f.TRN(V(d), V(n), V(m), i&1 != 0, i&2 != 0)
				}
			}
			f.FMAXNMV(V(d), V(n))
			f.UMINV(V(d), V(n))
			f.UMAXV(V(d), V(n))
			f.ADDV(V(d), V(n))
			f.FMINNMV(V(d), V(n))
			f.FCVTL(V(d), V(n), false)
			f.FCVTL(V(d), V(n), true)
			f.FADDPScalar(V(d), V(n))
			f.SCVTF(V(d), V(n))
			for _, sh := range []int{1, 2, 23, 31, 32} {
				f.SSHR(V(d), V(n), sh)
			}
		}
	}
	if want := 32 * 32 * (32*(len(three)+8) + 14); len(f.Words) != want {
		t.Fatalf("%d words recorded, want %d", len(f.Words), want)
	}
	checkWords(t, f.Words)
}

// TestFieldOverflow checks that an encoder refuses a field that does not fit.
func TestFieldOverflow(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("EncFMLAElem with index 4 did not panic")
		}
	}()
	EncFMLAElem(0, 1, 2, 4)
}

// TestKnownWords pins a few encodings against the Arm ARM's own examples of
// the field layout (a second, independent check of the bit positions).
func TestKnownWords(t *testing.T) {
	// FADD V0.4S, V1.4S, V2.4S: 0 1 0 01110 0 0 1 00010 11010 1 00001 00000
	const fadd = 0b0_1_0_01110_0_0_1_00010_11010_1_00001_00000
	if got := EncFADD(0, 1, 2); got != fadd {
		t.Errorf("EncFADD(0, 1, 2) = %#08x, want %#08x", got, fadd)
	}
	// FMLA V3.4S, V4.4S, V17.S[3]: 0 1 0 01111 10 L=1 M=1 0001 0001 H=1 0 00100 00011
	const fmla = 0b0_1_0_01111_10_1_1_0001_0001_1_0_00100_00011
	if got := EncFMLAElem(3, 4, 17, 3); got != fmla {
		t.Errorf("EncFMLAElem(3, 4, 17, 3) = %#08x, want %#08x", got, fmla)
	}
}
