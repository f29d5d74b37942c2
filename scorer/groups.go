package scorer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxGroupSize is the largest B (images scored together) the commands accept: the paper uses 1
// and 5, and a group's images are held in one executor run.
const MaxGroupSize = 256

// ParseGroupSizes parses comma-separated group sizes, such as fit's and bench's --batch
// "1,5": distinct integers from 1 to MaxGroupSize. Its errors start with s quoted, for the
// caller to name the flag.
func ParseGroupSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || b < 1 || b > MaxGroupSize {
			return nil, fmt.Errorf("%q: want integers from 1 to %d separated by commas", s, MaxGroupSize)
		}
		if slices.Contains(out, b) {
			return nil, fmt.Errorf("%q: B = %d given twice", s, b)
		}
		out = append(out, b)
	}
	return out, nil
}
