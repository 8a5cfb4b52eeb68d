package a64

import "fmt"

// One method per instruction. Operands are in Arm order, destination first:
// f.FADD(d, n, m) is d = n + m, whatever the Go assembler's operand order.
// Vector float operations work on the 4S arrangement (four float32 lanes).

// ---- Instructions the Go assembler knows (written in its syntax) ----

func list(regs []VReg) string {
	s := "["
	for i, r := range regs {
		if i > 0 {
			s += ", "
		}
		s += r.S4()
	}
	return s + "]"
}

func consecutive(regs []VReg) {
	if len(regs) < 1 || len(regs) > 4 {
		panic("a64: LD1/ST1 take 1 to 4 registers")
	}
	for i := 1; i < len(regs); i++ {
		if regs[i] != regs[i-1]+1 {
			panic("a64: LD1/ST1 registers must be consecutive")
		}
	}
}

// LD1 loads len(regs) consecutive vectors from (base); post advances base
// past them.
func (f *File) LD1(post bool, base GPR, regs ...VReg) {
	consecutive(regs)
	if post {
		f.I("VLD1.P", Mem(16*len(regs), base), list(regs))
	} else {
		f.I("VLD1", Mem(0, base), list(regs))
	}
}

// ST1 stores len(regs) consecutive vectors to (base); post advances base.
func (f *File) ST1(post bool, base GPR, regs ...VReg) {
	consecutive(regs)
	if post {
		f.I("VST1.P", list(regs), Mem(16*len(regs), base))
	} else {
		f.I("VST1", list(regs), Mem(0, base))
	}
}

// LD1Lane loads the float32 at (base) into lane i of v (other lanes kept);
// post advances base by 4.
func (f *File) LD1Lane(post bool, base GPR, v VReg, i int) {
	if post {
		f.I("VLD1.P", Mem(4, base), v.Lane(i))
	} else {
		f.I("VLD1", Mem(0, base), v.Lane(i))
	}
}

// ST1Lane stores lane i of v to (base); post advances base by 4.
func (f *File) ST1Lane(post bool, base GPR, v VReg, i int) {
	if post {
		f.I("VST1.P", v.Lane(i), Mem(4, base))
	} else {
		f.I("VST1", v.Lane(i), Mem(0, base))
	}
}

// LD1R loads the float32 at (base) into every lane of v; post advances base by 4.
func (f *File) LD1R(post bool, base GPR, v VReg) {
	if post {
		f.I("VLD1R.P", Mem(4, base), list([]VReg{v}))
	} else {
		f.I("VLD1R", Mem(0, base), list([]VReg{v}))
	}
}

// DUPElem sets every lane of d to lane i of n.
func (f *File) DUPElem(d, n VReg, i int) { f.I("VDUP", n.Lane(i), d.S4()) }

// DUPGen sets every lane of d to the low 32 bits of r.
func (f *File) DUPGen(d VReg, r GPR) { f.I("VDUP", r.String(), d.S4()) }

// INS sets lane i of d to the low 32 bits of r (other lanes kept).
func (f *File) INS(d VReg, i int, r GPR) { f.I("VMOV", r.String(), d.Lane(i)) }

// ORR is d = n OR m.
func (f *File) ORR(d, n, m VReg) { f.I("VORR", m.B16(), n.B16(), d.B16()) }

// BIT inserts n into d where m is set: d = (d AND NOT m) OR (n AND m).
func (f *File) BIT(d, n, m VReg) { f.I("VBIT", m.B16(), n.B16(), d.B16()) }

// BIF inserts n into d where m is clear: d = (d AND m) OR (n AND NOT m).
func (f *File) BIF(d, n, m VReg) { f.I("VBIF", m.B16(), n.B16(), d.B16()) }

// SUBI is d = n - m on the 32-bit integer lanes (wrapping).
func (f *File) SUBI(d, n, m VReg) { f.I("VSUB", m.S4(), n.S4(), d.S4()) }

// FMLS is d = fma(-n, m, d) lane by lane: one rounding.
func (f *File) FMLS(d, n, m VReg) { f.I("VFMLS", m.S4(), n.S4(), d.S4()) }

// INSElem sets lane i of d to lane j of n (other lanes kept).
func (f *File) INSElem(d VReg, i int, n VReg, j int) { f.I("VMOV", n.Lane(j), d.Lane(i)) }

// MOV copies n to d.
func (f *File) MOV(d, n VReg) { f.I("VMOV", n.B16(), d.B16()) }

// EOR is d = n XOR m.
func (f *File) EOR(d, n, m VReg) { f.I("VEOR", m.B16(), n.B16(), d.B16()) }

// AND is d = n AND m.
func (f *File) AND(d, n, m VReg) { f.I("VAND", m.B16(), n.B16(), d.B16()) }

// Zero sets every bit of d to 0 (every lane to +0).
func (f *File) Zero(d VReg) { f.EOR(d, d, d) }

// FMLA is d = fma(n, m, d) lane by lane: one rounding.
func (f *File) FMLA(d, n, m VReg) { f.I("VFMLA", m.S4(), n.S4(), d.S4()) }

// SHL shifts each 32-bit lane of n left by imm into d.
func (f *File) SHL(d, n VReg, imm int) { f.I("VSHL", Imm(int64(imm)), n.S4(), d.S4()) }

// ---- Instructions the Go assembler lacks (WORDs from encode.go) ----

func arr4S(op string, d, n, m VReg) string {
	return fmt.Sprintf("%s V%d.4S, V%d.4S, V%d.4S", op, d, n, m)
}

// FADD is d = n + m.
func (f *File) FADD(d, n, m VReg) { f.word(EncFADD(d, n, m), arr4S("FADD", d, n, m)) }

// FSUB is d = n - m.
func (f *File) FSUB(d, n, m VReg) { f.word(EncFSUB(d, n, m), arr4S("FSUB", d, n, m)) }

// FMUL is d = n * m.
func (f *File) FMUL(d, n, m VReg) { f.word(EncFMUL(d, n, m), arr4S("FMUL", d, n, m)) }

// FMAXNM is d = maxNum(n, m): a NaN lane loses to a number.
func (f *File) FMAXNM(d, n, m VReg) { f.word(EncFMAXNM(d, n, m), arr4S("FMAXNM", d, n, m)) }

// FMAX is d = max(n, m): NaN if either lane is NaN.
func (f *File) FMAX(d, n, m VReg) { f.word(EncFMAX(d, n, m), arr4S("FMAX", d, n, m)) }

// FMIN is d = min(n, m): NaN if either lane is NaN, -0 below +0.
func (f *File) FMIN(d, n, m VReg) { f.word(EncFMIN(d, n, m), arr4S("FMIN", d, n, m)) }

// FADDP is d = {n0+n1, n2+n3, m0+m1, m2+m3}.
func (f *File) FADDP(d, n, m VReg) { f.word(EncFADDP(d, n, m), arr4S("FADDP", d, n, m)) }

// FCMGT sets each lane of d to all ones where n > m, else 0 (NaN: 0).
func (f *File) FCMGT(d, n, m VReg) { f.word(EncFCMGT(d, n, m), arr4S("FCMGT", d, n, m)) }

// FACGT sets each lane of d to all ones where |n| > |m|, else 0 (NaN: 0).
func (f *File) FACGT(d, n, m VReg) { f.word(EncFACGT(d, n, m), arr4S("FACGT", d, n, m)) }

// FDIV is d = n / m (IEEE division).
func (f *File) FDIV(d, n, m VReg) { f.word(EncFDIV(d, n, m), arr4S("FDIV", d, n, m)) }

// SSHR shifts each 32-bit lane of n right arithmetically by shift into d.
func (f *File) SSHR(d, n VReg, shift int) {
	f.word(EncSSHR(d, n, shift), fmt.Sprintf("SSHR V%d.4S, V%d.4S, #%d", d, n, shift))
}

// SCVTF converts each int32 lane of n to float32 into d.
func (f *File) SCVTF(d, n VReg) { f.word(EncSCVTF(d, n), fmt.Sprintf("SCVTF V%d.4S, V%d.4S", d, n)) }

// BIC is d = n AND NOT m.
func (f *File) BIC(d, n, m VReg) {
	f.word(EncBIC(d, n, m), fmt.Sprintf("BIC V%d.16B, V%d.16B, V%d.16B", d, n, m))
}

// TRN is TRN1 (second false) or TRN2 (second true) on .4S lanes or, with
// double, .2D lanes: d takes the even (odd) lanes of n and m, interleaved.
func (f *File) TRN(d, n, m VReg, second, double bool) {
	op, arr := "TRN1", "4S"
	if second {
		op = "TRN2"
	}
	if double {
		arr = "2D"
	}
	f.word(EncTRN(d, n, m, second, double), fmt.Sprintf("%s V%d.%s, V%d.%s, V%d.%s", op, d, arr, n, arr, m, arr))
}

// UMIN is d = the unsigned minimum of n and m, lane by lane (32-bit lanes).
func (f *File) UMIN(d, n, m VReg) { f.word(EncUMIN(d, n, m), arr4S("UMIN", d, n, m)) }

// CMEQ sets each 32-bit lane of d to all ones where n and m hold the same
// bits, else 0.
func (f *File) CMEQ(d, n, m VReg) { f.word(EncCMEQ(d, n, m), arr4S("CMEQ", d, n, m)) }

// UMINV sets the scalar Sd to the unsigned minimum of the four lanes of n.
func (f *File) UMINV(d, n VReg) { f.word(EncUMINV(d, n), fmt.Sprintf("UMINV S%d, V%d.4S", d, n)) }

// FCVTL sets the two double lanes of d to the two low single lanes of n
// (with high, FCVTL2: the two high ones), converted exactly.
func (f *File) FCVTL(d, n VReg, high bool) {
	if high {
		f.word(EncFCVTL(d, n, true), fmt.Sprintf("FCVTL2 V%d.2D, V%d.4S", d, n))
		return
	}
	f.word(EncFCVTL(d, n, false), fmt.Sprintf("FCVTL V%d.2D, V%d.2S", d, n))
}

// FADDD is d = n + m on two double lanes.
func (f *File) FADDD(d, n, m VReg) {
	f.word(EncFADDD(d, n, m), fmt.Sprintf("FADD V%d.2D, V%d.2D, V%d.2D", d, n, m))
}

// FCMGE sets each lane of d to all ones where n >= m (NaN: 0), else 0.
func (f *File) FCMGE(d, n, m VReg) { f.word(EncFCMGE(d, n, m), arr4S("FCMGE", d, n, m)) }

// FCMEQ sets each lane of d to all ones where n == m (NaN: 0; -0 == +0),
// else 0.
func (f *File) FCMEQ(d, n, m VReg) { f.word(EncFCMEQ(d, n, m), arr4S("FCMEQ", d, n, m)) }

// FMINNMV sets the scalar Sd to the minNum of the four lanes of n.
func (f *File) FMINNMV(d, n VReg) { f.word(EncFMINNMV(d, n), fmt.Sprintf("FMINNMV S%d, V%d.4S", d, n)) }

// ADDV sets the scalar Sd to the sum of the four 32-bit lanes of n.
func (f *File) ADDV(d, n VReg) { f.word(EncADDV(d, n), fmt.Sprintf("ADDV S%d, V%d.4S", d, n)) }

// UMAXV sets the scalar Sd to the unsigned maximum of the four lanes of n.
func (f *File) UMAXV(d, n VReg) { f.word(EncUMAXV(d, n), fmt.Sprintf("UMAXV S%d, V%d.4S", d, n)) }

// FMAXNMV sets the scalar Sd to the maxNum of the four lanes of n.
func (f *File) FMAXNMV(d, n VReg) {
	f.word(EncFMAXNMV(d, n), fmt.Sprintf("FMAXNMV S%d, V%d.4S", d, n))
}

// FADDPScalar sets the scalar Sd to n.S[0] + n.S[1].
func (f *File) FADDPScalar(d, n VReg) {
	f.word(EncFADDPScalar(d, n), fmt.Sprintf("FADDP S%d, V%d.2S", d, n))
}

// FMLAElem is d = fma(n, m.S[i], d) lane by lane: one rounding.
func (f *File) FMLAElem(d, n, m VReg, i int) {
	f.word(EncFMLAElem(d, n, m, i), fmt.Sprintf("FMLA V%d.4S, V%d.4S, V%d.S[%d]", d, n, m, i))
}

// TRN1S is d = {n0, m0, n2, m2} (4S).
func (f *File) TRN1S(d, n, m VReg) { f.I("VTRN1", m.S4(), n.S4(), d.S4()) }

// TRN2S is d = {n1, m1, n3, m3} (4S).
func (f *File) TRN2S(d, n, m VReg) { f.I("VTRN2", m.S4(), n.S4(), d.S4()) }

// TRN1D is d = {n.D[0], m.D[0]}: the low halves (2D).
func (f *File) TRN1D(d, n, m VReg) { f.I("VTRN1", m.D2(), n.D2(), d.D2()) }

// TRN2D is d = {n.D[1], m.D[1]}: the high halves (2D).
func (f *File) TRN2D(d, n, m VReg) { f.I("VTRN2", m.D2(), n.D2(), d.D2()) }
