package vec

import "math"

// Exp and the functions built on it. exp32 is a float32 exponential (Cephes' expf: a polynomial
// on |r| <= ln(2)/2 after x = n ln(2) + r), within 2 units in the last place of math.Exp
// rounded to float32 (TestExpAccuracy); its assembly twin expV runs the same operations in the
// same order, so that both round alike. Sigmoid, Softplus and LogSigmoid are formed from
// e^-|x| in (0, 1], the last two with log1pUnit, a float32 log(1 + u) on that range (pure Go,
// so alike everywhere); each is within 3 units in the last place of the float64 functions.

// Bounds of exp32's argument: below expMin the result rounds to 0, above expMax it overflows.
const (
	expMin = -104
	expMax = 89
	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375 // ln(2) = ln2Hi + ln2Lo; n * ln2Hi is exact for |n| <= 2^15
	ln2Lo  = -2.12194440e-4

	roundShift float32 = 0x1.8p23
)

// exp32 returns e^x in float32. Every product is rounded before the sum that takes it (the
// explicit conversions keep the compiler from fusing them), as expV computes them.
func exp32(x float32) float32 {
	if x != x {
		return x
	}
	if x < expMin {
		x = expMin
	} else if x > expMax {
		x = expMax
	}
	// Adding and taking away 1.5*2^23 rounds |v| < 2^22 to the nearest integer, ties to even,
	// as VROUNDPS does.
	v := float32(x * log2e)
	n := (v + roundShift) - roundShift
	r := x - float32(n*ln2Hi)
	r -= float32(n * ln2Lo)
	z := float32(r * r)
	p := float32(float32(1.9875691500e-4)*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	e := float32(p*z) + r + 1
	// 2^k in two factors, each a normal float32 for |k| <= 150, so that results below the
	// smallest normal round once, to a subnormal or 0.
	k := int32(n)
	k1 := k >> 1
	e *= math.Float32frombits(uint32(k1+127) << 23)
	return e * math.Float32frombits(uint32(k-k1+127)<<23)
}

// Exp sets y[i] = e^a[i].
func Exp(y, a []float32) {
	a = a[:len(y)]
	i := 0
	if hasAVX2 {
		i = len(y) &^ 7
		expV(y[:i], a[:i])
	}
	for ; i < len(y); i++ {
		y[i] = exp32(a[i])
	}
}

// chunk is how many elements Sigmoid, Softplus and LogSigmoid take at a time, e^-|a| of them
// held on the stack (so that y may be a).
const chunk = 256

// expNegAbs sets e[i] = e^-|a[i]|, in (0, 1] (NaN stays NaN).
func expNegAbs(e, a []float32) {
	a = a[:len(e)]
	for i, v := range a {
		e[i] = math.Float32frombits(math.Float32bits(v) | 1<<31)
	}
	Exp(e, e)
}

// Sigmoid sets y[i] = 1 / (1 + e^-a[i]), formed from e = e^-|a[i]| as 1/(1+e) or e/(1+e).
func Sigmoid(y, a []float32) { overExpNegAbs(sigmoid, y, a) }

// Softplus sets y[i] = log(1 + e^a[i]), formed as max(a[i], 0) + log1p(e^-|a[i]|).
func Softplus(y, a []float32) { overExpNegAbs(softplus, y, a) }

// LogSigmoid sets y[i] = -log(1 + e^-a[i]), formed as min(a[i], 0) - log1p(e^-|a[i]|).
func LogSigmoid(y, a []float32) { overExpNegAbs(logSigmoid, y, a) }

// expFamily names a function formed from e^-|x|.
type expFamily int

const (
	sigmoid expFamily = iota
	softplus
	logSigmoid
)

// overExpNegAbs sets y[i] = f(a[i]) chunk by chunk, from e = e^-|a| of the chunk.
func overExpNegAbs(f expFamily, y, a []float32) {
	a = a[:len(y)]
	var buf [chunk]float32
	for lo := 0; lo < len(y); lo += chunk {
		n := min(chunk, len(y)-lo)
		e, x, out := buf[:n], a[lo:lo+n], y[lo:lo+n]
		expNegAbs(e, x)
		switch f {
		case sigmoid:
			for i, v := range e {
				t := v
				if x[i] >= 0 {
					t = 1
				}
				out[i] = t / (1 + v)
			}
		case softplus:
			for i, v := range e {
				out[i] = max(x[i], 0) + log1pUnit(v)
			}
		case logSigmoid:
			for i, v := range e {
				out[i] = min(x[i], 0) - log1pUnit(v)
			}
		}
	}
}

// log1pUnit returns log(1 + u) for u in [0, 1] (NaN stays NaN), in float32: m = 1 + u rounded,
// log(m) by Cephes' logf polynomial after m = 2^k (1 + f) with f in [sqrt(2)/2 - 1, sqrt(2) - 1],
// plus (u - (m - 1)) / m for the rounding of m.
func log1pUnit(u float32) float32 {
	m := 1 + u
	c := (u - (m - 1)) / m
	var k float32
	if m > 1.41421356 {
		m *= 0.5
		k = 1
	}
	f := m - 1
	z := float32(f * f)
	p := float32(float32(7.0376836292e-2)*f) - 1.1514610310e-1
	p = float32(p*f) + 1.1676998740e-1
	p = float32(p*f) - 1.2420140846e-1
	p = float32(p*f) + 1.4249322787e-1
	p = float32(p*f) - 1.6668057665e-1
	p = float32(p*f) + 2.0000714765e-1
	p = float32(p*f) - 2.4999993993e-1
	p = float32(p*f) + 3.3333331174e-1
	y := float32(float32(f*z)*p) + float32(k*ln2Lo) - float32(0.5*z)
	return f + y + c + float32(k*ln2Hi)
}
