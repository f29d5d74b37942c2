package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/scorer"
)

// ScorePage scores the images a user drops or picks.
type ScorePage struct {
	goapp.Compo

	status  string // what the page is doing, or the last error
	backend string
	fitData string
	layers  []string
	results []imageResult
	busy    bool
}

// imageResult is one dropped file and its score or the reason it has none.
type imageResult struct {
	name   string
	thumb  string // data URL of the image as the model sees it
	row    *scorer.Row
	err    string
	millis float64 // from the start of navigation to this result (performance.now)
}

// OnMount starts loading the model and the executor.
func (p *ScorePage) OnMount(ctx goapp.Context) {
	p.status = "Loading the model…"
	ctx.Async(func() {
		e, err := loadEngine()
		ctx.Dispatch(func(ctx goapp.Context) {
			if err != nil {
				p.status = "Could not load the model: " + err.Error()
				return
			}
			p.backend = e.backend
			if det, err := e.model.Detector(1); err == nil {
				p.fitData = det.FitData
			}
			p.layers, _ = e.model.ZLayers(1)
			p.status = "Ready: drop images or pick files."
		})
	})
}

// Render draws the page.
func (p *ScorePage) Render() goapp.UI {
	return goapp.Div().Class("page").Body(
		nav(ScoreRoute),
		goapp.H1().Text("Is this image out of distribution?"),
		goapp.P().Text("oodgpu scores each image with a Glow trained on FashionMNIST: its likelihood (NLL in "+
			"bits/dim) and the paper's gradient score, the density of its layer-wise squared gradient norms "+
			"under a Gaussian fitted on held-out FashionMNIST images. Images are turned grey and "+
			"brought to 28x28."),
		goapp.Label().ID("drop").Class("drop").
			OnDragOver(preventDefault).
			OnDrop(p.onDrop).
			Body(
				goapp.Text("Drop PNG, JPEG or GIF images here, or click to pick files"),
				goapp.Input().ID("files").Type("file").Accept("image/*").Multiple(true).OnChange(p.onPick),
			),
		goapp.P().ID("backend").Class("backend").Text(orDash("Backend: ", p.backend)),
		goapp.P().ID("status").Class("status").Text(p.status),
		goapp.If(len(p.results) > 0, func() goapp.UI { return p.table() }),
		goapp.P().Class("note").Text(orDash("Detector fitted on ", p.fitData)+". Verdict: OOD when the score "+
			"is above the threshold that keeps 95% of the fit images."),
	)
}

func orDash(prefix, s string) string {
	if s == "" {
		return prefix + "–"
	}
	return prefix + s
}

func (p *ScorePage) table() goapp.UI {
	return goapp.Table().ID("results").Body(
		goapp.THead().Body(goapp.Tr().Body(
			goapp.Th().Text("image"), goapp.Th().Text("as scored"), goapp.Th().Text("NLL (bits/dim)"),
			goapp.Th().Text("gradient score"), goapp.Th().Text("percentile"), goapp.Th().Text("verdict"),
			goapp.Th().Text("per-layer z-scores"),
		)),
		goapp.TBody().Body(goapp.Range(p.results).Slice(func(i int) goapp.UI {
			r := p.results[i]
			tr := goapp.Tr().Class("result").DataSet("name", r.name).DataSet("ms", fmt.Sprintf("%.0f", r.millis))
			if r.row == nil {
				return tr.DataSet("error", r.err).Body(
					goapp.Td().Text(r.name), goapp.Td(), goapp.Td().ColSpan(5).Class("error").Text(r.err))
			}
			row := r.row
			verdict := row.Verdict
			if row.Invalid != "" {
				verdict += " (" + row.Invalid + ")"
			}
			return tr.DataSet("nll", fmt.Sprintf("%.9g", row.NLL)).DataSet("score", fmt.Sprintf("%.9g", row.Score)).
				DataSet("verdict", row.Verdict).Body(
				goapp.Td().Text(r.name),
				goapp.Td().Body(goapp.Img().Class("thumb").Src(r.thumb).Alt("as scored")),
				goapp.Td().Text(fmt.Sprintf("%.3f", row.NLL)),
				goapp.Td().Text(fmt.Sprintf("%.1f", row.Score)),
				goapp.Td().Text(fmt.Sprintf("%.1f", row.Percentile)),
				goapp.Td().Class(strings.ReplaceAll(strings.ToLower(row.Verdict), " ", "-")).Text(verdict),
				goapp.Td().Body(goapp.Raw(zBars(row.ZScores, p.layers))),
			)
		})),
	)
}

func (p *ScorePage) onDrop(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	p.score(ctx, filesOf(e.Get("dataTransfer").Get("files")))
}

func (p *ScorePage) onPick(ctx goapp.Context, _ goapp.Event) {
	p.score(ctx, filesOf(ctx.JSSrc().Get("files")))
}

// score reads, decodes and scores files one by one, showing each result as it comes.
func (p *ScorePage) score(ctx goapp.Context, files []droppedFile) {
	if len(files) == 0 {
		return
	}
	if p.busy {
		p.status = "Still scoring the last images; drop these again when it is done."
		return
	}
	p.busy = true
	p.status = fmt.Sprintf("Scoring %d image(s)…", len(files))
	ctx.Async(func() {
		defer ctx.Dispatch(func(ctx goapp.Context) { p.busy = false })
		e, err := loadEngine()
		if err != nil {
			ctx.Dispatch(func(ctx goapp.Context) { p.status = "Could not load the model: " + err.Error() })
			return
		}
		for i, f := range files {
			// Let the browser paint the previous result before the next one occupies it.
			time.Sleep(20 * time.Millisecond)
			r := scoreFile(e, f)
			r.millis = goapp.Window().Get("performance").Call("now").Float()
			ctx.Dispatch(func(ctx goapp.Context) {
				p.results = append(p.results, r)
				p.status = fmt.Sprintf("Scored %d of %d on %s.", i+1, len(files), shortBackend(e))
			})
		}
	})
}

func shortBackend(e *engine) string {
	if e.gpu {
		return "WebGPU"
	}
	return "the CPU"
}

// scoreFile scores one file; a file that is not a usable image gets the reason instead.
func scoreFile(e *engine, f droppedFile) imageResult {
	r := imageResult{name: f.name}
	b, err := f.read()
	if err != nil {
		r.err = "not scored: " + err.Error()
		return r
	}
	shape := e.model.ImageShape()
	pix, _, err := data.DecodeImage(b, shape)
	if err != nil {
		r.err = "not scored: not a usable image: " + err.Error()
		return r
	}
	set := &data.Set{Name: f.name, Shape: shape, N: 1, Pix: pix}
	r.thumb = pngDataURL(greyImage(pix, shape.W, shape.H))
	rows, err := e.model.Score(context.Background(), e.exec, set, []string{f.name}, 1, Seed, nil)
	if err != nil {
		r.err = "scoring failed: " + err.Error()
		return r
	}
	r.row = &rows[0]
	return r
}

// nav links the app's pages.
func nav(current string) goapp.UI {
	link := func(route, text string) goapp.UI {
		a := goapp.A().Href(route).Text(text)
		if route == current {
			a = a.Class("current")
		}
		return a
	}
	return goapp.Nav().Body(
		goapp.Span().Class("brand").Text("oodgpu"),
		link(ScoreRoute, "Score images"),
		link(RepresentationRoute, "Representation demo"),
	)
}
