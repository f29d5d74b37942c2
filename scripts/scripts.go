// Package scripts embeds the project's PyTorch oracle so that the CLI can run it (oodgpu bench
// --perf) wherever the binary is.
package scripts

import _ "embed"

// GlowParity is glow_parity.py: the PyTorch re-implementation of oodgpu's Glow, its parity check,
// its per-sample feature timing (--perf) and its training-step timing (--train-perf).
//
//go:embed glow_parity.py
var GlowParity []byte

// Oracle is oracle.py, the helpers glow_parity.py imports: write it beside it.
//
//go:embed oracle.py
var Oracle []byte
