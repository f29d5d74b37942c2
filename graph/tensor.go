package graph

import "fmt"

// Tensor is a dense float32 array in row-major order.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// NewTensor wraps data as a tensor of the given shape; len(data) must equal the shape's size.
func NewTensor(shape Shape, data []float32) (*Tensor, error) {
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("tensor: negative dimension in shape %v", shape)
		}
	}
	if shape.Size() != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d values, got %d", shape, shape.Size(), len(data))
	}
	return &Tensor{Shape: shape.clone(), Data: data}, nil
}

// Zeros returns a zero tensor of the given shape.
func Zeros(shape ...int) *Tensor {
	s := Shape(shape).clone()
	return &Tensor{Shape: s, Data: make([]float32, s.Size())}
}

// Full returns a tensor of the given shape with every element v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// MaxModelElements bounds a model's parameter count and the values of its largest activation of
// one image (2^26 float32 values are 256 MiB). Model configurations are checked against it
// before a graph is built, so that no configuration read from a file can exhaust memory.
const MaxModelElements = 1 << 26

// CheckModelSize reports a model of params parameters, whose largest activation of one image
// holds activation values, that does not fit MaxModelElements; kind names the model in the error.
func CheckModelSize(kind string, params, activation float64) error {
	switch {
	case params > MaxModelElements:
		return fmt.Errorf("%s: config: %.0f parameters, over the limit of %d", kind, params, MaxModelElements)
	case activation > MaxModelElements:
		return fmt.Errorf("%s: config: activations of %.0f values per image, over the limit of %d", kind, activation, MaxModelElements)
	}
	return nil
}
