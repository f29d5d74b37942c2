package app

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"math"
	"net/url"
	"strings"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/scorer"
)

// Paper and repository the page cites.
const (
	paperTitle = "Approximations to the Fisher Information Metric of Deep Generative Models for Out-Of-Distribution Detection"
	repoURL    = "https://github.com/oodgpu/oodgpu"
)

// example is one of the images a user can score with one click.
type example struct {
	file, label string
}

// examples are served under ExamplesPrefix (app/static/examples).
var examples = []example{
	{"fashionmnist-test-0.png", "a shoe (FashionMNIST)"},
	{"fashionmnist-test-1.png", "a pullover (FashionMNIST)"},
	{"mnist-test-1.png", "a digit (MNIST)"},
	{"noise.png", "noise"},
	{"colour.png", "a colour picture"},
}

// rowsPerFrame is how many rows the results table gains a frame.
const rowsPerFrame = 10

// Row states of an imageResult.
const (
	waiting = "waiting"
	scoring = "scoring"
	scored  = "scored"
	failed  = "failed"
)

// ScorePage scores the images a user drops, picks or chooses among the examples.
type ScorePage struct {
	goapp.Compo

	status       string // what the page is doing, or the last error
	statusDetail string // the error behind status, if any, for a <details>
	models       []ModelInfo
	modelID      string  // the chosen model
	eng          *engine // the chosen model, once loaded
	dropZone

	// results are the rows of the table, each replaced rather than changed in place (update),
	// so that go-app sees which rows changed. The table shows the first shown of them: files
	// dropped at once get their rows rowsPerFrame a frame (showRows), so that many files do not
	// hold up the page's thread; showing says that more are on their way.
	results []*imageResult
	shown   int
	showing bool
	nextID  int
	queue   []job
	working bool
	// counts of the current run: from the first file queued while idle to the queue's end
	total, done, bad int
	// csv is the Download CSV link's data URL (csvURL), drawn when a row is added or ends
	// rather than at every render.
	csv string
}

// imageResult is one file and its score or the reason it has none.
type imageResult struct {
	id    int
	name  string
	model ModelInfo
	state string
	thumb string // data URL of the image as the model sees it
	row   *scorer.Row
	// chart is the per-layer chart (zBars), targets its layers' names (zTargets) and largest
	// the layers with the largest |z|, drawn where the row was scored (workResult).
	chart, targets string
	largest        []string
	err            string  // a short message for the user
	detail         string  // the error behind it
	millis         float64 // when it ended, in ms from the page's start
	where          string  // where it ran: ranInWorker or ranInPage
}

// job is a file waiting to be scored with a model.
type job struct {
	id      int
	file    droppedFile
	modelID string
}

// OnMount loads the model list and the chosen model (?model=ID, or the server's default).
func (p *ScorePage) OnMount(ctx goapp.Context) {
	p.status = "Loading the model…"
	p.modelID = goapp.Window().URL().Query().Get("model")
	ctx.Async(func() {
		list, err := loadModels()
		ctx.Dispatch(func(ctx goapp.Context) {
			if err != nil {
				p.setError("Could not load the model list.", err)
				return
			}
			p.models = list
			p.loadModel(ctx)
		})
	})
}

// loadModel loads p.modelID (the default when empty or unknown) and says when it is ready.
func (p *ScorePage) loadModel(ctx goapp.Context) {
	id := p.modelID
	if !p.hasModel(id) {
		id = ""
	}
	p.eng = nil
	p.status, p.statusDetail = "Loading the model…", ""
	ctx.Async(func() {
		e, err := loadEngineByID(id)
		ctx.Dispatch(func(ctx goapp.Context) {
			if err != nil {
				p.setError("Could not load the model.", err)
				return
			}
			p.eng, p.modelID = e, e.info.ID
			if !p.working {
				p.status = "Ready: drop images, pick files or try an example."
			}
			whenWarm(ctx, e, func(err error) {
				if p.eng == e && !p.working {
					p.eng = nil
					p.setError("Could not load the model.", err)
				}
			})
		})
	})
}

func (p *ScorePage) hasModel(id string) bool {
	for _, m := range p.models {
		if m.ID == id {
			return true
		}
	}
	return false
}

func (p *ScorePage) setError(msg string, err error) {
	p.status, p.statusDetail = msg, err.Error()
}

// Render draws the page.
func (p *ScorePage) Render() goapp.UI {
	ready := p.eng != nil
	return goapp.Div().Class("page").Body(
		nav(ScoreRoute),
		goapp.H1().Text("Is this image out of distribution?"),
		goapp.P().Class("lead").Body(
			goapp.Text("Drop an image, or try an example: a generative model scores how unusual it is compared "+
				"with the images the model was trained on. Everything runs in your browser; no image leaves it. "),
			goapp.A().Href("#how").Text("How to read the results"),
			goapp.Text("."),
		),
		p.modelChoice(),
		goapp.Div().Class("examples").Body(
			goapp.Span().Class("examples-label").Text("Examples:"),
			goapp.Range(examples).Slice(func(i int) goapp.UI {
				ex := examples[i]
				return goapp.Button().Type("button").Class("example").DataSet("file", ex.file).Disabled(!ready).
					OnClick(func(ctx goapp.Context, _ goapp.Event) { p.scoreExample(ctx, ex) }).Body(
					// Decorative: the button's text names the example.
					goapp.Img().Src(ExamplesPrefix+ex.file).Attr("role", "presentation"),
					goapp.Text(ex.label),
				)
			}),
		),
		goapp.Label().ID("drop").Class(p.dropClass()).
			OnDragEnter(p.onDragOver).OnDragOver(p.onDragOver).OnDragLeave(p.onDragLeave).
			OnDrop(p.onDrop).
			Body(
				goapp.Span().Text("Drop PNG, JPEG or GIF images here, or click to pick files"),
				goapp.Input().ID("files").Type("file").Accept("image/*").Multiple(true).OnChange(p.onPick),
			),
		backendLine(p.eng),
		goapp.Div().Class("status-bar").Body(
			goapp.P().ID("status").Class("status").Aria("live", "polite").Text(p.status),
			goapp.If(p.working && p.total > 0, func() goapp.UI {
				return goapp.Progress().ID("progress").Max(p.total).Value(p.done+p.bad).
					Aria("label", fmt.Sprintf("%d of %d images done", p.done+p.bad, p.total))
			}),
			goapp.If(p.statusDetail != "", func() goapp.UI {
				return goapp.Details().Class("detail").Body(goapp.Summary().Text("Details"), goapp.Code().Text(p.statusDetail))
			}),
		),
		goapp.If(len(p.results) > 0, func() goapp.UI {
			return goapp.Div().Class("actions").Body(
				goapp.Button().Type("button").ID("clear").Text("Clear").OnClick(p.onClear),
				goapp.A().ID("csv").Class("button").Href(p.csv).Download("oodgpu-scores.csv").Text("Download CSV"),
			)
		}),
		goapp.If(len(p.results) > 0, func() goapp.UI { return p.table() }),
		p.howToRead(),
	)
}

// modelChoice is the model menu with what the chosen model was trained on and fitted on.
func (p *ScorePage) modelChoice() goapp.UI {
	if len(p.models) == 0 {
		return goapp.Div().Class("model")
	}
	var chosen ModelInfo
	for _, m := range p.models {
		if m.ID == p.modelID || (chosen.ID == "" && m.Default) {
			chosen = m
		}
	}
	return goapp.Div().Class("model").Body(
		goapp.Label().For("model").Text("Model"),
		goapp.Select().ID("model").OnChange(p.onModel).Body(
			goapp.Range(p.models).Slice(func(i int) goapp.UI {
				m := p.models[i]
				return goapp.Option().Value(m.ID).Selected(m.ID == chosen.ID).Text(m.Label())
			}),
		),
		goapp.P().ID("model-about").Class("note").Text(fmt.Sprintf("Trained on %s; its detector was fitted on %s. "+
			"Images are brought to %dx%d %s, as the model sees them.", chosen.TrainedOn, chosen.FitData,
			chosen.Width, chosen.Height, map[bool]string{true: "colour", false: "grey"}[chosen.Channels == 3])),
	)
}

// howToRead explains the numbers, with the chosen detector's threshold once it is loaded.
func (p *ScorePage) howToRead() goapp.UI {
	threshold := goapp.Li().ID("threshold").Body(goapp.Strong().Text("Threshold"), goapp.Text(": an image is OOD "+
		"when its score is above the score that 95% of the fit images stay at or below (the detector's "+
		"recall on in-distribution images)."))
	score := goapp.Li().ID("score-means").Body(goapp.Strong().Text("Score"), goapp.Text(": the gradient score, "+
		"how unusual the image's layer-wise gradient norms are, compared with the fit images; higher = more unusual."))
	if p.eng != nil {
		m := p.eng.info
		threshold = goapp.Li().ID("threshold").DataSet("value", fmt.Sprintf("%.9g", m.Threshold)).Body(
			goapp.Strong().Text("Threshold"), goapp.Text(fmt.Sprintf(": an image is OOD when its score is "+
				"above %.1f, the score that %.0f%% of the fit images (%s) stay at or below: the detector keeps "+
				"%.0f%% of in-distribution images (its recall).", m.Threshold, 100*m.Recall, m.FitData, 100*m.Recall)))
		if m.Compressor != "" {
			score = goapp.Li().ID("score-means").DataSet("compressor", m.Compressor).Body(goapp.Strong().Text("Score"),
				goapp.Text(fmt.Sprintf(": two tests joined. The gradient score says how unusual the image's layer-wise "+
					"gradient norms are; the S-score is its NLL minus its length when compressed (%s, bits/dim), high for an "+
					"image that is likely only because it is simple. Each becomes the share of fit images scoring at least "+
					"as high, and the two shares are joined by Fisher's method (-2 times the sum of their logs); higher = "+
					"more unusual. Under the score: its two parts.", m.Compressor)))
		}
	}
	return goapp.Section().ID("how").Class("how").Body(
		goapp.H2().Text("How to read this"),
		goapp.Ul().Body(
			goapp.Li().Body(goapp.Strong().Text("NLL (bits/dim)"), goapp.Text(": the negative log-likelihood per pixel "+
				"value; lower = more likely under the model.")),
			score,
			goapp.Li().Body(goapp.Strong().Text("Percentile"), goapp.Text(": the share of the fit images "+
				"(in-distribution images held out from training) scoring at or below this image; higher = more unusual.")),
			threshold,
			goapp.Li().Body(goapp.Strong().Text("Per-layer chart"), goapp.Text(": one bar per layer, the z-score of its "+
				"log squared gradient norm under the fitted Gaussian; red bars have |z| > 3, dashed lines mark ±3, bars are "+
				"clipped at ±10. Enlarge a chart and hover a bar for the layer's name.")),
		),
		goapp.P().ID("why").Text("Why can a lower NLL still be OOD? Likelihoods favour simple images: under a "+
			"FashionMNIST model, most MNIST digits get a lower NLL than FashionMNIST clothes, yet the score "+
			"flags them: the model's layers respond to them unlike to the images they were fitted on, and they are "+
			"much simpler than clothes, which the S-score accounts for. With "+
			"the default model, try the pullover and the digit: the digit has the lower NLL, and only it is OOD."),
		goapp.P().Class("note").Body(
			goapp.Text("Method: "), goapp.Em().Text(paperTitle), goapp.Text(". Source code: "),
			goapp.A().Href(repoURL).Text("github.com/oodgpu/oodgpu"), goapp.Text("."),
		),
	)
}

func (p *ScorePage) table() goapp.UI {
	return goapp.Table().ID("results").Body(
		goapp.THead().Body(goapp.Tr().Body(
			goapp.Th().Scope("col").Text("verdict"), goapp.Th().Scope("col").Text("image"), goapp.Th().Scope("col").Text("as scored"),
			goapp.Th().Scope("col").Text("NLL (bits/dim)"), goapp.Th().Scope("col").Text(p.scoreHeader()),
			goapp.Th().Scope("col").Text("percentile"), goapp.Th().Scope("col").Text("per-layer z-scores"),
		)),
		goapp.TBody().Body(goapp.Range(p.results[:p.shown]).Slice(func(i int) goapp.UI { return &resultRow{Result: p.results[i]} })),
	)
}

// scoreHeader heads the score column, with the threshold when every row is of the chosen model.
func (p *ScorePage) scoreHeader() string {
	if p.eng == nil {
		return "score"
	}
	for _, r := range p.results {
		if r.model.ID != p.eng.info.ID {
			return "score"
		}
	}
	return fmt.Sprintf("score (OOD above %.1f)", p.eng.info.Threshold)
}

func (p *ScorePage) onModel(ctx goapp.Context, _ goapp.Event) {
	p.modelID = ctx.JSSrc().Get("value").String()
	u := goapp.Window().URL()
	q := u.Query()
	q.Set("model", p.modelID)
	u.RawQuery = q.Encode()
	goapp.Window().Get("history").Call("replaceState", nil, "", u.String())
	p.loadModel(ctx)
}

func (p *ScorePage) onDrop(ctx goapp.Context, e goapp.Event) {
	p.enqueue(ctx, p.dropped(e))
}

func (p *ScorePage) onPick(ctx goapp.Context, _ goapp.Event) {
	p.enqueue(ctx, picked(ctx))
}

func (p *ScorePage) scoreExample(ctx goapp.Context, ex example) {
	p.enqueue(ctx, []droppedFile{{name: ex.file, url: ExamplesPrefix + ex.file}})
}

func (p *ScorePage) onClear(ctx goapp.Context, _ goapp.Event) {
	p.results, p.shown, p.queue = nil, 0, nil
	p.total, p.done, p.bad = 0, 0, 0
	p.csv = p.csvURL()
	p.status, p.statusDetail = "Cleared. Drop images, pick files or try an example.", ""
}

// enqueue adds a placeholder row per file and scores them after those already queued.
func (p *ScorePage) enqueue(ctx goapp.Context, files []droppedFile) {
	if len(files) == 0 {
		return
	}
	if !p.working {
		p.total, p.done, p.bad = 0, 0, 0
	}
	info := p.chosen()
	for _, f := range files {
		p.nextID++
		p.results = append(p.results, &imageResult{id: p.nextID, name: f.name, model: info, state: waiting})
		p.queue = append(p.queue, job{id: p.nextID, file: f, modelID: info.ID})
	}
	p.total += len(files)
	p.csv = p.csvURL()
	p.showRows(ctx)
	p.statusDetail = ""
	if !p.working {
		p.working = true
		p.next(ctx)
	}
	p.updateStatus()
}

// showRows shows the rows of the results not shown yet: rowsPerFrame of them at the next frame,
// not in the task that added them, then as many at each further frame.
func (p *ScorePage) showRows(ctx goapp.Context) {
	if p.showing || p.shown == len(p.results) {
		return
	}
	p.showing = true
	ctx.Async(func() {
		nextFrame()
		ctx.Dispatch(func(ctx goapp.Context) {
			p.showing = false
			p.shown = min(p.shown+rowsPerFrame, len(p.results))
			p.showRows(ctx)
		})
	})
}

// chosen is the chosen model's description.
func (p *ScorePage) chosen() ModelInfo {
	for _, m := range p.models {
		if m.ID == p.modelID {
			return m
		}
	}
	if len(p.models) > 0 {
		return p.models[0]
	}
	return ModelInfo{}
}

// next scores the first queued file, then the next, until the queue is empty. It runs on the
// UI goroutine; the scoring runs asynchronously.
func (p *ScorePage) next(ctx goapp.Context) {
	if len(p.queue) == 0 {
		p.working = false
		p.updateStatus()
		return
	}
	j := p.queue[0]
	p.queue = p.queue[1:]
	p.update(j.id, func(r *imageResult) { r.state = scoring })
	p.updateStatus()
	ctx.Async(func() {
		// Let the browser paint the placeholder before scoring occupies it (when the models run
		// on the page's thread, the worker having failed).
		time.Sleep(20 * time.Millisecond)
		r := scoreJob(j)
		r.millis = now()
		// Update the page in a task of its own, not in the one that received the result.
		time.Sleep(time.Millisecond)
		ctx.Dispatch(func(ctx goapp.Context) {
			if p.update(j.id, func(old *imageResult) { r.id, r.model = old.id, old.model; *old = r }) {
				if r.state == scored {
					p.done++
				} else {
					p.bad++
				}
				p.csv = p.csvURL()
			}
			p.next(ctx)
		})
	})
}

// update replaces the row with the given id by a copy that f changes, and reports whether the
// row is still there (Clear removes rows).
func (p *ScorePage) update(id int, f func(*imageResult)) bool {
	for i, r := range p.results {
		if r.id == id {
			c := *r
			f(&c)
			p.results[i] = &c
			return true
		}
	}
	return false
}

// updateStatus says how far the current run is.
func (p *ScorePage) updateStatus() {
	where := "the CPU"
	if p.eng != nil {
		where = p.eng.x.where()
	}
	switch {
	case p.working:
		p.status = fmt.Sprintf("Scoring image %d of %d on %s…", min(p.done+p.bad+1, p.total), p.total, where)
	case p.total > 0:
		p.status = fmt.Sprintf("Scored %d of %d", p.done, p.total)
		if p.bad > 0 {
			p.status += fmt.Sprintf(", %d failed", p.bad)
		}
		p.status += " on " + where + "."
	}
}

// resultRow is one file's row of the results table: a placeholder while it waits or is scored,
// its score, or why it has none. Each row is a component of its own, so that a result re-renders
// its row alone: go-app updates a component only when the exported fields its parent hands it
// change.
type resultRow struct {
	goapp.Compo
	// Result is the row's file, as the page has it: never changed in place (ScorePage.update), so
	// that comparing the pointer tells go-app whether the row changed.
	Result *imageResult
	// enlarged says whether the enlarged chart of the result with ID of is open, and wide is
	// that chart, drawn when first opened: parsing charts that nobody looks at would hold up the
	// page's thread.
	enlarged bool
	wide     string
	of       int
}

// Render draws the row.
func (c *resultRow) Render() goapp.UI {
	r := c.Result
	name := goapp.Td().Class("name").DataSet("label", "image").Body(
		goapp.Span().Class("file").Text(r.name),
		goapp.Span().Class("model-name").Text(r.model.Label()),
	)
	switch r.state {
	case waiting, scoring:
		return goapp.Tr().Class("pending").DataSet("name", r.name).Body(
			goapp.Td().Class("verdict").Text(r.state+"…"), name,
			goapp.Td().Class("placeholder").ColSpan(5).Body(goapp.If(r.state == scoring, func() goapp.UI {
				return goapp.Span().Class("spinner").Aria("hidden", "true")
			})),
		)
	case failed:
		return goapp.Tr().Class("result failed").DataSet("name", r.name).DataSet("error", r.err).DataSet("ms", fmt.Sprintf("%.0f", r.millis)).
			DataSet("where", r.where).Body(
			goapp.Td().Class("verdict error").Text("not scored"), name,
			goapp.Td().ColSpan(5).Class("error").Body(
				goapp.Span().Class("message").Text(r.err),
				goapp.If(r.detail != "", func() goapp.UI {
					return goapp.Details().Class("detail").Body(goapp.Summary().Text("Details"), goapp.Code().Text(r.detail))
				}),
			),
		)
	}
	row := r.row
	verdict := row.Verdict
	if row.Invalid != "" {
		verdict += " (" + row.Invalid + ")"
	}
	return goapp.Tr().Class("result").DataSet("name", r.name).DataSet("ms", fmt.Sprintf("%.0f", r.millis)).DataSet("where", r.where).
		DataSet("nll", fmt.Sprintf("%.9g", row.NLL)).DataSet("score", fmt.Sprintf("%.9g", row.Score)).
		DataSet("verdict", row.Verdict).Body(
		goapp.Td().Class("verdict "+strings.ReplaceAll(strings.ToLower(row.Verdict), " ", "-")).Text(verdict),
		name,
		goapp.Td().Class("thumb").Body(goapp.Img().Class("thumb").Src(r.thumb).
			Alt(fmt.Sprintf("%s as scored (%dx%d)", r.name, r.model.Width, r.model.Height))),
		goapp.Td().Class("num").DataSet("label", "NLL (bits/dim)").Text(fmt.Sprintf("%.3f", row.NLL)),
		goapp.Td().Class("num score").DataSet("label", "score").Body(
			goapp.Text(fmt.Sprintf("%.1f", row.Score)),
			goapp.If(!math.IsNaN(row.SScore), func() goapp.UI {
				return goapp.Span().Class("parts").Text(fmt.Sprintf("gradient %.1f, S-score %.2f", row.GradientScore, row.SScore))
			}),
		),
		goapp.Td().Class("num").DataSet("label", "percentile").Text(fmt.Sprintf("%.1f", row.Percentile)),
		goapp.Td().Class("chart").Body(c.zChart()),
	)
}

// zChart is a result's per-layer chart: bars filling the cell, a ±3 axis, a legend, the count
// of layers beyond |z| > 3 and the largest, and an enlarged view with one column per layer,
// drawn when opened.
func (c *resultRow) zChart() goapp.UI {
	r := c.Result
	z := r.row.ZScores
	enlarged := c.enlarged && c.of == r.id
	return goapp.Div().Class("zchart").Body(
		goapp.Div().Class("zplot").Body(
			goapp.Div().Class("zaxis").Aria("hidden", "true").Body(
				goapp.Span().Style("top", "0").Text("+10"), goapp.Span().Style("top", "35%").Text("+3"),
				goapp.Span().Style("top", "50%").Text("0"), goapp.Span().Style("top", "65%").Text("−3"),
				goapp.Span().Style("top", "100%").Text("−10"),
			),
			goapp.Raw(r.chart),
		),
		goapp.P().Class("zsummary").Text(zSummary(z)+"; largest: "+strings.Join(r.largest, ", ")+"."),
		goapp.P().Class("zlegend").Body(
			goapp.Span().Class("key red").Aria("hidden", "true"), goapp.Text("|z| > 3 "),
			goapp.Span().Class("key blue").Aria("hidden", "true"), goapp.Text("|z| ≤ 3 "),
			goapp.Span().Class("key dash").Aria("hidden", "true"), goapp.Text("±3"),
		),
		goapp.Details().Class("zbig").Open(enlarged).OnToggle(c.onToggle).Body(
			goapp.Summary().Text("Enlarge"),
			goapp.If(enlarged, func() goapp.UI {
				return goapp.Div().Class("zscroll").TabIndex(0).Role("region").Aria("label", "per-layer z-scores of "+r.name+", enlarged").Body(
					goapp.Raw(fmt.Sprintf(`<div class="zwide" style="width:%dpx">%s</div>`, 6*len(z), c.wide)),
				)
			}),
		),
	)
}

// onToggle opens or closes the enlarged chart as its <details> is, drawing it when first opened.
func (c *resultRow) onToggle(ctx goapp.Context, _ goapp.Event) {
	if c.of != c.Result.id {
		c.of, c.wide = c.Result.id, ""
	}
	c.enlarged = ctx.JSSrc().Get("open").Bool()
	if c.enlarged && c.wide == "" {
		c.wide = wideBars(c.Result.chart, c.Result.targets)
	}
}

// scoreJob reads, decodes and scores one file with its model; a file that cannot be scored
// gets a short reason and the error behind it.
func scoreJob(j job) imageResult {
	r := imageResult{name: j.file.name, state: failed}
	e, err := loadEngineByID(j.modelID)
	if err != nil {
		r.err, r.detail = "The model could not be loaded", err.Error()
		return r
	}
	buf, err := j.file.buffer()
	if err != nil {
		r.err, r.detail = "The file could not be read", err.Error()
		return r
	}
	w := e.run(opScore, j.file.name, buf)
	r.where, r.detail = w.Where, w.Err
	switch w.Fail {
	case "":
	case failModel:
		r.err = "The model could not be loaded"
		return r
	case failDecode:
		r.err = w.Problem
		return r
	default:
		r.err = "Scoring failed"
		return r
	}
	r.fill(w)
	return r
}

// fill takes a scored image's work result into r.
func (r *imageResult) fill(w workResult) {
	r.thumb, r.row, r.chart, r.targets, r.largest, r.state = w.Thumb, w.Row, w.Chart, w.Targets, w.Largest, scored
}

// rehearse renders the rows of an image waiting, being scored and scored with the warm-up's
// result w, of the model info describes, and drops them: the page's code for a row runs once
// before the user's first image.
func rehearse(info ModelInfo, w workResult) {
	for _, state := range []string{waiting, scoring, scored} {
		r := imageResult{name: "warm-up", model: info, state: state, where: w.Where}
		if state == scored {
			r.fill(w)
		}
		(&resultRow{Result: &r}).Render()
	}
}

// imageProblem says in a few words why b could not be decoded.
func imageProblem(b []byte) string {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	switch {
	case err != nil:
		return "Not an image: PNG, JPEG or GIF expected"
	case cfg.Width > data.MaxImageSide || cfg.Height > data.MaxImageSide:
		return fmt.Sprintf("Image too large: %dx%d pixels, at most %d on a side", cfg.Width, cfg.Height, data.MaxImageSide)
	}
	return "Damaged or too large an image: it could not be decoded"
}

// csvURL is a data: URL of the results as CSV, one line per file.
func (p *ScorePage) csvURL() string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"file", "model", "nll_bits_per_dim", "score", "gradient_score", "s_score", "percentile", "verdict", "invalid", "error"})
	for _, r := range p.results {
		rec := []string{r.name, r.model.ID, "", "", "", "", "", "", "", r.err}
		switch {
		case r.row != nil:
			f := scorer.FormatFloat
			copy(rec[2:], []string{f(r.row.NLL), f(r.row.Score), f(r.row.GradientScore), f(r.row.SScore), f(r.row.Percentile),
				r.row.Verdict, r.row.Invalid})
		case r.state != failed:
			continue
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return "data:text/csv;charset=utf-8," + strings.ReplaceAll(url.QueryEscape(buf.String()), "+", "%20")
}

// nav links the app's pages.
func nav(current string) goapp.UI {
	link := func(route, text string) goapp.UI {
		a := goapp.A().Href(route).Text(text)
		if route == current {
			a = a.Class("current").Aria("current", "page")
		}
		return a
	}
	return goapp.Nav().Body(
		goapp.Span().Class("brand").Text("oodgpu"),
		link(ScoreRoute, "Score images"),
		link(RepresentationRoute, "Representation demo"),
	)
}
