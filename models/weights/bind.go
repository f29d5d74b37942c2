package weights

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/oodgpu/oodgpu/graph"
)

// maxListed is how many problems an error message lists before "and N more".
const maxListed = 10

// ShapeMismatch is a parameter whose tensor in the file has another shape than the model's.
type ShapeMismatch struct {
	Name        string
	File, Model graph.Shape
}

// BindError lists every difference between a file's tensors and a graph's parameters. Each list
// is sorted by name.
type BindError struct {
	// Missing are parameters of the model with no tensor in the file.
	Missing []string
	// Extra are tensors of the file that are not parameters of the model.
	Extra []string
	// Mismatched are parameters whose tensor has the wrong shape.
	Mismatched []ShapeMismatch

	model map[string]graph.Shape // parameter shapes, for messages
	file  map[string]graph.Shape // tensor shapes, for messages
}

// Error describes the problems one per clause, sorted by name, at most ten of them.
func (e *BindError) Error() string {
	type problem struct{ name, msg string }
	var ps []problem
	for _, name := range e.Missing {
		ps = append(ps, problem{name, fmt.Sprintf("parameter %q: missing from the file (model expects %v)", name, e.model[name])})
	}
	for _, m := range e.Mismatched {
		ps = append(ps, problem{m.Name, fmt.Sprintf("parameter %q: file has %v, model expects %v", m.Name, m.File, m.Model)})
	}
	for _, name := range e.Extra {
		ps = append(ps, problem{name, fmt.Sprintf("tensor %q (%v) in the file is not a parameter of the model", name, e.file[name])})
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].name < ps[j].name })
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.msg
	}
	return listProblems("file does not match the model", msgs)
}

// listProblems formats one problem as "weights: PROBLEM", and several as
// "weights: WHAT (N problems): P1; P2; ...; and K more".
func listProblems(what string, msgs []string) string {
	if len(msgs) == 1 {
		return "weights: " + msgs[0]
	}
	shown := msgs[:min(len(msgs), maxListed)]
	s := fmt.Sprintf("weights: %s (%d problems): %s", what, len(msgs), strings.Join(shown, "; "))
	if rest := len(msgs) - len(shown); rest > 0 {
		s += fmt.Sprintf("; and %d more", rest)
	}
	return s
}

// Bind matches f's tensors to g's parameters: every parameter must have a tensor of the same name
// and shape, and every tensor must be a parameter. On success it returns the parameter values as
// feeds for an executor (the tensors themselves, not copies; add the inputs before running). A
// mismatch returns a *BindError listing all the offending names.
func Bind(g *graph.Graph, f *File) (graph.Feeds, error) {
	switch {
	case g == nil || f == nil:
		return nil, errors.New("weights: bind: nil graph or file")
	case g.Err() != nil:
		return nil, fmt.Errorf("weights: bind: graph has a build error: %w", g.Err())
	}
	e := &BindError{model: map[string]graph.Shape{}, file: map[string]graph.Shape{}}
	feeds := graph.Feeds{}
	for _, p := range g.Params() {
		name := p.LeafName()
		e.model[name] = p.Shape()
		t, ok := f.Tensors[name]
		switch {
		case !ok:
			e.Missing = append(e.Missing, name)
		case t == nil || len(t.Data) != t.Shape.Size():
			return nil, fmt.Errorf("weights: bind: tensor %q is nil or its data does not match its shape", name)
		case !t.Shape.Equal(p.Shape()):
			e.Mismatched = append(e.Mismatched, ShapeMismatch{Name: name, File: t.Shape, Model: p.Shape()})
		default:
			feeds[name] = t
		}
	}
	for _, name := range f.Names() {
		if _, ok := e.model[name]; !ok {
			e.Extra = append(e.Extra, name)
			if t := f.Tensors[name]; t != nil {
				e.file[name] = t.Shape
			}
		}
	}
	if len(e.Missing)+len(e.Extra)+len(e.Mismatched) > 0 {
		sort.Strings(e.Missing)
		sort.Slice(e.Mismatched, func(i, j int) bool { return e.Mismatched[i].Name < e.Mismatched[j].Name })
		return nil, e
	}
	return feeds, nil
}

// FromFeeds builds a File from the parameter values of g, taking from values (which may also hold
// inputs, ignored) one tensor per parameter, checked against the parameter's shape. The File shares
// the tensors; it has no metadata until SetMeta.
func FromFeeds(g *graph.Graph, values graph.Feeds) (*File, error) {
	switch {
	case g == nil:
		return nil, errors.New("weights: from feeds: nil graph")
	case g.Err() != nil:
		return nil, fmt.Errorf("weights: from feeds: graph has a build error: %w", g.Err())
	}
	f := &File{Tensors: map[string]*graph.Tensor{}}
	var msgs []string
	for _, p := range g.Params() {
		name := p.LeafName()
		t, ok := values[name]
		switch {
		case !ok || t == nil:
			msgs = append(msgs, fmt.Sprintf("parameter %q: no value", name))
		case len(t.Data) != t.Shape.Size():
			msgs = append(msgs, fmt.Sprintf("parameter %q: shape %v needs %d values, has %d", name, t.Shape, t.Shape.Size(), len(t.Data)))
		case !t.Shape.Equal(p.Shape()):
			msgs = append(msgs, fmt.Sprintf("parameter %q: value has %v, model expects %v", name, t.Shape, p.Shape()))
		default:
			f.Tensors[name] = t
		}
	}
	if len(msgs) > 0 {
		sort.Strings(msgs)
		return nil, errors.New(listProblems("values do not match the model", msgs))
	}
	return f, nil
}
