package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/oodgpu/oodgpu/data"
)

func init() {
	register.Function1x1(metadataPath)
	register.Function2x0(listLine)
	register.Emitter1[string]()
	register.DoFn3x1[context.Context, int, func(*record) bool, error](&writeShardFn{})
	register.DoFn1x2[record, int, record](&shardFn{})
}

// inputFlags are the flags that give a pipeline its images and how they are decoded.
type inputFlags struct {
	glob, list string
	maxImageMB int
	spec       modelSpec
}

func (f *inputFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&f.glob, "input", "", "image files: a glob of local paths or gs:// or s3:// URIs")
	fl.StringVar(&f.list, "input_list", "", "image files: a text file (local, gs:// or s3://) of URIs, one a line (blank lines and lines starting with # skipped)")
	fl.IntVar(&f.maxImageMB, "max_image_mb", data.DefaultMaxPixelBytes>>20,
		"memory one image may take to decode, in MB, computed from its header before decoding")
	fl.StringVar(&f.spec.Model, "model", "", "weight file (local, gs:// or s3://; default: the embedded FashionMNIST Glow)")
	fl.StringVar(&f.spec.Device, "device", "auto", "where workers run the model: auto (a hardware WebGPU adapter if one works, else CPU), gpu, cpu")
}

// check checks the flags.
func (f *inputFlags) check() error {
	if (f.glob == "") == (f.list == "") {
		return errors.New("give the images by exactly one of --input GLOB and --input_list FILE")
	}
	if f.maxImageMB < 1 || f.maxImageMB > 1<<14 {
		return fmt.Errorf("--max_image_mb %d: want 1 to %d", f.maxImageMB, 1<<14)
	}
	return f.spec.check()
}

// limits are the decoding limits of --max_image_mb.
func (f *inputFlags) limits() data.DecodeLimits {
	return data.DecodeLimits{MaxPixelBytes: int64(f.maxImageMB) << 20}
}

// describe names the input, for the detector's record of its fit data.
func (f *inputFlags) describe() string {
	if f.glob != "" {
		return f.glob
	}
	return "list " + f.list
}

// uris is the PCollection<string> of the input's image URIs: the files the glob matches (in
// no order), or the lines of the list file. A URI of the list that names no file is not
// checked here: reading it fails later, where the pipeline reports it.
func (f *inputFlags) uris(s beam.Scope) beam.PCollection {
	s = s.Scope("uris")
	if f.glob != "" {
		return beam.ParDo(s, metadataPath, fileio.MatchFiles(s, f.glob))
	}
	return beam.ParDo(s, listLine, textio.Read(s, f.list))
}

// metadataPath is a matched file's URI.
func metadataPath(md fileio.FileMetadata) string { return md.Path }

// listLine emits the URI of a line of a list file: the line without surrounding spaces, unless
// it is blank or a comment.
func listLine(line string, emit func(string)) {
	if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
		emit(line)
	}
}

// record is a row of a CSV output: Key orders the rows within a shard (the input's URI), Line
// is the CSV line without its line end.
type record struct {
	Key  string
	Line string
}

// csvLine formats fields as one CSV line (encoding/csv's quoting) without its line end.
func csvLine(fields []string) (string, error) {
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.Write(fields); err != nil {
		return "", err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// writeShards writes the records as CSV files of shards shards, PREFIX-SSSSS-of-NNNNN.csv,
// each with the header line and its rows sorted by key; a record goes to the shard of its
// key's hash. A shard with no rows writes no file. A shard's rows are sorted in the memory of
// one worker.
func writeShards(s beam.Scope, recs beam.PCollection, prefix string, shards int, header []string) {
	s = s.Scope("write " + prefix)
	keyed := beam.ParDo(s, &shardFn{Shards: shards}, recs)
	beam.ParDo0(s, &writeShardFn{Prefix: prefix, Shards: shards, Header: header}, beam.GroupByKey(s, keyed))
}

// shardFn keys a record by its shard, of Shards: the FNV-1a hash of its key modulo Shards.
type shardFn struct{ Shards int }

// ProcessElement keys r.
func (fn *shardFn) ProcessElement(r record) (int, record) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(r.Key)) // a hash.Hash never fails
	return int(h.Sum32() % uint32(fn.Shards)), r
}

// shardName is the file name of shard i of n.
func shardName(prefix string, i, n int) string {
	return fmt.Sprintf("%s-%05d-of-%05d.csv", prefix, i, n)
}

// writeShardFn writes one shard's records as a CSV file (see writeShards). Writing a shard
// again (a retried bundle) writes the same file.
type writeShardFn struct {
	Prefix string
	Shards int
	Header []string
}

// ProcessElement writes shard i.
func (fn *writeShardFn) ProcessElement(ctx context.Context, i int, recs func(*record) bool) error {
	var rows []record
	var r record
	for recs(&r) {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b record) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Line, b.Line)
	})
	head, err := csvLine(fn.Header)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(head + "\n")
	for _, r := range rows {
		b.WriteString(r.Line + "\n")
	}
	var fss fileSystems
	defer fss.close()
	return fss.write(ctx, shardName(fn.Prefix, i, fn.Shards), []byte(b.String()))
}
