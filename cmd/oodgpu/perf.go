package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
	"github.com/oodgpu/oodgpu/graph"
	"github.com/oodgpu/oodgpu/models/glow"
	"github.com/oodgpu/oodgpu/scorer"
	"github.com/oodgpu/oodgpu/scripts"
)

// torchPerf is the JSON line of glow_parity.py --perf.
type torchPerf struct {
	Torch   string   `json:"torch"`
	Threads int      `json:"threads"`
	Loop    float64  `json:"loop_images_per_second"`
	Vmap    *float64 `json:"vmap_images_per_second"`
}

// perfReport times per-sample (B = 1) features of n images: ours, then the PyTorch oracle's
// per-image loop and vmap on the same model, images and machine. It writes a Markdown section.
func perfReport(ctx context.Context, w io.Writer, m *scorer.Model, exec graph.Executor, set *data.Set, n int, seed uint64) error {
	cfg, err := m.Glow("bench --perf (the PyTorch oracle re-implements Glow)")
	if err != nil {
		return err
	}
	ex := m.Extractor(exec, set, []int{1}, scorer.ChunkFor([]int{1}, n), seed)
	start := time.Now()
	if _, err := ex.Run(ctx, n, nil); err != nil {
		return err
	}
	ours := float64(n) / time.Since(start).Seconds()

	dir, err := os.MkdirTemp("", "oodgpu-perf")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	feeds, err := ex.Inputs(idx, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	if err := glow.WriteOracleDir(dir, cfg, m.Params, feeds["x"], nil); err != nil {
		return err
	}
	script := filepath.Join(dir, "glow_parity.py")
	if err := os.WriteFile(script, scripts.GlowParity, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "oracle.py"), scripts.Oracle, 0o644); err != nil {
		return err
	}
	out, err := exec_("/usr/bin/python3", script, "--perf", fmt.Sprint(n), dir)
	if err != nil {
		return fmt.Errorf("bench --perf: PyTorch oracle (needs Debian's python3-torch): %v\n%s", err, out)
	}
	var tp torchPerf
	if err := json.Unmarshal(out, &tp); err != nil {
		return fmt.Errorf("bench --perf: oracle printed %q: %w", out, err)
	}
	fmt.Fprintf(w, "\n### Per-sample feature throughput (B = 1, %d images)\n\n", n)
	fmt.Fprintf(w, "| implementation | images/s | ours / it |\n|---|---|---|\n")
	fmt.Fprintf(w, "| oodgpu, %s | %.1f | 1.00 |\n", exec.Name(), ours)
	fmt.Fprintf(w, "| PyTorch %s per-image loop, %d threads | %.1f | %.2f |\n", tp.Torch, tp.Threads, tp.Loop, ours/tp.Loop)
	if tp.Vmap != nil {
		fmt.Fprintf(w, "| PyTorch %s vmap, %d threads | %.1f | %.2f |\n", tp.Torch, tp.Threads, *tp.Vmap, ours / *tp.Vmap)
	} else {
		fmt.Fprintf(w, "| PyTorch %s vmap | n/a (no torch.func in this torch) | - |\n", tp.Torch)
	}
	return nil
}

// exec_ runs a command and returns its standard output.
func exec_(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	return cmd.Output()
}

func newPerfCmd() *cobra.Command {
	var (
		dev       deviceFlags
		modelPath string
		spec      string
		dataDir   string
		seed      uint64
	)
	cmd := &cobra.Command{
		Use:   "perf",
		Short: "Time per-sample (B = 1) features against PyTorch on this machine (what bench --perf adds to its report)",
		Long: "Times oodgpu's per-sample gradient features on the images of --data, then the PyTorch oracle's\n" +
			"per-image loop (one backward pass and one host read per parameter tensor, the paper's way) and,\n" +
			"where the installed torch has torch.func, vmap, on the same Glow, images and machine.\n" +
			"Needs python3 with torch (Debian: python3-torch).",
		Example: "  oodgpu perf --device cpu --data 'fashionmnist:test[:100]'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			exec, err := dev.executor(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			set, err := loadSet(spec, dataDir)
			if err != nil {
				return err
			}
			return perfReport(cmd.Context(), cmd.OutOrStdout(), m, exec, set, set.N, seed)
		},
	}
	dev.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "Glow weight file (default: the embedded FashionMNIST Glow)")
	fl.StringVar(&spec, "data", "fashionmnist:test[:100]", "images to time")
	fl.StringVar(&dataDir, "data-dir", "", "directory of the colour data sets (default $OODGPU_DATA)")
	fl.Uint64Var(&seed, "seed", 1, "dequantization seed")
	return cmd
}
