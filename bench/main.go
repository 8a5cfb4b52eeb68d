// Command bench measures simdloss's kernels and losses side by side, in one
// process run, on the same inputs and shapes, against its own pure-Go generic
// set, a naive Go loop, and peers: gonum (floats, mat and blas32), vek,
// Go's experimental simd/archsimd (when built with GOEXPERIMENT=simd) and,
// with -torch, PyTorch through a helper script. It prints a table (or JSON)
// and can plot ns/element against row length.
//
//	go run ./bench [-kernels simdloss,gonum,vek] [-torch] [-shapes 1024x128,Triplet|tiny]
//	               [-count 5] [-time 100ms] [-cpu 1] [-json] [-markdown] [-plot docs/bench.png]
//	go run ./bench -from results.json [-markdown] [-plot bench.svg]   # re-print a saved -json run
//
// Each cell is the median of -count samples, with min–max; a sample repeats
// the call as many times as a calibration on warm calls says -time needs
// (an implementation whose first call exceeds -maxcall is measured by that
// call alone). The Go columns of a case take their samples in turn (one of
// each, count times), so that they see the same spells of a shared machine,
// and a column's ratio to simdloss is the median of the rounds' ratios
// (each round's sample of the column over simdloss's sample of the same
// round); torch's samples come after them, and its ratio is that of the
// medians. Times on a shared machine move by tens of percent from run to
// run: compare the ratios within one run, not absolute times across runs.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// config is what one run measures and how.
type config struct {
	impls   []string // columns, in table order
	shapes  string   // -shapes: filter substrings, or "tiny"
	count   int
	minTime time.Duration
	maxCall time.Duration
	spread  float64 // warn when (max-min)/median exceeds this
}

func main() {
	kernelsFlag := flag.String("kernels", strings.Join(defaultImpls(), ","),
		"comma-separated implementations (columns) to measure: "+strings.Join(allImpls, ", ")+", or all")
	implsFlag := flag.String("impls", "", "old name of -kernels")
	torchFlag := flag.Bool("torch", false, "add the PyTorch column (needs python3 with torch; single-threaded like the rest unless -cpu says otherwise)")
	python := flag.String("python", "", "python interpreter for -torch (default: the first of "+strings.Join(pythonCandidates, ", ")+" that imports torch)")
	shapes := flag.String("shapes", "", "only cases whose kernel or shape contains one of these comma-separated substrings; \"tiny\" for a small smoke-test set")
	count := flag.Int("count", 5, "samples per measurement (the median is shown, with min–max)")
	minTime := flag.Duration("time", 100*time.Millisecond, "minimum duration of one sample")
	maxCall := flag.Duration("maxcall", 2*time.Second, "an implementation whose single call takes longer is measured once")
	cpu := flag.Int("cpu", 1, "GOMAXPROCS for the run (gonum's Gemm and vek's MatMul use that many cores; torch gets as many threads); 0 leaves it as it is")
	spread := flag.Float64("spread", 0.2, "warn (and mark !) when a measurement's (max-min)/median exceeds this; the spread column shows ±(max-min)/2 as a share of the median")
	jsonOut := flag.Bool("json", false, "print the results as JSON instead of tables")
	markdown := flag.Bool("markdown", false, "print the summary table in Markdown (for the README)")
	from := flag.String("from", "", "print and plot the results saved by an earlier -json run instead of measuring (-kernels, -shapes and -spread do not apply: the saved run is shown as it was)")
	plotFile := flag.String("plot", "", "write a plot of ns/element against row length per implementation (.svg or .png)")
	flag.Parse()

	list := *kernelsFlag
	if *implsFlag != "" {
		list = *implsFlag
	}
	impls, err := parseImpls(list, *torchFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if *count < 1 {
		fmt.Fprintln(os.Stderr, "bench: -count must be at least 1")
		os.Exit(2)
	}
	if *plotFile != "" {
		if err := checkPlotName(*plotFile); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
	}
	if *from != "" {
		rep, err := readReport(*from)
		if err == nil {
			err = output(rep, *jsonOut, *markdown, *plotFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *cpu > 0 {
		runtime.GOMAXPROCS(*cpu)
	}
	runtime.LockOSThread()
	cfg := config{impls: impls, shapes: *shapes, count: *count, minTime: *minTime, maxCall: *maxCall, spread: *spread}
	cs := selectCases(cfg.shapes)
	if len(cs) == 0 {
		fmt.Fprintf(os.Stderr, "bench: -shapes %q selects no case\n", *shapes)
		os.Exit(2)
	}
	var tp *torchPeer
	if slices.Contains(impls, implTorch) {
		fmt.Fprint(os.Stderr, "starting the PyTorch helper...")
		tp = startTorch(*python, runtime.GOMAXPROCS(0))
		fmt.Fprint(os.Stderr, "\r\033[K")
		defer tp.close()
	}
	rep := run(cfg, cs, tp, os.Stderr)
	if err := output(rep, *jsonOut, *markdown, *plotFile); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if tp != nil {
			tp.close()
		}
		os.Exit(1)
	}
}

// output prints rep as JSON or tables and writes the plot.
func output(rep report, jsonOut, markdown bool, plotFile string) error {
	var err error
	if jsonOut {
		err = writeJSON(os.Stdout, rep)
	} else {
		err = writeText(os.Stdout, rep, markdown)
	}
	if err == nil && plotFile != "" {
		err = writePlot(plotFile, rep)
		if err == nil && !jsonOut {
			fmt.Printf("\nplot: %s\n", plotFile)
		}
	}
	return err
}

// readReport reads a report written by -json.
func readReport(name string) (report, error) {
	var rep report
	b, err := os.ReadFile(name)
	if err == nil {
		err = json.Unmarshal(b, &rep)
	}
	if err == nil && len(rep.Results) == 0 {
		err = fmt.Errorf("no results")
	}
	if err != nil {
		return rep, fmt.Errorf("-from %s: %w", name, err)
	}
	return rep, nil
}

// defaultImpls is every in-process column (torch is opt-in: -torch).
func defaultImpls() []string {
	return slices.DeleteFunc(slices.Clone(allImpls), func(s string) bool { return s == implTorch })
}

// parseImpls validates a -kernels list and returns it in table order.
func parseImpls(list string, torch bool) ([]string, error) {
	want := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case s == "all":
			for _, n := range allImpls {
				want[n] = true
			}
		case slices.Contains(allImpls, s):
			want[s] = true
		default:
			return nil, fmt.Errorf("-kernels: unknown implementation %q (valid: %s, all)", s, strings.Join(allImpls, ", "))
		}
	}
	if torch {
		want[implTorch] = true
	}
	var out []string
	for _, n := range allImpls {
		if want[n] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-kernels: no implementation selected")
	}
	return out, nil
}

// selectCases returns the cases whose kernel or shape contains one of the
// comma-separated substrings of filter (all when empty), or the tiny set.
func selectCases(filter string) []benchCase {
	if filter == "tiny" {
		return cases(tinyShapes)
	}
	cs := cases(defaultShapes)
	if filter == "" {
		return cs
	}
	var out []benchCase
	for _, c := range cs {
		for _, f := range strings.Split(filter, ",") {
			if f != "" && (strings.Contains(c.kernel, f) || strings.Contains(c.shape, f)) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// sample is the measured time per call of one implementation.
type sample struct {
	median, min, max time.Duration
	runs             int
	// rounds are the samples in round order, when the implementation was
	// timed in measureAll's rounds (nil for one timed call, and for torch).
	rounds []time.Duration
}

// measureAll times the implementations of one case round-robin: a warm-up
// call of each and a calibration of its inner loop, then count rounds of one
// sample of every implementation. A slow spell of a shared machine then
// weighs on every column alike, and their ratios hold where the absolute
// times do not. An implementation whose first call takes longer than
// maxCall is timed by that call alone.
func measureAll(fs []func(), count int, minTime, maxCall time.Duration) []sample {
	out := make([]sample, len(fs))
	inner := make([]int, len(fs))
	for k, f := range fs {
		t0 := time.Now()
		f() // warm up: the first call also takes the page faults of fresh outputs
		first := time.Since(t0)
		if first > maxCall {
			out[k] = sample{first, first, first, 1, nil}
			continue
		}
		inner[k] = calibrate(f, minTime)
	}
	ts := make([][]time.Duration, len(fs))
	for range count {
		for k, f := range fs {
			if inner[k] == 0 {
				continue
			}
			t0 := time.Now()
			for j := 0; j < inner[k]; j++ {
				f()
			}
			ts[k] = append(ts[k], time.Since(t0)/time.Duration(inner[k]))
		}
	}
	for k, t := range ts {
		if inner[k] == 0 {
			continue
		}
		rounds := slices.Clone(t)
		slices.Sort(t)
		out[k] = sample{median(t), t[0], t[len(t)-1], count, rounds}
	}
	return out
}

// calibrate returns how many calls of f make a sample of at least minTime:
// it times 1, 2, 4, … warm calls until they take a tenth of minTime (the
// first, cold call would overstate a call's time).
func calibrate(f func(), minTime time.Duration) int {
	for n := 1; ; n *= 2 {
		t0 := time.Now()
		for range n {
			f()
		}
		if d := time.Since(t0); d >= minTime/10 || n >= 1<<30 {
			per := max(d/time.Duration(n), time.Nanosecond)
			return max(1, int((minTime+per-1)/per))
		}
	}
}

// median is the middle of sorted t, the mean of the middle two for an even
// count (as pairedRatio takes it).
func median(t []time.Duration) time.Duration {
	n := len(t)
	if n%2 == 0 {
		return (t[n/2-1] + t[n/2]) / 2
	}
	return t[n/2]
}

// run measures every case and implementation of cfg, one case at a time:
// the case's inputs are prepared, each Go column is timed, then torch on the
// same inputs; a progress line goes to progress.
func run(cfg config, cs []benchCase, tp *torchPeer, progress io.Writer) report {
	rep := report{Meta: newMeta(cfg, tp)}
	for ci, c := range cs {
		p := c.prepare()
		runtime.GC() // the case's buffers are allocated: no collection while timing
		var names []string
		var fs []func()
		for _, im := range p.impls {
			if im.run != nil && wanted(cfg.impls, im.name) {
				names, fs = append(names, im.name), append(fs, im.run)
			}
		}
		fmt.Fprintf(progress, "\r\033[K[%d/%d] %s %s (%d columns)...", ci+1, len(cs), c.kernel, c.shape, len(fs))
		var rs []result
		for k, s := range measureAll(fs, cfg.count, cfg.minTime, cfg.maxCall) {
			rs = append(rs, newResult(c, names[k], s, nil))
		}
		if tp != nil && tp.err == nil && p.torch != nil {
			fmt.Fprintf(progress, "\r\033[K[%d/%d] %s %s torch...", ci+1, len(cs), c.kernel, c.shape)
			s, err := tp.measure(p.torch, cfg.count, cfg.minTime, cfg.maxCall)
			rs = append(rs, newResult(c, implTorch, s, err))
		}
		rep.Results = append(rep.Results, finish(rs, cfg.spread)...)
	}
	fmt.Fprint(progress, "\r\033[K")
	if tp != nil {
		rep.Meta.Peers[implTorch] = tp.describe() // the helper may have died mid-run
	}
	rep.Warnings = warnings(rep)
	return rep
}

// wanted reports whether a column is selected; the miner's "SquaredL2 alone"
// reference row goes with simdloss.
func wanted(impls []string, name string) bool {
	if slices.Contains(allImpls, name) {
		return slices.Contains(impls, name)
	}
	return slices.Contains(impls, implSimdloss)
}
