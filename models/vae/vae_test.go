package vae

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/graph/cpu"
	"github.com/oodgpu/oodgpu/models/oracle"
)

// TestELBOTerms checks the KL term against its closed form computed here and that the ELBO is
// below the reconstruction term, on a random model and images.
func TestELBOTerms(t *testing.T) {
	cfg := Config{Channels: 1, Size: 8, Hidden: 4, Latent: 3}
	params, err := InitParams(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 3
	g := graph.New()
	net, err := Build(g, cfg, batch)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	pix := make([]float32, batch*cfg.Dims())
	for i := range pix {
		pix[i] = float32(r.IntN(256)) / 255
	}
	feeds := cfg.Feeds(pix, batch, r)
	maps.Copy(feeds, params)
	p, err := graph.Compile(g, net.ELBO, net.Recon, net.KL, net.BitsPerDim)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cpu.New().Run(context.Background(), p, feeds)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < batch; i++ {
		elbo, recon, kl, bpd := out[0].Data[i], out[1].Data[i], out[2].Data[i], out[3].Data[i]
		if kl < 0 || math.Abs(float64(elbo-(recon-kl))) > 1e-3*math.Abs(float64(elbo)) {
			t.Errorf("image %d: ELBO %g, recon %g, KL %g", i, elbo, recon, kl)
		}
		if want := -float64(elbo) / (float64(cfg.Dims()) * math.Ln2); math.Abs(float64(bpd)-want) > 1e-4*math.Abs(want) {
			t.Errorf("image %d: %g bits/dim, want %g", i, bpd, want)
		}
		if bpd < 1 || bpd > 12 {
			t.Errorf("image %d: %g bits/dim at initialization is implausible", i, bpd)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{Channels: 1, Size: 12, Hidden: 4, Latent: 2}, {Channels: 0, Size: 8, Hidden: 4, Latent: 2},
		{Channels: 1, Size: 8, ImageSize: 9, Hidden: 4, Latent: 2}} {
		if _, err := Build(graph.New(), c, 1); err == nil {
			t.Errorf("config %+v was accepted", c)
		}
	}
}

// TestPyTorchParity has scripts/vae_parity.py recompute the ELBO and every per-layer squared
// gradient norm of six images in PyTorch (float64, one backward pass per image), with one
// decoder scale per channel and with per-pixel scales.
func TestPyTorchParity(t *testing.T) {
	for _, pixelScales := range []bool{false, true} {
		cfg := Config{Channels: 1, Size: 16, Hidden: 8, Latent: 6, PixelScales: pixelScales}
		t.Run(fmt.Sprintf("pixel scales %v", pixelScales), func(t *testing.T) {
			params, err := InitParams(cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			const batch = 6
			r := rand.New(rand.NewPCG(4, 4))
			pix := make([]float32, batch*cfg.Dims())
			for i := range pix {
				if r.IntN(4) > 0 { // some pixels at 0, as in real grey images
					pix[i] = float32(r.IntN(256)) / 255
				}
			}
			build := func(g *graph.Graph, batch int) (*graph.Node, error) {
				net, err := Build(g, cfg, batch)
				if err != nil {
					return nil, err
				}
				return net.ELBO, nil
			}
			oracle.Check(t, "../../scripts/vae_parity.py", batch, build, params, cfg.Feeds(pix, batch, r), "vae", cfg)
		})
	}
}
