package main

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// implColors gives every column its own colour (plotutil's palette has
// seven); simdloss is drawn thickest.
var implColors = map[string]color.Color{
	implSimdloss: color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	implGeneric:  color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	implNaive:    color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	implGonum:    color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	implGonum32:  color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	implVek:      color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	implArchsimd: color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	implTorch:    color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

// valueTicks labels the given values (the row lengths measured) and the
// powers of ten, so that an axis spanning less than a decade is labelled.
type valueTicks []float64

func (v valueTicks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for _, x := range v {
		if x >= lo && x <= hi {
			t = append(t, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)})
		}
	}
	return t
}

// logTicks125 labels 1, 2 and 5 times the powers of ten on a log axis.
type logTicks125 struct{}

func (logTicks125) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			if x := m * math.Pow(10, e); x >= lo && x <= hi {
				t = append(t, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)})
			}
		}
	}
	return t
}

func checkPlotName(name string) error {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".svg", ".png":
		return nil
	}
	return fmt.Errorf("-plot %s: the name must end in .svg or .png", name)
}

// plotKernels are the kernels to plot, in result order: those measured in
// ns/element (not the GFLOP/s matrix cases) at two row lengths or more, or,
// when none is, every such kernel.
func plotKernels(rep report) []string {
	lens := map[string]map[int]bool{}
	var order []string
	for _, r := range rep.Results {
		if r.GFLOPs > 0 || r.Error != "" || r.NsPerElem <= 0 || !slices.Contains(allImpls, r.Impl) {
			continue
		}
		if lens[r.Kernel] == nil {
			lens[r.Kernel] = map[int]bool{}
			order = append(order, r.Kernel)
		}
		lens[r.Kernel][r.RowLen] = true
	}
	var multi []string
	for _, k := range order {
		if len(lens[k]) > 1 {
			multi = append(multi, k)
		}
	}
	if len(multi) > 0 {
		return multi
	}
	return order
}

// writePlot draws one panel per kernel: ns/element (log) against row length
// (log), one line per implementation, and writes it as SVG or PNG.
func writePlot(name string, rep report) error {
	if err := checkPlotName(name); err != nil {
		return err
	}
	kernels := plotKernels(rep)
	if len(kernels) == 0 {
		return fmt.Errorf("-plot: no ns/element results to plot")
	}
	cols := min(2, len(kernels))
	rows := (len(kernels) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for i := range plots {
		plots[i] = make([]*plot.Plot, cols)
	}
	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = 10
	legend.ThumbnailWidth = 0.35 * vg.Inch
	legend.Top, legend.Left = true, true
	inLegend := map[string]bool{}
	for i, k := range kernels {
		p, err := kernelPlot(rep, k, &legend, inLegend)
		if err != nil {
			return err
		}
		plots[i/cols][i%cols] = p
	}
	const legendW, titleH = 1.4 * vg.Inch, 0.4 * vg.Inch
	w, h := vg.Length(cols)*5*vg.Inch+legendW, vg.Length(rows)*3.4*vg.Inch+titleH
	var dc draw.Canvas
	var write func(f *os.File) error
	if strings.EqualFold(filepath.Ext(name), ".svg") {
		cv := vgsvg.New(w, h)
		dc = draw.New(cv)
		write = func(f *os.File) error { _, err := cv.WriteTo(f); return err }
	} else {
		cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))
		dc = draw.New(cv)
		write = func(f *os.File) error { _, err := vgimg.PngCanvas{Canvas: cv}.WriteTo(f); return err }
	}
	title := fmt.Sprintf("simdloss bench: %s, %s, GOMAXPROCS=%d (median ns/element, lower is better)", rep.Meta.CPU, rep.Meta.Go, rep.Meta.GOMAXPROCS)
	titleFont := plot.DefaultFont
	titleFont.Size = 11
	sty := draw.TextStyle{Color: color.Black, Font: titleFont, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	dc.FillText(sty, vg.Point{X: w / 2, Y: h - 0.1*vg.Inch}, title)
	legend.Draw(draw.Crop(dc, w-legendW+0.1*vg.Inch, 0, 0, -titleH-0.1*vg.Inch))
	body := draw.Crop(dc, 0, -legendW, 0, -titleH)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 0.3 * vg.Inch, PadY: 0.3 * vg.Inch,
		PadTop: 0.1 * vg.Inch, PadBottom: 0.1 * vg.Inch, PadLeft: 0.1 * vg.Inch, PadRight: 0.2 * vg.Inch}
	canvases := plot.Align(plots, tiles, body)
	for j := range plots {
		for i, p := range plots[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func kernelPlot(rep report, kernel string, legend *plot.Legend, inLegend map[string]bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = kernel
	p.X.Label.Text = "row length (cols or dim)"
	p.Y.Label.Text = "ns/element"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	var lens valueTicks
	for _, r := range rep.Results {
		if r.Kernel == kernel && !slices.Contains(lens, float64(r.RowLen)) {
			lens = append(lens, float64(r.RowLen))
		}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = lens, logTicks125{}
	p.Add(plotter.NewGrid())
	for _, name := range allImpls {
		var xy plotter.XYs
		for _, r := range rep.Results {
			if r.Kernel == kernel && r.Impl == name && r.Error == "" && r.NsPerElem > 0 {
				xy = append(xy, plotter.XY{X: float64(r.RowLen), Y: r.NsPerElem})
			}
		}
		if len(xy) == 0 {
			continue
		}
		slices.SortFunc(xy, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		c := implColors[name]
		line.Color, points.Color = c, c
		line.Width = vg.Points(1.5)
		if name == implSimdloss {
			line.Width = vg.Points(3)
		}
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		if !inLegend[name] {
			inLegend[name] = true
			legend.Add(name, line, points)
		}
	}
	return p, nil
}
