package kernels_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/simdloss/simdloss/generic"
	tu "github.com/simdloss/simdloss/internal/testutil"
	"github.com/simdloss/simdloss/kernels"
)

// simdSets returns the non-generic sets of this build, skipping (with a
// message) those this CPU does not support.
func simdSets(t *testing.T) []*kernels.Set {
	var sets []*kernels.Set
	for _, s := range kernels.Sets()[1:] {
		if !s.Supported() {
			t.Logf("skipping the %s kernels: this CPU does not support them", s.Name())
			continue
		}
		sets = append(sets, s)
	}
	if len(sets) == 0 {
		t.Skip("no SIMD kernel set in this build or on this CPU: only generic runs (its own tests cover it)")
	}
	return sets
}

// allSets returns every set this CPU supports, generic included.
func allSets() []*kernels.Set {
	var sets []*kernels.Set
	for _, s := range kernels.Sets() {
		if s.Supported() {
			sets = append(sets, s)
		}
	}
	return sets
}

type rowOp struct {
	name    string
	perRow  func(cols int) int // dst elements per row
	run     func(s *kernels.Set, dst, src []float32, cols int)
	inPlace bool
}

var rowOps = []rowOp{
	{"Softmax", func(c int) int { return c }, (*kernels.Set).Softmax, true},
	{"LogSoftmax", func(c int) int { return c }, (*kernels.Set).LogSoftmax, true},
	{"LogSumExp", func(int) int { return 1 }, (*kernels.Set).LogSumExp, true},
}

// rowLengths are the row lengths of the differential tests: every length
// 1..300 (1..80 with -short) and a sample up to 70000 around the multiples
// of 8 and 32. (Empty input, the length-0 case, is in TestRowsShapePanics.)
func rowLengths(short bool) []int {
	var n []int
	top := 300
	if short {
		top = 80
	}
	for c := 1; c <= top; c++ {
		n = append(n, c)
	}
	n = append(n, 511, 512, 513, 1000, 1023, 1025, 4095, 4096, 4097, 8191)
	if !short {
		n = append(n, 32000, 65535, 65536, 65537, 69999, 70000)
	}
	return n
}

// TestRowsMatchGeneric compares every SIMD set with generic bit for bit.
func TestRowsMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, op := range rowOps {
		for _, cols := range rowLengths(testing.Short()) {
			rows := 3
			switch {
			case cols <= 32:
				rows = 19 // the AVX2 short-row path takes blocks of 8 rows; 3 are left over
			case cols > 4096:
				rows = 2 // the next row's max runs inside the first row's exp pass
			}
			n := rows * cols
			for _, kind := range tu.Kinds {
				if cols > 4096 && kind != tu.Normal && kind != tu.Adversarial {
					continue
				}
				// misaligned sub-slices: offsets 0..7 for short rows, a few for long
				for off := 0; off < 8; off++ {
					if cols > 300 && off%3 != 1 {
						continue
					}
					srcBuf := make([]float32, n+8)
					tu.Fill(rng, srcBuf[off:off+n], cols, kind)
					src := srcBuf[off : off+n]
					want := make([]float32, op.perRow(cols)*rows)
					op.run(kernels.Generic, want, src, cols)
					for _, s := range sets {
						dOff := (off * 3) % 8
						dstBuf := make([]float32, len(want)+8)
						dst := dstBuf[dOff : dOff+len(want)]
						op.run(s, dst, src, cols)
						if msg := tu.DiffMsg(dst, want); msg != "" {
							t.Fatalf("%s/%s cols=%d rows=%d %s offset=%d: %s vs generic: %s",
								op.name, s.Name(), cols, rows, kind, off, s.Name(), msg)
						}
						if op.inPlace && op.perRow(cols) == cols {
							buf := append([]float32(nil), src...)
							op.run(s, buf, buf, cols)
							if msg := tu.DiffMsg(buf, want); msg != "" {
								t.Fatalf("%s/%s in place cols=%d %s: %s", op.name, s.Name(), cols, kind, msg)
							}
						}
					}
				}
			}
		}
	}
}

// TestDotRowsNegativeZero pins the case that makes the padding of a
// partial vector matter: every product underflows to -0, so every touched
// partial is -0 and, from 32 elements on, so is the sum. Padding the last
// vector with +0 products would turn a -0 partial into +0.
func TestDotRowsNegativeZero(t *testing.T) {
	for _, set := range kernels.Sets() {
		if !set.Supported() {
			continue
		}
		for dim := 1; dim <= 100; dim++ {
			a, b := make([]float32, dim), make([]float32, dim)
			for i := range a {
				a[i], b[i] = 0x1p-80, -0x1p-80
			}
			want := generic.SumProducts(a, b)
			if dim >= 32 && math.Float32bits(want) != 0x80000000 {
				t.Fatalf("dim=%d: generic.SumProducts = %g, want -0 (test premise)", dim, want)
			}
			got := make([]float32, 1)
			set.DotRows(got, a, b, dim)
			if !tu.Same(got[0], want) {
				t.Fatalf("%s dim=%d: DotRows = %g (%#08x), generic %g (%#08x)",
					set.Name(), dim, got[0], math.Float32bits(got[0]), want, math.Float32bits(want))
			}
		}
	}
}

// TestLogSumExpInPlace checks log-sum-exp with dst starting where src starts,
// including rows that need the special-value path.
func TestLogSumExpInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, s := range allSets() {
		for _, cols := range []int{1, 2, 3, 8, 33} {
			rows := 40
			src := make([]float32, rows*cols)
			tu.Fill(rng, src, cols, tu.SpecialRows)
			want := make([]float32, rows)
			kernels.Generic.LogSumExp(want, src, cols)
			buf := append([]float32(nil), src...)
			s.LogSumExp(buf, buf, cols)
			if msg := tu.DiffMsg(buf[:rows], want); msg != "" {
				t.Fatalf("%s cols=%d: %s", s.Name(), cols, msg)
			}
		}
	}
}

// TestRowsSpecialValues checks the documented special-value contract on
// every set.
func TestRowsSpecialValues(t *testing.T) {
	nan, inf, ninf := tu.NaN, tu.PosInf, tu.NegInf
	isNaN := func(v float32) bool { return v != v }
	type tc struct {
		row        []float32
		softmax    []float32 // nil: all NaN
		logSoftmax []float32 // nil: all NaN
		lse        float32
	}
	cases := []tc{
		{row: []float32{nan, 1, 2}, lse: nan},
		{row: []float32{inf, 1, 2}, lse: inf},
		{row: []float32{inf, nan}, lse: nan},
		{row: []float32{ninf, inf}, lse: inf},
		{row: []float32{ninf, ninf, ninf}, lse: ninf},
		{row: []float32{ninf}, lse: ninf},
		{row: []float32{ninf, 0}, softmax: []float32{0, 1}, logSoftmax: []float32{ninf, 0}, lse: 0},
		{row: []float32{1e30, -1e30}, softmax: []float32{1, 0}, logSoftmax: []float32{0, -2e30}, lse: 1e30},
		{row: []float32{5}, softmax: []float32{1}, logSoftmax: []float32{0}, lse: 5},
		// -0 as the only element: log-sum-exp is -0 + log(1) = -0 + 0 = +0.
		{row: []float32{tu.NegZ}, softmax: []float32{1}, logSoftmax: []float32{tu.NegZ}, lse: 0},
	}
	for _, s := range allSets() {
		for _, c := range cases {
			n := len(c.row)
			y := make([]float32, n)
			s.Softmax(y, c.row, n)
			for i, v := range y {
				if c.softmax == nil && !isNaN(v) || c.softmax != nil && !tu.Same(v, c.softmax[i]) {
					t.Errorf("%s: Softmax(%v)[%d] = %g, want %v (nil: NaN)", s.Name(), c.row, i, v, c.softmax)
				}
			}
			s.LogSoftmax(y, c.row, n)
			for i, v := range y {
				if c.logSoftmax == nil && !isNaN(v) || c.logSoftmax != nil && !tu.Same(v, c.logSoftmax[i]) {
					t.Errorf("%s: LogSoftmax(%v)[%d] = %g, want %v (nil: NaN)", s.Name(), c.row, i, v, c.logSoftmax)
				}
			}
			l := make([]float32, 1)
			s.LogSumExp(l, c.row, n)
			if !tu.Same(l[0], c.lse) {
				t.Errorf("%s: LogSumExp(%v) = %g, want %g", s.Name(), c.row, l[0], c.lse)
			}
		}
		// LSE of four 88.7 is 88.7 + ln 4 = 90.0863 (no overflow)
		l := make([]float32, 1)
		s.LogSumExp(l, []float32{88.7, 88.7, 88.7, 88.7}, 4)
		if math.Abs(float64(l[0])-(88.7+math.Log(4))) > 1e-5 {
			t.Errorf("%s: LogSumExp(4 x 88.7) = %v, want 90.0863", s.Name(), l[0])
		}
	}
}

// TestRowsAccuracy measures every set against float64 references.
func TestRowsAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 5))
	for _, s := range allSets() {
		for _, cols := range []int{1, 2, 3, 7, 10, 31, 100, 128, 1000, 4096, 32000, 262144} {
			if s == kernels.Generic && cols > 32000 && testing.Short() {
				continue
			}
			tol := 2e-6
			if cols > 4096 {
				tol = 1e-5
			}
			for _, scale := range []float64{1, 5, 20} {
				rows := max(1, 4096/cols)
				x := make([]float32, rows*cols)
				for i := range x {
					x[i] = float32(rng.NormFloat64() * scale)
				}
				y := make([]float32, len(x))
				ls := make([]float32, len(x))
				l := make([]float32, rows)
				s.Softmax(y, x, cols)
				s.LogSoftmax(ls, x, cols)
				s.LogSumExp(l, x, cols)
				worst := [3]float64{}
				for r := 0; r < rows; r++ {
					row := x[r*cols : (r+1)*cols]
					p := tu.RefSoftmax(row)
					lp := tu.RefLogSoftmax(row)
					lse := tu.RefLogSumExp(row)
					m := float32(math.Inf(-1))
					for _, v := range row {
						m = max(m, v)
					}
					for i, v := range row {
						// softmax: relative, absolute below the float32 normal
						// range; less the conditioning of exp(x_i - m), whose
						// argument is a float32 (rounded by up to |x_i-m|*2^-24)
						cond := math.Abs(float64(v-m)) * 0x1p-24 * p[i]
						e := math.Max(0, math.Abs(float64(y[r*cols+i])-p[i])-cond) / math.Max(p[i], 0x1p-126/tol)
						worst[0] = math.Max(worst[0], e)
						e = math.Abs(float64(ls[r*cols+i])-lp[i]) / math.Max(math.Abs(lp[i]), 1)
						worst[1] = math.Max(worst[1], e)
					}
					worst[2] = math.Max(worst[2], math.Abs(float64(l[r])-lse)/math.Max(math.Abs(lse), 1))
				}
				for j, name := range []string{"Softmax", "LogSoftmax", "LogSumExp"} {
					if worst[j] > tol {
						t.Errorf("%s %s cols=%d scale=%g: relative error %.3g > %.3g", s.Name(), name, cols, scale, worst[j], tol)
					}
				}
				if testing.Verbose() && scale == 5 {
					t.Logf("%s cols=%d: worst relative error softmax %.2g, log-softmax %.2g, lse %.2g", s.Name(), cols, worst[0], worst[1], worst[2])
				}
			}
		}
	}
}

// TestRowsShapePanics checks that shape mismatches panic with a simdloss:
// message on every set.
func TestRowsShapePanics(t *testing.T) {
	for _, s := range allSets() {
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"cols not dividing", func() { s.Softmax(make([]float32, 10), make([]float32, 10), 3) }},
			{"cols zero", func() { s.LogSoftmax(make([]float32, 10), make([]float32, 10), 0) }},
			{"cols negative", func() { s.LogSumExp(make([]float32, 10), make([]float32, 10), -2) }},
			{"dst short", func() { s.Softmax(make([]float32, 9), make([]float32, 10), 5) }},
			{"lse dst short", func() { s.LogSumExp(make([]float32, 1), make([]float32, 10), 5) }},
			{"partial overlap", func() { b := make([]float32, 11); s.Softmax(b[1:], b[:10], 5) }},
		} {
			func() {
				defer func() {
					r := recover()
					msg, _ := r.(string)
					if len(msg) < 9 || msg[:9] != "simdloss:" {
						t.Errorf("%s %s: recovered %v, want a simdloss: panic", s.Name(), c.name, r)
					}
				}()
				c.f()
			}()
		}
		// empty input is a no-op whatever cols is
		s.Softmax(nil, nil, 0)
		s.LogSumExp(nil, []float32{}, 7)
	}
}

func TestRowsNoAllocs(t *testing.T) {
	if tu.Race {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	x := make([]float32, 64*100)
	y := make([]float32, len(x))
	for _, s := range allSets() {
		for _, op := range rowOps {
			if a := testing.AllocsPerRun(20, func() { op.run(s, y, x, 100) }); a != 0 {
				t.Errorf("%s %s allocates %v times per call", s.Name(), op.name, a)
			}
		}
	}
}

func ExampleSet_Softmax() {
	logits := []float32{1, 2, 3, 0, 0, 0}
	p := make([]float32, len(logits))
	kernels.Best().Softmax(p, logits, 3)
	fmt.Printf("%.4f\n", p)
	// Output: [0.0900 0.2447 0.6652 0.3333 0.3333 0.3333]
}

func ExampleSets() {
	// Every set this CPU supports returns the generic set's bits.
	x := []float32{3, -1, 0.5, 88.7, float32(math.Copysign(0, -1)), 1e-40, 2, 7}
	want := make([]float32, 2)
	kernels.Generic.LogSumExp(want, x, 4)
	for _, s := range kernels.Sets() {
		if !s.Supported() {
			continue
		}
		got := make([]float32, 2)
		s.LogSumExp(got, x, 4)
		if math.Float32bits(got[0]) != math.Float32bits(want[0]) || math.Float32bits(got[1]) != math.Float32bits(want[1]) {
			fmt.Println(s.Name(), "differs")
		}
	}
	fmt.Printf("%.4f\n", want)
	// Output: [88.7000 7.0085]
}

func ExampleLookup() {
	// Lookup finds a set by the name SIMDLOSS_KERNELS takes; a set compiled
	// in but not supported by this CPU is still returned.
	fmt.Println(kernels.Lookup("generic").Name(), kernels.Lookup("sse9") == nil)
	// Output: generic true
}

// TestRowRingsMatchGeneric runs the per-row paths that defer each row's
// sum, and what needs it, to a ring of 8 rows (softmax and log-softmax up to
// 256 columns, log-sum-exp) over enough rows to fill the ring several times
// and leave some in it, with special rows among them, out of place and in
// place, on both sides of the 256-column limit.
func TestRowRingsMatchGeneric(t *testing.T) {
	sets := simdSets(t)
	rng := rand.New(rand.NewPCG(8, 8))
	for _, cols := range []int{17, 33, 100, 128, 256, 257, 4097} {
		for _, rows := range []int{7, 8, 9, 16, 21} {
			if cols > 1000 && rows > 9 {
				continue
			}
			for _, kind := range []tu.Kind{tu.Normal, tu.SpecialRows} {
				src := make([]float32, rows*cols)
				tu.Fill(rng, src, cols, kind)
				want, wantS, wantL := make([]float32, len(src)), make([]float32, len(src)), make([]float32, rows)
				kernels.Generic.LogSoftmax(want, src, cols)
				kernels.Generic.Softmax(wantS, src, cols)
				kernels.Generic.LogSumExp(wantL, src, cols)
				for _, s := range sets {
					got, gotS, gotL := make([]float32, len(src)), make([]float32, len(src)), make([]float32, rows)
					s.LogSoftmax(got, src, cols)
					s.Softmax(gotS, src, cols)
					s.LogSumExp(gotL, src, cols)
					in := append([]float32(nil), src...)
					s.LogSoftmax(in, in, cols)
					inS := append([]float32(nil), src...)
					s.Softmax(inS, inS, cols)
					for i, pair := range [][2][]float32{{got, want}, {in, want}, {gotS, wantS}, {inS, wantS}, {gotL, wantL}} {
						if msg := tu.DiffMsg(pair[0], pair[1]); msg != "" {
							t.Fatalf("%s cols=%d rows=%d %v: %s: %s", s.Name(), cols, rows, kind,
								[...]string{"LogSoftmax", "LogSoftmax in place", "Softmax", "Softmax in place", "LogSumExp"}[i], msg)
						}
					}
				}
			}
		}
	}
}

// TestLogSumExpRingStops puts one special row (NaN, +Inf or all -Inf in
// turn) at every position of 21 rows: in each of the 8 places of a full
// ring and among the rows a call's end flushes. The kernels find such a row
// only when its ring is summed, then store the rows before it and end the
// call there; the rows after it are done again by the next call.
func TestLogSumExpRingStops(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 8))
	const rows = 21
	for _, cols := range []int{17, 128, 256} {
		for pos := 0; pos < rows; pos++ {
			src := make([]float32, rows*cols)
			tu.Fill(rng, src, cols, tu.Normal)
			row := src[pos*cols : (pos+1)*cols]
			switch pos % 3 {
			case 0:
				row[rng.IntN(cols)] = tu.NaN
			case 1:
				row[rng.IntN(cols)] = tu.PosInf
			default:
				for j := range row {
					row[j] = tu.NegInf
				}
			}
			want := make([]float32, rows)
			kernels.Generic.LogSumExp(want, src, cols)
			for _, s := range allSets() {
				got := tu.Filled(rows)
				s.LogSumExp(got, src, cols)
				if msg := tu.DiffMsg(got, want); msg != "" {
					t.Fatalf("%s cols=%d special row %d: %s", s.Name(), cols, pos, msg)
				}
			}
		}
	}
}

// TestChainedRows runs the softmax family on enough rows, or rows long
// enough, that the kernel is called more than once (rowChunk rows a call,
// down to one), so that the amd64 kernels carry the maxima of the rows after a call's last, taken in its
// exponential passes, into the next call: calls with 0, 1 and 2 rows after
// them, of one row and of several, on both sides of chainCols512 and of
// aheadCols (gen/avx2rows: the AVX-512 kernels look two rows ahead on rows of
// up to 1024 columns, one row ahead on wider ones). Special
// rows (NaN, +Inf, all -Inf, which end a log-sum-exp call early) sit at a
// call's first and last rows and in between, and in place as well.
func TestChainedRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 17))
	nan, inf, ninf := tu.NaN, tu.PosInf, tu.NegInf
	for _, sh := range [][2]int{{6, 70001}, {10, 40000}, {4, 131073}, {33, 8193}, {9, 65536}, {5, 43691}, {300, 1000}, {2100, 64}} {
		rows, cols := sh[0], sh[1]
		for v := 0; v < 3; v++ {
			src := make([]float32, rows*cols)
			tu.Fill(rng, src, cols, tu.Normal)
			for i := 0; i < rows; i++ { // distinct maxima, so a wrong carry shows
				src[i*cols+rng.IntN(cols)] = float32(3 + i)
			}
			if v > 0 {
				for i, r := range []int{1, 3, rows - 1} {
					row := src[r*cols : (r+1)*cols]
					switch (i + v) % 3 {
					case 0:
						row[cols/2] = nan
					case 1:
						row[cols-1] = inf
					default:
						for j := range row {
							row[j] = ninf
						}
					}
				}
			}
			wantL, wantS, want := make([]float32, rows), make([]float32, rows*cols), make([]float32, rows*cols)
			kernels.Generic.LogSumExp(wantL, src, cols)
			kernels.Generic.Softmax(wantS, src, cols)
			kernels.Generic.LogSoftmax(want, src, cols)
			for _, s := range allSets() {
				got := tu.Filled(rows)
				s.LogSumExp(got, src, cols)
				if msg := tu.DiffMsg(got, wantL); msg != "" {
					t.Fatalf("%s LogSumExp %dx%d variant %d: %s", s.Name(), rows, cols, v, msg)
				}
				buf := append([]float32(nil), src...)
				s.LogSumExp(buf[:rows], buf, cols)
				if msg := tu.DiffMsg(buf[:rows], wantL); msg != "" {
					t.Fatalf("%s LogSumExp %dx%d variant %d in place: %s", s.Name(), rows, cols, v, msg)
				}
				for _, k := range []struct {
					name string
					f    func(s *kernels.Set, dst, src []float32, cols int)
					want []float32
				}{{"Softmax", (*kernels.Set).Softmax, wantS}, {"LogSoftmax", (*kernels.Set).LogSoftmax, want}} {
					out := tu.Filled(rows * cols)
					k.f(s, out, src, cols)
					if msg := tu.DiffMsg(out, k.want); msg != "" {
						t.Fatalf("%s %s %dx%d variant %d: %s", s.Name(), k.name, rows, cols, v, msg)
					}
					copy(buf, src)
					k.f(s, buf, buf, cols)
					if msg := tu.DiffMsg(buf, k.want); msg != "" {
						t.Fatalf("%s %s %dx%d variant %d in place: %s", s.Name(), k.name, rows, cols, v, msg)
					}
				}
			}
		}
	}
}

// TestSignalingNaNMaxima puts signaling NaNs (quiet ones are covered
// elsewhere) at the start, middle and end of rows: the row maxima skip
// them on every set, as generic.RowMax does. (Arm's FMAXNM skips only quiet
// NaNs; x86's MAXPS returns its second operand for either kind.)
func TestSignalingNaNMaxima(t *testing.T) {
	snans := []uint32{0x7f800001, 0xff800001, 0x7fa00000}
	for _, cols := range []int{1, 2, 3, 4, 5, 8, 31, 32, 33, 100} {
		for _, pos := range []int{0, cols / 2, cols - 1, -1} { // -1: every element
			const rows = 3
			z := make([]float32, rows*cols)
			for i := range z {
				z[i] = float32(i%7) - 3
			}
			for r := 0; r < rows; r++ {
				nan := math.Float32frombits(snans[r])
				for j := 0; j < cols; j++ {
					if j == pos || pos < 0 {
						z[r*cols+j] = nan
					}
				}
			}
			wantM, wantL := make([]float32, rows), make([]float32, rows)
			kernels.Generic.CrossEntropyRows(nil, z, nil, 0, nil, nil, wantM, wantL, nil, cols)
			wantMax := generic.MaskedAffine(make([]float32, len(z)), z, 0, 0, 1, 0)
			for _, s := range allSets() {
				m, l := make([]float32, rows), make([]float32, rows)
				s.CrossEntropyRows(nil, z, nil, 0, nil, nil, m, l, nil, cols)
				if msg := tu.DiffMsg(m, wantM); msg != "" {
					t.Errorf("%s cols=%d sNaN at %d: row maxima: %s", s.Name(), cols, pos, msg)
				}
				if got := s.MaskedAffine(make([]float32, len(z)), z, 0, 0, 1, 0); !tu.Same(got, wantMax) {
					t.Errorf("%s cols=%d sNaN at %d: MaskedAffine's maximum = %v, want %v", s.Name(), cols, pos, got, wantMax)
				}
			}
		}
	}
}
