package frame

import (
	"errors"
	"io"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
)

// ErrTooManyFrames means a message would need more frames than its
// sequence numbers can count (2^32 - 1).
var ErrTooManyFrames = errors.New("frame: message would exceed 2^32-1 frames")

// Sealer seals the body of one message, in order, and writes it to a
// destination (and the signature hash, if any). Write seals frames as they
// fill, in batches shared with the worker pool; with more than one worker
// a few batches of sealed frames (about a megabyte with the default frame
// length) may wait for a later Write or Close. Close seals and writes the
// rest and the final frame. A Sealer is not safe for concurrent use; the
// first error is returned by every later call.
type Sealer struct {
	c       *Cipher
	w       io.Writer
	hash    io.Writer
	hashes  *hashFeed // the hashing goroutine of a parallel signed stream
	scratch Scratch
	workers int

	frameLen  int
	cur       *batch   // frames being filled
	inflight  []*batch // started batches, oldest first, written in order
	free      []*batch
	batches   int    // batches in existence: cur, in flight and free
	depth     int    // the most batches there may be
	batchLen  int    // frames per batch
	directMin int    // writes at least this long are sealed straight from the caller's buffer
	partial   int    // plaintext bytes in the frame of cur being filled
	nextSeq   uint32 // sequence number of the next frame
	nonFramed bool
	body      []byte // non-framed: body header, then the whole plaintext
	ended     bool   // the final frame was sealed by AppendFinal
	err       error
}

// NewSealer returns a Sealer of a message body with c's frame length (0
// for a non-framed body) that writes to w.
func NewSealer(c *Cipher, w io.Writer, cfg Config) *Sealer {
	s := new(Sealer)
	s.Init(c, w, cfg)
	return s
}

// Init makes s what [NewSealer] returns, in place (in the memory of the
// value that holds it).
func (s *Sealer) Init(c *Cipher, w io.Writer, cfg Config) {
	*s = Sealer{c: c, w: w, workers: max(1, cfg.Workers), frameLen: c.fl, nextSeq: 1, nonFramed: c.frameLen == 0}
	if cfg.Hash != nil {
		s.hash = cfg.Hash
	}
	if s.nonFramed {
		s.body = make([]byte, wire.NonFramedHeaderLen)
		return
	}
	s.batchLen = BatchFrames(s.frameLen, s.workers)
	s.depth = pipelineDepth(s.batchLen*s.frameLen, s.workers)
	// Whole frames are sealed straight from the caller's buffer, saving
	// a copy. A parallel stream copies smaller writes instead, so that
	// Write returns while the pool seals: unsigned writes under 64 KiB
	// (too small to share out), and all but very large signed writes,
	// which another goroutine hashes (waiting for each to be sealed was
	// a third slower).
	s.directMin = s.frameLen
	switch {
	case s.workers > 1 && s.hash != nil:
		// Saturating: with huge frames on 32-bit platforms the product
		// does not fit int.
		s.directMin = int(min(int64(s.depth)*int64(s.batchLen)*int64(s.frameLen), maxFrameInt))
	case s.workers > 1:
		s.directMin = max(s.frameLen, 64<<10)
	}
	// The first batch is taken by the first Write.
}

// Write seals p. Full frames are sealed (by several goroutines for large
// writes) and written as batches of them fill; Write does not keep p.
func (s *Sealer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.nonFramed {
		s.body = append(s.body, p...)
		return len(p), nil
	}
	n, err := s.write(p)
	// Batches sealed straight from p must be done before Write returns.
	for _, b := range s.inflight {
		if b.src == nil {
			continue
		}
		if s.hashes != nil {
			// The hashing goroutine waits for the batches: write them all.
			for len(s.inflight) > 0 {
				if ferr := s.flush(); err == nil {
					err = ferr
				}
			}
			break
		}
		b.wait(&s.scratch)
		b.src = nil
		if ferr := b.err(); ferr != nil && err == nil {
			s.err, err = ferr, ferr
		}
	}
	return n, err
}

// BodyLen is the plaintext length of a non-framed body written so far.
func (s *Sealer) BodyLen() int { return len(s.body) - wire.NonFramedHeaderLen }

func (s *Sealer) write(p []byte) (int, error) {
	total := len(p)
	fl := s.frameLen
	if s.cur == nil && len(p) > 0 {
		s.cur = s.take()
	}
	for len(p) > 0 {
		b := s.cur
		if s.partial == 0 && b.n == 0 && len(p) >= s.directMin && len(p) >= fl {
			// Seal whole frames straight from p; Write then waits for
			// them, since p is not ours to keep.
			k := min(len(p)/fl, b.maxFrames())
			if err := s.reserve(k); err != nil {
				return total - len(p), err
			}
			b.grow(k * b.slotLen)
			b.n, b.src = k, p[:k*fl]
			p = p[k*fl:]
			if err := s.dispatch(); err != nil {
				return total - len(p), err
			}
			continue
		}
		// Copy into the frame being filled.
		start := b.n*b.slotLen + wire.RegularFrameHeaderLen + s.partial
		n := min(len(p), fl-s.partial)
		b.grow(start + n)
		copy(b.slab[start:start+n], p[:n])
		p = p[n:]
		s.partial += n
		if s.partial == fl {
			if err := s.reserve(1); err != nil {
				return total - len(p), err
			}
			s.partial = 0
			b.grow((b.n + 1) * b.slotLen) // room for the frame's tag
			b.n++
			if b.n == b.maxFrames() {
				if err := s.dispatch(); err != nil {
					return total - len(p), err
				}
			}
		}
	}
	return total, nil
}

// AppendFrames seals plaintext, a whole number of frames, as regular
// frames straight into dst, which has room for them, and returns dst
// extended by them: the body of a one-shot message, sealed without a copy
// and not written to the destination. It must come before any Write. A
// signed message's frames are sealed a few batches ahead of the caller's
// goroutine, which hashes them in order.
func (s *Sealer) AppendFrames(dst, plaintext []byte) ([]byte, error) {
	if s.err != nil {
		return dst, s.err
	}
	fl := s.frameLen
	n := len(plaintext) / fl
	slot := wire.RegularFrameHeaderLen + fl + algorithms.TagLen
	if s.partial != 0 || s.cur != nil || len(s.inflight) != 0 || s.hashes != nil {
		panic("frame: AppendFrames on a used Sealer")
	}
	first := s.nextSeq
	if err := s.reserve(n); err != nil {
		return dst, err
	}
	per := n // unsigned: one batch, shared out in chunks
	if s.hash != nil {
		per = s.batchLen
	}
	start := len(dst)
	dst = dst[:start+n*slot]
	var window []*batch
	for i := 0; i < n || len(window) > 0; {
		for i < n && len(window) < s.depth {
			k := min(per, n-i)
			b := s.c.newSealBatchAt(dst[start+i*slot:start+(i+k)*slot], plaintext[i*fl:(i+k)*fl], first+uint32(i))
			b.start(helpers(s.workers))
			window = append(window, b)
			i += k
		}
		b := window[0]
		window = window[1:]
		b.wait(&s.scratch)
		if err := b.err(); err != nil {
			for _, w := range window {
				w.wait(&s.scratch)
			}
			s.err = err
			return dst, err
		}
		if s.hash != nil {
			s.hash.Write(b.sealed())
		}
	}
	return dst, nil
}

// AppendFinal seals tail, shorter than a frame, as the final frame
// straight into dst, which has room for it, and returns dst extended by
// it: the end of a one-shot message's body, after AppendFrames and before
// any Write. Close then has nothing more to seal.
func (s *Sealer) AppendFinal(dst, tail []byte) ([]byte, error) {
	if s.err != nil {
		return dst, s.err
	}
	if s.nonFramed || s.ended || len(tail) >= s.frameLen || s.partial != 0 || s.cur != nil || len(s.inflight) != 0 || s.hashes != nil {
		panic("frame: AppendFinal out of turn")
	}
	n := wire.FinalFrameHeaderLen + len(tail) + algorithms.TagLen
	final := s.c.SealFrame(&s.scratch, dst[len(dst):len(dst)+n], s.nextSeq, true, tail)
	if s.hash != nil {
		s.hash.Write(final)
	}
	s.ended = true
	return dst[:len(dst)+n], nil
}

// reserve assigns sequence numbers to k more regular frames of s.cur
// (or, with no current batch, of AppendFrames).
func (s *Sealer) reserve(k int) error {
	if s.cur != nil && s.cur.n == 0 {
		s.cur.firstSeq = s.nextSeq
	}
	if uint64(s.nextSeq)+uint64(k) >= format.FinalFrameMarker {
		s.err = ErrTooManyFrames
		return s.err
	}
	s.nextSeq += uint32(k)
	return nil
}

// dispatch starts sealing s.cur and makes a free batch current, writing
// the oldest batch in flight first if all are in use. While the pool
// seals, the caller goes on copying plaintext or, for signed suites,
// hashing what is written.
func (s *Sealer) dispatch() error {
	b := s.cur
	b.start(helpers(s.workers))
	if s.hash != nil && s.workers > 1 {
		if s.hashes == nil {
			h := s.hash
			s.hashes = startHashFeed(s, s.depth, func(sc *Scratch, b *batch) {
				b.wait(sc)
				h.Write(b.sealed())
			})
		}
		s.hashes.send(b)
	}
	s.inflight = append(s.inflight, b)
	s.cur = nil
	if len(s.free) == 0 && s.batches == s.depth {
		if err := s.flush(); err != nil {
			return err
		}
	}
	s.cur = s.take()
	return nil
}

// take returns a free batch, making one if fewer than depth exist.
func (s *Sealer) take() *batch {
	if n := len(s.free); n > 0 {
		b := s.free[n-1]
		s.free = s.free[:n-1]
		return b
	}
	s.batches++
	return s.c.newSealBatch(s.batchLen)
}

// flush finishes the oldest batch in flight (the caller's goroutine
// sealing what no helper has taken), writes it and frees it.
func (s *Sealer) flush() error {
	b := s.inflight[0]
	s.inflight = append(s.inflight[:0], s.inflight[1:]...)
	var err error
	if s.hashes != nil {
		s.hashes.await(b) // sealed and hashed
		if err = b.err(); err == nil {
			err = s.emit(b.sealed())
		}
	} else {
		b.wait(&s.scratch)
		if err = b.err(); err == nil {
			err = s.put(b.sealed())
		}
	}
	if ferr := b.err(); ferr != nil {
		s.err, err = ferr, ferr
	}
	b.src = nil
	b.reset()
	s.free = append(s.free, b)
	return err
}

// put hashes b, for signed suites, and writes it.
func (s *Sealer) put(b []byte) error {
	if s.hash != nil {
		s.hash.Write(b)
	}
	return s.emit(b)
}

// emit writes b to the destination, unless an earlier write failed.
func (s *Sealer) emit(b []byte) error {
	if s.err != nil {
		return s.err
	}
	if _, err := s.w.Write(b); err != nil {
		s.err = err
		return err
	}
	return nil
}

// Close seals and writes the rest of the body: the frames still in flight
// and the final frame holding the partial tail (or the non-framed body).
// The hashing goroutine, if any, has ended when Close returns. It does
// not close the destination.
func (s *Sealer) Close() error {
	if s.err == errSealerClosed {
		return nil
	}
	err := s.closeBody()
	if s.hashes != nil {
		s.hashes.close()
	}
	if err != nil {
		s.err = err
		return err
	}
	s.recycle()
	s.err = errSealerClosed
	return nil
}

// errSealerClosed is what a Sealer's methods return after Close.
var errSealerClosed = errors.New("frame: Sealer is closed")

// recycle gives the buffers of a body sealed without error back to their
// pools for other streams. Every batch is then free and holds only
// sealed frames (closeBody cleared the tail it copied out), so the
// buffers need no clearing. After an error they are left to the garbage
// collector, since a helper may still hold a batch.
func (s *Sealer) recycle() {
	for _, b := range append(s.free, s.cur) {
		if b != nil && b.seg != nil {
			b.seg.used = 0
			putSegment(b.seg)
			b.seg, b.slab = nil, nil
		}
	}
	s.free, s.cur = nil, nil
}

func (s *Sealer) closeBody() error {
	if s.err != nil || s.ended {
		return s.err
	}
	if s.nonFramed {
		wire.AppendNonFramedHeader(s.body[:0], uint64(len(s.body)-wire.NonFramedHeaderLen))
		body := append(s.body, make([]byte, algorithms.TagLen)...)[:len(s.body)]
		err := s.put(s.c.SealSingleBlock(&s.scratch, body))
		clear(s.body)
		return err
	}
	// The final frame holds the partial tail of s.cur; the full frames
	// before it go out first.
	b := s.cur // nil if nothing was written
	final := make([]byte, wire.FinalFrameHeaderLen+s.partial+algorithms.TagLen)
	if s.partial > 0 {
		start := b.n*b.slotLen + wire.RegularFrameHeaderLen
		copy(final[wire.FinalFrameHeaderLen:], b.slab[start:start+s.partial])
		clear(b.slab[start : start+s.partial])
	}
	if b != nil && b.n > 0 {
		if err := s.dispatch(); err != nil {
			return err
		}
	}
	for len(s.inflight) > 0 {
		if err := s.flush(); err != nil {
			return err
		}
	}
	out := s.c.SealFrame(&s.scratch, final, s.nextSeq, true, final[wire.FinalFrameHeaderLen:wire.FinalFrameHeaderLen+s.partial])
	return s.put(out)
}
