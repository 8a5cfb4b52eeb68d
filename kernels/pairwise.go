//go:build !purego && (amd64 || arm64)

package kernels

import (
	"sync"
	"unsafe"
)

// The pairwise driver computes y[i*n+j] = epilogue(Dot(a_i, b_j), …) for the
// m rows of a and the n rows of b (generic.SquaredL2, generic.Dots, …) with
// an ISA's micro-kernels, described by a pairISA. It is shared by every SIMD
// set; an ISA supplies only the kernels.
//
// Loops, outermost first (the GotoBLAS/BLIS order, a left unpacked):
//
//	jc: blocks of nc columns (rows of b)
//	  pc: blocks of kc of dim (a single block when dim <= kcMax)
//	    pack b[jc:jc+nc, pc:pc+kc] into ceil(nc/nr) k-major panels of nr
//	    (zero-padded to nr rows): packed[p][k][j] = b[jc+p*nr+j][pc+k]
//	    ir: row groups of mr rows of a: one tile call computes the
//	        mr × nc outputs against every panel (edge: fewer rows, a last
//	        panel of fewer columns)
//
// Each tile call continues the dot products from the partial results it
// left in dst for the previous block of k (flag tileAccumulate), and applies
// the epilogue on the last one (tileFinal), so every output is the canonical
// chain acc = fma(a_k, b_k, acc) in k order from +0. One call does at most
// mr*nc*kc multiply-adds (a few microseconds: assembly is not preemptible).
//
// What an ISA provides (pairISA): mr and nr, a panel packer, a SumSquares
// row kernel, and one tileFunc per epilogue. The packed block starts on a
// 64-byte boundary and panel p of it at p*kc*nr floats. The driver never
// asks a kernel to read or write outside the caller's slices, and a kernel
// must not either: the edges (fewer than mr rows, a last panel of fewer than
// nr columns, a tail of k) are the kernel's to handle with masked or partial
// accesses.

// epilogue selects what a pairwise kernel does with a tile's dot products.
type epilogue int

const (
	epDot epilogue = iota // y = dot (Dots)
	epL2                  // y = generic.L2Epilogue(dot, na_i, nb_j) (SquaredL2)
	numEpilogues
)

// Flags of a tile call.
const (
	tileAccumulate = 1 // continue from the partial dot products in c
	tileFinal      = 2 // last block of k: apply the epilogue
)

// tileFunc is one micro-kernel: the outputs c[i*ldc+j] for i < mr rows
// (1 <= mr <= MR) of a (lda apart, kc columns used) against cols >= 1
// columns held in ceil(cols/NR) consecutive packed panels at b (kc*NR
// floats each). rowv[i] and colv[j] are the epilogue's per-row and
// per-column values (nil where unused; colv has NR*ceil(cols/NR) entries).
// It must touch no element of c outside the mr×cols block.
type tileFunc func(c *float32, ldc int, a *float32, lda, mr int, b *float32, kc, cols int, rowv, colv *float32, flags int)

// pairISA describes an ISA's pairwise kernels to the driver.
type pairISA struct {
	mr, nr int // tile shape: rows of a, columns (rows of b) per panel

	// packPanel packs 1 <= rows <= nr rows of b (ldb apart, kc floats each)
	// into one panel: dst[k*nr+j] = b[j*ldb+k], +0 for rows <= j < nr.
	packPanel func(dst, b *float32, ldb, rows, kc int)
	// sumSquares writes dst[i] = generic.SumSquares(a_i) for rows rows.
	sumSquares func(dst, a *float32, rows, dim int)
	// tile holds the micro-kernel of each epilogue.
	tile [numEpilogues]tileFunc

	pairBlocking
}

// pairBlocking holds the cache-blocking parameters (tests shrink them).
type pairBlocking struct {
	kcMax    int // dims up to kcMax are one block of k
	kcTarget int // larger dims split into ceil(dim/kcTarget) near-equal blocks
	packMax  int // floats of packed b per block: nc = packMax/kc (in whole panels)
}

// blocks returns the block sizes for dim and n.
func (p *pairISA) blocks(dim, n int) (kc, nc int) {
	kc = dim
	if dim > p.kcMax {
		nk := (dim + p.kcTarget - 1) / p.kcTarget
		kc = (dim + nk - 1) / nk
		kc = (kc + 7) &^ 7 // whole steps of 8 for the packer
	}
	nc = max(p.nr, p.packMax/kc/p.nr*p.nr)
	nc = min(nc, (n+p.nr-1)/p.nr*p.nr)
	return kc, nc
}

// pairScratch is the memory of one pairwise call, kept in a pool so that
// steady-state calls allocate nothing.
type pairScratch struct {
	packed []float32 // backing store of the packed block (packBuf aligns it)
	na, nb []float32 // per-row and per-column values of the epilogue (sideData)
}

var pairPool = sync.Pool{New: func() any { return new(pairScratch) }}

// pairGrow returns s[:n], reallocating when it is too short.
func pairGrow(s []float32, n int) []float32 {
	if cap(s) < n {
		s = make([]float32, n)
	}
	return s[:n]
}

// packBuf returns n floats starting on a 64-byte boundary.
func (s *pairScratch) packBuf(n int) []float32 {
	const align = 64 / 4
	if cap(s.packed) < n+align {
		s.packed = make([]float32, n+align)
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(s.packed)))/4) & (align - 1)
	if off != 0 {
		off = align - off
	}
	return s.packed[off : off+n]
}

// rowNorms writes dst[i] = generic.SumSquares(x_i), a bounded number of rows
// per call.
func (p *pairISA) rowNorms(dst, x []float32, rows, dim int) {
	step := rowChunk(dim)
	for r := 0; r < rows; r += step {
		p.sumSquares(&dst[r], &x[r*dim], min(step, rows-r), dim)
	}
}

// pairwise computes the m×n outputs of ep into dst (len m*n) for a (m×dim)
// and b (n×dim); m, n, dim >= 1, shapes checked by the caller.
func (p *pairISA) pairwise(ep epilogue, dst, a, b []float32, m, n, dim int) {
	s := pairPool.Get().(*pairScratch)
	kc, nc := p.blocks(dim, n)
	tile := p.tile[ep]
	nr := p.nr
	na, nb := p.sideData(ep, s, a, b, m, n, dim)
	packed := s.packBuf(nc * kc)

	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		var colv *float32
		if nb != nil {
			colv = &nb[jc]
		}
		for pc := 0; pc < dim; pc += kc {
			kcur := min(kc, dim-pc)
			flags := 0
			if pc > 0 {
				flags |= tileAccumulate
			}
			if pc+kcur == dim {
				flags |= tileFinal
			}
			for j := 0; j < ncur; j += nr {
				p.packPanel(&packed[j*kcur], &b[(jc+j)*dim+pc], dim, min(nr, ncur-j), kcur)
			}
			for i := 0; i < m; i += p.mr {
				var rowv *float32
				if na != nil {
					rowv = &na[i]
				}
				tile(&dst[i*n+jc], n, &a[i*dim+pc], dim, min(p.mr, m-i), &packed[0], kcur, ncur, rowv, colv, flags)
			}
		}
	}
	pairPool.Put(s)
}

// sideData returns the epilogue's per-row values (m of them) and per-column
// values (n, padded with zeros to whole panels), or nil where it has none.
// A new epilogue adds its case here.
func (p *pairISA) sideData(ep epilogue, s *pairScratch, a, b []float32, m, n, dim int) (rowv, colv []float32) {
	switch ep {
	case epL2:
		s.na = pairGrow(s.na, m)
		s.nb = pairGrow(s.nb, (n+p.nr-1)/p.nr*p.nr)
		p.rowNorms(s.na, a, m, dim)
		p.rowNorms(s.nb, b, n, dim)
		clear(s.nb[n:])
		return s.na, s.nb
	}
	return nil, nil
}

// pairedRows feeds a paired-row kernel a bounded number of rows per call.
func pairedRows(k func(dst, a, b *float32, rows, dim int), dst, a, b []float32, rows, dim int) {
	step := rowChunk(dim)
	for r := 0; r < rows; r += step {
		k(&dst[r], &a[r*dim], &b[r*dim], min(step, rows-r), dim)
	}
}
