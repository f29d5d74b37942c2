// Command oodgpu-beam runs oodgpu's detector fit and scoring as Apache Beam pipelines, so that
// they run on any Beam runner: Prism (local, the default), Flink, Spark or Dataflow.
//
// Usage:
//
//	oodgpu-beam fit   --input GLOB | --input_list FILE  --out MODEL.safetensors [flags] [beam flags]
//	oodgpu-beam score --input GLOB | --input_list FILE  --output PREFIX [flags] [beam flags]
//
// fit fits the detectors `oodgpu fit` fits (the Gaussian, or with --complexity the combined
// detector) on the images in URI order and writes the weight file `oodgpu fit` writes; score
// writes one CSV row per image, the columns of `oodgpu score --format csv`, in shards
// PREFIX-SSSSS-of-NNNNN.csv, and the images that could not be read or decoded in
// PREFIX-errors-00000-of-00001.csv. Inputs and outputs go through Beam's file systems: local
// paths, gs:// and s3://. docs/BEAM.md says how to run it on each runner.
//
// The binary is also the pipeline's worker on remote runners, which start it with Beam's
// --worker flags and no command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3" // s3:// (gs:// and local come with beamx)
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
)

// usage is the command line summary printed on a usage error.
const usage = `usage: oodgpu-beam fit|score [flags]

  fit    fit the detectors (as oodgpu fit) on images and write a weight file
  score  score images (as oodgpu score --format csv), rows in sharded CSV files

Run oodgpu-beam fit -help or oodgpu-beam score -help for the flags; Beam's flags
(--runner prism|flink|spark|dataflow, --endpoint, --project, ...) are accepted too.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "oodgpu-beam:", err)
		}
		os.Exit(2)
	}
}

// run parses the command line into the command's flags and Beam's (both on flag.CommandLine,
// where Beam's runners register theirs), initializes Beam (on a worker, beam.Init runs the
// harness and never returns) and launches the command's pipeline.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cmd command
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "fit":
			cmd = &fitCmd{}
		case "score":
			cmd = &scoreCmd{}
		default:
			fmt.Fprint(stderr, usage)
			return fmt.Errorf("unknown command %q", args[0])
		}
		args = args[1:]
	}
	fl := flag.CommandLine
	fl.SetOutput(stderr)
	if cmd != nil {
		cmd.register(fl)
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	beam.Init()
	if cmd == nil {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (inputs are given by --input or --input_list)", fl.Args())
	}
	p, err := cmd.pipeline(ctx)
	if err != nil {
		return err
	}
	if err := beamx.Run(ctx, p); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	cmd.done(stdout)
	return nil
}

// command is one of oodgpu-beam's pipelines.
type command interface {
	// register adds the command's flags to fl.
	register(fl *flag.FlagSet)
	// pipeline checks the flags and builds the pipeline.
	pipeline(ctx context.Context) (*beam.Pipeline, error)
	// done says what the pipeline wrote.
	done(w io.Writer)
}
