package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

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
	for i, k := range kernels {
		p, err := kernelPlot(rep, k, i == 0)
		if err != nil {
			return err
		}
		plots[i/cols][i%cols] = p
	}
	w, h := vg.Length(cols)*5*vg.Inch, vg.Length(rows)*3.4*vg.Inch+0.4*vg.Inch
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
	body := draw.Crop(dc, 0, 0, 0, -0.4*vg.Inch)
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

func kernelPlot(rep report, kernel string, legend bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = kernel
	p.X.Label.Text = "row length (cols or dim)"
	p.Y.Label.Text = "ns/element"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = 8
	p.Legend.ThumbnailWidth = 0.25 * vg.Inch
	for idx, name := range allImpls {
		var xy plotter.XYs
		for _, r := range rep.Results {
			if r.Kernel == kernel && r.Impl == name && r.Error == "" && r.NsPerElem > 0 {
				xy = append(xy, plotter.XY{X: float64(r.RowLen), Y: r.NsPerElem})
			}
		}
		if len(xy) == 0 {
			continue
		}
		slices.SortFunc(xy, func(a, b plotter.XY) int {
			switch {
			case a.X < b.X:
				return -1
			case a.X > b.X:
				return 1
			}
			return 0
		})
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(idx)
		line.Width = vg.Points(1.5)
		if name == implSimdloss {
			line.Width = vg.Points(2.5)
		}
		points.Color = plotutil.Color(idx)
		points.Shape = plotutil.Shape(idx)
		p.Add(line, points)
		if legend {
			p.Legend.Add(name, line, points)
		}
	}
	return p, nil
}
