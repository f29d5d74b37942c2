package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/oodgpu/oodgpu/data"
)

// scoreChunk is how many images score decodes, scores and writes at a time (rounded down to whole
// groups of --batch): what a run holds in memory beyond the inputs' names and data sets, and at
// most what an interruption loses. Tests make it small.
var scoreChunk = 400

// scoreInput is one INPUT of score, opened: its image count and names are known before any image
// is scored, and image files are decoded only when scoring reaches them, so that a folder of a
// million files costs its names in memory, not its pixels.
type scoreInput struct {
	arg   string
	n     int
	files []string          // file names (relative to arg) of a folder or a dir: spec, else nil
	set   *data.Set         // the images of a data set spec; nil for image files
	shape data.Shape        // what image files are brought to (every field set: a model's shape)
	lim   data.DecodeLimits // what decoding an image file may take
}

// openScoreInput opens the INPUT arg of score: a folder is listed (data.ListImageDir), an image
// file found, a data set spec loaded (data sets are held in memory whole, as for training).
func openScoreInput(arg string, shape data.Shape, f inputFlags) (*scoreInput, error) {
	lim, err := f.limits()
	if err != nil {
		return nil, err
	}
	in := &scoreInput{arg: arg, shape: shape, lim: lim}
	st, statErr := os.Stat(arg)
	switch {
	case statErr == nil && st.IsDir():
		in.files, err = data.ListImageDir(arg)
		in.n = len(in.files)
	case statErr == nil:
		in.n = 1
	case strings.Contains(arg, ":"):
		in.set, err = loadSpec(arg, shape, f.dataDir, lim)
		if err == nil {
			in.n, in.files = in.set.N, in.set.Files
		}
	default:
		return nil, fmt.Errorf("%s: no such file, folder or data set spec", arg)
	}
	if err != nil {
		return nil, err
	}
	if in.n == 0 {
		return nil, fmt.Errorf("%s: no images", arg)
	}
	return in, nil
}

// name is the display name of image i of in (see imageName).
func (in *scoreInput) name(i int) string { return imageName(in.arg, in.files, in.n, i) }

// imageName is the display name of image i of the n images of INPUT arg: the file's path for an
// image of a folder (files: the folder's file names), arg#i for one of a data set's images, arg
// itself for a lone image.
func imageName(arg string, files []string, n, i int) string {
	switch {
	case len(files) == n:
		return filepath.Join(arg, files[i])
	case n > 1:
		return fmt.Sprintf("%s#%d", arg, i)
	}
	return arg
}

// rowName is the input column of the row of images [lo, lo+batch) of in, as scorer.Model.Score
// names it: the image's name, or "FIRST .. LAST" for a group of several.
func (in *scoreInput) rowName(lo, batch int) string {
	if batch == 1 {
		return in.name(lo)
	}
	return fmt.Sprintf("%s .. %s", in.name(lo), in.name(lo+batch-1))
}

// images returns images [lo, hi) of in: decoded from their files, or a slice of the data set. A
// file that cannot be read or decoded is an error naming it.
func (in *scoreInput) images(lo, hi int) (*data.Set, error) {
	switch {
	case in.set != nil:
		return in.set.Slice(lo, hi)
	case in.files == nil:
		return in.lim.LoadImageFile(in.arg, in.shape)
	}
	s := &data.Set{Name: "dir:" + in.arg, Shape: in.shape}
	for _, name := range in.files[lo:hi] {
		one, err := in.lim.LoadImageFile(filepath.Join(in.arg, name), in.shape)
		if err != nil {
			return nil, err
		}
		s.Shape = one.Shape
		s.Pix = append(s.Pix, one.Pix...)
		s.N++
	}
	return s, nil
}

// scoreSpan is images [lo, hi) of an input, whole groups of --batch, still to be scored.
type scoreSpan struct {
	in     *scoreInput
	lo, hi int
}

// planScores returns the spans of images still to score and their image count: every group of
// batch images of the inputs, in order, except that each row counted in done (by its input
// column) skips one group of that name, the first not yet skipped. It also returns how many of
// done's rows named no group. done may be nil; its counts are used up.
func planScores(inputs []*scoreInput, batch int, done map[string]int) (spans []scoreSpan, images, unmatched int) {
	for _, in := range inputs {
		for lo := 0; lo < in.n; lo += batch {
			if name := in.rowName(lo, batch); done[name] > 0 {
				done[name]--
				continue
			}
			if k := len(spans) - 1; k >= 0 && spans[k].in == in && spans[k].hi == lo {
				spans[k].hi += batch
			} else {
				spans = append(spans, scoreSpan{in, lo, lo + batch})
			}
			images += batch
		}
	}
	for _, k := range done {
		unmatched += k
	}
	return spans, images, unmatched
}

// streamChunks decodes the spans' images in chunks of at most size images and calls score with
// each chunk's images and names, in order. size and the spans' bounds are multiples of --batch, so
// a chunk holds whole groups; it may join spans of several inputs whose images have one shape.
// The chunk's memory is reused once score returns. An image that cannot be decoded stops the run
// before its chunk is scored.
func streamChunks(spans []scoreSpan, size int, score func(set *data.Set, names []string) error) error {
	chunk := &data.Set{Name: "score chunk"}
	var names []string
	flush := func() error {
		if chunk.N == 0 {
			return nil
		}
		err := score(chunk, names)
		chunk.N, chunk.Pix, names = 0, chunk.Pix[:0], names[:0]
		return err
	}
	for _, sp := range spans {
		for lo := sp.lo; lo < sp.hi; {
			hi := min(sp.hi, lo+size-chunk.N)
			s, err := sp.in.images(lo, hi)
			if err != nil {
				return err
			}
			if chunk.N > 0 && s.Shape != chunk.Shape {
				if err := flush(); err != nil {
					return err
				}
			}
			chunk.Shape = s.Shape
			chunk.Pix = append(chunk.Pix, s.Pix...)
			chunk.N += s.N
			for i := lo; i < hi; i++ {
				names = append(names, sp.in.name(i))
			}
			if chunk.N == size {
				if err := flush(); err != nil {
					return err
				}
			}
			lo = hi
		}
	}
	return flush()
}
