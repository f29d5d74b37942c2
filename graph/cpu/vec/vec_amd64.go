//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2

// The assembly loops of vec_amd64.s; each reads len(y) elements (len(x) for the sums).

//go:noescape
func addVV(y, a, b []float32)

//go:noescape
func subVV(y, a, b []float32)

//go:noescape
func mulVV(y, a, b []float32)

//go:noescape
func divVV(y, a, b []float32)

//go:noescape
func addVS(y, a []float32, c float32)

//go:noescape
func subVS(y, a []float32, c float32)

//go:noescape
func rsubVS(y, a []float32, c float32)

//go:noescape
func mulVS(y, a []float32, c float32)

//go:noescape
func divVS(y, a []float32, c float32)

//go:noescape
func rdivVS(y, a []float32, c float32)

//go:noescape
func affineV(y, a []float32, scale, shift float32)

//go:noescape
func reluV(y, a []float32)

//go:noescape
func stepV(y, a []float32)

//go:noescape
func negV(y, a []float32)

//go:noescape
func squareV(y, a []float32)

//go:noescape
func sum64(x []float32) float64

//go:noescape
func sumSquares64(x []float32) float64

//go:noescape
func dot32(a, b []float32) float32

//go:noescape
func expV(y, a []float32)
