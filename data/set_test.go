package data

import (
	"strings"
	"testing"
)

func TestFloat32CHW(t *testing.T) {
	tests := []struct {
		name string
		set  Set
		i    int
		want []float32
	}{
		{"grey", Set{N: 2, Shape: Shape{1, 2, 1}, Pix: []uint8{0, 255, 51, 102}}, 1, []float32{0.2, 0.4}},
		{"rgb to planes", Set{N: 1, Shape: Shape{1, 2, 3}, Pix: []uint8{255, 0, 51, 0, 102, 255}}, 0,
			[]float32{1, 0, 0, 0.4, 0.2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]float32, len(tt.want))
			if err := tt.set.Float32CHW(tt.i, got); err != nil {
				t.Fatal(err)
			}
			for k := range got {
				if diff := got[k] - tt.want[k]; diff > 1e-6 || diff < -1e-6 {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	s := Set{Name: "x", N: 1, Shape: Shape{1, 1, 1}, Pix: []uint8{1}}
	if err := s.Float32CHW(1, make([]float32, 1)); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("index 1 of 1: err = %v", err)
	}
	if err := s.Float32CHW(0, make([]float32, 2)); err == nil || !strings.Contains(err.Error(), "dst holds 2") {
		t.Errorf("short dst: err = %v", err)
	}
}

func TestLuma(t *testing.T) {
	tests := []struct {
		r, g, b, want uint8
	}{
		{0, 0, 0, 0},
		{255, 255, 255, 255},
		{255, 0, 0, 76},  // 76.245
		{0, 255, 0, 150}, // 149.685
		{0, 0, 255, 29},  // 29.07
		{10, 20, 30, 18}, // 18.15
		{1, 1, 0, 1},     // 0.886
	}
	for _, tt := range tests {
		if got := luma(tt.r, tt.g, tt.b); got != tt.want {
			t.Errorf("luma(%d, %d, %d) = %d, want %d", tt.r, tt.g, tt.b, got, tt.want)
		}
	}
	for g := range 256 {
		if got := luma(uint8(g), uint8(g), uint8(g)); got != uint8(g) {
			t.Fatalf("luma of grey %d = %d", g, got)
		}
	}
}

func TestNCHW(t *testing.T) {
	grey := &Set{Name: "grey", N: 2, Shape: Shape{2, 2, 1}, Pix: []uint8{255, 0, 0, 255, 51, 51, 51, 51}}
	rgb := &Set{Name: "rgb", N: 1, Shape: Shape{1, 2, 3}, Pix: []uint8{255, 0, 0, 10, 20, 30}}
	tests := []struct {
		name string
		set  *Set
		idx  []int
		to   Shape
		want []float32 // in units of 1/255
		err  string
	}{
		{"keep", grey, []int{1, 0}, Shape{}, []float32{51, 51, 51, 51, 255, 0, 0, 255}, ""},
		{"pad 2x2 to 4x4", grey, []int{0}, Shape{H: 4, W: 4}, []float32{
			0, 0, 0, 0,
			0, 255, 0, 0,
			0, 0, 255, 0,
			0, 0, 0, 0}, ""},
		{"pad odd puts the extra row below", grey, []int{0}, Shape{H: 3}, []float32{255, 0, 0, 255, 0, 0}, ""},
		{"grey to rgb", grey, []int{1}, Shape{C: 3}, []float32{51, 51, 51, 51, 51, 51, 51, 51, 51, 51, 51, 51}, ""},
		{"rgb to grey", rgb, []int{0}, Shape{C: 1}, []float32{76, 18}, ""},
		{"rgb keep", rgb, []int{0}, Shape{}, []float32{255, 10, 0, 20, 0, 30}, ""},
		{"empty batch", grey, nil, Shape{}, []float32{}, ""},
		{"shrink", grey, []int{0}, Shape{H: 1}, nil, "cannot shrink"},
		{"bad index", grey, []int{2}, Shape{}, nil, "out of range"},
		{"bad channels", grey, []int{0}, Shape{C: 2}, nil, "channels must be 1 or 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.set.NCHW(tt.idx, tt.to, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("len %d, want %d", len(got), len(tt.want))
			}
			for k := range got {
				if got[k] != tt.want[k]/255 {
					t.Fatalf("got %v, want %v/255", got, tt.want)
				}
			}
		})
	}
}

func TestNCHWReusesDst(t *testing.T) {
	s := &Set{N: 1, Shape: Shape{1, 1, 1}, Pix: []uint8{255}}
	buf := make([]float32, 4)
	buf[3] = 7
	got, err := s.NCHW([]int{0}, Shape{H: 1, W: 1}, buf)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != &buf[0] || len(got) != 1 || got[0] != 1 {
		t.Errorf("got %v (len %d), want buf reused holding [1]", got, len(got))
	}
}

func TestSetValidateAndSlice(t *testing.T) {
	tests := []struct {
		name string
		set  *Set
		err  string
	}{
		{"ok", &Set{N: 2, Shape: Shape{1, 1, 1}, Pix: []uint8{1, 2}, Labels: []uint8{0, 1}}, ""},
		{"nil", nil, "nil set"},
		{"pixels", &Set{N: 2, Shape: Shape{1, 1, 1}, Pix: []uint8{1}}, "1 pixels for 2 images"},
		{"labels", &Set{N: 2, Shape: Shape{1, 1, 1}, Pix: []uint8{1, 2}, Labels: []uint8{0}}, "1 labels"},
		{"channels", &Set{N: 1, Shape: Shape{1, 1, 4}, Pix: []uint8{1, 2, 3, 4}}, "channels"},
		{"zero size", &Set{N: 0, Shape: Shape{0, 1, 1}}, "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.set.Validate()
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
	s := &Set{N: 3, Shape: Shape{1, 1, 1}, Pix: []uint8{1, 2, 3}, Labels: []uint8{4, 5, 6}}
	sub, err := s.Slice(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if sub.N != 2 || sub.Pix[0] != 2 || sub.Labels[1] != 6 {
		t.Errorf("slice [1:3] = %+v", sub)
	}
	for _, r := range [][2]int{{-1, 1}, {2, 1}, {0, 4}} {
		if _, err := s.Slice(r[0], r[1]); err == nil {
			t.Errorf("slice %v: no error", r)
		}
	}
}
