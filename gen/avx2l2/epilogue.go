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
// whole panels by the driver; the columns of accumulator h are at
// h*vb(Env.ColV), vb the vector's bytes). What they hold is the epilogue's business: squared norms
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
	// Row emits the epilogue of row i (0 <= i < 6): acc[h] (one or two
	// vectors of vb bytes) holds the dot products of the tile's columns
	// h*vb/4 and on, and receives the outputs. Row may clobber env.Scratch,
	// not env.Keep.
	Row(env Env, i int, acc []VecPhysical, vb int)
}

// Env is what an epilogue may use.
type Env struct {
	RowV, ColV GPPhysical     // side data of this tile (see Epilogue)
	Scratch    [2]VecPhysical // free in Row
	Keep       [2]VecPhysical // set in Setup, read-only in Row
}

var epilogues = []Epilogue{dotEpilogue{}, l2Epilogue{}, cosineEpilogue{}}

// dotEpilogue stores the dot products: the Dots kernel.
type dotEpilogue struct{}

func (dotEpilogue) Name() string                             { return "Dot" }
func (dotEpilogue) Doc() []string                            { return []string{"y = dot (generic.Dot, for generic.Dots)."} }
func (dotEpilogue) Setup(Env)                                {}
func (dotEpilogue) Row(_ Env, _ int, _ []VecPhysical, _ int) {}

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

func (l2Epilogue) Row(env Env, i int, acc []VecPhysical, vb int) {
	s := env.Scratch
	zero, m2 := env.Keep[0], env.Keep[1]
	Commentf("row %d: t = na_%d + nb_j; y = fma(-2, dot, t); y = max(+0, y), NaN kept", i, i)
	VBROADCASTSS(Mem{Base: env.RowV, Disp: 4 * i}, s[0])
	for h := len(acc) - 1; h >= 0; h-- { // the last first: s[0] holds na until then
		VADDPS(Mem{Base: env.ColV, Disp: vb * h}, s[0], s[h])
	}
	for h := range acc {
		VFMADD231PS(m2, acc[h], s[h])
	}
	// Intel VMAXPS dst, src1, src2 returns src2 when either is NaN and when
	// both are zeros; with src1 = +0, src2 = y that is (y < 0) ? +0 : y.
	for h := range acc {
		VMAXPS(s[h], zero, acc[h])
	}
}

// cosineEpilogue is generic.CosineEpilogue with rowv = inverse norms of the
// rows of a and colv = inverse norms of the rows of b.
type cosineEpilogue struct{}

func (cosineEpilogue) Name() string { return "Cosine" }
func (cosineEpilogue) Doc() []string {
	return []string{
		"y = (dot * rowv[i]) * colv[j] (generic.CosineEpilogue, for",
		"generic.Cosines, rowv and colv the inverse norms), each product rounded.",
	}
}

func (cosineEpilogue) Setup(Env) {}

func (cosineEpilogue) Row(env Env, i int, acc []VecPhysical, vb int) {
	s0 := env.Scratch[0]
	Commentf("row %d: y = (dot * ra_%d) * rb_j", i, i)
	VBROADCASTSS(Mem{Base: env.RowV, Disp: 4 * i}, s0)
	for h := range acc {
		VMULPS(s0, acc[h], acc[h])
	}
	for h := range acc {
		VMULPS(Mem{Base: env.ColV, Disp: vb * h}, acc[h], acc[h])
	}
}
