//go:build !amd64

package peak

// kernel is nil: there is no FMA loop for this GOARCH, so the peak is unknown.
func kernel() *loop { return nil }
