package pixelcnn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/oodgpu/oodgpu/graph"
)

// Sample draws n images autoregressively, pixel by pixel in raster order over the image area
// (the padding stays at pixel 0, as in training): one forward pass of the network per pixel, a
// mixture component drawn from the pixel's mixture weights, a value from its logistic, rounded to
// the nearest of the 256 levels. It returns the inputs [n 1 Size Size] on the [-1, 1] scale.
func Sample(ctx context.Context, exec graph.Executor, cfg Config, params graph.Feeds, n int, r *rand.Rand) ([]float32, error) {
	g := graph.New()
	net, err := Build(g, cfg, n)
	if err != nil {
		return nil, err
	}
	p, err := graph.Compile(g, net.Mixture)
	if err != nil {
		return nil, fmt.Errorf("pixelcnn: sample: %w", err)
	}
	defer exec.Forget(p)
	s, k := cfg.Size, cfg.Mixtures
	x := graph.Full(-1, n, 1, s, s)
	feeds := graph.Feeds{InputX: x}
	for _, q := range g.Params() {
		feeds[q.LeafName()] = params[q.LeafName()]
	}
	top := (s - cfg.Image()) / 2
	plane := s * s
	weights := make([]float64, k)
	for y := top; y < top+cfg.Image(); y++ {
		for xx := top; xx < top+cfg.Image(); xx++ {
			out, err := exec.Run(ctx, p, feeds)
			if err != nil {
				return nil, fmt.Errorf("pixelcnn: sampling pixel (%d, %d): %w", y, xx, err)
			}
			mix := out[0].Data
			for b := range n {
				at := func(c int) float64 { return float64(mix[(b*3*k+c)*plane+y*s+xx]) }
				// The component, drawn from the softmax of the logits.
				hi := math.Inf(-1)
				for j := range k {
					hi = max(hi, at(j))
				}
				var total float64
				for j := range k {
					weights[j] = math.Exp(at(j) - hi)
					total += weights[j]
				}
				j, u := 0, r.Float64()*total
				for ; j < k-1 && u >= weights[j]; j++ {
					u -= weights[j]
				}
				// A logistic draw by its inverse CDF, on the [-1, 1] scale.
				q := min(max(r.Float64(), 1e-5), 1-1e-5)
				v := at(k+j) + math.Exp(max(at(2*k+j), logScaleMin))*(math.Log(q)-math.Log1p(-q))
				level := math.Round(min(max((v+1)/2*255, 0), 255))
				x.Data[b*plane+y*s+xx] = float32(2*level/255 - 1)
			}
		}
	}
	return x.Data, nil
}
