package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// errNoModel is what score reports until a trained detector is embedded in the binary.
var errNoModel = errors.New("score: no detector model exists yet: the engine (graph, autodiff, " +
	"per-sample gradient norms, CPU executor) is in place, and the embedded default Glow detector " +
	"arrives with the Glow issue")

func newScoreCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "score [IMAGE...]",
		Short: "Score images with the default detector (NLL, gradient score, typicality, verdict)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errNoModel
		},
	}
}
