package main

import (
	"errors"
	"testing"
)

func TestScoreSaysNoModel(t *testing.T) {
	root := newRootCmd()
	root.SetArgs([]string{"score"})
	if err := root.Execute(); !errors.Is(err, errNoModel) {
		t.Fatalf("score returned %v, want the no-model error", err)
	}
}
