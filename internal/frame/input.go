package frame

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Input is the read buffer of a streaming decryption. Its buffer grows
// with what has been read (from 4 KiB, doubling, never to a length a
// message merely declares), and bytes it has handed out in place stay
// where they are: a [format.Reader] over an Input returns frames as
// slices of its buffer instead of copying them (see [Input.Peek]), and
// an [Opener] opens them there. Buffers come from, and go back to, pools
// by size class, so that a stream of a small message uses a small
// buffer, and streams one after another allocate none.
//
// Ownership: the current buffer belongs to the Input until a frame is
// taken from it in place (Discard); from then on it belongs to the batch
// of frames being read, which gives it back to the pool when its
// plaintext has been consumed. The Input then never moves or overwrites
// the bytes before its read position, and moves what it has read ahead
// into a buffer of the next batch when that batch starts.
type Input struct {
	src   io.Reader
	seg   *segment
	r, w  int  // seg.b[r:w] is read ahead and not yet consumed
	held  bool // seg holds frames taken in place: seg.b[:r] must stay
	probe bool // after a short read, read again to learn of the end early
	// sealed says no plaintext is ever left in the buffers (see
	// Opener.lazy): what is read into them needs no clearing.
	sealed bool
	// lending says the Input is being given its bytes (see Opener.Lend)
	// rather than reading them: it must not read from src meanwhile.
	lending bool
	lent    segment // the bytes lent, while seg is &lent
	// fileSize is the size of a regular file source when it was opened,
	// else -1 (see NewSourceInput).
	fileSize int64
	err      error
}

// NewInput returns an Input reading src. local says src is in memory or
// a regular file: a short read from it then most likely ends the input,
// which the Input checks at once, so that the last batch's buffer is
// sized to what is left rather than to a whole frame.
func NewInput(src io.Reader, local bool) *Input {
	return &Input{src: src, seg: getSegment(minSegment), probe: local, fileSize: -1}
}

// NewSourceInput returns an Input reading src, which it classifies by
// type: a source in memory (a [bytes.Reader], [bytes.Buffer] or
// [strings.Reader]) or a regular file is local (see NewInput). A file is
// asked for its size once, here.
func NewSourceInput(src io.Reader) *Input {
	local, size := false, int64(-1)
	switch src := src.(type) {
	case *bytes.Reader, *bytes.Buffer, *strings.Reader:
		local = true
	case *os.File:
		if fi, err := src.Stat(); err == nil && fi.Mode().IsRegular() {
			local, size = true, fi.Size()
		}
	}
	in := NewInput(src, local)
	in.fileSize = size
	return in
}

// Local reports whether reading the source never waits on another party.
func (in *Input) Local() bool { return in.probe }

// KeepsReadBytes marks a source whose bytes stay in place once consumed
// through Peek and Discard, until its owner recycles them; a
// [format.Reader] reads frames in place from such a source.
func (in *Input) KeepsReadBytes() {}

// Buffered is the number of bytes read ahead and not yet consumed.
func (in *Input) Buffered() int { return in.w - in.r }

// left is how many bytes are left to read, counting those read ahead,
// when the source tells: one with a Len method (a [bytes.Reader], for
// instance), or a regular file given to NewSourceInput (from its size
// then and its offset now). It is a hint for sizing the work, never
// relied on for correctness.
func (in *Input) left() (int64, bool) {
	switch src := in.src.(type) {
	case interface{ Len() int }:
		return int64(src.Len() + in.Buffered()), true
	case *os.File:
		if in.fileSize < 0 {
			return 0, false
		}
		at, err := src.Seek(0, io.SeekCurrent)
		if err != nil || at > in.fileSize {
			return 0, false
		}
		return in.fileSize - at + int64(in.Buffered()), true
	}
	return 0, false
}

// ended reports whether the source has ended (or failed): all that is
// left is buffered.
func (in *Input) ended() bool { return in.err != nil }

// Read implements [io.Reader], copying from the buffer.
func (in *Input) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if in.r == in.w {
		if in.err != nil {
			return 0, in.err
		}
		in.fill(1)
		if in.r == in.w {
			return 0, in.err
		}
	}
	n := copy(p, in.seg.b[in.r:in.w])
	in.r += n
	return n, nil
}

// Peek returns the next n bytes without consuming them, reading (and
// growing the buffer, doubling as bytes arrive) as needed. If the input
// ends first it returns what there is with io.EOF when there is nothing,
// else io.ErrUnexpectedEOF, or the source's error.
func (in *Input) Peek(n int) ([]byte, error) {
	for in.w-in.r < n {
		if in.err != nil {
			err := in.err
			if err == io.EOF && in.w > in.r {
				err = io.ErrUnexpectedEOF
			}
			return in.seg.b[in.r:in.w], err
		}
		in.fill(n)
	}
	return in.seg.b[in.r : in.r+n], nil
}

// Discard consumes n bytes returned by Peek, leaving them in place.
func (in *Input) Discard(n int) (int, error) {
	n = min(n, in.w-in.r)
	in.r += n
	if n > 0 {
		in.held = true
	}
	return n, nil
}

// fill reads at least one byte more (or records why not), making room
// first: by moving the unread bytes to the start of a buffer that is the
// Input's own, else into a larger one. want is how many unread bytes the
// caller needs; the buffer grows towards it only as bytes arrive.
func (in *Input) fill(want int) {
	if in.lending {
		in.err = fmt.Errorf("%w: read past the bytes lent", ErrInternal)
		return
	}
	in.makeRoom(want)
	m, err := in.src.Read(in.seg.b[in.w:])
	in.w += m
	in.wrote(in.seg, in.w)
	if err == nil && m > 0 && in.probe && in.w < len(in.seg.b) {
		m, err = in.src.Read(in.seg.b[in.w:])
		in.w += m
		in.wrote(in.seg, in.w)
	}
	if err != nil {
		in.err = err
	}
}

// makeRoom makes room after the unread bytes if there is none: by moving
// them to the start of a buffer that is the Input's own, else into a
// larger one, of at most want bytes (and at least twice the unread ones,
// or minSegment).
func (in *Input) makeRoom(want int) {
	if in.w < len(in.seg.b) {
		return
	}
	unread := in.w - in.r
	if !in.held && in.r > 0 {
		copy(in.seg.b, in.seg.b[in.r:in.w])
		in.r, in.w = 0, unread
	}
	if in.w == len(in.seg.b) {
		in.replace(getSegment(min(want, max(2*unread, minSegment))))
	}
}

// feed appends p to the unread bytes, as if read from the source.
func (in *Input) feed(p []byte) {
	for len(p) > 0 {
		in.makeRoom(in.w - in.r + len(p))
		n := copy(in.seg.b[in.w:], p)
		in.w += n
		in.wrote(in.seg, in.w)
		p = p[n:]
	}
}

// borrow makes p, which the Input must not modify, its buffer: its bytes
// are read in place, with no copy, until unborrow. The Input must have
// no unread bytes.
func (in *Input) borrow(p []byte) {
	if in.w > in.r || in.borrowed() {
		panic("frame: borrow with bytes unread")
	}
	if !in.held {
		putSegment(in.seg)
	}
	in.lent = segment{b: p, borrowed: true}
	in.seg, in.r, in.w, in.held = &in.lent, 0, len(p), false
}

// borrowed reports whether the Input's buffer is lent bytes.
func (in *Input) borrowed() bool { return in.seg == &in.lent }

// unborrow ends a borrow, dropping the bytes of the lent buffer that were
// not consumed (which the lender keeps), and returns how many were.
func (in *Input) unborrow() int {
	n := in.r
	in.lent = segment{}
	in.seg, in.r, in.w, in.held = getSegment(minSegment), 0, 0, false
	return n
}

// wrote records that seg.b[:n] has been written, to be cleared when seg
// goes back to its pool, since frames may be opened in place there.
func (in *Input) wrote(seg *segment, n int) {
	if !in.sealed {
		seg.used = max(seg.used, n)
	}
}

// replace moves the unread bytes to the start of seg, which becomes the
// current buffer. The old buffer goes back to the pool if it is the
// Input's own; a held one belongs to a batch (or, replaced in the middle
// of a batch, to the garbage collector once its frames are gone).
func (in *Input) replace(seg *segment) {
	unread := in.w - in.r
	copy(seg.b, in.seg.b[in.r:in.w])
	in.wrote(seg, unread)
	if !in.held {
		putSegment(in.seg)
	}
	in.seg, in.r, in.w, in.held = seg, 0, unread, false
}

// begin prepares the buffer for a new batch of frames, with room for
// size bytes counting those read ahead. spare is the buffer of a batch
// whose frames are all released (nil if none), reused when large enough.
func (in *Input) begin(spare *segment, size int) {
	if in.held && spare == in.seg {
		in.held = false // the batch the buffer belonged to is done with it
	}
	if !in.held {
		if in.r > 0 {
			unread := in.w - in.r
			copy(in.seg.b, in.seg.b[in.r:in.w])
			in.r, in.w = 0, unread
		}
		if len(in.seg.b) >= size {
			if spare != nil && spare != in.seg {
				putSegment(spare)
			}
			return
		}
	}
	if spare == nil || spare == in.seg || len(spare.b) < size {
		if spare != nil && spare != in.seg {
			putSegment(spare)
		}
		spare = getSegment(size)
	}
	in.replace(spare)
}

// room is how many bytes the current batch can still take in the
// buffer without it being replaced.
func (in *Input) room() int { return len(in.seg.b) - in.r }

// Close gives the Input's own buffer back to the pool at the end of its
// stream (a buffer that holds frames belongs to their batch). The Input
// must not be used again.
func (in *Input) Close() {
	if in.seg != nil && !in.held {
		putSegment(in.seg)
	}
	in.seg, in.src = nil, nil
}

// segment is a read buffer; used is how much of it has been written (and
// is cleared when it goes back to its pool). A borrowed segment's bytes
// belong to someone else (see Input.borrow): it never goes to a pool.
type segment struct {
	b        []byte
	used     int
	borrowed bool
}

// minSegment is the smallest size class of read buffers; the classes
// double up to maxSegment, and larger buffers are not kept.
const (
	minSegment = 4 << 10
	segClasses = 12
	maxSegment = minSegment << (segClasses - 1) // 8 MiB
)

var segPools [segClasses]sync.Pool // of *segment, by size class

// classOf is the smallest size class of at least n bytes, or -1.
func classOf(n int) int {
	for c := range segClasses {
		if minSegment<<c >= n {
			return c
		}
	}
	return -1
}

// floorClass is the size of the largest class of at most n bytes (the
// smallest class if none).
func floorClass(n int) int {
	size := minSegment
	for c := range segClasses {
		if minSegment<<c <= n {
			size = minSegment << c
		}
	}
	return size
}

// getSegment returns a buffer of at least n bytes: a pooled one of n's
// size class, or a new one.
func getSegment(n int) *segment {
	c := classOf(n)
	if c < 0 {
		return &segment{b: make([]byte, n)}
	}
	if s, ok := segPools[c].Get().(*segment); ok {
		return s
	}
	return &segment{b: make([]byte, minSegment<<c)}
}

// putSegment clears what was written to s (frames were opened in place
// in it) and pools it, if it is of a size class. Nothing may refer to s
// any more.
func putSegment(s *segment) {
	if s.borrowed {
		return
	}
	clear(s.b[:s.used])
	s.used = 0
	if c := classOf(len(s.b)); c >= 0 && minSegment<<c == len(s.b) {
		segPools[c].Put(s)
	}
}
