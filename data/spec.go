package data

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Spec names a data set and an optional range of its images, as parsed by ParseSpec.
type Spec struct {
	// Kind is the source: mnist, fashionmnist, cifar10, gtsrb, omniglot, dir, file or noise.
	Kind string
	// Variant is the split or flavour: train, test, lossless, inverted, uniform, or empty.
	Variant string
	// Path is the folder (dir) or file (file) to read.
	Path string
	// Ranged says whether the spec selects images [Start, End).
	Ranged bool
	// Start is the first selected image.
	Start int
	// End is one past the last selected image; -1 means the end of the set.
	End int
}

// variants lists the accepted variants of each kind; "" means the kind may stand alone.
var variants = map[string][]string{
	"mnist":        {"train", "test"},
	"fashionmnist": {"train", "test"},
	"cifar10":      {"train", "test", "lossless"},
	"gtsrb":        {"train", "test", "train-raw", "test-raw"},
	"omniglot":     {"", "inverted"},
	"noise":        {"uniform"},
}

// ParseSpec parses a data set spec:
//
//	mnist:train  mnist:test  fashionmnist:train  fashionmnist:test
//	cifar10:train  cifar10:test  cifar10:lossless  gtsrb:train  gtsrb:test (JPEG round trip at
//	quality 75, as CIFAR-10 had)  gtsrb:train-raw  gtsrb:test-raw (as stored)
//	omniglot  omniglot:inverted  noise:uniform  dir:PATH  file:PATH
//
// optionally followed by a range of images [START:END], either bound omitted for the start or
// the end of the set: "mnist:test[:2000]", "cifar10:test[1000:2000]", "gtsrb:train[500:]". A
// PATH that itself ends in ']' needs a range after it ("dir:shots[2][:]" is the folder shots[2]).
func ParseSpec(s string) (Spec, error) {
	sp, err := parseSpec(s)
	if err != nil {
		return Spec{}, fmt.Errorf("data: spec %q: %w", s, err)
	}
	return sp, nil
}

func parseSpec(s string) (Spec, error) {
	var sp Spec
	body := s
	if strings.HasSuffix(s, "]") {
		open := strings.LastIndexByte(s, '[')
		if open < 0 {
			return Spec{}, errors.New("range: ']' without '['")
		}
		var err error
		if sp.Start, sp.End, err = parseRange(s[open+1 : len(s)-1]); err != nil {
			return Spec{}, err
		}
		sp.Ranged = true
		body = s[:open]
	}
	kind, rest, hasColon := strings.Cut(body, ":")
	sp.Kind = strings.ToLower(kind)
	switch sp.Kind {
	case "dir", "file":
		if rest == "" {
			return Spec{}, fmt.Errorf("%s needs a path: %s:PATH", sp.Kind, sp.Kind)
		}
		sp.Path = rest
		return sp, nil
	}
	allowed, ok := variants[sp.Kind]
	if !ok {
		return Spec{}, fmt.Errorf("unknown data set %q (want mnist, fashionmnist, cifar10, gtsrb, omniglot, noise, dir or file)", kind)
	}
	sp.Variant = strings.ToLower(rest)
	if (hasColon && sp.Variant == "") || !slices.Contains(allowed, sp.Variant) {
		return Spec{}, fmt.Errorf("%s: unknown variant %q (want one of %s)", sp.Kind, rest, variantList(sp.Kind, allowed))
	}
	return sp, nil
}

// parseRange parses START:END with either bound optional.
func parseRange(r string) (start, end int, err error) {
	lo, hi, ok := strings.Cut(r, ":")
	if !ok {
		return 0, 0, fmt.Errorf("range [%s]: want [START:END], [:END] or [START:]", r)
	}
	start, end = 0, -1
	if lo != "" {
		if start, err = parseBound(lo); err != nil {
			return 0, 0, fmt.Errorf("range [%s]: %w", r, err)
		}
	}
	if hi != "" {
		if end, err = parseBound(hi); err != nil {
			return 0, 0, fmt.Errorf("range [%s]: %w", r, err)
		}
		if end < start {
			return 0, 0, fmt.Errorf("range [%s]: end %d before start %d", r, end, start)
		}
	}
	return start, end, nil
}

// parseBound parses one non-negative range bound.
func parseBound(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bound %q is not a non-negative integer", s)
	}
	return n, nil
}

// variantList formats the accepted specs of kind for an error message.
func variantList(kind string, allowed []string) string {
	out := make([]string, len(allowed))
	for i, v := range allowed {
		out[i] = kind
		if v != "" {
			out[i] += ":" + v
		}
	}
	return strings.Join(out, ", ")
}

// String formats sp back into the spec syntax ParseSpec reads.
func (sp Spec) String() string {
	var b strings.Builder
	b.WriteString(sp.Kind)
	switch {
	case sp.Path != "":
		b.WriteString(":" + sp.Path)
	case sp.Variant != "":
		b.WriteString(":" + sp.Variant)
	}
	if sp.Ranged {
		b.WriteString("[")
		if sp.Start != 0 {
			b.WriteString(strconv.Itoa(sp.Start))
		}
		b.WriteString(":")
		if sp.End >= 0 {
			b.WriteString(strconv.Itoa(sp.End))
		}
		b.WriteString("]")
	}
	return b.String()
}
