package frame

import (
	"bytes"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"testing"
)

// lendSource is a bytes.Reader whose Read fails the test while lending
// is set: bytes lent to an Opener must be read in place, never read again
// from the source.
type lendSource struct {
	*bytes.Reader
	t       testing.TB
	lending bool
}

func (s *lendSource) Read(p []byte) (int, error) {
	if s.lending {
		s.t.Error("the source was read while its bytes were lent")
	}
	return s.Reader.Read(p)
}

// TestOpenerLend: a lazy stream given the rest of its source by Lend
// releases every regular frame from those bytes without reading the
// source and without writing the bytes, into room when the frame fits
// there, then reads the final frame from the source where Lend stopped;
// the plaintext and the hash are those of the message, whether the read
// buffer held part of the body before or not. A stream that opens
// batches ahead does not lend.
func TestOpenerLend(t *testing.T) {
	for _, fl := range []uint32{1, 100, 4096} {
		c := testCipher(t, fl)
		for _, size := range []int{0, 1, int(fl) - 1, int(fl), 2*int(fl) + 3, 100 << 10} {
			if fl == 1 && size > 4096 {
				continue
			}
			pt := pattern(size, byte(size))
			msg := message(t, c, pt)
			bodyAt := len(msg) - len(sealBody(t, c, pt))
			regular := size / int(fl) * int(fl) // bytes in regular frames
			for _, room := range []int{0, int(fl), int(fl) - 1} {
				for _, readFirst := range []int{0, 1, 5000} {
					name := fmt.Sprintf("fl %d, %d bytes, room %d, %d read first", fl, size, room, readFirst)
					src := &lendSource{Reader: bytes.NewReader(msg), t: t}
					h := sha512.New384()
					st := openStreamFrom(t, c, src, 1, true, h, nil)
					if !st.o.Lends() {
						t.Fatalf("%s: a lazy stream does not lend", name)
					}
					// Release some frames through Next first: the read buffer
					// then holds part of the body.
					for len(st.got) < readFirst {
						pt, last, err := st.o.Next()
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						st.got = append(st.got, pt...)
						if last {
							break
						}
					}
					released := len(st.got)
					if !st.o.Lends() {
						// The final frame was read ahead: nothing to lend.
						if st.drain(); st.err != io.EOF || !bytes.Equal(st.got, pt) {
							t.Fatalf("%s: %d bytes, %v", name, len(st.got), st.err)
						}
						continue
					}
					lent := msg[len(msg)-src.Len():]
					orig := bytes.Clone(lent)
					dst := make([]byte, room)
					inRoom, inPlace := 0, 0
					src.lending = true
					n, err := st.o.Lend(lent, func(n int) []byte {
						if n > int(fl) {
							t.Errorf("room asked for %d bytes", n)
						}
						return dst
					}, func(p []byte) error {
						if len(p) > 0 && len(dst) > 0 && &p[0] == &dst[0] {
							inRoom++
						}
						if st.in.borrowed() {
							inPlace++ // read from the bytes lent, not a copy
						}
						st.got = append(st.got, p...)
						return nil
					})
					src.lending = false
					if err != nil || n > len(lent) {
						t.Fatalf("%s: Lend consumed %d of %d bytes: %v", name, n, len(lent), err)
					}
					if !bytes.Equal(lent, orig) {
						t.Fatalf("%s: Lend wrote to the bytes lent", name)
					}
					if !bytes.Equal(st.got, pt[:regular]) {
						t.Fatalf("%s: Lend released %d bytes, want the %d of the regular frames", name, len(st.got), regular)
					}
					if want := (regular - released) / int(fl); room >= int(fl) && inRoom != want {
						t.Fatalf("%s: %d frames opened into room, want %d", name, inRoom, want)
					} else if room < int(fl) && inRoom != 0 {
						t.Fatalf("%s: %d frames opened into a room too small", name, inRoom)
					}
					slot := int(fl) + 32
					if len(lent) >= 3*slot && inPlace == 0 {
						t.Fatalf("%s: no frame read in place from %d bytes lent", name, len(lent))
					}
					src.Seek(int64(n-len(lent)), io.SeekEnd)
					st.drain()
					if st.err != io.EOF || !bytes.Equal(st.got, pt) || st.finished != 1 {
						t.Fatalf("%s: after Lend: %d bytes, %v, finish ran %d times", name, len(st.got), st.err, st.finished)
					}
					if !bytes.Equal(h.Sum(nil), sha384(msg[bodyAt:])) {
						t.Fatalf("%s: the hash is not that of the body", name)
					}
				}
			}
		}
	}
	// A stream that opens batches ahead on the pool copies its input.
	c := testCipher(t, 4096)
	msg := message(t, c, pattern(lazyMax, 1))
	st := openStreamFrom(t, c, struct{ io.Reader }{bytes.NewReader(msg)}, 2, true, nil, nil)
	if st.o.Lends() {
		t.Fatal("a stream that opens batches ahead lends")
	}
	if n, err := st.o.Lend(msg[100:], func(int) []byte { return nil }, func([]byte) error { return nil }); n != 0 || err != nil {
		t.Fatalf("Lend to a stream that does not lend: %d, %v", n, err)
	}
}

// TestOpenerLendFailures: a tampered frame among the bytes lent stops
// Lend at that frame, with the frames before it released and the error
// returned by every later call; an error of emit ends the stream too. The
// bytes lent are never written.
func TestOpenerLendFailures(t *testing.T) {
	const fl = 1024
	c := testCipher(t, fl)
	pt := pattern(40*fl+7, 3) // 40 regular frames and a final one
	msg := message(t, c, pt)
	for _, k := range []int{0, 9, 39} {
		bad := flipInFrame(t, c, msg, pt, k)
		src := &lendSource{Reader: bytes.NewReader(bad), t: t}
		st := openStreamFrom(t, c, src, 1, true, nil, nil)
		lent := bad[len(bad)-src.Len():]
		orig := bytes.Clone(lent)
		var got []byte
		_, err := st.o.Lend(lent, func(int) []byte { return nil }, func(p []byte) error {
			got = append(got, p...)
			return nil
		})
		if !errors.Is(err, ErrAuthentication) || !bytes.Equal(got, pt[:k*fl]) {
			t.Fatalf("frame %d tampered: released %d bytes, error %v", k+1, len(got), err)
		}
		if !bytes.Equal(lent, orig) {
			t.Fatalf("frame %d tampered: Lend wrote to the bytes lent", k+1)
		}
		if _, _, later := st.o.Next(); later != err {
			t.Fatalf("frame %d tampered: a later call returned %v", k+1, later)
		}
	}
	errWrite := errors.New("write failed")
	src := &lendSource{Reader: bytes.NewReader(msg), t: t}
	st := openStreamFrom(t, c, src, 1, true, nil, nil)
	emitted := 0
	_, err := st.o.Lend(msg[len(msg)-src.Len():], func(int) []byte { return nil }, func([]byte) error {
		if emitted++; emitted == 5 {
			return errWrite
		}
		return nil
	})
	if err != errWrite || emitted != 5 {
		t.Fatalf("emit failed: Lend returned %v after %d frames", err, emitted)
	}
	if _, _, later := st.o.Next(); later != errWrite {
		t.Fatalf("emit failed: a later call returned %v", later)
	}
}
