package data

import (
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		str  string // String() when it differs from in
		err  string
	}{
		{in: "mnist:train", want: Spec{Kind: "mnist", Variant: "train"}},
		{in: "mnist:test[:2000]", want: Spec{Kind: "mnist", Variant: "test", Ranged: true, End: 2000}},
		{in: "fashionmnist:test[1000:2000]", want: Spec{Kind: "fashionmnist", Variant: "test", Ranged: true, Start: 1000, End: 2000}},
		{in: "cifar10:lossless[500:]", want: Spec{Kind: "cifar10", Variant: "lossless", Ranged: true, Start: 500, End: -1}},
		{in: "gtsrb:test[:]", want: Spec{Kind: "gtsrb", Variant: "test", Ranged: true, End: -1}},
		{in: "omniglot", want: Spec{Kind: "omniglot"}},
		{in: "omniglot:inverted", want: Spec{Kind: "omniglot", Variant: "inverted"}},
		{in: "noise:uniform", want: Spec{Kind: "noise", Variant: "uniform"}},
		{in: "MNIST:Test", want: Spec{Kind: "mnist", Variant: "test"}, str: "mnist:test"},
		{in: "dir:/tmp/a:b", want: Spec{Kind: "dir", Path: "/tmp/a:b"}},
		{in: "dir:shots[2][:]", want: Spec{Kind: "dir", Path: "shots[2]", Ranged: true, End: -1}},
		{in: "file:x.png[0:1]", want: Spec{Kind: "file", Path: "x.png", Ranged: true, End: 1}, str: "file:x.png[:1]"},
		{in: "svhn:test", err: `unknown data set "svhn"`},
		{in: "mnist", err: "unknown variant"},
		{in: "mnist:", err: "unknown variant"},
		{in: "mnist:valid", err: "want one of mnist:train, mnist:test"},
		{in: "omniglot:", err: "want one of omniglot, omniglot:inverted"},
		{in: "dir:", err: "needs a path"},
		{in: "mnist:test[2000:1000]", err: "end 1000 before start 2000"},
		{in: "mnist:test[-1:]", err: "not a non-negative integer"},
		{in: "mnist:test[a:b]", err: "not a non-negative integer"},
		{in: "mnist:test[100]", err: "want [START:END]"},
		{in: "mnist:test]", err: "without '['"},
		{in: "", err: "unknown data set"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got.String() != str {
				t.Fatalf("String() = %q, want %q", got.String(), str)
			}
		})
	}
}
