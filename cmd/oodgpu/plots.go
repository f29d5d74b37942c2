package main

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/oodgpu/oodgpu/ood"
)

type rocCurve struct {
	label   string
	in, out []float64
}

// plotROCs draws ROC curves into a PNG.
func plotROCs(path, title string, curves []rocCurve) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "false-positive rate"
	p.Y.Label.Text = "true-positive rate"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Legend.Top, p.Legend.Left = false, false
	for i, c := range curves {
		fpr, tpr := ood.ROC(c.in, c.out)
		pts := make(plotter.XYs, len(fpr))
		for k := range fpr {
			pts[k].X, pts[k].Y = fpr[k], tpr[k]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Dashes = plotutil.Dashes(i % 2)
		l.Color = plotutil.Color(i / 2)
		p.Add(l)
		auc, err := ood.Evaluate(c.in, c.out)
		if err != nil {
			return err
		}
		p.Legend.Add(fmt.Sprintf("%s (AUROC %.3f)", c.label, auc.AUROC), l)
	}
	return p.Save(9*vg.Inch, 7*vg.Inch, path)
}

// plotHistograms draws normalized histograms of NLL (bits/dim) per data set, as the paper's
// Figure 2.
func plotHistograms(path string, order []string, values map[string][]float64) error {
	p := plot.New()
	p.Title.Text = "Negative log-likelihood (bits/dim)"
	p.X.Label.Text = "bits/dim"
	p.Y.Label.Text = "density"
	for i, name := range order {
		h, err := plotter.NewHist(plotter.Values(values[name]), 40)
		if err != nil {
			return err
		}
		h.Normalize(1)
		c := plotutil.Color(i)
		r, g, b, _ := c.RGBA()
		h.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 90}
		h.LineStyle.Color = c
		p.Add(h)
		p.Legend.Add(name, h)
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}

// plotFeatures draws, for two layers, the histograms of log features in and out of distribution
// and their scatter, side by side (the paper's Figure 4).
func plotFeatures(path string, names []string, pos []int, inName, outName string, in, out [][]float64) error {
	plots := make([][]*plot.Plot, 1)
	for k := 0; k < 2; k++ {
		p := plot.New()
		p.Title.Text = names[k]
		p.X.Label.Text = "log squared gradient norm"
		for i, rows := range [][][]float64{in, out} {
			vals := make(plotter.Values, len(rows))
			for r := range rows {
				vals[r] = rows[r][pos[k]]
			}
			h, err := plotter.NewHist(vals, 30)
			if err != nil {
				return err
			}
			h.Normalize(1)
			h.LineStyle.Color = plotutil.Color(i)
			h.FillColor = nil
			p.Add(h)
			p.Legend.Add([]string{inName, outName}[i], h)
		}
		plots[0] = append(plots[0], p)
	}
	sc := plot.New()
	sc.Title.Text = "scatter"
	sc.X.Label.Text, sc.Y.Label.Text = names[0], names[1]
	for i, rows := range [][][]float64{in, out} {
		pts := make(plotter.XYs, len(rows))
		for r := range rows {
			pts[r].X, pts[r].Y = rows[r][pos[0]], rows[r][pos[1]]
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.GlyphStyle.Color = plotutil.Color(i)
		s.GlyphStyle.Radius = vg.Points(1.5)
		sc.Add(s)
		sc.Legend.Add([]string{inName, outName}[i], s)
	}
	plots[0] = append(plots[0], sc)
	return saveTiles(path, plots, 15*vg.Inch, 4.5*vg.Inch)
}

// saveTiles lays plots out in a grid and writes a PNG.
func saveTiles(path string, plots [][]*plot.Plot, w, h vg.Length) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, t, dc)
	for r := range plots {
		for c := range plots[r] {
			plots[r][c].Draw(canvases[r][c])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// grid adapts a square matrix to plotter.GridXYZ.
type grid [][]float64

func (g grid) Dims() (c, r int)   { return len(g), len(g) }
func (g grid) Z(c, r int) float64 { return g[len(g)-1-r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// plotMatrix draws a heat map of m (row 0 at the top).
func plotMatrix(path, title string, m [][]float64) error {
	p := plot.New()
	p.Title.Text = title
	h := plotter.NewHeatMap(grid(m), moreland.SmoothBlueRed().Palette(255))
	h.Min, h.Max = -1, 1
	p.Add(h)
	p.X.Label.Text, p.Y.Label.Text = "coordinate", "coordinate (from the top)"
	return p.Save(7*vg.Inch, 6.5*vg.Inch, path)
}

// plotCorrelation draws the mean absolute correlation of log features against layer distance.
func plotCorrelation(path string, corr []float64) error {
	p := plot.New()
	p.Title.Text = "correlation of log features by layer distance"
	p.X.Label.Text = "distance between layers (parameter tensors)"
	p.Y.Label.Text = "mean |Pearson correlation|"
	pts := make(plotter.XYs, len(corr))
	for d, v := range corr {
		pts[d].X, pts[d].Y = float64(d+1), v
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	p.Add(l)
	p.Y.Min = 0
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}
