package app

import (
	"errors"
	"fmt"
	"math"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/scorer"
)

// The representation page's constants.
const (
	// colourGlowID is the model the page runs: the zoo's CIFAR-10 Glow (any colour Glow the
	// server offers when it does not offer that one).
	colourGlowID = "glow-cifar10"
	// paperShiftLo and paperShiftHi are the RGB to HSV shifts the paper reports for the first
	// 20 CIFAR-10 test images, in bits/dim (its Section 2.3 and Figure 3; Appendix B.1, Figure 8).
	paperShiftLo, paperShiftHi = 0.18, 1.76
	// heatClipLo and heatClipHi are the percentiles the heat map's colours span.
	heatClipLo, heatClipHi = 0.02, 0.98
	// featureTolerance is the relative difference below which the features count as equal:
	// far above float32 rounding, far below any change of the model's response.
	featureTolerance = 1e-3
	// reprExample is the example image the page offers (served under ExamplesPrefix).
	reprExample = "colour.png"
)

// RepresentationPage shows, for a colour image, the paper's point about representations with a
// colour Glow: written in HSV instead of RGB, the image gets another likelihood, and the same
// gradient features.
type RepresentationPage struct {
	goapp.Compo

	status       string // what the page is doing, or the last error in a few words
	statusError  bool   // status is an error
	statusDetail string // the error behind status, for a <details>
	eng          *engine
	busy         bool
	pending      *droppedFile // the file dropped while busy, checked next
	dropZone
	result *reprResult
}

// reprResult is one image's check, ready to draw.
type reprResult struct {
	name   string
	image  string // data URL of the image as the model sees it, side x side
	side   int
	heat   string // data URL of the per-pixel log2 |det dT/dx|, clipped to [lo, hi]
	lo, hi float64
	check  scorer.HSVCheck
	millis float64
	where  string // where it ran: ranInWorker or ranInPage
}

// OnMount loads the colour Glow; the page's handlers only exist once the app runs.
func (p *RepresentationPage) OnMount(ctx goapp.Context) {
	p.status = "Loading the colour model…"
	ctx.Async(func() {
		e, err := loadColourGlow()
		ctx.Dispatch(func(ctx goapp.Context) {
			if err != nil {
				p.setError("Could not load the colour model.", err)
				return
			}
			p.eng = e
			p.status, p.statusError = "Ready: drop a colour image, pick a file or try the example.", false
			whenWarm(ctx, e, func(err error) {
				if p.eng == e && !p.busy {
					p.eng = nil
					p.setError("Could not load the colour model.", err)
				}
			})
		})
	})
}

// loadColourGlow loads the CIFAR-10 Glow, or another colour Glow of the server's list.
func loadColourGlow() (*engine, error) {
	list, err := loadModels()
	if err != nil {
		return nil, err
	}
	id := ""
	for _, m := range list {
		if m.Kind == "glow" && m.Channels == 3 && (id == "" || m.ID == colourGlowID) {
			id = m.ID
		}
	}
	if id == "" {
		return nil, errors.New("this server offers no colour Glow (the model zoo's glow-cifar10)")
	}
	return loadEngineByID(id)
}

func (p *RepresentationPage) setError(msg string, err error) {
	p.status, p.statusError, p.statusDetail = msg, true, ""
	if err != nil {
		p.statusDetail = err.Error()
	}
}

// Render draws the page.
func (p *RepresentationPage) Render() goapp.UI {
	return goapp.Div().Class("page repr").Body(
		nav(RepresentationRoute),
		goapp.H1().Text("Change how colours are written: the likelihood moves, the gradient features do not"),
		goapp.P().Class("lead").Text("The same picture can be written as RGB (red, green, blue) or as HSV (hue, "+
			"saturation, value). Both hold exactly the same information, yet a density model gives them different "+
			"likelihoods, because turning RGB into HSV stretches some colours and squeezes others. The detector of "+
			"this app does not rely on the likelihood: it looks at how strongly each layer of the model reacts to the "+
			"image (the sizes of its gradients), and those do not depend on how the colours are written. Drop a "+
			"colour image to see both."),
		p.modelLine(),
		goapp.Div().Class("examples").Body(
			goapp.Span().Class("examples-label").Text("Example:"),
			goapp.Button().Type("button").ID("example").Class("example").Disabled(p.eng == nil).
				OnClick(p.onExample).Body(
				goapp.Img().Src(ExamplesPrefix+reprExample).Role("presentation"), // the button's text names it
				goapp.Text("a colour picture"),
			),
		),
		goapp.Label().ID("drop").Class(p.dropClass()).
			OnDragEnter(p.onDragOver).OnDragOver(p.onDragOver).OnDragLeave(p.onDragLeave).OnDrop(p.onDrop).
			Body(
				goapp.Span().Text("Drop a colour PNG, JPEG or GIF image here, or click to pick one"),
				goapp.Input().ID("files").Type("file").Accept("image/*").OnChange(p.onPick),
			),
		backendLine(p.eng),
		goapp.Div().Class("status-bar").Body(
			goapp.If(p.busy, func() goapp.UI { return goapp.Span().Class("spinner").Aria("hidden", "true") }),
			goapp.P().ID("status").Class(map[bool]string{true: "status error", false: "status"}[p.statusError]).
				Aria("live", "polite").Text(p.status),
			goapp.If(p.statusDetail != "", func() goapp.UI {
				return goapp.Details().Class("detail").Body(goapp.Summary().Text("Details"), goapp.Code().Text(p.statusDetail))
			}),
		),
		goapp.If(p.result != nil, func() goapp.UI { return p.view() }),
		p.howToRead(),
	)
}

// modelLine says which model the page runs and what it was trained on.
func (p *RepresentationPage) modelLine() goapp.UI {
	if p.eng == nil {
		return goapp.P().ID("model-about").Class("note").Text("Model: a Glow trained on CIFAR-10 (loading).")
	}
	i := p.eng.info
	return goapp.P().ID("model-about").Class("note").Text(fmt.Sprintf("Model: a Glow trained on %s. Images are "+
		"brought to %dx%d colour pixels, as the model sees them.", i.TrainedOn, i.Width, i.Height))
}

// view draws the result: the image, the heat map with its colour bar, and the numbers.
func (p *RepresentationPage) view() goapp.UI {
	r := p.result
	c := r.check
	side := r.side
	return goapp.Section().ID("representation").Aria("label", "Result for "+r.name).DataSet("ms", fmt.Sprintf("%.0f", r.millis)).
		DataSet("where", r.where).Body(
		goapp.H2().Text(r.name),
		goapp.Div().Class("pair").Body(
			goapp.Figure().Body(
				goapp.Img().Class("big").Src(r.image).Alt("%s", fmt.Sprintf("%s at %dx%d, as the model sees it", r.name, side, side)),
				goapp.FigCaption().Text(fmt.Sprintf("The image as the model sees it (%dx%d).", side, side)),
			),
			goapp.Figure().ID("heat").Body(
				goapp.Img().Class("big").Src(r.heat).Alt("%s", fmt.Sprintf("Heat map: how much each pixel's likelihood "+
					"changes from RGB to HSV, %.2f to %.2f bits", r.lo, r.hi)),
				goapp.Div().ID("colourbar").Class("colourbar").Body(
					goapp.Img().Src(colourBarURL).Alt("%s", fmt.Sprintf("Colour scale: dark blue at %.2f to yellow at %.2f", r.lo, r.hi)),
					goapp.Div().Class("ticks").Aria("hidden", "true").Body(
						goapp.Span().Text(fmt.Sprintf("%.2f", r.lo)),
						goapp.Span().Text(fmt.Sprintf("%.2f", (r.lo+r.hi)/2)),
						goapp.Span().Text(fmt.Sprintf("%.2f", r.hi)),
					),
				),
				goapp.FigCaption().Text(fmt.Sprintf("Per pixel: the bits its likelihood loses when written in HSV "+
					"(log2 |det dT/dx|). Yellow: loses most (dark or dull colours); dark blue: least or gains (bright, "+
					"vivid colours). The colours span the 2nd to 98th percentile, %.2f to %.2f; pixels beyond take the "+
					"end colours.", r.lo, r.hi)),
			),
		),
		goapp.Table().ID("numbers").Class("numbers").Body(
			goapp.Caption().Text(fmt.Sprintf("The same image, the same model (%d layers), two ways of writing its colours", len(c.Layers))),
			goapp.TBody().Body(
				p.numberRow("nll-rgb", "NLL as RGB", fmt.Sprintf("%.6g", c.NLLRGB), fmt.Sprintf("%.4f bits/dim", c.NLLRGB),
					"the image's negative log-likelihood per value, written in RGB; lower = more likely."),
				p.numberRow("nll-hsv", "NLL as HSV", fmt.Sprintf("%.6g", c.NLLHSV), fmt.Sprintf("%.4f bits/dim", c.NLLHSV),
					"the same image written in HSV, under the same model."),
				p.numberRow("shift", "Shift, HSV minus RGB", fmt.Sprintf("%.6g", c.Shift), fmt.Sprintf("%+.3f bits/dim", c.Shift),
					shiftMeaning(c.Shift)),
				p.invarianceRow(c),
			),
		),
		goapp.P().ID("meaning").Class("meaning").Text(meaning(c)),
	)
}

// numberRow is one row of the numbers table: the value in a cell with the given id (and its
// exact value as data-value), and what it means.
func (p *RepresentationPage) numberRow(id, label, exact, value, means string) goapp.UI {
	return goapp.Tr().ID(id+"-row").Body(
		goapp.Th().Scope("row").Text(label),
		goapp.Td().ID(id).Class("num").DataSet("value", exact).Text(value),
		goapp.Td().Class("means").Text(means),
	)
}

// invarianceRow is the check's verdict: the largest relative difference of the features.
func (p *RepresentationPage) invarianceRow(c scorer.HSVCheck) goapp.UI {
	equal := c.MaxRelDiff < featureTolerance
	value := fmt.Sprintf("%.1e", c.MaxRelDiff)
	if c.MaxRelDiff == 0 {
		value = "0"
	}
	verdict := "equal"
	if !equal {
		verdict = "not equal"
	}
	means := fmt.Sprintf("largest relative difference between the %d features as RGB and as HSV: below %g, so "+
		"equal to float32 precision. The log-determinant added in HSV does not depend on the model's parameters, "+
		"so its gradient is zero (the paper's Proposition 1).", len(c.Layers), featureTolerance)
	if !equal {
		means = fmt.Sprintf("largest relative difference between the %d features (at %s): above %g, more than "+
			"float32 rounding explains. This should not happen; please report it.", len(c.Layers), c.WorstLayer, featureTolerance)
	}
	class := "num"
	if !equal {
		class += " error"
	}
	return goapp.Tr().ID("invariance").Class(map[bool]string{true: "equal", false: "differ"}[equal]).Body(
		goapp.Th().Scope("row").Text("Gradient features, RGB vs HSV"),
		goapp.Td().ID("maxreldiff").Class(class).DataSet("value", fmt.Sprintf("%.3g", c.MaxRelDiff)).Body(
			goapp.Text(value), goapp.Span().Class("verdict").Text(verdict)),
		goapp.Td().Class("means").Text(means),
	)
}

// shiftMeaning places a shift beside the paper's range.
func shiftMeaning(shift float64) string {
	where := "inside"
	switch {
	case shift < paperShiftLo:
		where = "below"
	case shift > paperShiftHi:
		where = "above"
	}
	sign := "Positive: less likely in HSV."
	if shift < 0 {
		sign = "Negative: more likely in HSV."
	}
	return fmt.Sprintf("%s This image is %s the %.2f to %.2f bits/dim the paper reports for 20 CIFAR-10 test images "+
		"(its Figure 3).", sign, where, paperShiftLo, paperShiftHi)
}

// meaning sums the result up in a sentence or two.
func meaning(c scorer.HSVCheck) string {
	dir := "less"
	if c.Shift < 0 {
		dir = "more"
	}
	s := fmt.Sprintf("Written in HSV, this image looks %s likely to the model by %.3f bits per value, only because "+
		"its colours are written differently. ", dir, math.Abs(c.Shift))
	if c.MaxRelDiff < featureTolerance {
		return s + fmt.Sprintf("Its %d gradient features are the same either way, so a detector built on them "+
			"gives the same answer in both representations.", len(c.Layers))
	}
	return s + "Its gradient features differ, which the theory rules out: something is wrong."
}

// howToRead explains the page's numbers and cites the paper.
func (p *RepresentationPage) howToRead() goapp.UI {
	return goapp.Section().ID("how").Class("how").Body(
		goapp.H2().Text("How to read this"),
		goapp.Ul().Body(
			goapp.Li().Body(goapp.Strong().Text("Bits/dim"), goapp.Text(": the negative log-likelihood divided by "+
				"the number of values (32 × 32 pixels × 3 colours); lower = more likely under the model.")),
			goapp.Li().Body(goapp.Strong().Text("Shift"), goapp.Text(": bits/dim as HSV minus bits/dim as RGB. It "+
				"depends on the image alone, not on the model: it is the average of how much the conversion stretches "+
				"the colour space at each pixel (log2 |det dT/dx|, in bits per value).")),
			goapp.Li().Body(goapp.Strong().Text("Heat map"), goapp.Text(": that stretch pixel by pixel. Dark and dull "+
				"pixels are stretched most, because their hue is barely defined. The colours span the 2nd to 98th "+
				"percentile, so a few extreme pixels do not wash out the rest; the bar below the map gives the values.")),
			goapp.Li().Body(goapp.Strong().Text("Gradient features"), goapp.Text(": for each of the model's layers "+
				"(parameter tensors), the squared size of the gradient of the log-likelihood: the numbers the detector "+
				"scores. Both versions are computed at the same pixel values, so the difference is zero up to rounding. "+
				"Grey images are refused: a grey pixel has no hue, so the conversion to HSV breaks down there.")),
		),
		goapp.P().Class("note").Body(
			goapp.Text("Both versions use the same random dequantization of the pixels as the score page (seed 1); "+
				"the paper adds Gaussian noise instead, so its shift for the same image differs slightly. From "),
			goapp.Em().Text(paperTitle),
			goapp.Text(": Section 2.3 and Figure 3 (the shift; Appendix B.1 and Figure 8 give its range over the first 20 "+
				"CIFAR-10 test images) and Section 2.4 with Proposition 1 (the gradient does not change). Source code: "),
			goapp.A().Href(repoURL).Text("github.com/oodgpu/oodgpu"), goapp.Text("."),
		),
	)
}

func (p *RepresentationPage) onDrop(ctx goapp.Context, e goapp.Event) {
	p.check(ctx, p.dropped(e))
}

func (p *RepresentationPage) onPick(ctx goapp.Context, _ goapp.Event) {
	p.check(ctx, picked(ctx))
}

func (p *RepresentationPage) onExample(ctx goapp.Context, _ goapp.Event) {
	p.check(ctx, []droppedFile{{name: reprExample, url: ExamplesPrefix + reprExample}})
}

// check runs the first of files, or keeps it for when the running check ends.
func (p *RepresentationPage) check(ctx goapp.Context, files []droppedFile) {
	if len(files) == 0 {
		return
	}
	f := files[0]
	if p.eng == nil {
		p.setError("The model is not loaded yet: try again in a moment.", nil)
		return
	}
	if p.busy {
		p.pending = &f
		p.status = fmt.Sprintf("Still checking the previous image; %s will be checked next.", f.name)
		return
	}
	p.busy, p.statusError, p.statusDetail = true, false, ""
	where := p.eng.x.where()
	p.status = fmt.Sprintf("Checking %s on %s: both likelihoods and both sets of gradient features…", f.name, where)
	e := p.eng
	ctx.Async(func() {
		// Let the browser paint the status before the check occupies it (when the models run on
		// the page's thread, the worker having failed).
		time.Sleep(20 * time.Millisecond)
		start := time.Now()
		r, msg, err := analyse(e, f)
		ctx.Dispatch(func(ctx goapp.Context) {
			p.busy = false
			if msg != "" {
				p.result = nil // an old result must not stand beside a new error
				p.setError(msg, err)
			} else {
				r.millis = float64(time.Since(start).Milliseconds())
				p.result = r
				p.status = fmt.Sprintf("Checked %s on %s in %.1f s.", f.name, where, r.millis/1000)
			}
			if next := p.pending; next != nil {
				p.pending = nil
				p.check(ctx, []droppedFile{*next})
			}
		})
	})
}

// analyse reads, decodes and checks one file with the colour Glow. A file that cannot be checked
// gets a short message for the user and the error behind it.
func analyse(e *engine, f droppedFile) (*reprResult, string, error) {
	buf, err := f.buffer()
	if err != nil {
		return nil, f.name + " could not be read.", err
	}
	w := e.run(opHSV, f.name, buf)
	var werr error
	if w.Err != "" {
		werr = errors.New(w.Err)
	}
	switch w.Fail {
	case "":
	case failModel:
		return nil, "The colour model could not be loaded.", werr
	case failDecode:
		return nil, f.name + ": " + w.Problem + ".", werr
	case failGrey:
		return nil, f.name + " is a grey image: grey pixels have no hue, so the change to HSV does not apply. Pick a colour image.", werr
	default:
		return nil, "The check of " + f.name + " failed.", werr
	}
	c := *w.HSV
	for _, v := range []float64{c.NLLRGB, c.NLLHSV, c.Shift, c.MaxRelDiff} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, "The likelihood of " + f.name + " is not a finite number.",
				fmt.Errorf("NLL %g (RGB), %g (HSV), shift %g, features' difference %g", c.NLLRGB, c.NLLHSV, c.Shift, c.MaxRelDiff)
		}
	}
	r := &reprResult{name: f.name, check: c, side: w.Shape.W, image: w.Thumb, where: w.Where}
	r.lo, r.hi = percentile(c.PixelLogDet, heatClipLo), percentile(c.PixelLogDet, heatClipHi)
	r.heat = pngDataURL(clippedHeatMap(c.PixelLogDet, c.Size, c.Size, r.lo, r.hi))
	return r, "", nil
}

// colourBarURL is the heat map's colour bar as a data URL.
var colourBarURL = pngDataURL(colourBar())
