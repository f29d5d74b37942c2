package scorer

import (
	"slices"
	"strings"
	"testing"
)

func TestParseGroupSizes(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []int
		wantErr string
	}{
		{"1,5", []int{1, 5}, ""},
		{" 5 ", []int{5}, ""},
		{"256", []int{256}, ""},
		{"1,1", nil, "B = 1 given twice"},
		{"0", nil, "want integers from 1 to 256"},
		{"257", nil, "want integers from 1 to 256"},
		{"x", nil, "want integers from 1 to 256"},
		{"", nil, "want integers from 1 to 256"},
	} {
		got, err := ParseGroupSizes(c.in)
		if !slices.Equal(got, c.want) || (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("ParseGroupSizes(%q) = %v, %v; want %v, %q", c.in, got, err, c.want, c.wantErr)
		}
	}
}
