// Command oodgpu detects out-of-distribution images with the layer-wise gradient features of deep
// generative models, on WebGPU or the CPU.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "oodgpu:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "oodgpu",
		Short: "Out-of-distribution detection with gradient features of deep generative models",
		Long: "oodgpu scores images by the layer-wise squared gradient norms of a generative model's\n" +
			"log-likelihood (Approximations to the Fisher Information Metric of Deep Generative Models\n" +
			"for Out-Of-Distribution Detection), running its graphs on WebGPU or the CPU.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newScoreCmd(), newFitCmd(), newBenchCmd(), newTrainCmd(), newHSVCmd(), newFiguresCmd(), newDevicesCmd(), newDataCmd(), newServeCmd(), newSiteCmd(), newPerfCmd(), newTableCmd(), newAUROCCmd(), newWAICCmd(), newSampleCmd(), newVersionCmd())
	return root
}
