package main

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

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
