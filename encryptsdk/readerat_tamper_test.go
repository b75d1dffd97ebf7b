package encryptsdk_test

import (
	"bytes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
)

func TestReaderAtSizeMismatch(t *testing.T) {
	for _, fl := range []int64{1, 128, 4096} {
		for _, size := range []int{0, 1, int(fl), 3 * int(fl), 3*int(fl) + 1} {
			pt := plaintext(size, 9)
			c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, fl, pt)
			l := messageLayout(t, c, msg)
			var cases [][]byte
			for _, cut := range []int{1, 16, 17, 36, int(fl) + 32, int(fl) + 33} {
				if cut <= len(msg)-l.bodyStart+10 && cut < len(msg) {
					cases = append(cases, msg[:len(msg)-cut])
				}
			}
			for _, ext := range []int{1, 16, int(fl), int(fl) + 32, int(fl) + 33} {
				cases = append(cases, append(bytes.Clone(msg), make([]byte, ext)...))
			}
			// Dropping the final frame leaves a message that ends in a
			// regular frame.
			if len(l.frames) > 1 {
				f := l.frames[len(l.frames)-1]
				cases = append(cases, msg[:f.start])
				// Appending a copy of a regular frame moves the final one.
				g := l.frames[0]
				cases = append(cases, append(append(bytes.Clone(msg[:f.start]), msg[g.start:g.end]...), msg[f.start:]...))
			}
			for i, m := range cases {
				_, err := c.OpenReaderAt(bg, bytes.NewReader(m), int64(len(m)), nil)
				if err == nil {
					t.Errorf("frame %d size %d case %d: %d-byte message (original %d) opened", fl, size, i, len(m), len(msg))
				}
			}
			// The size given must be the message's: a larger source with
			// the right size is fine, a wrong size is not.
			padded := append(bytes.Clone(msg), 1, 2, 3)
			ra, err := c.OpenReaderAt(bg, bytes.NewReader(padded), int64(len(msg)), nil)
			if err != nil {
				t.Fatalf("message followed by other bytes, right size: %v", err)
			}
			if ra.Size() != int64(size) {
				t.Fatalf("Size() = %d, want %d", ra.Size(), size)
			}
			_, err = c.OpenReaderAt(bg, bytes.NewReader(padded), int64(len(msg)+1), nil)
			errIs(t, err, encryptsdk.ErrMessageSize, "size one too large")
		}
	}
}

func TestReaderAtTamper(t *testing.T) {
	pt := plaintext(20*128+50, 4)
	c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 128, pt)
	l := messageLayout(t, c, msg)
	for i, f := range l.frames {
		for _, at := range []int{f.ivAt, f.ctAt, f.end - 1} {
			if at >= f.end {
				continue
			}
			m := bytes.Clone(msg)
			m[at] ^= 0x40
			ra, err := c.OpenReaderAt(bg, bytes.NewReader(m), int64(len(m)), &encryptsdk.RandomAccessOptions{CacheFrames: -1})
			if f.final {
				// The final frame is opened at open time.
				errIs(t, err, encryptsdk.ErrFrameAuthentication, fmt.Sprintf("final frame byte %d", at))
				continue
			}
			if err != nil {
				t.Fatalf("frame %d tampered: open failed early: %v", i, err)
			}
			// Other frames still read.
			other := (i + 1) % (len(l.frames) - 1)
			checkRange(t, ra, pt, other*128, 128)
			// The tampered frame, alone or in a range, is refused.
			p := make([]byte, 1)
			_, err = ra.ReadAt(p, int64(i*128+5))
			errIs(t, err, encryptsdk.ErrFrameAuthentication, fmt.Sprintf("frame %d byte %d", i+1, at))
			_, err = ra.ReadAt(make([]byte, 10*128), 0)
			if i < 10 {
				errIs(t, err, encryptsdk.ErrFrameAuthentication, fmt.Sprintf("range over frame %d", i+1))
			}
		}
	}
}

func TestReaderAtReorder(t *testing.T) {
	pt := plaintext(10*128+50, 5)
	c, msg := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 128, pt)
	l := messageLayout(t, c, msg)
	swap := func(m []byte, a, b frameSpan) []byte {
		m = bytes.Clone(m)
		fa := bytes.Clone(msg[a.start:a.end])
		copy(m[a.start:], msg[b.start:b.end])
		copy(m[b.start:], fa)
		return m
	}
	// Swap frames 2 and 5, sequence numbers included.
	m := swap(msg, l.frames[1], l.frames[4])
	ra := openRA(t, c, m, nil)
	checkRange(t, ra, pt, 0, 128)
	_, err := ra.ReadAt(make([]byte, 1), 128)
	errIs(t, err, format.ErrMalformed, "frame 2 swapped")
	// With the sequence numbers fixed up, the tags still refuse them.
	copy(m[l.frames[1].start:], msg[l.frames[1].start:l.frames[1].start+4])
	copy(m[l.frames[4].start:], msg[l.frames[4].start:l.frames[4].start+4])
	ra = openRA(t, c, m, nil)
	for _, off := range []int64{128, 4 * 128} {
		_, err = ra.ReadAt(make([]byte, 1), off)
		errIs(t, err, encryptsdk.ErrFrameAuthentication, fmt.Sprintf("swapped frame at %d", off))
	}
	_, err = ra.ReadAt(make([]byte, len(pt)), 0)
	errIs(t, err, encryptsdk.ErrFrameAuthentication, "whole range over swapped frames")
	// Dropping a regular frame (and renumbering the rest) leaves tags
	// that do not verify at their new positions.
	drop := append(bytes.Clone(msg[:l.frames[2].start]), msg[l.frames[3].start:]...)
	for i := 3; i < len(l.frames); i++ {
		at := l.frames[i].start - (l.frames[3].start - l.frames[2].start)
		seqAt := at
		if l.frames[i].final {
			seqAt += 4
		}
		drop[seqAt+3]--
	}
	_, err = c.OpenReaderAt(bg, bytes.NewReader(drop), int64(len(drop)), nil)
	errIs(t, err, encryptsdk.ErrFrameAuthentication, "dropped frame, renumbered")
	// A frame from another message with the same key is refused.
	_, other := raMessage(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 128, plaintext(len(pt), 6))
	m = bytes.Clone(msg)
	copy(m[l.frames[3].start:l.frames[3].end], other[l.frames[3].start:l.frames[3].end])
	ra = openRA(t, c, m, nil)
	_, err = ra.ReadAt(make([]byte, 1), 3*128)
	errIs(t, err, encryptsdk.ErrFrameAuthentication, "frame of another message")
}

// synthMessage is a framed message generated on demand: frame i holds
// frameLen bytes of value byte(i), so a 1 GiB message need never exist in
// memory. It counts the bytes read from it.
type synthMessage struct {
	hdr      []byte
	aead     cipher.AEAD
	id       []byte
	frameLen int
	frames   int // including the final frame, which is full
	read     atomic.Int64
}

func (s *synthMessage) slot() int { return wire.RegularFrameHeaderLen + s.frameLen + algorithms.TagLen }

func (s *synthMessage) size() int64 {
	return int64(len(s.hdr)) + int64(s.frames-1)*int64(s.slot()) + int64(wire.FinalFrameHeaderLen+s.frameLen+algorithms.TagLen)
}

func (s *synthMessage) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= s.size() {
			s.read.Add(int64(n))
			return n, io.EOF
		}
		if at < int64(len(s.hdr)) {
			n += copy(p[n:], s.hdr[at:])
			continue
		}
		i := (at - int64(len(s.hdr))) / int64(s.slot())
		start := int64(len(s.hdr)) + i*int64(s.slot())
		seq := uint32(i) + 1
		f := appendFrame(nil, s.aead, s.id, uint32(s.frameLen), seq, int(seq) == s.frames, nil, bytes.Repeat([]byte{byte(seq)}, s.frameLen))
		n += copy(p[n:], f[at-start:])
	}
	s.read.Add(int64(n))
	return n, nil
}

func newSynth(t testing.TB, frameLen, frames int) (*synthMessage, *encryptsdk.Client) {
	f := newForger(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	h, aead := f.header(t, format.Framed, uint32(frameLen))
	raw, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &synthMessage{hdr: sealHeader(raw, h.Version, aead, nil), aead: aead, id: h.MessageID, frameLen: frameLen, frames: frames}, f.client
}

func TestReaderAtReadsOnlyWhatItNeeds(t *testing.T) {
	const frameLen, frames = 4096, 1 << 18 // 1 GiB of plaintext
	s, c := newSynth(t, frameLen, frames)
	ra, err := c.OpenReaderAt(bg, s, s.size(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Size() != frameLen*frames {
		t.Fatalf("Size() = %d, want %d", ra.Size(), frameLen*frames)
	}
	opened := s.read.Load()
	// Opening reads the header (in reads of at most 1 KiB), the final
	// frame's header and the final frame.
	finalFrame := int64(wire.FinalFrameHeaderLen + frameLen + algorithms.TagLen)
	if limit := int64(len(s.hdr)) + 1024 + 2*finalFrame; opened > limit {
		t.Fatalf("opening read %d bytes, want at most %d (header %d, final frame %d)", opened, limit, len(s.hdr), finalFrame)
	}
	s.read.Store(0)
	seq := frames / 2
	p := make([]byte, frameLen)
	n, err := ra.ReadAt(p, int64(seq-1)*frameLen)
	if err != nil || n != frameLen {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if !bytes.Equal(p, bytes.Repeat([]byte{byte(seq)}, frameLen)) {
		t.Fatal("frame in the middle of the message decrypted to the wrong bytes")
	}
	if got, want := s.read.Load(), int64(s.slot()); got != want {
		t.Fatalf("reading one frame read %d bytes, want %d", got, want)
	}
	// The last byte comes from the cached final frame.
	s.read.Store(0)
	if _, err := ra.ReadAt(p[:1], ra.Size()-1); err != nil || p[0] != byte(frames%256) {
		t.Fatalf("last byte = %d, %v", p[0], err)
	}
	if got := s.read.Load(); got != 0 {
		t.Fatalf("reading the last byte read %d bytes, want 0 (cached)", got)
	}
}

// FuzzOpenReaderAt opens arbitrary bytes for random access. It must never
// panic, and whatever it releases must be what Decrypt releases for the
// same bytes: a range read succeeds only where the whole message decrypts.
func FuzzOpenReaderAt(f *testing.F) {
	kr := mustAES(f, "ra-ns", "ra-key", testKey(32, 7))
	c := clientFor(kr, suite(f, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY))
	for _, n := range []int{0, 1, 100, 300} {
		_, msg := raMessage(f, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 100, plaintext(n, 1))
		f.Add(msg, int64(0), 50)
		f.Add(msg, int64(n-1), 300)
	}
	f.Fuzz(func(t *testing.T, msg []byte, off int64, n int) {
		ra, err := c.OpenReaderAt(bg, bytes.NewReader(msg), int64(len(msg)), nil)
		if err != nil {
			return
		}
		off = max(0, off)
		p := make([]byte, max(0, min(n, 1<<16)))
		got, err := ra.ReadAt(p, off)
		if err != nil && err != io.EOF {
			return
		}
		pt, _, derr := c.DecryptBytes(bg, msg, nil)
		if derr != nil {
			// Only a dropped or altered frame outside the range read may
			// make Decrypt fail where random access succeeded.
			if !errors.Is(derr, encryptsdk.ErrFrameAuthentication) && !errors.Is(derr, format.ErrMalformed) {
				t.Fatalf("random access opened a message Decrypt refuses with %v", derr)
			}
			return
		}
		if int64(len(pt)) != ra.Size() {
			t.Fatalf("Size() = %d, Decrypt gave %d bytes", ra.Size(), len(pt))
		}
		if got > 0 && !bytes.Equal(p[:got], pt[off:off+int64(got)]) {
			t.Fatal("random access released bytes that differ from Decrypt's")
		}
	})
}
