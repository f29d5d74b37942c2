package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/gpu"
)

func newDevicesCmd() *cobra.Command {
	var adapter string
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List WebGPU adapters and say which one a run would use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			infos, chosen, err := gpu.Adapters(gpu.Options{Adapter: adapter})
			if len(infos) > 0 {
				w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(w, "\tINDEX\tNAME\tTYPE\tBACKEND\tDRIVER")
				for _, a := range infos {
					mark := ""
					if a.Index == chosen {
						mark = "*"
					}
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", mark, a.Index, a.Name, a.Type, a.Backend, a.Driver)
				}
				w.Flush()
			}
			switch {
			case errors.Is(err, gpu.ErrNoGPUSupport):
				fmt.Fprintf(out, "%v; runs use the CPU executor\n", err)
				fmt.Fprintln(out, "for a GPU build, install a C compiler (gcc, clang; on Windows mingw-w64) and run:\n"+
					"  CGO_ENABLED=1 go install github.com/oodgpu/oodgpu/cmd/oodgpu@latest")
				return nil
			case err != nil:
				fmt.Fprintf(out, "no usable WebGPU adapter (%v): runs use the CPU executor\n", err)
				return nil
			}
			if infos[chosen].Type == "cpu" && adapter == "" {
				fmt.Fprintf(out, "the best adapter, %s, is a software one: runs use the CPU executor unless --device gpu\n", infos[chosen])
				return nil
			}
			fmt.Fprintf(out, "a run would use adapter %s (choose with --adapter or OODGPU_ADAPTER; --device cpu for the CPU)\n",
				infos[chosen])
			return nil
		},
	}
	cmd.Flags().StringVar(&adapter, "adapter", "", "adapter by index or name substring (default: $OODGPU_ADAPTER)")
	return cmd
}
