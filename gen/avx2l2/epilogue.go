package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// An Epilogue turns the raw dot products of a micro-tile into the kernel's
// outputs. The tile kernel (tile.go) is one body per epilogue: it computes
// every dot product of the tile as the canonical chain, then, on the last
// block of k, calls Setup once and Row for each row of the tile, and stores
// the result (full or masked).
//
// An epilogue reads at most two vectors of side data, both passed to every
// tile kernel: rowv (one float32 per row of a, at 4*i(Env.RowV) for row i of
// the tile) and colv (one float32 per column of the output, zero-padded to
// whole panels by the driver; the tile's 16 columns are at (Env.ColV) and
// 32(Env.ColV)). What they hold is the epilogue's business: squared norms
// for L2, inverse norms for cosine, a bias for a linear layer, nothing for
// Dot.
type Epilogue interface {
	// Name names the kernel: Tile<Name>AVX2.
	Name() string
	// Doc describes the output y of the element in row i, column j of the
	// tile from its dot product dot, for the kernel's doc comment.
	Doc() []string
	// Setup emits code run once per tile before the rows; it may set
	// env.Keep, which Row may then read.
	Setup(env Env)
	// Row emits the epilogue of row i (0 <= i < 6): acc[h] holds the dot
	// products of columns 8h..8h+7 of the tile and receives the outputs.
	// Row may clobber env.Scratch, not env.Keep.
	Row(env Env, i int, acc [2]VecPhysical)
}

// Env is what an epilogue may use.
type Env struct {
	RowV, ColV GPPhysical     // side data of this tile (see Epilogue)
	Scratch    [2]VecPhysical // free in Row
	Keep       [2]VecPhysical // set in Setup, read-only in Row
}

var epilogues = []Epilogue{dotEpilogue{}, l2Epilogue{}}

// dotEpilogue stores the dot products: the Dots kernel.
type dotEpilogue struct{}

func (dotEpilogue) Name() string                       { return "Dot" }
func (dotEpilogue) Doc() []string                      { return []string{"y = dot (generic.Dot, for generic.Dots)."} }
func (dotEpilogue) Setup(Env)                          {}
func (dotEpilogue) Row(_ Env, _ int, _ [2]VecPhysical) {}

// l2Epilogue is generic.L2Epilogue with rowv = squared norms of the rows of
// a and colv = squared norms of the rows of b.
type l2Epilogue struct{}

func (l2Epilogue) Name() string { return "L2" }
func (l2Epilogue) Doc() []string {
	return []string{
		"y = generic.L2Epilogue(dot, rowv[i], colv[j]) (for generic.SquaredL2,",
		"rowv and colv the squared norms): t = rowv[i] + colv[j];",
		"y = fma(-2, dot, t); y < 0 becomes +0 (NaN stays NaN).",
	}
}

func (l2Epilogue) Setup(env Env) {
	Comment("L2 epilogue: Keep0 = +0, Keep1 = -2 in every lane.")
	VXORPS(env.Keep[0], env.Keep[0], env.Keep[0])
	VBROADCASTSS(l2Minus2, env.Keep[1])
}

func (l2Epilogue) Row(env Env, i int, acc [2]VecPhysical) {
	s0, s1 := env.Scratch[0], env.Scratch[1]
	zero, m2 := env.Keep[0], env.Keep[1]
	Commentf("row %d: t = na_%d + nb_j; y = fma(-2, dot, t); y = max(+0, y), NaN kept", i, i)
	VBROADCASTSS(Mem{Base: env.RowV, Disp: 4 * i}, s0)
	VADDPS(Mem{Base: env.ColV, Disp: 32}, s0, s1)
	VADDPS(Mem{Base: env.ColV}, s0, s0)
	VFMADD231PS(m2, acc[0], s0)
	VFMADD231PS(m2, acc[1], s1)
	// Intel VMAXPS dst, src1, src2 returns src2 when either is NaN and when
	// both are zeros; with src1 = +0, src2 = y that is (y < 0) ? +0 : y.
	VMAXPS(s0, zero, acc[0])
	VMAXPS(s1, zero, acc[1])
}
