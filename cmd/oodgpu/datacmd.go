package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/data"
)

func newDataCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "data", Short: "Data set utilities"}
	var dir, baseURL string
	fetch := &cobra.Command{
		Use:   "fetch mnist|fashionmnist",
		Short: "Download a data set's canonical upstream idx files and verify their checksums",
		Long: "For machines without the Go module (MNIST) or Debian package (FashionMNIST) the tests use.\n" +
			"Point OODGPU_MNIST_DIR or OODGPU_FASHIONMNIST_DIR at --dir afterwards.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := data.Fetch(cmd.Context(), args[0], dir, baseURL); err != nil {
				return err
			}
			env := data.MNISTDirEnv
			if args[0] == "fashionmnist" {
				env = data.FashionMNISTDirEnv
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s verified in %s; set %s=%s to use it\n", args[0], dir, env, dir)
			return nil
		},
	}
	fetch.Flags().StringVar(&dir, "dir", ".", "destination folder")
	fetch.Flags().StringVar(&baseURL, "base-url", "", "download from this base URL instead of the upstream hosts")
	cmd.AddCommand(fetch)
	return cmd
}
