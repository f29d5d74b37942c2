package scorer

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph/cpu"
)

// TestLogLikelihoods: the default Glow's log-likelihood of a FashionMNIST image, in nats, is a
// plausible bits/dim (-ll / (D ln 2)) and well above that of uniform noise; runs of one and of
// two images give the same values up to the dequantization noise, and the same call twice the
// same values.
func TestLogLikelihoods(t *testing.T) {
	m := defaultModel(t)
	var set *data.Set
	for _, p := range []string{"../examples/fashionmnist-test-0.png", "../examples/noise-generated.png"} {
		s, err := data.LoadImageFile(p, m.ImageShape())
		if err != nil {
			t.Fatal(err)
		}
		if set == nil {
			set = s
			continue
		}
		set.Pix = append(set.Pix, s.Pix...)
		set.N++
	}
	ctx := context.Background()
	pairs, err := m.LogLikelihoods(ctx, cpu.New(), set, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.LogLikelihoods(ctx, cpu.New(), set, 2, 1)
	if err != nil || !slices.Equal(pairs, again) {
		t.Errorf("the same call gave %v, then %v (%v)", pairs, again, err)
	}
	singles, err := m.LogLikelihoods(ctx, cpu.New(), set, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := float64(32 * 32) // the default Glow's input: 28x28 padded to 32x32
	for i := range pairs {
		bpd := -pairs[i] / (d * math.Ln2)
		t.Logf("image %d: %.1f nats, %.3f bits/dim (%.3f in a run of its own)", i, pairs[i], bpd, -singles[i]/(d*math.Ln2))
		if math.Abs(pairs[i]-singles[i]) > 0.05*d { // 0.07 bits/dim
			t.Errorf("image %d: %g in a run of two, %g alone", i, pairs[i], singles[i])
		}
	}
	if fashion, noise := -pairs[0]/(d*math.Ln2), -pairs[1]/(d*math.Ln2); !(fashion > 0.5 && fashion < 5 && noise > fashion+2) {
		t.Errorf("bits/dim %.3f for the FashionMNIST image and %.3f for noise", fashion, noise)
	}
	if _, err := m.LogLikelihoods(ctx, cpu.New(), set, 0, 1); err == nil {
		t.Error("runs of 0 images: no error")
	}
}
