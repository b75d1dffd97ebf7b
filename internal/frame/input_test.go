package frame

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestInputLeft: an Input knows how much is left to read, counting what
// it has read ahead, from a source with a Len method or a regular file
// (from its current offset), and does not from others. NewSourceInput
// finds the local sources.
func TestInputLeft(t *testing.T) {
	data := bytes.Repeat([]byte("ciphertext "), 1000)
	path := filepath.Join(t.TempDir(), "msg")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(100, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() { pw.Write(data); pw.Close() }()
	for _, tc := range []struct {
		name  string
		src   io.Reader
		left  int64
		known bool // and local
	}{
		{"bytes.Reader", bytes.NewReader(data), int64(len(data)) - 10, true},
		{"file at offset 100", f, int64(len(data)) - 110, true},
		{"pipe", pr, 0, false},
		{"reader without Len", struct{ io.Reader }{bytes.NewReader(data)}, 0, false},
	} {
		in := NewSourceInput(tc.src)
		if in.Local() != tc.known {
			t.Errorf("%s: local %v, want %v", tc.name, in.Local(), tc.known)
		}
		if _, err := io.ReadFull(in, make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		left, known := in.left()
		if left != tc.left || known != tc.known {
			t.Errorf("%s: left %d, %v; want %d, %v", tc.name, left, known, tc.left, tc.known)
		}
		in.Close()
	}
	// A file not classified by NewSourceInput does not tell.
	in := NewInput(f, true)
	if _, known := in.left(); known {
		t.Error("a file given to NewInput told its size")
	}
	in.Close()
}
