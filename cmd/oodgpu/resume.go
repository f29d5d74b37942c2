package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/oodgpu/oodgpu/scorer"
)

// resumeCSV is the output file of score --resume: the rows it held when the run started, counted
// by their input column, and the file, open for writing after them.
type resumeCSV struct {
	f      *os.File
	header bool           // whether the file starts with score's CSV header
	rows   int            // the complete rows it holds
	done   map[string]int // those rows per input column
}

// openResume opens path for score --resume, creating it when missing, and reads the rows it holds:
// the file must be score's CSV (its header as rowWriter writes it). A last line that an
// interrupted write left incomplete is cut off, so that rows written next continue the file.
func openResume(path string) (*resumeCSV, error) {
	header := scorer.CSVColumns
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("--resume %s: not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	r, err := readResume(f, header)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	r.f = f
	return r, nil
}

// readResume reads the rows of f (see openResume), truncates f after the last complete one and
// leaves f's offset there.
func readResume(f *os.File, header []string) (*resumeCSV, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r, keep, err := readScoreCSV(f, st.Size(), header)
	if err != nil {
		return nil, err
	}
	if keep < st.Size() {
		if err := f.Truncate(keep); err != nil {
			return nil, fmt.Errorf("cutting off an incomplete last line: %w", err)
		}
	}
	if _, err := f.Seek(keep, io.SeekStart); err != nil {
		return nil, err
	}
	return r, nil
}

// readScoreCSV reads the size bytes of score's CSV in r, whose first line must be header, and
// returns its rows counted by their input column and the length of its complete lines. A last
// line with no newline, or one that ends inside a quoted field, is a write cut short and is not
// counted; any other line that is not a record of header's width is an error.
func readScoreCSV(r io.ReaderAt, size int64, header []string) (*resumeCSV, int64, error) {
	col := slices.Index(header, "input")
	if col < 0 {
		return nil, 0, fmt.Errorf("score's CSV header %q has no input column", header)
	}
	endsLine := true
	if size > 0 {
		var last [1]byte
		if _, err := r.ReadAt(last[:], size-1); err != nil {
			return nil, 0, err
		}
		endsLine = last[0] == '\n'
	}
	cr := csv.NewReader(bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	res := &resumeCSV{done: map[string]int{}}
	var keep int64
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		end := cr.InputOffset()
		if err != nil {
			if _, next := cr.Read(); next == io.EOF {
				break // the last line ends inside a quoted field: cut short
			}
			return nil, 0, err
		}
		if end == size && !endsLine {
			break // the last line has no newline: cut short
		}
		line, _ := cr.FieldPos(0)
		switch {
		case !res.header && !slices.Equal(rec, header):
			return nil, 0, fmt.Errorf("line %d: header %q is not score's CSV header %q", line, strings.Join(rec, ","), strings.Join(header, ","))
		case !res.header:
			res.header = true
		case len(rec) != len(header):
			return nil, 0, fmt.Errorf("line %d: %d fields, want %d", line, len(rec), len(header))
		default:
			// A clone: the field shares its memory with the whole line.
			res.done[strings.Clone(rec[col])]++
			res.rows++
		}
		keep = end
	}
	return res, keep, nil
}
