package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/ood"
)

func newTableCmd() *cobra.Command {
	var mdPath, csvPath string
	cmd := &cobra.Command{
		Use:   "table CSV...",
		Short: "Merge the CSV files of several bench runs into one AUROC table in the paper's form",
		Long: "Reads the --csv outputs of oodgpu bench (one per model) and prints one Markdown table: rows\n" +
			"are test sets in blocks of method x B, columns the models' training sets, '-' where a model\n" +
			"was not tested on a set. Below it, each method's average AUROC at each B over all its cells.",
		Example: "  oodgpu table docs/results-fashionmnist.csv docs/results-mnist.csv",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tab := &ood.Table{}
			for _, path := range args {
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				err = tab.ReadTableCSV(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
			}
			if err := writeFile(csvPath, tab.CSV); err != nil {
				return err
			}
			report := func(w io.Writer) error {
				if err := tab.Markdown(w); err != nil {
					return err
				}
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
				return tab.AveragesMarkdown(w)
			}
			if mdPath == "" {
				return report(cmd.OutOrStdout())
			}
			return writeFile(mdPath, report)
		},
	}
	cmd.Flags().StringVar(&mdPath, "md", "", "write the Markdown table to this file instead of standard output")
	cmd.Flags().StringVar(&csvPath, "csv", "", "also write the merged cells as CSV")
	return cmd
}
