package fuzz

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/simdloss/simdloss"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// floats decodes little-endian float32 values from data; a byte pattern can
// be any float32, NaNs, infinities and subnormals included.
func floats(data []byte) []float32 {
	x := make([]float32, len(data)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return x
}

// rowsOf cuts x to whole rows of cols (1..256 from c).
func rowsOf(x []float32, c uint8) ([]float32, int) {
	cols := int(c) + 1
	return x[:len(x)/cols*cols], cols
}

func seedRows(f *testing.F) {
	enc := func(v ...float32) []byte {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	}
	f.Add(uint8(2), enc(1, 2, 3, 0, 0, 0))
	f.Add(uint8(0), enc(tu.NaN, tu.PosInf, tu.NegInf, tu.NegZ))
	f.Add(uint8(3), enc(tu.NegInf, tu.NegInf, tu.NegInf, tu.NegInf, 88.7, 88.7, 88.7, 88.7))
	f.Add(uint8(9), enc(1e30, -1e30, 0x1p-149, -0x1p-140, 5, 6, 7, 8, 9, 10))
	f.Add(uint8(40), make([]byte, 4*41*3))
}

func rowOK(row []float32) bool {
	allNegInf := true
	for _, v := range row {
		if v != v || v > math.MaxFloat32 {
			return false
		}
		if v >= -math.MaxFloat32 {
			allNegInf = false
		}
	}
	return !allNegInf
}

// simdSets are the SIMD kernel sets this CPU runs (on amd64 with AVX-512:
// avx2 and avx512); the targets compare each of them with generic, not only
// the one the package dispatches to.
var simdSets = func() []*kernels.Set {
	var sets []*kernels.Set
	for _, s := range kernels.Sets() {
		if s != kernels.Generic && s.Supported() {
			sets = append(sets, s)
		}
	}
	return sets
}()

// sameAsGeneric runs onSet(s) into got for each SIMD set s, and then the
// public function (dispatched), and checks that each gives want's bits.
// got holds the dispatched result afterwards.
func sameAsGeneric(t *testing.T, name string, got, want []float32, onSet func(s *kernels.Set), public func()) {
	t.Helper()
	for _, s := range simdSets {
		onSet(s)
		if msg := tu.DiffMsg(got, want); msg != "" {
			t.Fatalf("%s: %s kernels differ from generic: %s", name, s.Name(), msg)
		}
	}
	public()
	if msg := tu.DiffMsg(got, want); msg != "" {
		t.Fatalf("%s: the dispatched (%s) kernels differ from generic: %s", name, simdloss.Kernels(), msg)
	}
}

func FuzzSoftmax(f *testing.F) {
	seedRows(f)
	f.Fuzz(func(t *testing.T, c uint8, data []byte) {
		x, cols := rowsOf(floats(data), c)
		got, want := make([]float32, len(x)), make([]float32, len(x))
		kernels.Generic.Softmax(want, x, cols)
		sameAsGeneric(t, "Softmax", got, want,
			func(s *kernels.Set) { s.Softmax(got, x, cols) }, func() { simdloss.Softmax(got, x, cols) })
		for r := 0; r < len(x)/cols; r++ {
			row, y := x[r*cols:(r+1)*cols], got[r*cols:(r+1)*cols]
			if !rowOK(row) {
				for i, v := range y {
					if v == v {
						t.Fatalf("row %d holds NaN, +Inf or only -Inf, but Softmax[%d] = %g, want NaN", r, i, v)
					}
				}
				continue
			}
			sum := 0.0
			for i, v := range y {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("Softmax row %d [%d] = %g, outside [0, 1]", r, i, v)
				}
				if row[i] < -math.MaxFloat32 && v != 0 {
					t.Fatalf("Softmax of -Inf at row %d [%d] = %g, want 0", r, i, v)
				}
				sum += float64(v)
			}
			if math.Abs(sum-1) > 1e-5+float64(cols)*0x1p-23 {
				t.Fatalf("Softmax row %d sums to %g", r, sum)
			}
		}
	})
}

func FuzzLogSoftmax(f *testing.F) {
	seedRows(f)
	f.Fuzz(func(t *testing.T, c uint8, data []byte) {
		x, cols := rowsOf(floats(data), c)
		got, want := make([]float32, len(x)), make([]float32, len(x))
		kernels.Generic.LogSoftmax(want, x, cols)
		sameAsGeneric(t, "LogSoftmax", got, want,
			func(s *kernels.Set) { s.LogSoftmax(got, x, cols) }, func() { simdloss.LogSoftmax(got, x, cols) })
		for r := 0; r < len(x)/cols; r++ {
			row, y := x[r*cols:(r+1)*cols], got[r*cols:(r+1)*cols]
			for i, v := range y {
				switch {
				case !rowOK(row):
					if v == v {
						t.Fatalf("row %d holds NaN, +Inf or only -Inf, but LogSoftmax[%d] = %g", r, i, v)
					}
				case row[i] < -math.MaxFloat32:
					if v > -math.MaxFloat32 {
						t.Fatalf("LogSoftmax of -Inf at row %d [%d] = %g, want -Inf", r, i, v)
					}
				case !(v <= 1e-6):
					t.Fatalf("LogSoftmax row %d [%d] = %g > 0", r, i, v)
				}
			}
		}
	})
}

func FuzzLogSumExp(f *testing.F) {
	seedRows(f)
	f.Fuzz(func(t *testing.T, c uint8, data []byte) {
		x, cols := rowsOf(floats(data), c)
		rows := len(x) / cols
		got, want := make([]float32, rows), make([]float32, rows)
		kernels.Generic.LogSumExp(want, x, cols)
		sameAsGeneric(t, "LogSumExp", got, want,
			func(s *kernels.Set) { s.LogSumExp(got, x, cols) }, func() { simdloss.LogSumExp(got, x, cols) })
		for r := 0; r < rows; r++ {
			row := x[r*cols : (r+1)*cols]
			ref := tu.RefLogSumExp(row)
			hasNaN := false
			for _, v := range row {
				hasNaN = hasNaN || v != v
			}
			v := float64(got[r])
			switch {
			case hasNaN:
				if v == v {
					t.Fatalf("LogSumExp of a row with NaN = %g", v)
				}
			case math.IsInf(ref, 0):
				if v != ref {
					t.Fatalf("LogSumExp row %d = %g, want %g", r, v, ref)
				}
			case math.Abs(v-ref) > 2e-6*math.Max(1, math.Abs(ref)):
				t.Fatalf("LogSumExp row %d = %g, float64 reference %g", r, v, ref)
			}
		}
	})
}

// pairInputs splits data into a (m x dim) and b (n x dim) with m, n, dim
// taken from the three bytes.
func pairInputs(m8, n8, d8 uint8, data []byte) (a, b []float32, dim int) {
	x := floats(data)
	dim = int(d8)%64 + 1
	m, n := int(m8)%12+1, int(n8)%12+1
	if (m+n)*dim > len(x) {
		k := len(x) / dim
		m, n = (k+1)/2, k/2
	}
	return x[:m*dim], x[m*dim : (m+n)*dim], dim
}

func seedPairs(f *testing.F) {
	f.Add(uint8(2), uint8(3), uint8(4), make([]byte, 4*5*5))
	f.Add(uint8(1), uint8(1), uint8(0), []byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f})
	f.Add(uint8(7), uint8(9), uint8(33), make([]byte, 4*16*34))
}

func FuzzSquaredL2(f *testing.F) {
	seedPairs(f)
	f.Fuzz(func(t *testing.T, m8, n8, d8 uint8, data []byte) {
		a, b, dim := pairInputs(m8, n8, d8, data)
		m, n := len(a)/dim, len(b)/dim
		got, want := make([]float32, m*n), make([]float32, m*n)
		kernels.Generic.Dots(want, a, b, dim)
		sameAsGeneric(t, "Dots", got, want,
			func(s *kernels.Set) { s.Dots(got, a, b, dim) }, func() { simdloss.Dots(got, a, b, dim) })
		kernels.Generic.Cosines(want, a, b, dim)
		sameAsGeneric(t, "Cosines", got, want,
			func(s *kernels.Set) { s.Cosines(got, a, b, dim) }, func() { simdloss.Cosines(got, a, b, dim) })
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			// a read as m×dim or dim×m, b as dim×n or n×dim
			kernels.Generic.MatMul(want, a, b, m, n, dim, tr[0], tr[1])
			sameAsGeneric(t, "MatMul", got, want,
				func(s *kernels.Set) { s.MatMul(got, a, b, m, n, dim, tr[0], tr[1]) },
				func() { simdloss.MatMul(got, a, b, m, n, dim, tr[0], tr[1]) })
		}
		kernels.Generic.SquaredL2(want, a, b, dim)
		sameAsGeneric(t, "SquaredL2", got, want,
			func(s *kernels.Set) { s.SquaredL2(got, a, b, dim) }, func() { simdloss.SquaredL2(got, a, b, dim) })
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				ai, bj := a[i*dim:(i+1)*dim], b[j*dim:(j+1)*dim]
				na, nb := tu.RefDot(ai, ai), tu.RefDot(bj, bj)
				v := got[i*n+j]
				if !(v >= 0) && v == v {
					t.Fatalf("SquaredL2[%d,%d] = %g < 0", i, j, v)
				}
				if na+nb < 1e30 && math.Abs(float64(v)-tu.RefSquaredL2(ai, bj)) > 1e-5*(na+nb)+1e-30 {
					t.Fatalf("SquaredL2[%d,%d] = %g, float64 reference %g", i, j, v, tu.RefSquaredL2(ai, bj))
				}
			}
		}
	})
}

func FuzzSquaredL2Rows(f *testing.F) {
	seedPairs(f)
	f.Fuzz(func(t *testing.T, m8, _, d8 uint8, data []byte) {
		a, b, dim := pairInputs(m8, m8, d8, data)
		rows := min(len(a), len(b)) / dim
		a, b = a[:rows*dim], b[:rows*dim]
		got, want := make([]float32, rows), make([]float32, rows)
		kernels.Generic.DotRows(want, a, b, dim)
		sameAsGeneric(t, "DotRows", got, want,
			func(s *kernels.Set) { s.DotRows(got, a, b, dim) }, func() { simdloss.DotRows(got, a, b, dim) })
		kernels.Generic.SquaredL2Rows(want, a, b, dim)
		sameAsGeneric(t, "SquaredL2Rows", got, want,
			func(s *kernels.Set) { s.SquaredL2Rows(got, a, b, dim) }, func() { simdloss.SquaredL2Rows(got, a, b, dim) })
		for i := 0; i < rows; i++ {
			ref := tu.RefSquaredL2(a[i*dim:(i+1)*dim], b[i*dim:(i+1)*dim])
			if ref < 1e30 && math.Abs(float64(got[i])-ref) > 1e-5*ref+1e-38 {
				t.Fatalf("SquaredL2Rows[%d] = %g, float64 reference %g", i, got[i], ref)
			}
		}
	})
}

// FuzzShapes calls every public function with arbitrary lengths: a call on
// shapes the documentation allows must not panic, and any other must panic
// with a "simdloss:" message (never an index-out-of-range or a fault).
func FuzzShapes(f *testing.F) {
	f.Add(10, 10, 3, 7)
	f.Add(0, 0, 0, 0)
	f.Add(5, 10, -1, 10)
	f.Add(12, 12, 3, 12)
	f.Add(9, 12, 3, 9)
	f.Fuzz(func(t *testing.T, dstLen, srcLen, cols, bLen int) {
		clamp := func(v int) int { return min(max(v, 0), 1<<12) }
		dst := make([]float32, clamp(dstLen))
		src := make([]float32, clamp(srcLen))
		b := make([]float32, clamp(bLen))
		nd, ns, nb := len(dst), len(src), len(b)
		// The shape rules, restated from the documentation.
		rowsOK := func(perRow bool) bool { // Softmax, LogSoftmax, LogSumExp
			if ns == 0 {
				return true
			}
			if cols <= 0 || ns%cols != 0 {
				return false
			}
			if perRow {
				return nd >= ns/cols
			}
			return nd >= ns
		}
		pairOK := func(paired bool) bool { // src (m×cols) against b (n×cols)
			if ns == 0 && nb == 0 {
				return true
			}
			if cols <= 0 || ns%cols != 0 || nb%cols != 0 {
				return false
			}
			if paired {
				return nb == ns && nd >= ns/cols
			}
			return nd >= (ns/cols)*(nb/cols)
		}
		// MatMul with m = n = k = cols: every slice needs cols² elements.
		matOK := cols == 0 || cols > 0 && cols <= 1<<12 && min(nd, ns, nb) >= cols*cols
		for _, c := range []struct {
			name string
			ok   bool
			fn   func()
		}{
			{"Softmax", rowsOK(false), func() { simdloss.Softmax(dst, src, cols) }},
			{"LogSoftmax", rowsOK(false), func() { simdloss.LogSoftmax(dst, src, cols) }},
			{"LogSumExp", rowsOK(true), func() { simdloss.LogSumExp(dst, src, cols) }},
			{"SquaredL2", pairOK(false), func() { simdloss.SquaredL2(dst, src, b, cols) }},
			{"Dots", pairOK(false), func() { simdloss.Dots(dst, src, b, cols) }},
			{"Cosines", pairOK(false), func() { simdloss.Cosines(dst, src, b, cols) }},
			{"MatMul", matOK, func() { simdloss.MatMul(dst, src, b, cols, cols, cols, cols%2 == 0, cols%3 == 0) }},
			{"SquaredL2Rows", pairOK(true), func() { simdloss.SquaredL2Rows(dst, src, b, cols) }},
			{"DotRows", pairOK(true), func() { simdloss.DotRows(dst, src, b, cols) }},
		} {
			func() {
				defer func() {
					r := recover()
					msg, isMsg := r.(string)
					switch {
					case c.ok && r != nil:
						t.Fatalf("%s(len %d, len %d, %d, len %d): valid shapes, but it panicked with %v", c.name, nd, ns, cols, nb, r)
					case !c.ok && (!isMsg || !strings.HasPrefix(msg, "simdloss: ")):
						t.Fatalf("%s(len %d, len %d, %d, len %d): invalid shapes, want a simdloss: panic, got %v", c.name, nd, ns, cols, nb, r)
					}
				}()
				c.fn()
			}()
		}
	})
}
