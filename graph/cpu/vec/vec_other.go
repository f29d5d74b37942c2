//go:build !amd64 || purego

package vec

// hasAVX2 is false: this build has no assembly loops, and the stand-ins below for the assembly
// functions' names are never called.
var hasAVX2 = false

func addVV(y, a, b []float32)                      {}
func subVV(y, a, b []float32)                      {}
func mulVV(y, a, b []float32)                      {}
func divVV(y, a, b []float32)                      {}
func addVS(y, a []float32, c float32)              {}
func subVS(y, a []float32, c float32)              {}
func rsubVS(y, a []float32, c float32)             {}
func mulVS(y, a []float32, c float32)              {}
func divVS(y, a []float32, c float32)              {}
func rdivVS(y, a []float32, c float32)             {}
func affineV(y, a []float32, scale, shift float32) {}
func reluV(y, a []float32)                         {}
func stepV(y, a []float32)                         {}
func negV(y, a []float32)                          {}
func squareV(y, a []float32)                       {}
func sum64(x []float32) float64                    { return 0 }
func sumSquares64(x []float32) float64             { return 0 }
func dot32(a, b []float32) float32                 { return 0 }
func expV(y, a []float32)                          {}
