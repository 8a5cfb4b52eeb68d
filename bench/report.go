package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/simdloss/simdloss"
	"github.com/viterin/vek"
)

// report is one run: the machine and settings, the results, the warnings.
type report struct {
	Meta     meta     `json:"meta"`
	Results  []result `json:"results"`
	Warnings []string `json:"warnings"`
}

type meta struct {
	Time       string            `json:"time"`
	Go         string            `json:"go"`
	GOOS       string            `json:"goos"`
	GOARCH     string            `json:"goarch"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	NumCPU     int               `json:"num_cpu"`
	CPU        string            `json:"cpu"`
	Kernels    string            `json:"kernels"`
	EnvKernels string            `json:"env_kernels"`
	Impls      []string          `json:"impls"`
	Count      int               `json:"count"`
	MinTimeNs  int64             `json:"min_time_ns"`
	MaxCallNs  int64             `json:"max_call_ns"`
	Spread     float64           `json:"spread_warning"`
	Peers      map[string]string `json:"peers"`
}

// result is one implementation of one case. Times are per call.
type result struct {
	Kernel    string  `json:"kernel"`
	Shape     string  `json:"shape"`
	RowLen    int     `json:"row_len"`
	Elements  float64 `json:"elements"`
	Impl      string  `json:"impl"`
	MedianNs  float64 `json:"median_ns"`
	MinNs     float64 `json:"min_ns"`
	MaxNs     float64 `json:"max_ns"`
	Runs      int     `json:"runs"`
	NsPerElem float64 `json:"ns_per_elem"`
	GFLOPs    float64 `json:"gflops,omitempty"`
	GBs       float64 `json:"gbps,omitempty"`
	// VsSimdloss is this implementation's time over simdloss's for the case
	// (above 1 is slower); 0 when simdloss was not measured. Where both were
	// timed in the same rounds, it is the median of the rounds' ratios (each
	// round's sample of this column over simdloss's sample of that round, so
	// a slow spell of the machine weighs on both); otherwise (torch, a
	// single timed call) the ratio of the medians.
	VsSimdloss float64 `json:"vs_simdloss,omitempty"`
	// Spread is (max-min)/median; Wide when it exceeds -spread.
	Spread float64   `json:"spread"`
	Wide   bool      `json:"wide_spread,omitempty"`
	Error  string    `json:"error,omitempty"`
	rounds []float64 // per-round times in ns, as sample.rounds
}

func newMeta(cfg config, tp *torchPeer) meta {
	env := os.Getenv(simdloss.EnvKernels)
	if env == "" {
		env = "unset"
	}
	m := meta{
		Time: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), CPU: simdloss.CPU(), Kernels: simdloss.Kernels(),
		EnvKernels: env, Impls: cfg.impls, Count: cfg.count, MinTimeNs: cfg.minTime.Nanoseconds(),
		MaxCallNs: cfg.maxCall.Nanoseconds(), Spread: cfg.spread, Peers: map[string]string{},
	}
	for _, name := range cfg.impls {
		m.Peers[name] = peerNote(name, tp)
	}
	return m
}

// peerNote says what a column is, with its version where it has one.
func peerNote(name string, tp *torchPeer) string {
	switch name {
	case implSimdloss:
		return "simdloss, " + simdloss.Kernels() + " kernels"
	case implGeneric:
		return "simdloss's pure-Go generic kernel set (the portable path and oracle)"
	case implNaive:
		return "plain Go loops, float64 math.Exp/math.Log"
	case implGonum:
		return "gonum " + modVersion("gonum.org/v1/gonum") + ": floats and math.Exp on float64 copies; mat + blas64 Gemm for matrices"
	case implGonum32:
		return "gonum " + modVersion("gonum.org/v1/gonum") + ": blas32 Gemm (float32), matrix cases only"
	case implVek:
		acc := "pure-Go fallback (no AVX2+FMA)"
		if vek.Info().Acceleration {
			acc = "AVX2+FMA assembly"
		}
		return "vek " + modVersion("github.com/viterin/vek") + ": vek32 vector ops, " + acc
	case implArchsimd:
		return archsimdNote()
	case implTorch:
		if tp == nil {
			return "not requested (-torch)"
		}
		return tp.describe()
	}
	return ""
}

// modVersion is a dependency's version from the build info.
func modVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				if d.Replace != nil {
					d = d.Replace
				}
				return d.Version
			}
		}
	}
	return "(version unknown)"
}

func newResult(c benchCase, impl string, s sample, err error) result {
	r := result{Kernel: c.kernel, Shape: c.shape, RowLen: c.rowLen, Elements: c.elems, Impl: impl}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.MedianNs, r.MinNs, r.MaxNs, r.Runs = float64(s.median), float64(s.min), float64(s.max), s.runs
	for _, d := range s.rounds {
		r.rounds = append(r.rounds, float64(d))
	}
	if r.MedianNs > 0 {
		r.NsPerElem = r.MedianNs / c.elems
		// A rate is the case's work over this row's time. The "… alone"
		// reference rows do other work (one SquaredL2 beside a miner's
		// forward and backward, four GEMMs beside the three a linear
		// cross-entropy needs): they get no rate, only their time.
		rated := !strings.HasSuffix(impl, " alone")
		if c.flops > 0 && rated {
			r.GFLOPs = c.flops / r.MedianNs
		}
		if c.bytes > 0 && rated {
			r.GBs = c.bytes / r.MedianNs
		}
		r.Spread = (r.MaxNs - r.MinNs) / r.MedianNs
	}
	return r
}

// finish fills in one case's ratios to simdloss and its spread warnings.
func finish(rs []result, spread float64) []result {
	var base float64
	var baseRounds []float64
	for _, r := range rs {
		if r.Impl == implSimdloss && r.Error == "" {
			base, baseRounds = r.MedianNs, r.rounds
		}
	}
	for i := range rs {
		if base > 0 && rs[i].Error == "" {
			rs[i].VsSimdloss = pairedRatio(rs[i].rounds, baseRounds)
			if rs[i].VsSimdloss == 0 {
				rs[i].VsSimdloss = rs[i].MedianNs / base
			}
		}
		rs[i].Wide = rs[i].Error == "" && rs[i].Runs > 1 && rs[i].Spread > spread
	}
	return rs
}

// pairedRatio is the median over rounds of a[r]/b[r], or 0 unless both
// have the same rounds.
func pairedRatio(a, b []float64) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	q := make([]float64, len(a))
	for r := range a {
		if b[r] <= 0 {
			return 0
		}
		q[r] = a[r] / b[r]
	}
	slices.Sort(q)
	if n := len(q); n%2 == 0 {
		return (q[n/2-1] + q[n/2]) / 2
	}
	return q[len(q)/2]
}

func warnings(rep report) []string {
	var w []string
	var wide []string
	byWidth := slices.Clone(rep.Results)
	slices.SortStableFunc(byWidth, func(a, b result) int { return cmp.Compare(b.Spread, a.Spread) })
	for _, r := range byWidth {
		if r.Wide {
			wide = append(wide, fmt.Sprintf("%s %s %s ±%.0f%%", r.Kernel, r.Shape, r.Impl, 50*r.Spread))
		}
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			w = append(w, fmt.Sprintf("%s %s %s failed: %s", r.Kernel, r.Shape, r.Impl, r.Error))
		}
	}
	if n := len(wide); n > 0 {
		more := ""
		if n > 8 {
			more = fmt.Sprintf("; and %d more (marked !)", len(wide)-8)
			wide = wide[:8]
		}
		w = append(w, fmt.Sprintf("wide spread (max-min above %.0f%% of the median) in %d of %d measurements: the machine is noisy; "+
			"compare ratios within this run, or rerun with a larger -count or -time. Widest: %s%s",
			100*rep.Meta.Spread, n, len(rep.Results), strings.Join(wide, "; "), more))
	}
	if strings.Contains(rep.Meta.Peers[implTorch], "BLAS: reference") {
		w = append(w, "torch runs its matrix products on the reference BLAS: its SquaredL2, Dots and LinearCrossEntropy times are not representative; "+
			"install an optimised one (Debian: apt-get install libopenblas0-pthread)")
	}
	for _, core := range []string{"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine", "Northwood", "Banias"} {
		if strings.Contains(rep.Meta.Peers[implTorch], "core "+core+" ") {
			w = append(w, "torch's OpenBLAS detected the CPU as "+core+" (no AVX2) and runs its SSE kernels: "+
				"set OPENBLAS_CORETYPE=Haswell (AVX2) or SkylakeX (AVX-512) for representative matrix times")
		}
	}
	if slices.Contains(rep.Meta.Impls, implTorch) && strings.HasPrefix(rep.Meta.Peers[implTorch], "unavailable") {
		w = append(w, "torch column empty: "+rep.Meta.Peers[implTorch]+
			"; install it with apt-get install -y --no-install-recommends python3-torch python3-numpy (Debian) or pass -python")
	}
	if pw := preemptWarning(); pw != "" {
		w = append(w, pw)
	}
	if slices.Contains(rep.Meta.Impls, implArchsimd) && !archsimdBuilt {
		w = append(w, "archsimd column empty: "+archsimdNote())
	}
	return w
}

func writeJSON(w io.Writer, rep report) error {
	e := json.NewEncoder(w)
	e.SetIndent("", " ")
	return e.Encode(rep)
}

// writeText prints the header, the detailed table (one line per case and
// implementation), the summary (one line per case, one column per
// implementation) and the warnings; markdown prints the summary as a
// Markdown table.
func writeText(w io.Writer, rep report, markdown bool) error {
	writeHeader(w, rep.Meta)
	if !markdown {
		if err := writeDetail(w, rep); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if err := writeSummary(w, rep, markdown); err != nil {
		return err
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, s := range rep.Warnings {
			fmt.Fprintln(w, "warning:", s)
		}
	}
	return nil
}

func writeHeader(w io.Writer, m meta) {
	fmt.Fprintf(w, "simdloss bench: %s %s/%s, GOMAXPROCS=%d of %d CPUs\n", m.Go, m.GOOS, m.GOARCH, m.GOMAXPROCS, m.NumCPU)
	fmt.Fprintf(w, "CPU: %s\n", m.CPU)
	fmt.Fprintf(w, "kernels: %s (%s=%s)\n", m.Kernels, simdloss.EnvKernels, m.EnvKernels)
	fmt.Fprintf(w, "median of %d samples of >= %v each (a call over %v: 1 run); vs simdloss: the median of the rounds' paired ratios (torch: the ratio of the medians)\n", m.Count, time.Duration(m.MinTimeNs), time.Duration(m.MaxCallNs))
	for _, name := range m.Impls {
		fmt.Fprintf(w, "  %-9s %s\n", name+":", m.Peers[name])
	}
	fmt.Fprintln(w)
}

func writeDetail(w io.Writer, rep report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tshape\timpl\tns/elem\ttime/call\tmin–max\tspread\tthroughput\tvs simdloss\t")
	for _, r := range rep.Results {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t—\t—\t—\t—\t—\t%s\t\n", r.Kernel, r.Shape, r.Impl, "error (see warnings)")
			continue
		}
		tp := ""
		switch {
		case r.GFLOPs > 0:
			tp = fmt.Sprintf("%.1f GFLOP/s", r.GFLOPs)
		case r.GBs > 0:
			tp = fmt.Sprintf("%.1f GB/s", r.GBs)
		}
		ratio := "—"
		if r.VsSimdloss > 0 {
			ratio = fmt.Sprintf("%.2f×", r.VsSimdloss)
		}
		spread, mm := fmt.Sprintf("±%.0f%%", 50*r.Spread), fmt.Sprintf("%v–%v", round(r.MinNs), round(r.MaxNs))
		if r.Runs == 1 {
			spread, mm = "—", "(1 run)"
		} else if r.Wide {
			spread += " !"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\t%s\t%s\t\n", r.Kernel, r.Shape, r.Impl,
			fmtNs(r.NsPerElem), round(r.MedianNs), mm, spread, tp, ratio)
	}
	return tw.Flush()
}

// summaryColumns are the implementation columns of the summary, in order.
func summaryColumns(rep report) []string {
	var cols []string
	for _, name := range rep.Meta.Impls {
		if slices.Contains(allImpls, name) {
			cols = append(cols, name)
		}
	}
	return cols
}

// writeSummary prints one line per case: ns/element (GFLOP/s for the
// matrix cases) per implementation, with the time relative to simdloss.
func writeSummary(w io.Writer, rep report, markdown bool) error {
	cols := summaryColumns(rep)
	head := []string{"kernel", "shape", "unit"}
	for _, c := range cols {
		h := c
		switch {
		case c == implTorch && strings.HasPrefix(rep.Meta.Peers[c], "unavailable"):
			h += " (unavailable)"
		case c == implArchsimd && strings.HasPrefix(rep.Meta.Peers[c], "not built"):
			h += " (not built)"
		}
		head = append(head, h)
	}
	type key struct{ kernel, shape string }
	var order []key
	cells := map[key]map[string]result{}
	for _, r := range rep.Results {
		k := key{r.Kernel, r.Shape}
		if cells[k] == nil {
			cells[k] = map[string]result{}
			order = append(order, k)
		}
		cells[k][r.Impl] = r
	}
	var rows [][]string
	for _, k := range order {
		unit := "ns/elem"
		for _, r := range cells[k] {
			if r.GFLOPs > 0 {
				unit = "GFLOP/s"
			}
		}
		row := []string{k.kernel, k.shape, unit}
		for _, c := range cols {
			r, ok := cells[k][c]
			switch {
			case !ok:
				row = append(row, "—")
			case r.Error != "":
				row = append(row, "error")
			default:
				v := fmtNs(r.NsPerElem)
				if unit == "GFLOP/s" {
					v = fmt.Sprintf("%.1f", r.GFLOPs)
				}
				if c != implSimdloss && r.VsSimdloss > 0 {
					v += fmt.Sprintf(" (%s×)", fmtRatio(r.VsSimdloss))
				}
				if r.Wide {
					v += " !"
				}
				row = append(row, v)
			}
		}
		rows = append(rows, row)
	}
	fmt.Fprintln(w, "summary: ns per element (GFLOP/s for the matrix cases), median; (n×) = time relative to simdloss, above 1 is slower;")
	fmt.Fprintln(w, "! = wide spread; — = no such implementation or column not measured")
	if markdown {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
		sep := make([]string, len(head))
		for i := range sep {
			sep[i] = "---:"
			if i < 3 {
				sep[i] = "---"
			}
		}
		fmt.Fprintln(w, "|"+strings.Join(sep, "|")+"|")
		for _, row := range rows {
			fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	return tw.Flush()
}

func fmtNs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func fmtRatio(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func round(ns float64) time.Duration {
	d := time.Duration(ns)
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(time.Microsecond)
	case d > time.Microsecond:
		return d.Round(10 * time.Nanosecond)
	}
	return d
}
