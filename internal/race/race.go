// Package race says whether the program was built with the race detector (go build -race), so
// that a test can size a workload whose instrumented run would take minutes: the README's test
// command runs every test under -race, where the pure-Go loops of the CPU executor run several
// times slower, and it must finish in ten minutes on two cores.
package race
