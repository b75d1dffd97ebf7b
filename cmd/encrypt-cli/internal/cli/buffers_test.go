package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// scratchReader fills all of every buffer it is given, as an io.Reader may,
// and reports one byte read.
type scratchReader struct {
	seen []byte
	left int
}

func (s *scratchReader) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	s.left--
	s.seen = p
	for i := range p {
		p[i] = 0x5a
	}
	return 1, nil
}

func allZero(b []byte) bool {
	return bytes.Count(b, []byte{0}) == len(b)
}

// The buffers an operation copies through go back to their pools cleared,
// whether the operation succeeded or not: they may hold plaintext.
func TestPooledBuffersAreCleared(t *testing.T) {
	for _, tc := range []struct {
		name string
		dst  io.Writer
	}{
		{"success", io.Discard},
		{"failing writer", failWriter{}},
	} {
		src := &scratchReader{left: 2}
		copyContext(context.Background(), tc.dst, src)
		if len(src.seen) != 64<<10 || !allZero(src.seen) {
			t.Errorf("%s: the copy buffer (%d bytes) went back to its pool uncleared", tc.name, len(src.seen))
		}

		w := getWriter()
		buf := w.AvailableBuffer()
		buf = buf[:cap(buf)]
		w.Reset(tc.dst)
		w.Write(bytes.Repeat([]byte{0x5a}, 100))
		w.Flush()
		w.Write(bytes.Repeat([]byte{0x5a}, 100)) // kept after a failed flush
		putWriter(w)
		if len(buf) != 64<<10 || !allZero(buf) {
			t.Errorf("%s: the output buffer (%d bytes) went back to its pool uncleared", tc.name, len(buf))
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("write failed") }
