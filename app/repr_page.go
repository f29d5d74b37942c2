package app

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

// hsvSide is the side images are brought to for the RGB to HSV shift, as `oodgpu hsv`'s default.
const hsvSide = 32

// RepresentationPage shows, for a dropped colour image, how much its bits/dim move from RGB to
// HSV, where the per-pixel log-determinant comes from, and that gradient features do not move
// under a change of representation.
type RepresentationPage struct {
	goapp.Compo

	status string
	result *reprResult
	busy   bool
}

type reprResult struct {
	name      string
	colour    string  // data URL of the RGB image at hsvSide
	heat      string  // data URL of the per-pixel log|det| heat map
	shift     float64 // bits/dim, HSV minus RGB
	detLo     float64 // range of the per-pixel log2|det|
	detHi     float64
	inv       scorer.Invariance
	model     string // the served model and the shape it sees the image at
	invErr    string
	backend   string
	invMillis float64
}

// OnMount tells the user the page is ready: its handlers only exist once the app runs.
func (p *RepresentationPage) OnMount(ctx goapp.Context) {
	p.status = "Ready: drop a colour image."
}

// Render draws the page.
func (p *RepresentationPage) Render() goapp.UI {
	return goapp.Div().Class("page").Body(
		nav(RepresentationRoute),
		goapp.H1().Text("Likelihoods depend on the representation; gradient features do not"),
		goapp.P().Text("The same image written in HSV instead of RGB gets a different likelihood from any "+
			"density model: log p_HSV(T(x)) = log p_RGB(x) - log|det dT/dx|. The paper's Figure 3 shows "+
			"shifts of about 0.2 to 1.8 bits/dim on CIFAR-10. Layer-wise gradient norms of the log-likelihood "+
			"with respect to the parameters do not change, because the log-determinant does not depend on the "+
			"parameters (Proposition 1)."),
		goapp.Label().ID("drop").Class("drop").OnDragOver(preventDefault).OnDrop(p.onDrop).Body(
			goapp.Text("Drop a colour image here, or click to pick one"),
			goapp.Input().ID("files").Type("file").Accept("image/*").OnChange(p.onPick),
		),
		goapp.P().ID("status").Class("status").Text(p.status),
		goapp.If(p.result != nil, func() goapp.UI { return p.view() }),
	)
}

func (p *RepresentationPage) view() goapp.UI {
	r := p.result
	var inv goapp.UI = goapp.P().ID("invariance").Class("error").Text("Invariance check failed: " + r.invErr)
	if r.invErr == "" {
		inv = goapp.Div().ID("invariance").Body(
			goapp.P().Text(fmt.Sprintf("The invariance is shown with the served model (%s; oodgpu serve --model "+
				"models/zoo/glow-cifar10.safetensors serves a colour one) under a change of representation that "+
				"applies to any image: t = exp(x) per pixel, whose density is p(log t) / prod t. Ran on %s.", r.model, r.backend)),
			goapp.Table().Body(
				goapp.Tr().Body(goapp.Th().Text("NLL as x (bits/dim)"), goapp.Td().Text(fmt.Sprintf("%.4f", r.inv.NLLX))),
				goapp.Tr().Body(goapp.Th().Text("NLL as t = exp(x) (bits/dim)"), goapp.Td().Text(fmt.Sprintf("%.4f", r.inv.NLLT))),
				goapp.Tr().Body(goapp.Th().Text("shift expected from the log-determinant"), goapp.Td().Text(fmt.Sprintf("%.4f", r.inv.LogDetShift))),
				goapp.Tr().Body(goapp.Th().Text(fmt.Sprintf("largest relative difference of the %d gradient features", r.inv.Layers)),
					goapp.Td().ID("maxreldiff").DataSet("value", fmt.Sprintf("%.3g", r.inv.MaxRelDiff)).Text(fmt.Sprintf("%.2g", r.inv.MaxRelDiff))),
			),
		)
	}
	return goapp.Div().ID("representation").Body(
		goapp.H2().Text(r.name),
		goapp.Div().Class("pair").Body(
			goapp.Figure().Body(goapp.Img().Class("big").Src(r.colour).Alt("the image"),
				goapp.FigCaption().Text(fmt.Sprintf("RGB, %dx%d", hsvSide, hsvSide))),
			goapp.Figure().Body(goapp.Img().Class("big").Src(r.heat).Alt("per-pixel log-determinant"),
				goapp.FigCaption().Text(fmt.Sprintf("log2|det dT/dx| per pixel, %.2f (blue) to %.2f (red)", r.detLo, r.detHi))),
		),
		goapp.P().ID("shift").DataSet("value", fmt.Sprintf("%.6g", r.shift)).Text(fmt.Sprintf(
			"RGB to HSV moves this image by %+.3f bits/dim (HSV minus RGB, dequantized with seed %d).", r.shift, Seed)),
		inv,
	)
}

func (p *RepresentationPage) onDrop(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	p.show(ctx, filesOf(e.Get("dataTransfer").Get("files")))
}

func (p *RepresentationPage) onPick(ctx goapp.Context, _ goapp.Event) {
	p.show(ctx, filesOf(ctx.JSSrc().Get("files")))
}

func (p *RepresentationPage) show(ctx goapp.Context, files []droppedFile) {
	if len(files) == 0 || p.busy {
		return
	}
	p.busy = true
	p.status = "Working…"
	f := files[0]
	ctx.Async(func() {
		r, err := analyse(f)
		ctx.Dispatch(func(ctx goapp.Context) {
			p.busy = false
			if err != nil {
				p.status = f.name + ": " + err.Error()
				return
			}
			p.status = ""
			p.result = r
		})
	})
}

// analyse computes the page's figures for one file.
func analyse(f droppedFile) (*reprResult, error) {
	b, err := f.read()
	if err != nil {
		return nil, err
	}
	rgbShape := data.Shape{H: hsvSide, W: hsvSide, C: 3}
	rgb, _, err := data.DecodeImage(b, rgbShape)
	if err != nil {
		return nil, fmt.Errorf("not a usable image: %w", err)
	}
	r := &reprResult{name: f.name, colour: pngDataURL(rgbImage(rgb, hsvSide, hsvSide))}
	if r.shift, err = ood.HSVShift(rgb, 3, rand.New(rand.NewPCG(Seed, 0))); err != nil {
		return nil, err
	}
	det := make([]float64, hsvSide*hsvSide)
	noise := rand.New(rand.NewPCG(Seed, 0))
	r.detLo, r.detHi = math.Inf(1), math.Inf(-1)
	for i := range det {
		c := func(k int) float64 { return float64(rgb[3*i+k])/255 + noise.NormFloat64()/255 }
		rr, gg, bb := c(0), c(1), c(2)
		det[i] = ood.LogAbsDetRGBToHSV(rr, gg, bb) / math.Ln2
		r.detLo, r.detHi = math.Min(r.detLo, det[i]), math.Max(r.detHi, det[i])
	}
	r.heat = pngDataURL(heatMap(det, hsvSide, hsvSide))

	e, err := loadEngine()
	if err != nil {
		r.invErr = err.Error()
		return r, nil
	}
	r.backend = e.backend
	shape := e.model.ImageShape()
	r.model = fmt.Sprintf("a %s trained on %s, the image at %dx%d with %d channel(s)", e.model.Meta.Kind, e.model.Meta.TrainingData, shape.W, shape.H, shape.C)
	grey, _, err := data.DecodeImage(b, shape)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	r.inv, err = e.model.ExpInvariance(context.Background(), e.exec, &data.Set{Name: f.name, Shape: shape, N: 1, Pix: grey}, Seed)
	if err != nil {
		r.invErr = err.Error()
	}
	r.invMillis = float64(time.Since(start).Microseconds()) / 1000
	return r, nil
}
