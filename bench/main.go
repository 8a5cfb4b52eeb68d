// Command bench measures simdloss's kernels against the pure-Go generic set
// and a naive Go loop, side by side in one process, and prints a table.
//
//	go run ./bench [-shapes SUBSTR] [-impls simdloss,generic,naive] [-count 5] [-time 100ms]
//
// Each cell is the median of -count samples; a sample repeats the call until
// -time has passed (a slow implementation whose single call exceeds -maxcall
// is measured once). Times on a shared machine move by tens of percent from
// run to run: compare the ratios within one run, not absolute times across runs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/simdloss/simdloss"
)

func main() {
	shapes := flag.String("shapes", "", "only cases whose kernel or shape contains one of these comma-separated substrings")
	impls := flag.String("impls", "simdloss,generic,naive", "implementations to measure")
	count := flag.Int("count", 5, "samples per measurement (the median is shown, with min–max)")
	minTime := flag.Duration("time", 100*time.Millisecond, "minimum duration of one sample")
	maxCall := flag.Duration("maxcall", 2*time.Second, "an implementation whose single call takes longer is measured once")
	flag.Parse()
	runtime.LockOSThread()
	header(os.Stdout)
	run(os.Stdout, os.Stderr, selectCases(cases(), *shapes), strings.Split(*impls, ","), *count, *minTime, *maxCall)
}

func header(w io.Writer) {
	env := os.Getenv(simdloss.EnvKernels)
	if env == "" {
		env = "unset"
	}
	fmt.Fprintf(w, "simdloss bench: %s %s/%s, GOMAXPROCS=%d, single-threaded kernels\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "CPU: %s\n", simdloss.CPU())
	fmt.Fprintf(w, "kernels: %s (%s=%s)\n\n", simdloss.Kernels(), simdloss.EnvKernels, env)
}

func selectCases(cs []benchCase, filter string) []benchCase {
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
}

func measure(f func(), count int, minTime, maxCall time.Duration) sample {
	t0 := time.Now()
	f() // warm up (and size the loop)
	first := time.Since(t0)
	if first > maxCall {
		return sample{first, first, first, 1}
	}
	inner := max(1, int(minTime/max(first, time.Nanosecond)))
	ts := make([]time.Duration, count)
	for i := range ts {
		t0 := time.Now()
		for j := 0; j < inner; j++ {
			f()
		}
		ts[i] = time.Since(t0) / time.Duration(inner)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return sample{ts[len(ts)/2], ts[0], ts[len(ts)-1], count}
}

func run(w, progress io.Writer, cs []benchCase, want []string, count int, minTime, maxCall time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tshape\timpl\tns/elem\ttime/call\tmin–max\tthroughput\tvs simdloss\t")
	for ci, c := range cs {
		var base time.Duration
		for _, im := range c.impls {
			if !slices.Contains(want, im.name) {
				continue
			}
			fmt.Fprintf(progress, "\r[%d/%d] %s %s %s...        ", ci+1, len(cs), c.kernel, c.shape, im.name)
			s := measure(im.run, count, minTime, maxCall)
			if im.name == "simdloss" {
				base = s.median
			}
			tp := ""
			switch {
			case c.flops > 0:
				tp = fmt.Sprintf("%.1f GFLOP/s", c.flops/float64(s.median.Nanoseconds()))
			case c.bytes > 0:
				tp = fmt.Sprintf("%.1f GB/s", c.bytes/float64(s.median.Nanoseconds()))
			}
			ratio := "1.00×"
			if base > 0 && im.name != "simdloss" {
				ratio = fmt.Sprintf("%.2f× slower", float64(s.median)/float64(base))
			}
			spread := fmt.Sprintf("%v–%v", round(s.min), round(s.max))
			if s.runs == 1 {
				spread = "(1 run)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%v\t%s\t%s\t%s\t\n", c.kernel, c.shape, im.name,
				float64(s.median.Nanoseconds())/c.elems, round(s.median), spread, tp, ratio)
		}
	}
	fmt.Fprint(progress, "\r\033[K")
	tw.Flush()
}

func round(d time.Duration) time.Duration {
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
