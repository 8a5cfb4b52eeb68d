//go:build !purego

package kernels

import (
	"math"

	"github.com/klauspost/cpuid/v2"

	"github.com/simdloss/simdloss/generic"
	"github.com/simdloss/simdloss/kernels/asm"
)

var (
	crossEntropyAVX2 = ceKernel([8]ceAsm{
		asm.CrossEntropyPlainAVX2, asm.CrossEntropySAVX2, asm.CrossEntropyWAVX2, asm.CrossEntropyWSAVX2,
		asm.CrossEntropyGAVX2, asm.CrossEntropyGSAVX2, asm.CrossEntropyGWAVX2, asm.CrossEntropyGWSAVX2,
	})
	crossEntropySoftAVX2 = ceSoftKernel([4]ceSoftAsm{
		asm.CrossEntropySoftPlainAVX2, asm.CrossEntropySoftWAVX2, asm.CrossEntropySoftGAVX2, asm.CrossEntropySoftGWAVX2,
	})
)

// labelsChunk is the number of rows per call of the fused hard-label
// kernels: rowChunk's, as the other row kernels (so that a call, which
// cannot be preempted, stays short), rounded down to a multiple of 8, at
// least 8, so that every call starts at row 0 of Sum64's 8 partials. The
// floor of 8 rows lets calls on rows over 16384 columns run longer than
// rowChunk's budget: 8 times it at 131072 columns, 16 times at 262144.
func labelsChunk(cols int) int { return max(8, rowChunk(cols)&^7) }

// fastGather says whether VPGATHERDD is cheap here, for the short-row path
// of the fused hard-label kernels (see gen/avx2rows' ceLabelsBlock): on the
// Intel cores that microcode mitigates for Gather Data Sampling (Skylake to
// Ice Lake and Tiger Lake) a gather costs several times what the compares
// it replaces do. AVX-VNNI marks cores without that flaw (Alder Lake,
// Sapphire Rapids and later; AMD's Zen 5); the others compare.
var fastGather = cpuid.CPU.Supports(cpuid.AVXVNNI)

// crossEntropyLabelsAVX2 returns the fused hard-label kernel over every row,
// labelsChunk rows per call: rows of at most blockCols columns 8 at a time
// (the transposed short-row path, which finds z_y with a gather if gather
// is set, else by compares; the same bits), the rest one at a time. The
// variants are called directly, not through function values, so that the
// partial sums stay on the stack.
func crossEntropyLabelsAVX2(gather bool) ceLabelsFunc {
	return func(grad, z, w []float32, labels []int32, sw []float32, keep, inv float32, loss []float32, rows, cols int) (done int, sum [generic.Sum64Lanes]float64) {
		step := labelsChunk(cols)
		wp, p := at(w, 0), &sum[0]
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			g, zp, l, sp, lp := at(grad, r*cols), ptr(z[r*cols:]), &labels[r], at(sw, r), ptr(loss[r:])
			switch {
			case grad != nil && w != nil && sw != nil:
				asm.CrossEntropyLabelsGWSAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			case grad != nil && w != nil:
				asm.CrossEntropyLabelsGWAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			case grad != nil && sw != nil:
				asm.CrossEntropyLabelsGSAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			case grad != nil:
				asm.CrossEntropyLabelsGAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			case w != nil && sw != nil:
				asm.CrossEntropyLabelsWSAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			case w != nil:
				asm.CrossEntropyLabelsWAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			case sw != nil:
				asm.CrossEntropyLabelsSAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			default:
				asm.CrossEntropyLabelsPlainAVX2(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, gather)
			}
		}
		return rows, sum
	}
}

// crossEntropyLabelsAVX512 is crossEntropyLabelsAVX2(gather) for rows of at
// most blockCols columns (its short-row path) and the 16-lane per-row
// kernel for wider rows.
func crossEntropyLabelsAVX512(gather bool) ceLabelsFunc {
	narrow := crossEntropyLabelsAVX2(gather)
	return func(grad, z, w []float32, labels []int32, sw []float32, keep, inv float32, loss []float32, rows, cols int) (done int, sum [generic.Sum64Lanes]float64) {
		if cols <= blockCols {
			return narrow(grad, z, w, labels, sw, keep, inv, loss, rows, cols)
		}
		step := labelsChunk(cols)
		wp, p := at(w, 0), &sum[0]
		for r := 0; r < rows; r += step {
			n := min(step, rows-r)
			g, zp, l, sp, lp := at(grad, r*cols), ptr(z[r*cols:]), &labels[r], at(sw, r), ptr(loss[r:])
			switch {
			case grad != nil && w != nil && sw != nil:
				asm.CrossEntropyLabelsGWSAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			case grad != nil && w != nil:
				asm.CrossEntropyLabelsGWAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			case grad != nil && sw != nil:
				asm.CrossEntropyLabelsGSAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			case grad != nil:
				asm.CrossEntropyLabelsGAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			case w != nil && sw != nil:
				asm.CrossEntropyLabelsWSAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			case w != nil:
				asm.CrossEntropyLabelsWAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			case sw != nil:
				asm.CrossEntropyLabelsSAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			default:
				asm.CrossEntropyLabelsPlainAVX512(g, zp, wp, l, sp, keep, inv, lp, n, cols, p, false)
			}
		}
		return rows, sum
	}
}

// labelWeightsAVX2 runs the generated label check over whole blocks of 8
// labels, with class weights only for cols <= 16 (the kernel's table; wider
// rows run generic's code). The variants are called directly, not through
// function values, so that the table and the partials stay on the stack.
func labelWeightsAVX2(labels []int32, w, s []float32, cols int, ignore int32) (p [generic.Sum64Lanes]float64, done int, ignored bool) {
	return labelWeightsVec(labels, w, s, cols, ignore, false)
}

// labelWeightsAVX512 is labelWeightsAVX2 with the AVX-512 kernel over the
// leading whole blocks of 16 labels; the AVX2 kernel takes on where it
// stops (at the block of 16 with a bad label, or at the last block of 8).
func labelWeightsAVX512(labels []int32, w, s []float32, cols int, ignore int32) (p [generic.Sum64Lanes]float64, done int, ignored bool) {
	return labelWeightsVec(labels, w, s, cols, ignore, true)
}

func labelWeightsVec(labels []int32, w, s []float32, cols int, ignore int32, avx512 bool) (p [generic.Sum64Lanes]float64, done int, ignored bool) {
	n := len(labels) &^ 7
	if n == 0 || (w != nil && cols > 16) {
		return p, 0, false
	}
	var tab [16]float32
	if w != nil {
		copy(tab[:], w[:cols])
	}
	c := min(cols, math.MaxInt32) // the kernels compare with its low half
	pp := &p[0]
	var ig int
	if n16 := n &^ 15; avx512 && n16 > 0 {
		l, sp := &labels[0], at(s, 0)
		switch {
		case w != nil && s != nil:
			done, ig = asm.LabelWeightsWSAVX512(l, &tab[0], sp, n16, c, ignore, pp)
		case w != nil:
			done, ig = asm.LabelWeightsWAVX512(l, &tab[0], sp, n16, c, ignore, pp)
		case s != nil:
			done, ig = asm.LabelWeightsSAVX512(l, &tab[0], sp, n16, c, ignore, pp)
		default:
			done, ig = asm.LabelWeightsPlainAVX512(l, &tab[0], sp, n16, c, ignore, pp)
		}
	}
	if done < n {
		// From a multiple of 8, so that row i still adds into partial i mod 8.
		l, sp := &labels[done], at(s, done)
		var d, ig2 int
		switch {
		case w != nil && s != nil:
			d, ig2 = asm.LabelWeightsWSAVX2(l, &tab[0], sp, n-done, c, ignore, pp)
		case w != nil:
			d, ig2 = asm.LabelWeightsWAVX2(l, &tab[0], sp, n-done, c, ignore, pp)
		case s != nil:
			d, ig2 = asm.LabelWeightsSAVX2(l, &tab[0], sp, n-done, c, ignore, pp)
		default:
			d, ig2 = asm.LabelWeightsPlainAVX2(l, &tab[0], sp, n-done, c, ignore, pp)
		}
		done, ig = done+d, ig|ig2
	}
	return p, done, ig != 0
}
