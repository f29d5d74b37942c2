package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/gpu"
)

// version and commit are set by `make dist` (-ldflags "-X main.version=... -X main.commit=...");
// otherwise they come from what the Go toolchain recorded (go install's module version, the
// repository's revision when built with -buildvcs), or read "devel" and "unknown".
var version, commit string

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go version, OS/arch and GPU support (paste it into a bug report)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			writeVersion(cmd.OutOrStdout())
			return nil
		},
	}
}

// writeVersion writes what `oodgpu version` prints, one "key: value" line each.
func writeVersion(w io.Writer) {
	v, rev, cgo := version, commit, "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if r := settings["vcs.revision"]; rev == "" && r != "" {
			rev = r
			if t := settings["vcs.time"]; t != "" {
				rev += " (" + t + ")"
			}
			if settings["vcs.modified"] == "true" {
				rev += ", with uncommitted changes"
			}
		}
		if c, ok := settings["CGO_ENABLED"]; ok {
			cgo = map[string]string{"0": "no", "1": "yes"}[c]
		}
	}
	if v == "" {
		v = "devel"
	}
	if rev == "" {
		rev = "unknown"
	}
	fmt.Fprintf(w, "oodgpu: %s\ncommit: %s\ngo: %s\nos/arch: %s/%s\ncgo: %s\ngpu: %s\n",
		v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH, cgo, gpu.BuildSupport())
}
