//go:build !js

package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/internal/chromium"
	"github.com/oodgpu/oodgpu/ood"
	"github.com/oodgpu/oodgpu/scorer"
)

// reprColourPNG is a generated 48x48 colour picture (brought to 32x32 by the page): hue across,
// saturation and value down, with a dark band, so that the heat map has a spread of values.
func reprColourPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for y := range 48 {
		for x := range 48 {
			v := 0.25 + 0.75*float64(y)/48
			if y > 20 && y < 26 {
				v = 0.08
			}
			r, g, b := ood.HSVToRGB(float64(x)/48, 0.15+0.85*float64(47-y)/48, v)
			img.Set(x, y, color.RGBA{uint8(255 * r), uint8(255 * g), uint8(255 * b), 255})
		}
	}
	return encodePNG(t, img)
}

// reprGreyPNG is a generated grey picture, which the page must refuse.
func reprGreyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(4 * (i % 32))
	}
	return encodePNG(t, img)
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nativeHSVCheck runs the page's check natively: the zoo's CIFAR-10 Glow on the CPU, seed 1.
func nativeHSVCheck(t *testing.T, b []byte) scorer.HSVCheck {
	t.Helper()
	m, err := scorer.Load(filepath.Join(zooDir, colourGlowID+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	s := m.ImageShape()
	pix, shape, err := data.DecodeImage(b, data.Shape{H: s.H, W: s.W})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.HSVInvariance(context.Background(), cpu.New(), &data.Set{Name: "native", N: 1, Shape: shape, Pix: pix}, Seed)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dropFile drops a file with the given name and bytes on the page's drop zone, as a user
// dragging it from the desktop does.
func dropFile(t *testing.T, ctx context.Context, name, mime string, b []byte) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const bytes = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bytes], %q, {type: %q}));
		document.querySelector("#drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`, base64.StdEncoding.EncodeToString(b), name, mime)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
		t.Fatalf("dropping %s: %v", name, err)
	}
}

// checkReprState checks the representation page in one state at the current viewport: no
// horizontal scroll, no WCAG level A violation, and a screenshot representation-STATE-WxH.png.
func checkReprState(t *testing.T, ctx context.Context, state string, w, h int) {
	t.Helper()
	label := fmt.Sprintf("representation page, %s, at %dx%d", state, w, h)
	checkNoOverflow(t, ctx, label)
	saveScreenshot(t, ctx, fmt.Sprintf("representation-%s-%dx%d.png", state, w, h))
	runAxe(t, ctx, label)
}

// reprResultJS reads the result's numbers from their data attributes.
const reprResultJS = `JSON.stringify({
	shift: document.querySelector("#shift").dataset.value,
	diff: document.querySelector("#maxreldiff").dataset.value,
	nll: document.querySelector("#nll-rgb").dataset.value,
	ticks: [...document.querySelectorAll("#colourbar .ticks span")].map(s => s.textContent),
	invariance: document.querySelector("#invariance").innerText,
	text: document.body.innerText})`

// TestReprPageInBrowser walks the representation page through its states at 390x844 (phone)
// and 1280x900 on the CPU fallback: empty; the colour check of an image (picked at the phone
// size, the example clicked at the desktop size), whose features must agree to below 1e-3 and
// whose shift must be the one computed natively; then a grey image dropped, which must be
// refused with the result cleared. Every state is screenshot into $OODGPU_ARTIFACTS, with no
// horizontal scroll and no WCAG level A violation (axe-core).
func TestReprPageInBrowser(t *testing.T) {
	chromium.Path(t)
	colour := reprColourPNG(t)
	example, err := os.ReadFile(filepath.Join("static", "examples", reprExample))
	if err != nil {
		t.Fatal(err)
	}
	native := map[string]scorer.HSVCheck{"picked": nativeHSVCheck(t, colour), "example": nativeHSVCheck(t, example)}
	colourPath := filepath.Join(t.TempDir(), "generated-colour.png")
	if err := os.WriteFile(colourPath, colour, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, buildWasm(t))
	ctx := chromium.Start(t, false)
	for _, v := range []struct {
		w, h int
		how  string // "picked" or "example"
	}{{390, 844, "picked"}, {1280, 900, "example"}} {
		withViewport(t, ctx, v.w, v.h)
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+RepresentationRoute+"?backend=cpu")); err != nil {
			t.Fatal(err)
		}
		// The pre-rendered page has no handlers: wait until the app says it is ready.
		waitFor(t, ctx, "the page to load the colour model", `document.querySelector("#status").textContent.startsWith("Ready")`, 3*time.Minute)
		if text := evalString(t, ctx, `document.querySelector("#model-about").textContent`); !strings.Contains(text, "cifar10") {
			t.Errorf("model line %q does not name CIFAR-10", text)
		}
		checkReprState(t, ctx, "empty", v.w, v.h)

		if v.how == "picked" {
			if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{colourPath})); err != nil {
				t.Fatal(err)
			}
		} else if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#example"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the colour check's result", `document.querySelector("#maxreldiff") !== null`, 4*time.Minute)
		var got struct {
			Shift, Diff, NLL string
			Ticks            []string
			Invariance, Text string
		}
		if err := jsonEval(ctx, reprResultJS, &got); err != nil {
			t.Fatal(err)
		}
		if where := evalString(t, ctx, `document.querySelector("#representation").dataset.where`); where != ranInWorker {
			t.Errorf("the check ran in the %s, want the %s", where, ranInWorker)
		}
		want := native[v.how]
		checkClose(t, v.how+" image's shift (bits/dim)", got.Shift, want.Shift)
		checkClose(t, v.how+" image's NLL as RGB (bits/dim)", got.NLL, want.NLLRGB)
		var diff float64
		if _, err := fmt.Sscan(got.Diff, &diff); err != nil || !(diff >= 0 && diff < 1e-3) {
			t.Errorf("the invariance row shows a relative difference of %q, want one below 1e-3 (%v)", got.Diff, err)
		}
		if !strings.Contains(got.Invariance, "below 0.001") || !strings.Contains(got.Invariance, "Proposition 1") {
			t.Errorf("the invariance row does not say what it means: %q", got.Invariance)
		}
		if !strings.Contains(got.Text, "0.18 to 1.76") {
			t.Error("the page does not give the paper's range of shifts")
		}
		if bad := notANumberOrFlag.FindString(got.Text); bad != "" {
			t.Errorf("the page shows %q (a non-number or a command-line flag): %q", bad, got.Text)
		}
		if len(got.Ticks) != 3 {
			t.Errorf("colour bar ticks %q", got.Ticks)
		}
		for _, tick := range got.Ticks {
			var x float64
			if _, err := fmt.Sscan(tick, &x); err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				t.Errorf("colour bar tick %q is not a finite number", tick)
			}
		}
		t.Logf("%dx%d, %s image: shift %s bits/dim (natively %.6g); features' largest relative difference %s; colour bar %v",
			v.w, v.h, v.how, got.Shift, want.Shift, got.Diff, got.Ticks)
		checkReprState(t, ctx, "result", v.w, v.h)

		dropFile(t, ctx, "grey.png", "image/png", reprGreyPNG(t))
		waitFor(t, ctx, "the grey image's refusal", `document.querySelector("#status").textContent.includes("grey.png is a grey image")`, time.Minute)
		if n := evalString(t, ctx, `String(document.querySelectorAll("#representation").length)`); n != "0" {
			t.Errorf("the previous result stays on screen beside the error (%s result sections)", n)
		}
		checkReprState(t, ctx, "error", v.w, v.h)
	}
}

// notANumberOrFlag matches what the page must never show: infinite or undefined numbers, and
// command-line flags.
var notANumberOrFlag = regexp.MustCompile(`(?i)\b(inf|nan)\b|\s--[a-z]`)

// jsonEval evaluates js, a JSON.stringify expression, into v.
func jsonEval(ctx context.Context, js string, v any) error {
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return fmt.Errorf("evaluating %s: %w", js, err)
	}
	return json.Unmarshal([]byte(raw), v)
}
