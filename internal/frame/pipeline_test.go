package frame

import (
	"bytes"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
	"github.com/go-esdk/esdk/materials"
)

// The tests of this file check the pipeline's rules (see the package
// documentation), on the Sealer, Opener and Input first, then on the
// batches they are made of: bodies sealed by a Sealer, however written and
// with any number of workers, are exactly the frames sealed one by one;
// an Opener releases them in order, only once authenticated, the final
// one only after finish; errors and faults propagate; a sequential stream
// starts no goroutine; frames are read in place from a read buffer sized
// to the message and cleared before reuse; a pool goroutine holding a
// ticket for an earlier generation of a batch touches nothing; the pool
// follows GOMAXPROCS.

// sealReference is the body of a framed message sealed frame by frame on
// one goroutine, the reference for Sealers.
func sealReference(c *Cipher, pt []byte) []byte {
	fl := c.fl
	var s Scratch
	var out []byte
	seq := uint32(1)
	for ; len(pt) >= fl; seq++ {
		f := make([]byte, wire.RegularFrameHeaderLen+fl+algorithms.TagLen)
		out = append(out, c.SealFrame(&s, f, seq, false, pt[:fl])...)
		pt = pt[fl:]
	}
	f := make([]byte, wire.FinalFrameHeaderLen+len(pt)+algorithms.TagLen)
	return append(out, c.SealFrame(&s, f, seq, true, pt)...)
}

// writeIn writes p to w in pieces of the given lengths, cycling.
func writeIn(t *testing.T, w io.Writer, p []byte, pieces []int) {
	t.Helper()
	for i := 0; len(p) > 0; i++ {
		n := min(len(p), pieces[i%len(pieces)])
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
}

// newTestSealer returns a Sealer with the given workers writing to out,
// and the hash it feeds when signed (h is a fresh SHA-384 either way).
func newTestSealer(c *Cipher, workers int, signed bool) (s *Sealer, out *bytes.Buffer, h hash.Hash) {
	out, h = new(bytes.Buffer), sha512.New384()
	cfg := Config{Workers: workers}
	if signed {
		cfg.Hash = h
	}
	return NewSealer(c, out, cfg), out, h
}

// TestSealerMatchesReference: whatever the writes (byte by byte, odd
// pieces, large writes sealed straight from the caller's buffer), the
// number of workers and whether the body is hashed, or sealed one-shot by
// AppendFrames and AppendFinal, a Sealer writes exactly the frames sealed one by one, in
// order, and hashes exactly what it writes.
func TestSealerMatchesReference(t *testing.T) {
	for _, fl := range []uint32{1, 100, 4096} {
		c := testCipher(t, fl)
		// Nothing written: the body is an empty final frame.
		for _, workers := range []int{1, 2} {
			s, out, _ := newTestSealer(c, workers, true)
			if err := s.Close(); err != nil || !bytes.Equal(out.Bytes(), sealReference(c, nil)) {
				t.Fatalf("fl %d, %d workers, nothing written: %x, %v", fl, workers, out.Bytes(), err)
			}
		}
		pt := pattern(300<<10+17, byte(fl))
		if fl == 1 {
			pt = pt[:3000]
		}
		want := sealReference(c, pt)
		for _, workers := range []int{1, 2, 4} {
			for _, signed := range []bool{false, true} {
				for _, pieces := range [][]int{{1}, {1000, 7, 5000}, {1 << 20}} {
					if fl == 4096 && pieces[0] == 1 {
						continue // slow, and no different from fl 100
					}
					name := fmt.Sprintf("fl %d, %d workers, signed %v, pieces %v", fl, workers, signed, pieces)
					s, out, h := newTestSealer(c, workers, signed)
					writeIn(t, s, pt, pieces)
					if err := s.Close(); err != nil {
						t.Fatal(name, err)
					}
					if !bytes.Equal(out.Bytes(), want) {
						t.Fatalf("%s: sealed body differs from frames sealed one by one", name)
					}
					if signed && !bytes.Equal(h.Sum(nil), sha384(want)) {
						t.Fatalf("%s: the hash is not that of the body", name)
					}
				}
				// One-shot: whole frames straight into a buffer, the rest
				// through Write.
				s, out, h := newTestSealer(c, workers, signed)
				whole := len(pt) / int(fl) * int(fl)
				dst, err := s.AppendFrames(make([]byte, 0, len(want)), pt[:whole])
				if err != nil {
					t.Fatal(err)
				}
				s.Write(pt[whole:])
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if got := append(dst, out.Bytes()...); !bytes.Equal(got, want) {
					t.Fatalf("fl %d, %d workers, signed %v: AppendFrames differs from frames sealed one by one", fl, workers, signed)
				}
				if signed && !bytes.Equal(h.Sum(nil), sha384(want)) {
					t.Fatalf("fl %d, %d workers: AppendFrames hashed something else", fl, workers)
				}
				// One-shot, the final frame too (AppendFinal): nothing is
				// left for Close to write.
				for _, p := range [][]byte{pt, pt[:0], pt[:int(fl)-1]} {
					want := sealReference(c, p)
					s, out, h := newTestSealer(c, workers, signed)
					whole := len(p) / int(fl) * int(fl)
					dst, err := s.AppendFrames(make([]byte, 0, len(want)), p[:whole])
					if err == nil {
						dst, err = s.AppendFinal(dst, p[whole:])
					}
					if err == nil {
						err = s.Close()
					}
					if err != nil || out.Len() != 0 || !bytes.Equal(dst, want) {
						t.Fatalf("fl %d, %d workers, signed %v, %d bytes: AppendFinal differs from frames sealed one by one (%v; %d bytes written by Close)", fl, workers, signed, len(p), err, out.Len())
					}
					if signed && !bytes.Equal(h.Sum(nil), sha384(want)) {
						t.Fatalf("fl %d, %d workers, %d bytes: AppendFinal hashed something else", fl, workers, len(p))
					}
				}
			}
		}
	}
}

func sha384(b []byte) []byte { h := sha512.Sum384(b); return h[:] }

// message is a whole framed (frameLen > 0) or non-framed message of pt
// under c's key, with header authentication bytes that no Opener checks.
func message(t testing.TB, c *Cipher, pt []byte) []byte {
	t.Helper()
	suite, err := algorithms.Lookup(algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	if err != nil {
		t.Fatal(err)
	}
	hdr := &format.Header{
		Version: 2, Suite: suite, MessageID: c.messageID, ContentType: format.Framed,
		FrameLength:       c.frameLen,
		EncryptedDataKeys: []materials.EncryptedDataKey{{ProviderID: "p", ProviderInfo: []byte("i"), Ciphertext: []byte("c")}},
		SuiteData:         make([]byte, 32),
	}
	if c.frameLen == 0 {
		hdr.ContentType = format.NonFramed
	}
	msg, err := hdr.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg = append(msg, make([]byte, algorithms.TagLen)...)
	var body bytes.Buffer
	s := NewSealer(c, &body, Config{Workers: 1})
	s.Write(pt)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return append(msg, body.Bytes()...)
}

// trickle returns at most n bytes per Read: a source that is not local.
type trickle struct {
	r io.Reader
	n int
}

func (t *trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), t.n)]) }

// stream is an Opener over msg and what it released.
type stream struct {
	o        *Opener
	in       *Input
	got      []byte
	frames   int
	finished int
	err      error
}

// openStream reads the header of msg and returns an Opener of its body.
// finish records that it ran and returns finishErr.
func openStream(t testing.TB, c *Cipher, msg []byte, workers int, local bool, h hash.Hash, finishErr error) *stream {
	t.Helper()
	// The source does not tell its length, which would make a stream of
	// a small message lazy whatever its workers (see TestOpenerOpensInto).
	var src io.Reader = struct{ io.Reader }{bytes.NewReader(msg)}
	if !local {
		src = &trickle{src, 1500}
	}
	return openStreamFrom(t, c, src, workers, local, h, finishErr)
}

func openStreamFrom(t testing.TB, c *Cipher, src io.Reader, workers int, local bool, h hash.Hash, finishErr error) *stream {
	t.Helper()
	st := &stream{in: NewInput(src, local)}
	mr := format.NewReader(st.in, format.Limits{})
	if _, _, err := mr.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := mr.ReadHeaderAuth(); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Workers: workers}
	if h != nil {
		cfg.Hash = h
	}
	st.o = NewOpener(c, mr, st.in, local, FinishFunc(func() error {
		st.finished++
		if finishErr == nil {
			return mr.ExpectEOF()
		}
		return finishErr
	}), cfg)
	return st
}

// drain calls Next until an error, collecting the plaintext.
func (st *stream) drain() {
	for {
		pt, last, err := st.o.Next()
		if err != nil {
			st.err = err
			return
		}
		st.got = append(st.got, pt...)
		st.frames++
		if last {
			if _, _, err := st.o.Next(); err != io.EOF {
				st.err = fmt.Errorf("after the last frame: %v, want io.EOF", err)
				return
			}
		}
	}
}

// TestOpenerRoundTrip: an Opener, streaming (from memory or a source that
// is not local, with any number of workers, hashing or not) or one-shot,
// returns exactly the plaintext, hashes exactly the body, and calls finish
// once.
func TestOpenerRoundTrip(t *testing.T) {
	for _, fl := range []uint32{0, 1, 4096, 64 << 10} {
		c := testCipher(t, fl)
		for _, size := range []int{0, 1000, 4096, 300<<10 + 5} {
			if fl == 1 && size > 4096 {
				continue
			}
			pt := pattern(size, byte(size))
			msg := message(t, c, pt)
			bodyAt := len(msg) - len(sealBody(t, c, pt))
			for _, workers := range []int{1, 2, 4} {
				for _, local := range []bool{true, false} {
					h := sha512.New384()
					st := openStream(t, c, msg, workers, local, h, nil)
					st.drain()
					name := fmt.Sprintf("fl %d, %d bytes, %d workers, local %v", fl, size, workers, local)
					if st.err != io.EOF || !bytes.Equal(st.got, pt) || st.finished != 1 {
						t.Fatalf("%s: %d bytes, %v, finish ran %d times", name, len(st.got), st.err, st.finished)
					}
					if !bytes.Equal(h.Sum(nil), sha384(msg[bodyAt:])) {
						t.Fatalf("%s: the hash is not that of the body", name)
					}
				}
				// One-shot.
				mr := format.NewBytesReader(msg, format.Limits{})
				mr.ReadHeader()
				mr.ReadHeaderAuth()
				h := sha512.New384()
				finished := 0
				o := NewOpener(c, mr, nil, true, FinishFunc(func() error { finished++; return mr.ExpectEOF() }), Config{Workers: workers, Hash: h})
				out, err := o.AppendAll(make([]byte, 0, len(msg)), len(msg)-bodyAt)
				if err != nil || !bytes.Equal(out, pt) || finished != 1 || !bytes.Equal(h.Sum(nil), sha384(msg[bodyAt:])) {
					t.Fatalf("fl %d, %d bytes, %d workers, one-shot: %v", fl, size, workers, err)
				}
			}
		}
	}
}

// TestAppendAllFailureLeavesNothing: a one-shot decryption that fails (a
// tampered frame after some good ones, a truncated body, failing final
// checks, a dst too small for the plaintext) returns dst as it was and
// leaves none of the plaintext it had opened in dst's spare capacity,
// sequentially and with helpers.
func TestAppendAllFailureLeavesNothing(t *testing.T) {
	const fl = 1024
	c := testCipher(t, fl)
	pt := pattern(40*fl+300, 6)
	msg := message(t, c, pt)
	bodyAt := len(msg) - len(sealBody(t, c, pt))
	tampered := flipInFrame(t, c, msg, pt, 30)
	errFinish := errors.New("final checks")
	for _, tc := range []struct {
		name      string
		msg       []byte
		finishErr error
	}{
		{"tampered frame 31", tampered, nil},
		{"truncated", msg[:len(msg)-100], nil},
		{"failing finish", msg, errFinish},
		{"no room", msg, nil}, // dst one byte short of the plaintext
	} {
		for _, workers := range []int{1, 2} {
			mr := format.NewBytesReader(tc.msg, format.Limits{})
			mr.ReadHeader()
			mr.ReadHeaderAuth()
			o := NewOpener(c, mr, nil, true, FinishFunc(func() error {
				if tc.finishErr != nil {
					return tc.finishErr
				}
				return mr.ExpectEOF()
			}), Config{Workers: workers})
			room := len(msg)
			if tc.name == "no room" {
				room = len(pt) - 1
			}
			dst := append(make([]byte, 0, 3+room), "pre"...)
			out, err := o.AppendAll(dst, len(tc.msg)-bodyAt)
			spare := dst[3:cap(dst)]
			if err == nil || string(out) != "pre" || len(bytes.Trim(spare, "\x00")) != 0 {
				t.Errorf("%s, %d workers: returned %d bytes, error %v; %d bytes left in the spare capacity", tc.name, workers, len(out), err, len(bytes.Trim(spare, "\x00")))
			}
			if tc.name == "no room" && !errors.Is(err, ErrInternal) {
				t.Errorf("%d workers: a plaintext that does not fit in dst: %v, want ErrInternal", workers, err)
			}
		}
	}
}

// TestSealerRecyclesSealedBuffers: the buffers a Sealer copies plaintext
// into to seal it go back to their pools holding no plaintext: those
// outgrown while writing, and all of them once the body is closed. After
// Close the Sealer refuses more plaintext, and a second Close does nothing.
func TestSealerRecyclesSealedBuffers(t *testing.T) {
	c := testCipher(t, 1024)
	pt := bytes.Repeat([]byte("secret plaintext "), 2000)
	for _, workers := range []int{1, 2} {
		for _, signed := range []bool{false, true} {
			cfg := Config{Workers: workers}
			if signed {
				cfg.Hash = sha512.New384()
			}
			var out bytes.Buffer
			s := NewSealer(c, &out, cfg)
			var segs []*segment
			for p := pt; len(p) > 0; {
				n := min(len(p), 700)
				if _, err := s.Write(p[:n]); err != nil {
					t.Fatal(err)
				}
				p = p[n:]
				for _, b := range append(append([]*batch{s.cur}, s.free...), s.inflight...) {
					if b != nil && b.seg != nil && !slices.Contains(segs, b.seg) {
						segs = append(segs, b.seg)
					}
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for i, sg := range segs {
				if bytes.Contains(sg.b, []byte("secret")) {
					t.Errorf("%d workers, signed %v: sealing buffer %d holds plaintext once recycled", workers, signed, i)
				}
			}
			if _, err := s.Write([]byte("more")); err == nil {
				t.Errorf("%d workers: Write after Close succeeded", workers)
			}
			if err := s.Close(); err != nil {
				t.Errorf("%d workers: a second Close: %v", workers, err)
			}
			if !bytes.Equal(out.Bytes(), sealReference(c, pt)) {
				t.Fatalf("%d workers, signed %v: sealed body differs", workers, signed)
			}
		}
	}
}

// flipInFrame returns a copy of msg, the message of pt under c, with a
// bit of the content of regular frame k (counting from 0) flipped.
func flipInFrame(t testing.TB, c *Cipher, msg, pt []byte, k int) []byte {
	bodyAt := len(msg) - len(sealBody(t, c, pt))
	slot := wire.RegularFrameHeaderLen + c.fl + algorithms.TagLen
	bad := bytes.Clone(msg)
	bad[bodyAt+k*slot+wire.RegularFrameHeaderLen+5] ^= 1
	return bad
}

// sealBody is the sealed body of pt.
func sealBody(t testing.TB, c *Cipher, pt []byte) []byte {
	var body bytes.Buffer
	s := NewSealer(c, &body, Config{Workers: 1})
	s.Write(pt)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return body.Bytes()
}

// TestOpenerReleaseRules: a tampered frame stops the stream at that
// frame: the frames before it are released, in order, and nothing of it
// or after it; the error wraps ErrAuthentication, names the frame, and is
// returned again by every later call. A tampered final frame is never
// released and finish never runs. When finish fails (a bad signature,
// trailing data), the final frame's plaintext is not released. A read
// error after some frames comes after them.
func TestOpenerReleaseRules(t *testing.T) {
	const fl = 1024
	c := testCipher(t, fl)
	pt := pattern(100*fl+300, 4) // 100 regular frames and a final one
	msg := message(t, c, pt)
	bodyAt := len(msg) - len(sealBody(t, c, pt))
	slot := wire.RegularFrameHeaderLen + fl + algorithms.TagLen
	for _, workers := range []int{1, 2} {
		for _, local := range []bool{true, false} {
			name := fmt.Sprintf("%d workers, local %v", workers, local)
			for _, k := range []int{0, 1, 37, 99, 100} { // frame k+1 is tampered
				bad := bytes.Clone(msg)
				hl := wire.RegularFrameHeaderLen
				if k == 100 {
					hl = wire.FinalFrameHeaderLen
				}
				bad[bodyAt+k*slot+hl+5] ^= 1
				st := openStream(t, c, bad, workers, local, nil, nil)
				st.drain()
				if !errors.Is(st.err, ErrAuthentication) || !bytes.Contains([]byte(st.err.Error()), fmt.Appendf(nil, "frame %d:", k+1)) {
					t.Fatalf("%s: frame %d tampered: error %v", name, k+1, st.err)
				}
				if !bytes.Equal(st.got, pt[:k*fl]) || st.finished != 0 {
					t.Fatalf("%s: frame %d tampered: released %d bytes (want %d), finish ran %d times", name, k+1, len(st.got), k*fl, st.finished)
				}
				if _, _, err := st.o.Next(); err != st.err {
					t.Fatalf("%s: a later call returned %v, not the first error", name, err)
				}
			}
			// finish fails: the final frame is authentic but not released.
			errSig := errors.New("signature")
			st := openStream(t, c, msg, workers, local, nil, errSig)
			st.drain()
			if st.err != errSig || st.finished != 1 || !bytes.Equal(st.got, pt[:100*fl]) {
				t.Fatalf("%s: failing finish: error %v, released %d bytes, finish ran %d times", name, st.err, len(st.got), st.finished)
			}
			// Truncated in frame 51: frames 1 to 50 come out, then the error.
			st = openStream(t, c, msg[:bodyAt+50*slot+100], workers, local, nil, nil)
			st.drain()
			if !errors.Is(st.err, format.ErrTruncated) || !bytes.Equal(st.got, pt[:50*fl]) {
				t.Fatalf("%s: truncated: error %v, released %d bytes", name, st.err, len(st.got))
			}
			// Tampered in frame 31 and truncated in frame 51: the tampered
			// frame is reported, the frames before it released.
			bad := bytes.Clone(msg[:bodyAt+50*slot+100])
			bad[bodyAt+30*slot+wire.RegularFrameHeaderLen] ^= 1
			st = openStream(t, c, bad, workers, local, nil, nil)
			st.drain()
			if !errors.Is(st.err, ErrAuthentication) || !bytes.Equal(st.got, pt[:30*fl]) {
				t.Fatalf("%s: tampered and truncated: error %v, released %d bytes", name, st.err, len(st.got))
			}
		}
	}
}

// TestOpenerOpensInto: a lazy stream opens each frame straight into the
// buffer given to NextTo when it fits there (the plaintext returned is
// that buffer), in place when it does not; a stream that opens batches
// ahead never writes the buffer. A stream is lazy with one worker, and
// with two when its source tells that it holds less than lazyMax; a
// signed stream's hash sees the same bytes either way. A frame that does
// not authenticate, and a final frame whose finish fails, leave nothing
// of their plaintext in the buffer.
func TestOpenerOpensInto(t *testing.T) {
	const fl = 1024
	c := testCipher(t, fl)
	small := pattern(5*fl+300, 9) // 5 regular frames and a final one
	large := pattern(lazyMax, 9)
	zeroOrMark := func(b []byte) bool { // all zero or all untouched
		return len(bytes.Trim(b, "\x00")) == 0 || len(bytes.Trim(b, "\xaa")) == 0
	}
	sums := map[int][]byte{}
	for _, tc := range []struct {
		pt      []byte
		workers int
		known   bool // the source tells its length
		lazy    bool
	}{
		{small, 1, false, true}, {large, 1, true, true},
		{small, 2, true, true}, {small, 2, false, false}, {large, 2, true, false},
	} {
		for _, size := range []int{fl, fl - 1} {
			name := fmt.Sprintf("%d bytes, %d workers, length known %v, buffer of %d", len(tc.pt), tc.workers, tc.known, size)
			var src io.Reader = bytes.NewReader(message(t, c, tc.pt))
			if !tc.known {
				src = struct{ io.Reader }{src}
			}
			h := sha512.New()
			st := openStreamFrom(t, c, src, tc.workers, true, h, nil)
			if st.o.OpensInto() != tc.lazy {
				t.Fatalf("%s: OpensInto %v", name, st.o.OpensInto())
			}
			dst := make([]byte, size)
			var got []byte
			for {
				p, _, err := st.o.NextTo(dst)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				into := len(p) > 0 && &p[0] == &dst[0]
				if want := tc.lazy && len(p) > 0 && len(p) <= size; into != want {
					t.Fatalf("%s: a frame of %d bytes opened into the buffer: %v", name, len(p), into)
				}
				got = append(got, p...)
			}
			if !bytes.Equal(got, tc.pt) {
				t.Fatalf("%s: wrong plaintext", name)
			}
			sum := h.Sum(nil)
			if sums[len(tc.pt)] == nil {
				sums[len(tc.pt)] = sum
			} else if !bytes.Equal(sum, sums[len(tc.pt)]) {
				t.Fatalf("%s: hashed different bytes", name)
			}
		}
	}
	pt := small
	msg := message(t, c, pt)
	// Frame 3 tampered: frames 1 and 2 come out of dst, then nothing.
	bad := flipInFrame(t, c, msg, pt, 2)
	errSig := errors.New("signature")
	for _, tc := range []struct {
		name      string
		msg       []byte
		finishErr error
		released  int
		failedLen int // the failed frame's plaintext length
	}{{"tampered frame 3", bad, nil, 2 * fl, fl}, {"failing finish", msg, errSig, 5 * fl, 300}} {
		st := openStream(t, c, tc.msg, 1, true, nil, tc.finishErr)
		dst := make([]byte, 2*fl)
		var got []byte
		var err error
		for {
			for i := range dst {
				dst[i] = 0xAA
			}
			var p []byte
			if p, _, err = st.o.NextTo(dst); err != nil {
				break
			}
			got = append(got, p...)
		}
		if err == io.EOF || !bytes.Equal(got, pt[:tc.released]) {
			t.Fatalf("%s: released %d bytes, error %v", tc.name, len(got), err)
		}
		if !zeroOrMark(dst[:tc.failedLen]) || !zeroOrMark(dst[tc.failedLen:]) {
			t.Fatalf("%s: the failed frame left bytes in the buffer", tc.name)
		}
	}
}

// TestOpenerFaultIsAnError: a fault while opening (here frames with no
// IV, which the format reader never returns: AES-GCM panics), on the caller's goroutine or a
// pool goroutine, is an ErrInternal error and releases nothing.
func TestOpenerFaultIsAnError(t *testing.T) {
	c := testCipher(t, 1024)
	sealed := sealBody(t, c, pattern(64*1024, 5))
	slot := wire.RegularFrameHeaderLen + 1024 + algorithms.TagLen
	for _, helpers := range []int{0, 1, 4} {
		b := c.newOpenBatch(64)
		for i := range 64 {
			raw := bytes.Clone(sealed[i*slot : (i+1)*slot])
			b.add(format.Frame{Seq: uint32(i + 1), Sealed: raw[16:], Raw: raw}, nil)
		}
		b.start(helpers)
		var s Scratch
		b.wait(&s)
		if err := b.err(); !errors.Is(err, ErrInternal) {
			t.Errorf("%d helpers: err() = %v, want ErrInternal", helpers, err)
		}
	}
	// A lazy stream opens each frame on the caller's goroutine, into the
	// caller's buffer or in place.
	o := &Opener{c: c, lazy: true}
	b := c.newOpenBatch(2)
	for i := range 2 {
		raw := bytes.Clone(sealed[i*slot : (i+1)*slot])
		b.add(format.Frame{Seq: uint32(i + 1), Sealed: raw[16:], Raw: raw}, nil)
	}
	dst := bytes.Repeat([]byte{0xAA}, 2048)
	for i, into := range [][]byte{dst, nil} {
		if pt, err := o.openNow(b, i, into); !errors.Is(err, ErrInternal) || pt != nil {
			t.Errorf("openNow into %d bytes: %d bytes, error %v; want ErrInternal", len(into), len(pt), err)
		}
	}
	if o.shown != nil || len(bytes.Trim(dst[:1024], "\x00")) != 0 {
		t.Error("a frame that failed to open left bytes behind")
	}
}

// TestSequentialStartsNoGoroutine: with one worker, sealing and opening a
// large signed stream start no goroutine (no pool worker, no hashing
// goroutine).
func TestSequentialStartsNoGoroutine(t *testing.T) {
	c := testCipher(t, 4096)
	pt := pattern(2<<20, 6)
	msg := message(t, c, pt)
	// Pool workers of earlier tests may exit meanwhile, never start.
	waitFor(func() bool { return pool.running.Load() == 0 })
	before := runtime.NumGoroutine()
	s := NewSealer(c, io.Discard, Config{Workers: 1, Hash: sha512.New384()})
	writeIn(t, s, pt, []int{100 << 10, 3})
	during := runtime.NumGoroutine()
	s.Close()
	st := openStream(t, c, msg, 1, true, sha512.New384(), nil)
	for range 100 {
		st.o.Next()
	}
	if n := runtime.NumGoroutine(); n > before || during > before {
		t.Errorf("%d goroutines before, %d while sealing, %d while opening", before, during, n)
	}
	st.drain()
	if st.err != io.EOF {
		t.Fatal(st.err)
	}
}

// TestInputSizedToMessage: a stream's read buffers grow to what the
// message needs: a small message is read in one small buffer, a larger
// one in buffers no larger than a batch; frames are slices of them (read
// in place, not copied).
func TestInputSizedToMessage(t *testing.T) {
	const fl = 4096
	c := testCipher(t, fl)
	slot := wire.RegularFrameHeaderLen + fl + algorithms.TagLen
	for _, tc := range []struct {
		size  int
		local bool
		max   int // the largest buffer
	}{
		{1 << 10, true, minSegment},
		{1 << 10, false, 2 * minSegment},
		{64 << 10, true, 64 << 10},
		{4 << 20, true, floorClass(framesIn(openBatchBytes, fl, 2) * slot)},
		{4 << 20, false, floorClass(framesIn(openBatchBytes, fl, 2) * slot)},
	} {
		msg := message(t, c, pattern(tc.size, 7))
		st := openStream(t, c, msg, 2, tc.local, nil, nil)
		largest := 0
		for {
			pt, last, err := st.o.Next()
			if err != nil {
				t.Fatal(err)
			}
			if in := st.o.in; in != nil {
				largest = max(largest, len(in.seg.b))
				b := st.o.rel
				if b.seg == nil || !within(b.frames[st.o.relNext-1].Raw, b.seg.b) || !within(pt, b.seg.b) {
					t.Fatalf("%d bytes, local %v: a frame is not in its batch's read buffer", tc.size, tc.local)
				}
			}
			if last {
				break
			}
		}
		if largest > tc.max {
			t.Errorf("%d-byte message, local %v: a read buffer of %d bytes, want at most %d", tc.size, tc.local, largest, tc.max)
		}
	}
}

// within reports whether p lies inside buf.
func within(p, buf []byte) bool {
	if len(p) == 0 {
		return true
	}
	return overlapsAt(p, buf)
}

func overlapsAt(p, buf []byte) bool {
	for i := range buf[:cap(buf)] {
		if &buf[:cap(buf)][i] == &p[0] {
			return i+len(p) <= cap(buf)
		}
	}
	return false
}

// TestRecycledBuffersAreCleared: a finished stream's read buffers go back
// to their pools cleared of what was read and opened in them. A
// sequential stream clears a frame opened in its read buffer as soon as
// the frame is released, whether the stream then goes on or is closed.
func TestRecycledBuffersAreCleared(t *testing.T) {
	c := testCipher(t, 1024)
	pt := bytes.Repeat([]byte("secret plaintext "), 5000)
	for _, workers := range []int{1, 2} {
		for _, closeEarly := range []bool{false, true} {
			st := openStream(t, c, message(t, c, pt), workers, true, nil, nil)
			var segs []*segment
			var prev []byte
			for i := 0; ; i++ {
				got, last, err := st.o.Next()
				if err != nil {
					t.Fatal(err)
				}
				if st.o.OpensInto() && bytes.Contains(prev, []byte("secret")) {
					t.Errorf("workers %d: frame %d's plaintext is still in the read buffer once the next is released", workers, i)
				}
				prev = got
				if b := st.o.rel; b.seg != nil && (len(segs) == 0 || segs[len(segs)-1] != b.seg) {
					segs = append(segs, b.seg)
				}
				if closeEarly && i == 30 {
					st.o.Close()
					break
				}
				if last {
					break
				}
			}
			if closeEarly && !st.o.OpensInto() {
				continue // batches still being opened are left to the collector
			}
			if !closeEarly {
				if _, _, err := st.o.Next(); err != io.EOF {
					t.Fatal(err)
				}
			}
			for i, s := range segs {
				if bytes.Contains(s.b, []byte("secret")) || s.used != 0 {
					t.Errorf("workers %d, closed early %v: read buffer %d still holds plaintext after the stream ended", workers, closeEarly, i)
				}
			}
		}
	}
}

func testCipher(t *testing.T, frameLen uint32) *Cipher {
	t.Helper()
	c, err := New(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32), frameLen)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sealOneByOne seals src frame by frame on one goroutine, the reference
// for batches.
func sealOneByOne(c *Cipher, src []byte, firstSeq uint32) []byte {
	fl := int(c.frameLen)
	slot := wire.RegularFrameHeaderLen + fl + 16
	out := make([]byte, len(src)/fl*slot)
	var s Scratch
	for i := range len(src) / fl {
		c.SealFrame(&s, out[i*slot:(i+1)*slot], firstSeq+uint32(i), false, src[i*fl:(i+1)*fl])
	}
	return out
}

func pattern(n int, salt byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ salt
	}
	return b
}

// TestBatchMatchesSequential: a batch sealed by any number of helpers, or
// by Wait alone, is byte for byte the frames sealed one by one; opening
// the sealed frames as a batch gives the plaintext back.
func TestBatchMatchesSequential(t *testing.T) {
	c := testCipher(t, 4096)
	src := pattern(200*4096, 1)
	want := sealOneByOne(c, src, 5)
	for _, helpers := range []int{0, 1, 2, 8} {
		b := c.newSealBatchAt(make([]byte, len(want)), src, 5)
		b.start(helpers)
		var s Scratch
		b.wait(&s)
		if !bytes.Equal(b.sealed(), want) {
			t.Fatalf("%d helpers: sealed batch differs from frames sealed one by one", helpers)
		}

		o := c.newOpenBatch(200)
		slot := len(want) / 200
		for i := range 200 {
			f := bytes.Clone(want[i*slot : (i+1)*slot])
			o.add(format.Frame{Seq: 5 + uint32(i), IV: f[4:16], Sealed: f[16:], Raw: f}, nil)
		}
		o.start(helpers)
		o.wait(&s)
		for i := range 200 {
			if o.errs[i] != nil || !bytes.Equal(o.plain[i], src[i*4096:(i+1)*4096]) {
				t.Fatalf("%d helpers: frame %d opened wrongly (%v)", helpers, i, o.errs[i])
			}
		}
	}
}

// TestBatchReuse: a batch reused many times, with helpers, seals each
// generation's data and only that; a helper holding a ticket for an
// earlier generation claims nothing of the next.
func TestBatchReuse(t *testing.T) {
	c := testCipher(t, 1024)
	b := c.newSealBatch(64)
	var s Scratch
	for gen := range 50 {
		src := pattern(64*1024, byte(gen))
		b.grow(64 * b.slotLen)
		b.n, b.src, b.firstSeq = 64, src, uint32(1+64*gen)
		stale := uint32(b.claim.Load() >> 32)
		b.start(2)
		b.wait(&s)
		if !bytes.Equal(b.sealed(), sealOneByOne(c, src, uint32(1+64*gen))) {
			t.Fatalf("generation %d sealed wrongly", gen)
		}
		b.reset()
		before := bytes.Clone(b.slab)
		b.work(&s, stale, 64, b.chunkFrames()) // a helper that woke up late
		if !bytes.Equal(before, b.slab) {
			t.Fatalf("generation %d: a stale ticket sealed frames", gen)
		}
	}
}

// TestRecycledOpenBatch: an open batch given back to the pool of a
// finished stream is handed out again for another cipher, reset, and a
// helper holding a ticket for its earlier use, running while the batch
// changes hands, claims nothing and touches nothing but the claim counter
// (the race detector checks the latter).
func TestRecycledOpenBatch(t *testing.T) {
	c1, c2 := testCipher(t, 1024), testCipher(t, 1024)
	var s Scratch
	for round := range 20 {
		b := c1.newOpenBatch(8)
		b.add(format.Frame{Seq: 1, Raw: []byte("secret plaintext")}, nil)
		b.start(0)
		b.wait(&s)
		stale := uint32(b.claim.Load() >> 32)
		b.reset()
		b.c = nil
		openBatches.Put(b)
		done := make(chan struct{})
		go func() {
			defer close(done)
			var hs Scratch
			b.work(&hs, stale, 1, 1) // a helper that woke up late
		}()
		o := &Opener{c: c2, in: &Input{}, frameCap: 8}
		got := o.take()
		<-done
		if got == b && (got.c != c2 || got.len() != 0) {
			t.Fatalf("round %d: a recycled batch was not reset for its new cipher", round)
		}
		if got.capFrames != 8 {
			t.Fatalf("round %d: batch of %d frames, want 8", round, got.capFrames)
		}
	}
}

// TestBatchesShareThePool: many streams' batches at once, on one pool,
// each sealed correctly (run with -race).
func TestBatchesShareThePool(t *testing.T) {
	c := testCipher(t, 512)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var s Scratch
			src := pattern(300*512, byte(g))
			want := sealOneByOne(c, src, 1)
			for range 20 {
				b := c.newSealBatchAt(make([]byte, len(want)), src, 1)
				b.start(3)
				b.wait(&s)
				if !bytes.Equal(b.sealed(), want) {
					t.Errorf("stream %d: sealed wrongly", g)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestBatchMisuse: starting a started batch, or reusing one not waited
// for, is a bug in the caller and panics rather than corrupting frames.
func TestBatchMisuse(t *testing.T) {
	c := testCipher(t, 1024)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	b := c.newSealBatchAt(make([]byte, 4*(wire.RegularFrameHeaderLen+1024+16)), pattern(4096, 0), 1)
	b.start(0)
	mustPanic("Start twice", func() { b.start(0) })
	mustPanic("Reset before Wait", b.reset)
	var s Scratch
	b.wait(&s)
	b.wait(&s) // a second Wait does nothing
	b.reset()
}

// TestPoolFaultIsAnError: a fault while sealing or opening a chunk — here
// a seal batch whose source is too short, which only a bug of the caller
// package could produce — never takes the process down from a pool
// goroutine: it ends the batch and surfaces as ErrInternal from Err, on
// the goroutine that waits.
func TestPoolFaultIsAnError(t *testing.T) {
	c := testCipher(t, 1024)
	for _, helpers := range []int{0, 1, 4} {
		src := pattern(256*1024, 2)
		dst := make([]byte, 256*(1024+16+wire.RegularFrameHeaderLen))
		b := c.newSealBatchAt(dst, src, 1)
		b.src = src[: len(src)/2 : len(src)/2] // frames past the middle have no plaintext
		b.start(helpers)
		var s Scratch
		b.wait(&s)
		if err := b.err(); !errors.Is(err, ErrInternal) {
			t.Errorf("%d helpers: err() = %v, want ErrInternal", helpers, err)
		}
		b.reset()
		if err := b.err(); err != nil {
			t.Errorf("%d helpers: Err() after Reset = %v", helpers, err)
		}
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestPoolFollowsGOMAXPROCS: the pool never runs more workers than
// GOMAXPROCS, grows when it is raised, shrinks when it is lowered, and
// leaves no worker behind once idle.
func TestPoolFollowsGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer idleExit.Store(idleExit.Load())
	idleExit.Store(int64(50 * time.Millisecond))
	c := testCipher(t, 1024)
	src := pattern(256*1024, 3)
	run := func() {
		b := c.newSealBatchAt(make([]byte, len(sealOneByOne(c, src, 1))), src, 1)
		b.start(8)
		var s Scratch
		b.wait(&s)
	}
	runtime.GOMAXPROCS(3)
	run()
	if n := pool.running.Load(); n < 1 || n > 3 {
		t.Errorf("GOMAXPROCS 3: %d workers", n)
	}
	runtime.GOMAXPROCS(1)
	run()
	if !waitFor(func() bool { return pool.running.Load() <= 1 }) {
		t.Errorf("GOMAXPROCS 1: still %d workers", pool.running.Load())
	}
	runtime.GOMAXPROCS(4)
	run()
	if n := pool.running.Load(); n < 1 || n > 4 {
		t.Errorf("GOMAXPROCS 4: %d workers", n)
	}
	if !waitFor(func() bool { return pool.running.Load() == 0 }) {
		t.Errorf("%d workers left after the pool went idle", pool.running.Load())
	}
}

// TestDeclaredFrameLengthIsNotAllocated: a message that declares 1 GiB
// frames but holds a short final frame is read, from a source that is not
// local, into buffers that grow with the bytes that arrive, not with the
// declared length.
func TestDeclaredFrameLengthIsNotAllocated(t *testing.T) {
	c := testCipher(t, 1<<30)
	pt := pattern(3000, 8)
	msg := message(t, c, pt)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st := openStream(t, c, msg, 2, false, nil, nil)
	st.drain()
	runtime.ReadMemStats(&after)
	if st.err != io.EOF || !bytes.Equal(st.got, pt) {
		t.Fatalf("released %d bytes, %v", len(st.got), st.err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 64<<10 {
		t.Errorf("a %d-byte message declaring 1 GiB frames allocated %d bytes", len(msg), a)
	}
}
