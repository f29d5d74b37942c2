package device

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		choice string
		ok     bool
	}{{Auto, true}, {GPU, true}, {CPU, true}, {"", false}, {"cuda", false}, {"CPU", false}} {
		if err := Check(c.choice); (err == nil) != c.ok {
			t.Errorf("Check(%q) = %v, want ok %v", c.choice, err, c.ok)
		}
	}
	if _, err := Open("cuda", "", func(string) {}); err == nil || !strings.Contains(err.Error(), `--device "cuda"`) {
		t.Errorf(`Open("cuda") = %v, want the choices named`, err)
	}
}

// TestOpen: cpu gives the CPU executor without a notice; auto gives a hardware adapter without a
// notice, or the CPU executor with one (on this machine: lavapipe is a software adapter, and a
// build without cgo has no GPU support).
func TestOpen(t *testing.T) {
	for _, choice := range []string{CPU, Auto} {
		var notices []string
		e, err := Open(choice, "", func(msg string) { notices = append(notices, msg) })
		if err != nil {
			t.Fatalf("Open(%q): %v", choice, err)
		}
		onCPU := strings.HasPrefix(e.Name(), "cpu")
		t.Logf("Open(%q): %s, notices %q", choice, e.Name(), notices)
		switch {
		case choice == CPU && (!onCPU || len(notices) != 0):
			t.Errorf("Open(cpu): %s with notices %q", e.Name(), notices)
		case choice == Auto && onCPU != (len(notices) == 1):
			t.Errorf("Open(auto): %s with notices %q: want one notice exactly when on the CPU", e.Name(), notices)
		case choice == Auto && onCPU && !strings.Contains(notices[0], "using the CPU executor"):
			t.Errorf("Open(auto) notice %q does not say it uses the CPU executor", notices[0])
		}
	}
}
