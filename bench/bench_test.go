package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// BenchmarkKernels runs every case and implementation under go test -bench,
// e.g. go test ./bench -bench 'Kernels/Softmax/1024x128' -count 10 | benchstat -.
// The generic and naive implementations of the largest shapes take seconds
// per call; filter them out with -bench when that matters.
func BenchmarkKernels(b *testing.B) {
	for _, c := range cases() {
		for _, im := range c.impls {
			b.Run(c.kernel+"/"+c.shape+"/"+im.name, func(b *testing.B) {
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
	}
}

// TestTable runs the command's table code on a tiny selection (no timing
// assertions: the numbers are not checked, only that every row is printed).
func TestTable(t *testing.T) {
	cs := selectCases(cases(), "4096x10,1024x128")
	var out, progress bytes.Buffer
	header(&out)
	run(&out, &progress, cs[:3], []string{"simdloss", "naive"}, 1, time.Millisecond, time.Second)
	s := out.String()
	for _, want := range []string{"CPU:", "kernels:", "Softmax", "LogSoftmax", "LogSumExp", "4096x10", "naive", "× slower", "GB/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	if got := len(selectCases(cases(), "SquaredL2Rows")); got != 2 {
		t.Errorf("selecting SquaredL2Rows gives %d cases, want 2", got)
	}
}
