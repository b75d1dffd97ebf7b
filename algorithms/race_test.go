//go:build race

package algorithms_test

// raceEnabled reports whether the race detector is on; its instrumentation
// allocates, so allocation counts are checked only without it.
const raceEnabled = true
