package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMain lets a test run the command itself: the test binary re-executed
// with SIMDLOSS_BENCH_ARGS set runs main with those arguments.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("SIMDLOSS_BENCH_ARGS"); ok {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			panic(err)
		}
		os.Args = append([]string{"bench"}, a...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// BenchmarkKernels runs every case and implementation under go test -bench,
// e.g. go test ./bench -bench 'Kernels/Softmax/1024x128' -count 10 | benchstat -.
// The generic and naive implementations of the largest shapes take seconds
// per call; filter them out with -bench when that matters.
func BenchmarkKernels(b *testing.B) {
	for _, c := range cases(defaultShapes) {
		b.Run(c.kernel+"/"+c.shape, func(b *testing.B) {
			p := c.prepare()
			for _, im := range p.impls {
				if im.run == nil {
					continue
				}
				b.Run(im.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						im.run()
					}
					ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
					b.ReportMetric(ns/c.elems, "ns/elem")
					if c.flops > 0 {
						b.ReportMetric(c.flops/ns, "GFLOP/s")
					}
				})
			}
		})
	}
}

// closeTo reports the first element of got that differs from want by more
// than tol relative to max(|want_i|, scale), where scale is the largest
// |want| (so values that cancel to near 0 are judged on the case's scale).
func closeTo(got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d results, want %d", len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*max(math.Abs(want[i]), 1e-3*scale, 1e-30)) {
			return fmt.Errorf("result %d: got %g, want %g (|diff| %.3g)", i, got[i], want[i], d)
		}
	}
	return nil
}

// peerTol is the agreement required of every column with simdloss: float32
// kernels with different exp polynomials, summation orders and (gonum)
// float64 arithmetic agree to a few ulp; the matrix formula
// ||a||²+||b||²-2a·b loses a few more bits to cancellation.
const peerTol = 1e-4

// TestPeersMatchSimdloss checks that every column computes what simdloss
// computes, on the tiny shapes (odd sizes: vector tails everywhere). The
// columns of a case share their output buffers, so each column runs on a
// case prepared afresh (the same seeded inputs, outputs zeroed): a column
// that wrote nothing, or only part of its outputs, would read simdloss's.
func TestPeersMatchSimdloss(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range cases(tinyShapes) {
		var want []float64
		for _, im := range c.prepare().impls {
			if im.name == implSimdloss {
				im.run()
				want = im.out()
			}
		}
		if want == nil {
			t.Fatalf("%s %s: no simdloss implementation", c.kernel, c.shape)
		}
		for k, im := range c.prepare().impls {
			if im.run == nil || im.out == nil || im.name == implSimdloss {
				continue
			}
			seen[im.name] = true
			fresh := c.prepare().impls[k]
			fresh.run()
			if err := closeTo(fresh.out(), want, peerTol); err != nil {
				t.Errorf("%s %s: %s vs simdloss: %v", c.kernel, c.shape, im.name, err)
			}
		}
	}
	for _, name := range []string{implGeneric, implNaive, implGonum, implGonum32, implVek} {
		if !seen[name] {
			t.Errorf("no case checks %s", name)
		}
	}
	if archsimdBuilt && archsimdOK() != seen[implArchsimd] {
		t.Errorf("archsimd built and supported = %v, checked = %v", archsimdOK(), seen[implArchsimd])
	}
	if !archsimdBuilt {
		t.Log("archsimd not built (run the tests with GOEXPERIMENT=simd to check it)")
	}
}

func TestParseImpls(t *testing.T) {
	for _, tc := range []struct {
		list  string
		torch bool
		want  string
		err   bool
	}{
		{"vek, simdloss", false, "simdloss,vek", false},
		{"naive", true, "naive,torch", false},
		{"all", false, strings.Join(allImpls, ","), false},
		{strings.Join(defaultImpls(), ","), false, "simdloss,generic,naive,gonum,gonum32,vek,archsimd", false},
		{"simdloss,numpy", false, "", true},
		{"", false, "", true},
	} {
		got, err := parseImpls(tc.list, tc.torch)
		if (err != nil) != tc.err || strings.Join(got, ",") != tc.want {
			t.Errorf("parseImpls(%q, %v) = %q, %v; want %q, error %v", tc.list, tc.torch, got, err, tc.want, tc.err)
		}
	}
}

func TestSelectCases(t *testing.T) {
	if got := len(selectCases("SquaredL2Rows")); got != 2 {
		t.Errorf("selecting SquaredL2Rows gives %d cases, want 2", got)
	}
	// the softmax family and Focal at 4096x10; Triplet fwd, fwd+bwd and
	// LosslessTriplet at the two triplet shapes
	if got := len(selectCases("4096x10,Triplet")); got != 5+1+6 {
		t.Errorf("selecting 4096x10,Triplet gives %d cases, want 12", got)
	}
	if got, want := len(selectCases("tiny")), len(cases(tinyShapes)); got != want || got == 0 {
		t.Errorf("tiny gives %d cases, want %d", got, want)
	}
	if got := len(selectCases("no such kernel")); got != 0 {
		t.Errorf("a filter matching nothing gives %d cases", got)
	}
}

// tinyRun measures the tiny shapes quickly (no timing is asserted).
func tinyRun(t *testing.T, impls []string, tp *torchPeer) report {
	t.Helper()
	cfg := config{impls: impls, count: 3, minTime: 50 * time.Microsecond, maxCall: time.Second, spread: 0.2}
	var progress bytes.Buffer
	rep := run(cfg, selectCases("tiny"), tp, &progress)
	if !strings.Contains(progress.String(), "Softmax") {
		t.Errorf("no progress line: %q", progress.String())
	}
	return rep
}

// TestOutputs runs the command's measuring, table, JSON and plot code on the
// tiny shapes and checks the outputs' structure.
func TestOutputs(t *testing.T) {
	impls := defaultImpls()
	rep := tinyRun(t, impls, nil)
	cs := selectCases("tiny")

	// One result per case and runnable implementation, ratios to simdloss.
	n := 0
	for _, c := range cs {
		for _, im := range c.prepare().impls {
			if im.run != nil {
				n++
			}
		}
	}
	if len(rep.Results) != n {
		t.Errorf("%d results, want %d", len(rep.Results), n)
	}
	for _, r := range rep.Results {
		if r.MedianNs <= 0 || r.MinNs > r.MedianNs || r.MaxNs < r.MedianNs || r.Runs != 3 || r.NsPerElem <= 0 || r.VsSimdloss <= 0 {
			t.Errorf("implausible result %+v", r)
		}
	}

	var text bytes.Buffer
	if err := writeText(&text, rep, false); err != nil {
		t.Fatal(err)
	}
	s := text.String()
	for _, want := range []string{"CPU:", "kernels:", "GOMAXPROCS=", "median of 3 samples", "summary:", "GB/s", "GFLOP/s", "×",
		"Softmax", "LogSoftmax", "LogSumExp", "CrossEntropy fwd+bwd (weighted)", "SquaredL2", "Dots", "Triplet fwd", "Miner", "SquaredL2Rows",
		"7x10", "5x9x13", "gonum v", "vek v"} {
		if !strings.Contains(s, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	for _, name := range impls {
		if !strings.Contains(s, "  "+name+":") {
			t.Errorf("header does not describe %s", name)
		}
	}
	if t.Failed() {
		t.Log(s)
	}

	var md bytes.Buffer
	if err := writeText(&md, rep, true); err != nil {
		t.Fatal(err)
	}
	var table []string
	for _, l := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(l, "|") {
			table = append(table, l)
		}
	}
	if want := 2 + len(cs); len(table) != want {
		t.Errorf("markdown summary has %d table lines, want %d:\n%s", len(table), want, md.String())
	} else {
		cells := strings.Count(table[0], "|")
		for _, l := range table {
			if strings.Count(l, "|") != cells {
				t.Errorf("ragged markdown row %q", l)
			}
		}
		if !strings.HasPrefix(table[1], "|---|---|---|---:") {
			t.Errorf("markdown separator %q", table[1])
		}
	}

	var js bytes.Buffer
	if err := writeJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON does not parse: %v", err)
	}
	if len(back.Results) != len(rep.Results) || back.Meta.CPU == "" || back.Meta.Go == "" || back.Meta.Kernels == "" ||
		back.Meta.Count != 3 || len(back.Meta.Peers) != len(impls) || !slices.Equal(back.Meta.Impls, impls) {
		t.Errorf("JSON round trip lost data: %+v", back.Meta)
	}
	var raw map[string]any
	if err := json.Unmarshal(js.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	first := raw["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"kernel", "shape", "row_len", "impl", "median_ns", "min_ns", "max_ns", "runs", "ns_per_elem", "spread"} {
		if _, ok := first[k]; !ok {
			t.Errorf("JSON result lacks %q: %v", k, first)
		}
	}

	dir := t.TempDir()
	for _, name := range []string{"p.svg", "p.png"} {
		path := filepath.Join(dir, name)
		if err := writePlot(path, rep); err != nil {
			t.Fatalf("writePlot(%s): %v", name, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(name) {
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("%s is not a PNG", name)
			}
		case ".svg":
			if !bytes.Contains(b[:min(len(b), 512)], []byte("<svg")) || !bytes.Contains(b, []byte("LogSoftmax")) {
				t.Errorf("%s is not an SVG with the panels", name)
			}
		}
	}
	if err := writePlot(filepath.Join(dir, "p.gif"), rep); err == nil {
		t.Error("writePlot accepted a .gif name")
	}
	want := []string{"Softmax", "LogSoftmax", "LogSumExp", "CrossEntropy fwd (weighted)", "CrossEntropy fwd+bwd (weighted)",
		"Triplet fwd", "Triplet fwd+bwd", "Centre fwd+bwd", "Contrastive fwd+bwd", "LosslessTriplet fwd+bwd", "Focal fwd+bwd", "SquaredL2Rows"}
	if got := plotKernels(rep); !slices.Equal(got, want) {
		t.Errorf("plotted kernels %q, want %q", got, want)
	}
}

// TestWarnings: wide spreads, failures and missing columns are reported.
func TestWarnings(t *testing.T) {
	c := benchCase{kernel: "Softmax", shape: "2x3", rowLen: 3, elems: 6, bytes: 48}
	rs := finish([]result{
		newResult(c, implSimdloss, sample{100, 95, 105, 5, nil}, nil),
		newResult(c, implNaive, sample{400, 300, 900, 5, nil}, nil),
		newResult(c, implTorch, sample{}, errors.New("RuntimeError: boom")),
	}, 0.2)
	if rs[0].Wide || !rs[1].Wide || rs[1].VsSimdloss != 4 || rs[2].Error == "" {
		t.Fatalf("finish: %+v", rs)
	}
	// Timed in the same rounds: the median of the rounds' ratios (here 2,
	// 3, 4, 4 and 5: 4), not the ratio of the medians (300/100).
	rs2 := finish([]result{
		newResult(c, implSimdloss, sample{100, 50, 200, 5, []time.Duration{50, 100, 100, 100, 200}}, nil),
		newResult(c, implNaive, sample{300, 100, 1000, 5, []time.Duration{100, 300, 400, 400, 1000}}, nil),
	}, 0.2)
	if rs2[1].VsSimdloss != 4 {
		t.Fatalf("finish with rounds: vs simdloss %v, want 4", rs2[1].VsSimdloss)
	}
	if got := pairedRatio([]float64{3, 1}, []float64{1, 1}); got != 2 {
		t.Fatalf("pairedRatio of an even count: %v, want 2", got)
	}
	tp := &torchPeer{err: errors.New("ModuleNotFoundError: No module named 'torch'")}
	cfg := config{impls: []string{implSimdloss, implNaive, implArchsimd, implTorch}, count: 5, spread: 0.2}
	rep := report{Meta: newMeta(cfg, tp), Results: rs}
	rep.Warnings = warnings(rep)
	var out bytes.Buffer
	if err := writeText(&out, rep, false); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"warning: wide spread", "Softmax 2x3 naive ±75%", "torch failed: RuntimeError: boom",
		"torch (unavailable)", "torch column empty", "No module named 'torch'", "(4.0×) !", "±75% !"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if !archsimdBuilt && !strings.Contains(s, "archsimd (not built)") {
		t.Errorf("archsimd column not marked as not built:\n%s", s)
	}
}

// runMain runs the command (the test binary re-executed, see TestMain).
func runMain(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SIMDLOSS_BENCH_ARGS="+string(a))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestCommand(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "bench.svg")
	out, errs, err := runMain(t, "-shapes", "tiny", "-kernels", "simdloss,naive,gonum", "-count", "2", "-time", "20us",
		"-cpu", "1", "-json", "-plot", plot)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errs)
	}
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("-json output does not parse: %v\n%s", err, out)
	}
	if rep.Meta.GOMAXPROCS != 1 || !slices.Equal(rep.Meta.Impls, []string{implSimdloss, implNaive, implGonum}) || len(rep.Results) == 0 {
		t.Errorf("unexpected run: %+v", rep.Meta)
	}
	for _, r := range rep.Results {
		// reference rows (floors, "SquaredL2 alone", …) go with simdloss
		if slices.Contains(allImpls, r.Impl) && !slices.Contains([]string{implSimdloss, implNaive, implGonum}, r.Impl) {
			t.Errorf("unselected implementation measured: %s", r.Impl)
		}
	}
	if fi, err := os.Stat(plot); err != nil || fi.Size() == 0 {
		t.Errorf("no plot written: %v", err)
	}

	saved := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(saved, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	out2, errs, err := runMain(t, "-from", saved, "-markdown", "-plot", plot+".png")
	if err != nil || !strings.Contains(out2, "| kernel | shape | unit | simdloss | naive | gonum |") || !strings.Contains(out2, "plot: ") {
		t.Errorf("-from: %v %s\n%s", err, errs, out2)
	}
	if _, errs, err := runMain(t, "-from", plot); err == nil || !strings.Contains(errs, "-from") {
		t.Errorf("-from a non-JSON file: %v, %q", err, errs)
	}

	out, _, err = runMain(t, "-shapes", "4096x10", "-kernels", "simdloss", "-count", "1", "-time", "10us", "-markdown")
	if err != nil || !strings.Contains(out, "| kernel | shape | unit | simdloss |") {
		t.Errorf("-markdown: %v\n%s", err, out)
	}

	for _, bad := range [][]string{{"-kernels", "numpy"}, {"-shapes", "nothing matches this"}, {"-plot", "x.gif"}, {"-count", "0"}} {
		_, errs, err := runMain(t, bad...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(errs, "bench:") {
			t.Errorf("bench %q: %v, stderr %q; want exit status 2 with a message", bad, err, errs)
		}
	}
}

// TestTorch checks the PyTorch helper against simdloss on the tiny shapes and
// runs the torch column; skipped where python3 cannot import torch.
func TestTorch(t *testing.T) {
	tp := startTorch("", 1)
	defer tp.close()
	if tp.err != nil {
		t.Skipf("torch unavailable: %v", tp.err)
	}
	t.Log(tp.describe())
	checked := 0
	for _, c := range cases(tinyShapes) {
		p := c.prepare()
		if p.torch == nil {
			continue
		}
		p.impls[0].run() // simdloss
		want := p.impls[0].out()
		got, err := tp.compute(p.torch)
		if err != nil {
			t.Errorf("%s %s: torch: %v", c.kernel, c.shape, err)
			continue
		}
		if err := closeTo(got, want, peerTol); err != nil {
			t.Errorf("%s %s: torch vs simdloss: %v", c.kernel, c.shape, err)
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d cases checked against torch", checked)
	}
	if _, err := tp.compute(&torchCall{Op: "no_such_op"}); err == nil || !strings.Contains(err.Error(), "unknown op") {
		t.Errorf("unknown op: %v", err)
	}

	rep := tinyRun(t, []string{implSimdloss, implTorch}, tp)
	torchRows := 0
	for _, r := range rep.Results {
		if r.Impl == implTorch {
			torchRows++
			if r.Error != "" || r.MedianNs <= 0 || r.Runs != 3 || r.VsSimdloss <= 0 {
				t.Errorf("torch result %+v", r)
			}
		}
	}
	if torchRows != checked {
		t.Errorf("%d torch results, want %d", torchRows, checked)
	}
	var out bytes.Buffer
	if err := writeText(&out, rep, false); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "  torch:    torch 1.") || strings.Contains(s, "unavailable") {
		t.Errorf("torch header:\n%s", s)
	}
}

// TestTorchMissing: a python without torch gives an empty column, not a
// failure.
func TestTorchMissing(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "python3")
	script := "#!/bin/sh\necho 'ModuleNotFoundError: No module named torch' >&2\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tp := startTorch(fake, 1)
	defer tp.close()
	if tp.err == nil || !strings.Contains(tp.describe(), "unavailable") || !strings.Contains(tp.describe(), "No module named torch") {
		t.Fatalf("fake python: %v / %s", tp.err, tp.describe())
	}
	if tp := startTorch(filepath.Join(dir, "no-such-python"), 1); tp.err == nil {
		t.Error("a missing interpreter gives no error")
	}
	rep := tinyRun(t, []string{implSimdloss, implTorch}, tp)
	for _, r := range rep.Results {
		if r.Impl == implTorch {
			t.Errorf("torch measured without torch: %+v", r)
		}
	}
	var out bytes.Buffer
	if err := writeText(&out, rep, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "torch (unavailable)") {
		t.Errorf("no unavailable torch column:\n%s", out.String())
	}
}

func TestPreemptWarning(t *testing.T) {
	t.Setenv("GODEBUG", "madvdontneed=1,asyncpreemptoff=1")
	if w := preemptWarning(); w != "" {
		t.Errorf("warning with asyncpreemptoff=1: %s", w)
	}
	t.Setenv("GODEBUG", "")
	if w := preemptWarning(); (w != "") != archsimdBuilt {
		t.Errorf("archsimd built %v, warning %q", archsimdBuilt, w)
	}
}

func TestBLASWarnings(t *testing.T) {
	for peer, want := range map[string]string{
		"torch 1.13 via python3, 1 thread(s), ATen CPU capability AVX2, BLAS: OpenBLAS, core Prescott (/x/libblas.so.3)": "OPENBLAS_CORETYPE=Haswell",
		"torch 1.13 via python3, 1 thread(s), ATen CPU capability AVX2, BLAS: reference BLAS (/x/libblas.so.3)":          "libopenblas0-pthread",
	} {
		rep := report{Meta: meta{Impls: []string{implTorch}, Peers: map[string]string{implTorch: peer}}}
		if w := strings.Join(warnings(rep), "\n"); !strings.Contains(w, want) {
			t.Errorf("%s: warnings %q lack %q", peer, w, want)
		}
	}
}
