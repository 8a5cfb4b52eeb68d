package a64

import "fmt"

// Encoders for the AdvSIMD instructions that the Go arm64 assembler does not
// know. Each one packs the fields of its encoding class as the Arm
// Architecture Reference Manual (DDI 0487, section C4.1 "A64 instruction set
// encoding", Advanced SIMD classes) lays them out; nothing here is a
// hand-typed opcode. The tests in this package decode every encoder's output
// with golang.org/x/arch/arm64/arm64asm and compare it with the instruction
// text that the emitter writes next to the WORD.

// bits places the value v, which must fit in width bits, at bit lo.
func bits(v uint32, lo, width uint) uint32 {
	if v >= 1<<width {
		panic(fmt.Sprintf("a64: field value %#x does not fit in %d bits", v, width))
	}
	return v << lo
}

// Floating-point "size" fields: bit 23 selects between a pair of operations
// (a, o1 or o2 in the manual), bit 22 is sz (0: single precision).
const szSingle = 0

// asimdThreeSame is the "Advanced SIMD three same" class:
//
//	31 30 29 28-24 23-22 21 20-16 15-11  10 9-5 4-0
//	 0  Q  U 01110  size  1    Rm opcode  1  Rn  Rd
func asimdThreeSame(q, u, size, opcode uint32, d, n, m VReg) uint32 {
	return bits(q, 30, 1) | bits(u, 29, 1) | bits(0b01110, 24, 5) | bits(size, 22, 2) |
		bits(1, 21, 1) | bits(uint32(m), 16, 5) | bits(opcode, 11, 5) | bits(1, 10, 1) |
		bits(uint32(n), 5, 5) | bits(uint32(d), 0, 5)
}

// asimdAcrossLanes is the "Advanced SIMD across lanes" class:
//
//	31 30 29 28-24 23-22 21-17 16-12 11-10 9-5 4-0
//	 0  Q  U 01110  size 11000 opcode   10  Rn  Rd
func asimdAcrossLanes(q, u, size, opcode uint32, d, n VReg) uint32 {
	return bits(q, 30, 1) | bits(u, 29, 1) | bits(0b01110, 24, 5) | bits(size, 22, 2) |
		bits(0b11000, 17, 5) | bits(opcode, 12, 5) | bits(0b10, 10, 2) |
		bits(uint32(n), 5, 5) | bits(uint32(d), 0, 5)
}

// asimdScalarPairwise is the "Advanced SIMD scalar pairwise" class:
//
//	31-30 29 28-24 23-22 21-17 16-12 11-10 9-5 4-0
//	   01  U 11110  size 11000 opcode   10  Rn  Rd
func asimdScalarPairwise(u, size, opcode uint32, d, n VReg) uint32 {
	return bits(0b01, 30, 2) | bits(u, 29, 1) | bits(0b11110, 24, 5) | bits(size, 22, 2) |
		bits(0b11000, 17, 5) | bits(opcode, 12, 5) | bits(0b10, 10, 2) |
		bits(uint32(n), 5, 5) | bits(uint32(d), 0, 5)
}

// asimdVectorByElement is the "Advanced SIMD vector x indexed element" class
// for single-precision operands (size = 1:sz = 10), where the element index
// is H:L and the register is M:Rm:
//
//	31 30 29 28-24 23-22 21 20 19-16 15-12 11 10 9-5 4-0
//	 0  Q  U 01111  size  L  M    Rm opcode  H  0  Rn  Rd
func asimdVectorByElement(q, u, opcode uint32, d, n, m VReg, index int) uint32 {
	if index < 0 || index > 3 {
		panic(fmt.Sprintf("a64: element index %d out of range 0..3", index))
	}
	h, l := uint32(index)>>1, uint32(index)&1
	return bits(q, 30, 1) | bits(u, 29, 1) | bits(0b01111, 24, 5) | bits(0b10|szSingle, 22, 2) |
		bits(l, 21, 1) | bits(uint32(m)>>4, 20, 1) | bits(uint32(m)&15, 16, 4) |
		bits(opcode, 12, 4) | bits(h, 11, 1) | bits(uint32(n), 5, 5) | bits(uint32(d), 0, 5)
}

// asimdShiftImm is the "Advanced SIMD shift by immediate" class, for 32-bit
// lanes (immh = 01xx) and a right shift by 1..32, encoded as
// immh:immb = 64 - shift:
//
//	31 30 29 28-23 22-19 18-16 15-11 10 9-5 4-0
//	 0  Q  U 011110 immh  immb opcode  1  Rn  Rd
func asimdShiftImm(q, u, opcode uint32, d, n VReg, shift int) uint32 {
	if shift < 1 || shift > 32 {
		panic(fmt.Sprintf("a64: right shift %d out of range 1..32", shift))
	}
	hb := uint32(64 - shift)
	return bits(q, 30, 1) | bits(u, 29, 1) | bits(0b011110, 23, 6) | bits(hb, 16, 7) |
		bits(opcode, 11, 5) | bits(1, 10, 1) | bits(uint32(n), 5, 5) | bits(uint32(d), 0, 5)
}

// asimdTwoRegMisc is the "Advanced SIMD two-register miscellaneous" class:
//
//	31 30 29 28-24 23-22 21-17 16-12 11-10 9-5 4-0
//	 0  Q  U 01110  size 10000 opcode   10  Rn  Rd
func asimdTwoRegMisc(q, u, size, opcode uint32, d, n VReg) uint32 {
	return bits(q, 30, 1) | bits(u, 29, 1) | bits(0b01110, 24, 5) | bits(size, 22, 2) |
		bits(0b10000, 17, 5) | bits(opcode, 12, 5) | bits(0b10, 10, 2) |
		bits(uint32(n), 5, 5) | bits(uint32(d), 0, 5)
}

// The instructions, each as its manual page names it. All float forms are
// the 4S arrangement (Q = 1, sz = 0).

// EncFADD is FADD (vector): Vd.4S = Vn.4S + Vm.4S.
func EncFADD(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 0<<1|szSingle, 0b11010, d, n, m) }

// EncFSUB is FSUB (vector): Vd.4S = Vn.4S - Vm.4S.
func EncFSUB(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 1<<1|szSingle, 0b11010, d, n, m) }

// EncFMUL is FMUL (vector): Vd.4S = Vn.4S * Vm.4S.
func EncFMUL(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, 0<<1|szSingle, 0b11011, d, n, m) }

// EncFMAXNM is FMAXNM (vector): the IEEE 754-2008 maxNum of each lane.
func EncFMAXNM(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 0<<1|szSingle, 0b11000, d, n, m) }

// EncFMAX is FMAX (vector): the maximum of each lane, NaN if either is NaN.
func EncFMAX(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 0<<1|szSingle, 0b11110, d, n, m) }

// EncFMIN is FMIN (vector): the minimum of each lane, NaN if either is NaN
// (-0 below +0).
func EncFMIN(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 1<<1|szSingle, 0b11110, d, n, m) }

// EncFADDP is FADDP (vector): Vd.4S = {n0+n1, n2+n3, m0+m1, m2+m3}.
func EncFADDP(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, 0<<1|szSingle, 0b11010, d, n, m) }

// EncFCMGT is FCMGT (register): each lane of Vd is all ones where Vn > Vm.
func EncFCMGT(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, 1<<1|szSingle, 0b11100, d, n, m) }

// EncFACGT is FACGT (vector): each lane of Vd is all ones where |Vn| > |Vm|.
func EncFACGT(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, 1<<1|szSingle, 0b11101, d, n, m) }

// EncFDIV is FDIV (vector): Vd.4S = Vn.4S / Vm.4S (IEEE division).
func EncFDIV(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, 0<<1|szSingle, 0b11111, d, n, m) }

// EncSSHR is SSHR (vector): each 32-bit lane of Vn shifted right
// arithmetically by shift (1..32) into Vd.
func EncSSHR(d, n VReg, shift int) uint32 { return asimdShiftImm(1, 0, 0b00000, d, n, shift) }

// EncSCVTF is SCVTF (vector, integer): each int32 lane of Vn converted to
// float32 (rounded to nearest) into Vd.
func EncSCVTF(d, n VReg) uint32 { return asimdTwoRegMisc(1, 0, 0<<1|szSingle, 0b11101, d, n) }

// EncBIC is BIC (vector, register): Vd.16B = Vn.16B AND NOT Vm.16B.
func EncBIC(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 0b01, 0b00011, d, n, m) }

// sz32 is the integer "size" field of 32-bit lanes.
const sz32 = 0b10

// asimdPermute is the "Advanced SIMD permute" class (Q = 1):
//
//	31 30 29-24 23-22 21 20-16 15 14-12 11-10 9-5 4-0
//	 0  1 001110  size  0    Rm  0   opc    10  Rn  Rd
func asimdPermute(size, opc uint32, d, n, m VReg) uint32 {
	return bits(1, 30, 1) | bits(0b001110, 24, 6) | bits(size, 22, 2) | bits(uint32(m), 16, 5) |
		bits(opc, 12, 3) | bits(0b10, 10, 2) | bits(uint32(n), 5, 5) | bits(uint32(d), 0, 5)
}

// EncTRN is TRN1 (second false) or TRN2 (second true), on 32-bit lanes
// (.4S) or, with double, 64-bit lanes (.2D): Vd takes the even (TRN1) or
// odd (TRN2) lanes of Vn and Vm, interleaved.
func EncTRN(d, n, m VReg, second, double bool) uint32 {
	opc, size := uint32(0b010), uint32(sz32)
	if second {
		opc = 0b110
	}
	if double {
		size = 0b11
	}
	return asimdPermute(size, opc, d, n, m)
}

// EncUMIN is UMIN (vector): Vd.4S = the unsigned minimum of Vn.4S and Vm.4S.
func EncUMIN(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, sz32, 0b01101, d, n, m) }

// EncCMEQ is CMEQ (register): each 32-bit lane of Vd is all ones where the
// lanes of Vn and Vm are equal as integers, else 0.
func EncCMEQ(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, sz32, 0b10001, d, n, m) }

// EncUMINV is UMINV: Sd = the unsigned minimum of the four lanes of Vn.4S.
func EncUMINV(d, n VReg) uint32 { return asimdAcrossLanes(1, 1, sz32, 0b11010, d, n) }

// szDouble is the sz field (bit 22) of double-precision operations.
const szDouble = 1

// EncFCVTL is FCVTL (Vd.2D = the two low single lanes of Vn, widened) or,
// with high, FCVTL2 (the two high lanes).
func EncFCVTL(d, n VReg, high bool) uint32 {
	q := uint32(0)
	if high {
		q = 1
	}
	return asimdTwoRegMisc(q, 0, 0<<1|szDouble, 0b10111, d, n)
}

// EncFADDD is FADD (vector), double precision: Vd.2D = Vn.2D + Vm.2D.
func EncFADDD(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 0<<1|szDouble, 0b11010, d, n, m) }

// EncFCMGE is FCMGE (register): each lane of Vd is all ones where Vn.4S >=
// Vm.4S (NaN: 0), else 0.
func EncFCMGE(d, n, m VReg) uint32 { return asimdThreeSame(1, 1, 0<<1|szSingle, 0b11100, d, n, m) }

// EncFCMEQ is FCMEQ (register): each lane of Vd is all ones where Vn.4S ==
// Vm.4S (NaN: 0; -0 == +0), else 0.
func EncFCMEQ(d, n, m VReg) uint32 { return asimdThreeSame(1, 0, 0<<1|szSingle, 0b11100, d, n, m) }

// EncFMINNMV is FMINNMV: Sd = minNum of the four lanes of Vn.4S.
func EncFMINNMV(d, n VReg) uint32 { return asimdAcrossLanes(1, 1, 1<<1|szSingle, 0b01100, d, n) }

// EncADDV is ADDV: Sd = the sum (modulo 2^32) of the four lanes of Vn.4S.
func EncADDV(d, n VReg) uint32 { return asimdAcrossLanes(1, 0, sz32, 0b11011, d, n) }

// EncUMAXV is UMAXV: Sd = the unsigned maximum of the four lanes of Vn.4S.
func EncUMAXV(d, n VReg) uint32 { return asimdAcrossLanes(1, 1, sz32, 0b01010, d, n) }

// EncFMAXNMV is FMAXNMV: Sd = maxNum of the four lanes of Vn.4S.
func EncFMAXNMV(d, n VReg) uint32 { return asimdAcrossLanes(1, 1, 0<<1|szSingle, 0b01100, d, n) }

// EncFADDPScalar is FADDP (scalar): Sd = Vn.S[0] + Vn.S[1].
func EncFADDPScalar(d, n VReg) uint32 {
	return asimdScalarPairwise(1, 0<<1|szSingle, 0b01101, d, n)
}

// EncFMLAElem is FMLA (by element): Vd.4S += Vn.4S * Vm.S[index], fused.
func EncFMLAElem(d, n, m VReg, index int) uint32 {
	return asimdVectorByElement(1, 0, 0b0001, d, n, m, index)
}
