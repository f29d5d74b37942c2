package weights

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oodgpu/oodgpu/graph"
)

// model builds a small graph with an input and three parameters.
func model() *graph.Graph {
	g := graph.New()
	x := g.Input("x", 2, 4, 1, 1)
	s := g.Param("flow.0.actnorm.scale", 1, 4, 1, 1)
	b := g.Param("flow.0.actnorm.bias", 1, 4, 1, 1)
	g.Param("prior.logscale", 3)
	g.Add(g.Mul(x, s), b)
	return g
}

func modelFile() *File {
	return &File{Tensors: map[string]*graph.Tensor{
		"flow.0.actnorm.scale": graph.Full(1, 1, 4, 1, 1),
		"flow.0.actnorm.bias":  graph.Zeros(1, 4, 1, 1),
		"prior.logscale":       graph.Zeros(3),
	}}
}

func TestBind(t *testing.T) {
	g, f := model(), modelFile()
	feeds, err := Bind(g, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) != 3 {
		t.Errorf("Bind returned %d feeds, want 3", len(feeds))
	}
	for name, tensor := range f.Tensors {
		if feeds[name] != tensor {
			t.Errorf("feed %q is not the file's tensor", name)
		}
	}
}

func TestBindErrors(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(f *File)
		want   BindError
		wantIn []string
	}{
		{"mis-shaped", func(f *File) { f.Tensors["flow.0.actnorm.scale"] = graph.Zeros(1, 8, 1, 1) },
			BindError{Mismatched: []ShapeMismatch{{"flow.0.actnorm.scale", graph.Shape{1, 8, 1, 1}, graph.Shape{1, 4, 1, 1}}}},
			[]string{`weights: parameter "flow.0.actnorm.scale": file has [1 8 1 1], model expects [1 4 1 1]`}},
		{"missing", func(f *File) { delete(f.Tensors, "prior.logscale") },
			BindError{Missing: []string{"prior.logscale"}},
			[]string{`weights: parameter "prior.logscale": missing from the file (model expects [3])`}},
		{"extra", func(f *File) { f.Tensors["flow.1.actnorm.scale"] = graph.Zeros(2) },
			BindError{Extra: []string{"flow.1.actnorm.scale"}},
			[]string{`weights: tensor "flow.1.actnorm.scale" ([2]) in the file is not a parameter of the model`}},
		{"all three", func(f *File) {
			delete(f.Tensors, "prior.logscale")
			delete(f.Tensors, "flow.0.actnorm.bias")
			f.Tensors["a.extra"] = graph.Zeros(1)
			f.Tensors["flow.0.actnorm.scale"] = graph.Zeros(4)
		},
			BindError{
				Missing:    []string{"flow.0.actnorm.bias", "prior.logscale"},
				Extra:      []string{"a.extra"},
				Mismatched: []ShapeMismatch{{"flow.0.actnorm.scale", graph.Shape{4}, graph.Shape{1, 4, 1, 1}}},
			},
			[]string{`weights: file does not match the model (4 problems): tensor "a.extra" ([1]) in the file is not a parameter of the model; ` +
				`parameter "flow.0.actnorm.bias": missing from the file (model expects [1 4 1 1]); ` +
				`parameter "flow.0.actnorm.scale": file has [4], model expects [1 4 1 1]; ` +
				`parameter "prior.logscale": missing from the file (model expects [3])`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := modelFile()
			c.edit(f)
			feeds, err := Bind(model(), f)
			if feeds != nil {
				t.Error("Bind returned feeds along with an error")
			}
			var be *BindError
			if !errors.As(err, &be) {
				t.Fatalf("Bind error %v, want a *BindError", err)
			}
			if !slices.Equal(be.Missing, c.want.Missing) || !slices.Equal(be.Extra, c.want.Extra) ||
				fmt.Sprint(be.Mismatched) != fmt.Sprint(c.want.Mismatched) {
				t.Errorf("BindError = %+v, want %+v", *be, c.want)
			}
			for _, s := range c.wantIn {
				if err.Error() != s {
					t.Errorf("error:\n got %s\nwant %s", err, s)
				}
			}
		})
	}
}

func TestBindManyProblems(t *testing.T) {
	g := graph.New()
	for i := range 15 {
		g.Param(fmt.Sprintf("p%02d", i), 2)
	}
	_, err := Bind(g, &File{})
	var be *BindError
	if !errors.As(err, &be) || len(be.Missing) != 15 {
		t.Fatalf("Bind: %v", err)
	}
	msg := err.Error()
	for _, s := range []string{"(15 problems)", `"p00"`, `"p09"`, "; and 5 more"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not contain %q", msg, s)
		}
	}
	if strings.Contains(msg, `"p10"`) {
		t.Errorf("error %q lists more than 10 problems", msg)
	}
}

func TestBindBadArguments(t *testing.T) {
	if _, err := Bind(nil, modelFile()); err == nil {
		t.Error("Bind(nil graph) succeeded")
	}
	if _, err := Bind(model(), nil); err == nil {
		t.Error("Bind(nil file) succeeded")
	}
	broken := model()
	broken.Param("prior.logscale", 3) // duplicate name: a build error
	if _, err := Bind(broken, modelFile()); err == nil || !strings.Contains(err.Error(), "build error") {
		t.Errorf("Bind on a broken graph: %v", err)
	}
	f := modelFile()
	f.Tensors["prior.logscale"] = &graph.Tensor{Shape: graph.Shape{3}, Data: []float32{1}}
	if _, err := Bind(model(), f); err == nil || !strings.Contains(err.Error(), `"prior.logscale"`) {
		t.Errorf("Bind with inconsistent tensor data: %v", err)
	}
}

func TestFromFeeds(t *testing.T) {
	g := model()
	values := graph.Feeds{"x": graph.Zeros(2, 4, 1, 1)}
	for name, tensor := range modelFile().Tensors {
		values[name] = tensor
	}
	f, err := FromFeeds(g, values)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Names(), ","); got != "flow.0.actnorm.bias,flow.0.actnorm.scale,prior.logscale" {
		t.Errorf("FromFeeds names %s", got)
	}
	// A file built from a graph's values binds back to it after a save/load round trip.
	b, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Bind(g, back); err != nil {
		t.Error(err)
	}

	delete(values, "prior.logscale")
	values["flow.0.actnorm.bias"] = graph.Zeros(4)
	_, err = FromFeeds(g, values)
	want := `weights: values do not match the model (2 problems): ` +
		`parameter "flow.0.actnorm.bias": value has [4], model expects [1 4 1 1]; parameter "prior.logscale": no value`
	if err == nil || err.Error() != want {
		t.Errorf("FromFeeds error:\n got %v\nwant %s", err, want)
	}
	if _, err := FromFeeds(nil, values); err == nil {
		t.Error("FromFeeds(nil graph) succeeded")
	}
}
