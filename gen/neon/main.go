// Command neon generates the arm64 NEON (AdvSIMD) kernels of simdloss with
// the a64 emitter:
//
//	go run -C gen ./neon -kind rows -out ../kernels/asm/rows_arm64.s -stubs ../kernels/asm/rows_arm64.go -pkg asm
//	go run -C gen ./neon -kind l2 -out ../kernels/asm/l2_arm64.s -stubs ../kernels/asm/l2_arm64.go -pkg asm
//	go run -C gen ./neon -kind elem -out ../kernels/asm/elem_arm64.s -stubs ../kernels/asm/elem_arm64.go -pkg asm
//
// Kind rows is the softmax family (SoftmaxNEON, LogSoftmaxNEON,
// LogSumExpNEON) and the fused cross-entropy rows on the same passes
// (CrossEntropy{Plain,S,W,WS,G,GS,GW,GWS}NEON, CrossEntropySoft{Plain,W,G,GW}NEON), with the
// elementwise sigmoid focal loss on the same exp and log constants
// (SigmoidFocalNEON, SigmoidFocalGradNEON), kind l2 the paired-row and norm kernels (SumSquaresNEON,
// SquaredL2RowsNEON, DotRowsNEON, SquaredL2RowsEpsNEON), kind elem the elementwise kernels
// (AxpbyRowsNEON, FlushSubnormalsNEON, TripletGradNEON, TripletGradSwapNEON). Each kernel renders the canonical
// algorithm of package generic (generic/CANONICAL.md) one row at a time, with
// the 32 partial sums held as 8 registers of 4 lanes. Row tails are loaded
// and stored lane by lane: no kernel touches memory outside its rows.
//
// With -stats it prints the instruction counts of the inner loops instead.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/simdloss/simdloss/gen/a64"
)

func main() {
	kind := flag.String("kind", "", "rows, l2 or elem")
	out := flag.String("out", "", "assembly output file")
	stubs := flag.String("stubs", "", "Go declarations output file")
	pkg := flag.String("pkg", "asm", "package of the declarations")
	stats := flag.Bool("stats", false, "print the instruction counts of the inner loops")
	flag.Parse()
	f, st, err := generate(*kind, *pkg)
	if err != nil {
		log.Fatal(err)
	}
	if *stats {
		for _, s := range st {
			fmt.Println(s)
		}
		return
	}
	if *out == "" || *stubs == "" {
		log.Fatal("neon: -out and -stubs are required")
	}
	if err := os.WriteFile(*out, f.Asm(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*stubs, f.Stubs(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// generate builds the file of the given kind and the instruction counts of
// its loops.
func generate(kind, pkg string) (*a64.File, []string, error) {
	f := a64.NewFile(pkg, "!purego", "gen/neon (go run ./neon -kind "+kind+")")
	g := &gen{File: f}
	switch kind {
	case "rows":
		g.rowsFile()
	case "l2":
		g.l2File()
	case "elem":
		g.elemFile()
	default:
		return nil, nil, fmt.Errorf("neon: -kind %q: want rows, l2 or elem", kind)
	}
	return f, g.stats, nil
}

// gen is the state of one generated file.
type gen struct {
	*a64.File
	stats []string
	fn    string
}

// text starts a function and remembers its name for the statistics.
func (g *gen) text(name, sig string, doc ...string) {
	g.fn = name
	g.TEXT(name, sig, doc...)
}
