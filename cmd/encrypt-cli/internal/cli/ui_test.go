package cli

import (
	"os"
	"testing"
)

// /dev/null is a character device but not a terminal: no progress bar is
// drawn into it.
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Fatalf("%s is taken for a terminal", os.DevNull)
	}
}
