package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"

	"github.com/simdloss/simdloss/generic"
)

// constTable is the read-only data of the kernels: 8-lane copies of the
// constants that instructions take as 256-bit memory operands, 4-byte
// scalars for broadcasts and the scalar logarithm, and the tail-mask table.
type constTable struct {
	mem   Mem
	off   int
	vecs  map[string]Mem
	sc    map[string]Mem
	mask  Mem // 8 x 0xFFFFFFFF then 8 x 0: &mask[8-t] is the mask of t lanes
	kmask Mem // kmask[t] (4 bytes apart) = 1<<t - 1: the AVX-512 mask of t lanes
	lanes Mem // the int32 lane numbers 0..7
	cols  Mem // AVX2: 16 vectors of 8 int32, vector j all j (a column's index in the short-row path)
}

var consts *constTable

func newConstTable() *constTable {
	t := &constTable{vecs: map[string]Mem{}, sc: map[string]Mem{}}
	t.mem = GLOBL("rowconsts", RODATA|NOPTR)
	t.mask = t.mem.Offset(t.off)
	for i := 0; i < 8; i++ {
		t.u32(0xFFFFFFFF)
	}
	for i := 0; i < 8; i++ {
		t.u32(0)
	}
	t.kmask = t.mem.Offset(t.off)
	for i := 0; i < 16; i++ {
		t.u32(1<<i - 1)
	}
	t.lanes = t.mem.Offset(t.off)
	for i := 0; i < 8; i++ {
		t.u32(uint32(i))
	}
	if !w.zmm {
		t.cols = t.mem.Offset(t.off)
		for j := 0; j < 16; j++ {
			for i := 0; i < 8; i++ {
				t.u32(uint32(j))
			}
		}
	}
	for _, c := range []struct {
		name string
		v    float32
	}{
		{"minus_ln2_hi", generic.ExpMinusLn2H},
		{"minus_ln2_lo", generic.ExpMinusLn2L},
		{"c4", generic.ExpC4},
		{"c3", generic.ExpC3},
		{"c2", generic.ExpC2},
		{"c1", generic.ExpC1},
		{"cutoff", generic.ExpCutoff},
		{"magic", generic.ExpMagic},
		{"sqrt_half_bits", math.Float32frombits(generic.LogSqrtHalfBits)},
		{"one", 1},
		{"minus_half", -0.5},
		{"P7", generic.LogP7}, {"P6", generic.LogP6}, {"P5", generic.LogP5}, {"P4", generic.LogP4},
		{"P3", generic.LogP3}, {"P2", generic.LogP2}, {"P1", generic.LogP1}, {"P0", generic.LogP0},
		{"ln2_lo", generic.LogLn2Lo},
		{"ln2_hi", generic.LogLn2Hi},
		{"focal_small", generic.FocalSmall},
		{"fe6", generic.FocalCoefs[1]}, {"fe5", generic.FocalCoefs[2]}, {"fe4", generic.FocalCoefs[3]},
		{"fe3", generic.FocalCoefs[4]}, {"fe2", generic.FocalCoefs[5]}, {"fe1", generic.FocalCoefs[6]},
	} {
		t.vecs[c.name] = t.mem.Offset(t.off)
		for i := 0; i < 8; i++ {
			t.u32(math.Float32bits(c.v))
		}
	}
	for _, c := range []struct {
		name string
		v    float32
	}{
		{"log2e", generic.ExpLog2e},
		{"magic", generic.ExpMagic},
		{"c5", generic.ExpC5},
		{"-inf", float32(math.Inf(-1))},
		{"+inf", float32(math.Inf(1))},
		{"minus_one", -1},
		{"fe7", generic.FocalCoefs[0]},
		{"eight", math.Float32frombits(8)}, // the int32 8
		{"-zero", float32(math.Copysign(0, -1))},
		{"abs_mask", math.Float32frombits(0x7FFFFFFF)},
		{"min_normal", generic.SubnormalLimit},
		{"one", 1},
		{"minus_half", -0.5},
		{"P8", generic.LogP8}, {"P7", generic.LogP7}, {"P6", generic.LogP6},
		{"P5", generic.LogP5}, {"P4", generic.LogP4}, {"P3", generic.LogP3},
		{"P2", generic.LogP2}, {"P1", generic.LogP1}, {"P0", generic.LogP0},
		{"ln2_lo", generic.LogLn2Lo},
		{"ln2_hi", generic.LogLn2Hi},
	} {
		t.sc[c.name] = t.mem.Offset(t.off)
		t.u32(math.Float32bits(c.v))
	}
	return t
}

func (t *constTable) u32(v uint32) {
	DATA(t.off, U32(v))
	t.off += 4
}

// vec is the 32-byte memory operand holding 8 copies of the named constant.
func (t *constTable) vec(name string) Mem {
	m, ok := t.vecs[name]
	if !ok {
		panic("no vector constant " + name)
	}
	return m
}

// scalar is the 4-byte memory operand holding the named constant.
func (t *constTable) scalar(name string) Mem {
	if m, ok := t.sc[name]; ok {
		return m
	}
	if m, ok := t.vecs[name]; ok {
		return m // the first of the 8 copies (an AVX-512 embedded broadcast)
	}
	panic("no scalar constant " + name)
}
