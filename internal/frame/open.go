package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
)

// Opener reads, authenticates and decrypts the body of one message, in
// order, from a [format.Reader] whose header and header authentication
// have been read. It is the only place where frames are read: a
// streaming decryption calls [Opener.Next] for each frame's plaintext
// (frames read in place in an [Input] and opened there), a one-shot
// decryption calls [Opener.AppendAll] (frames opened straight from the
// message into the result). An Opener is not safe for concurrent use;
// the first error is returned by every later call.
type Opener struct {
	c       *Cipher
	mr      *format.Reader
	in      *Input // a stream's input; nil for a message in memory
	hash    io.Writer
	hashes  *hashFeed // the hashing goroutine of a signed stream
	finish  Finisher
	scratch Scratch
	workers int
	single  bool // a non-framed body
	local   bool // reading never waits on another party
	// lazy says frames are opened as they are released, on the caller's
	// goroutine, rather than a batch at a time ahead of it (see NextTo):
	// with one worker, or a source known to hold less than lazyMax.
	lazy   bool
	slot   int // length of a regular frame
	maxSeg int // read buffer size of a full batch

	rel     *batch // frames being released
	relNext int    // index in rel of the next frame to release
	// shown is the plaintext of the frame last released, when a lazy
	// stream opened it in place: it is cleared once released, so that a
	// lazy stream's read buffers only ever keep ciphertext.
	shown []byte
	// lentOut receives the plaintext of a frame read from lent bytes (see
	// Lend) that does not fit in the caller's dst: lent bytes are never
	// written.
	lentOut *segment
	// room, while bytes are lent, gives where to open a frame of n bytes
	// that does not fit in dst (see Lend).
	room     func(n int) []byte
	pending  []*batch // frames read and being opened, oldest first
	free     []*batch // batches not in use
	batches  int      // batches in existence
	depth    int      // the most batches there may be
	frameCap int      // frames per batch
	lastRead int      // bytes the last batch read into its buffer
	done     bool     // the final frame was released
	err      error
}

// Finisher is what an Opener calls once the final frame has been
// authenticated, before its plaintext is released: the checks of the end
// of a message (its signature, nothing after it).
type Finisher interface {
	Finish() error
}

// FinishFunc is a function used as a [Finisher].
type FinishFunc func() error

// Finish calls f.
func (f FinishFunc) Finish() error { return f() }

// NewOpener returns an Opener of the body that follows the header read
// by mr. in is the [Input] mr reads (nil for a message in memory, read by
// a [format.NewBytesReader]); local says reading never waits on another
// party. finish is called once the final frame has been authenticated,
// before its plaintext is released (the signature and end-of-input
// checks); the Opener feeds cfg.Hash every frame before it is opened.
func NewOpener(c *Cipher, mr *format.Reader, in *Input, local bool, finish Finisher, cfg Config) *Opener {
	o := new(Opener)
	o.Init(c, mr, in, local, finish, cfg)
	return o
}

// Init makes o what [NewOpener] returns, in place (in the memory of the
// value that holds it).
func (o *Opener) Init(c *Cipher, mr *format.Reader, in *Input, local bool, finish Finisher, cfg Config) {
	*o = Opener{
		c: c, mr: mr, in: in, finish: finish, workers: max(1, cfg.Workers),
		single: c.frameLen == 0, local: local || in == nil,
	}
	if in != nil {
		o.lazy = o.workers == 1
		if !o.lazy {
			left, known := in.left()
			o.lazy = known && left < lazyMax
		}
		in.sealed = o.lazy
	}
	if cfg.Hash != nil {
		o.hash = cfg.Hash
	}
	o.depth, o.frameCap = 1, 1
	if !o.single {
		o.slot = wire.RegularFrameHeaderLen + c.fl + algorithms.TagLen
		if o.lazy {
			o.frameCap = max(1, min(BatchFrames(c.fl, 1), lazyBatchBytes/max(1, c.fl)))
		} else {
			o.frameCap = framesIn(openBatchBytes, c.fl, o.workers)
			o.depth = pipelineDepth(o.frameCap*c.fl, o.workers)
		}
		o.maxSeg = max(floorClass(o.frameCap*o.slot), minSegment)
	}
	// A sequential stream still reads one batch ahead while the one
	// before is consumed.
	o.depth++
	if in != nil {
		o.lastRead = len(in.seg.b)
		if o.hash != nil && !o.lazy {
			// Batches opened ahead are hashed on a goroutine of their own
			// (a lazy stream hashes each frame as it reads it).
			o.startHasher()
		}
	}
}

// startHasher moves the signature hash off the reading goroutine: a
// goroutine hashes each batch of frames as read and then starts opening
// it, so that reading, hashing and opening overlap.
func (o *Opener) startHasher() {
	h, n := o.hash, helpers(o.workers)
	o.hashes = startHashFeed(o, o.depth, func(_ *Scratch, b *batch) {
		for i := range b.frames {
			h.Write(b.frames[i].Raw)
		}
		b.start(n)
	})
}

// Next returns the plaintext of the next frame, and whether it is the
// last. The plaintext is valid until the next call. After the last frame
// Next returns io.EOF.
func (o *Opener) Next() ([]byte, bool, error) { return o.NextTo(nil) }

// NextTo is Next, except that while [Opener.OpensInto] holds it opens
// the frame straight into dst when its plaintext fits in len(dst):
// the plaintext returned is then dst[:len(pt)], and no copy of it is
// needed. dst is only written if the frame authenticates, and cleared
// again if the message then fails its final checks.
func (o *Opener) NextTo(dst []byte) ([]byte, bool, error) {
	if o.err != nil {
		return nil, false, o.err
	}
	pt, last, err := o.next(dst)
	if err != nil {
		o.fail(err)
	}
	return pt, last, err
}

// OpensInto reports whether [Opener.NextTo] opens frames into its dst,
// each on the caller's goroutine as it is released: a stream with one
// worker does, and one with more whose source is known to be small (a
// [bytes.Reader], say, or a regular file, holding less than lazyMax);
// other streams open whole batches ahead on the worker pool.
func (o *Opener) OpensInto() bool { return o.lazy }

// fail records the first error and ends the stream: its buffers are
// recycled, and the hashing goroutine stopped.
func (o *Opener) fail(err error) {
	o.err = err
	o.hide()
	if o.hashes != nil {
		o.hashes.close()
	}
	o.recycle()
}

// hide clears the plaintext of the frame last released, if it was opened
// in a read buffer: the caller is done with it.
func (o *Opener) hide() {
	clear(o.shown)
	o.shown = nil
}

func (o *Opener) next(dst []byte) ([]byte, bool, error) {
	o.hide()
	for {
		if b := o.rel; b != nil {
			if o.relNext < b.len() {
				i := o.relNext
				o.relNext++
				f := &b.frames[i]
				if err := b.errs[i]; err != nil {
					return nil, false, fmt.Errorf("frame %d: %w", f.Seq, err)
				}
				pt := b.plain[i]
				if o.lazy {
					var err error
					if pt, err = o.openNow(b, i, dst); err != nil {
						return nil, false, fmt.Errorf("frame %d: %w", f.Seq, err)
					}
				}
				if f.Final {
					if err := o.finish.Finish(); err != nil {
						clear(pt)
						return nil, false, err
					}
					o.done = true
				}
				return pt, f.Final, nil
			}
			if err := b.readErr; err != nil {
				return nil, false, err
			}
			b.reset()
			o.rel = nil
			o.free = append(o.free, b)
		}
		if o.done {
			return nil, false, io.EOF
		}
		if len(o.pending) == 0 {
			if o.in.lending && !o.frameBuffered() {
				return nil, false, errStarved
			}
			o.pending = append(o.pending, o.readBatch())
		}
		// Read the following frames while these are hashed and opened and
		// then consumed (only when that does not wait for input).
		for len(o.free) > 0 || o.batches < o.depth {
			if o.pending[len(o.pending)-1].ends() || !o.frameBuffered() {
				break
			}
			o.pending = append(o.pending, o.readBatch())
		}
		b := o.pending[0]
		o.pending = append(o.pending[:0], o.pending[1:]...)
		if o.hashes != nil {
			o.hashes.await(b)
		}
		b.wait(&o.scratch)
		if err := b.err(); err != nil {
			return nil, false, err
		}
		o.rel, o.relNext = b, 0
	}
}

// lazyBatchBytes is about how much a lazy stream reads ahead at a time:
// its read buffer stays in the processor's cache between being filled and
// its frames being opened.
const lazyBatchBytes = 64 << 10

// lazyMax is the size of a source below which a stream with more than
// one worker opens its frames lazily all the same: in a small message,
// handing frames to other goroutines and copying their plaintext out
// costs more than the parallelism saves.
const lazyMax = 384 << 10

// readBatch reads frames in place into a spare batch and starts opening
// them. It stops at the final frame, at a full batch or read buffer, or
// when taking another frame would have to wait for input.
func (o *Opener) readBatch() *batch {
	b := o.take()
	b.single = o.single
	if b.lent = o.in.borrowed(); !b.lent {
		o.in.begin(b.seg, o.segSize())
	}
	spare := b.seg
	b.seg = nil
	for i := 0; i < b.capFrames; i++ {
		if i > 0 && o.in.room() < o.slot {
			break // the next frame would not fit: it starts the next batch
		}
		f, err := o.read()
		if err != nil {
			b.readErr = err
			break
		}
		b.add(f, nil)
		if o.hash != nil && o.hashes == nil {
			o.hash.Write(f.Raw) // before the frame is opened in place
		}
		if f.Final || !o.frameBuffered() {
			break
		}
	}
	if b.lent {
		b.seg = spare // kept for a later batch
	} else if o.in.held {
		// The buffer holds this batch's frames: the batch owns it now.
		b.seg = o.in.seg
	}
	o.lastRead = o.in.r
	if o.lazy {
		return b // opened frame by frame as released
	}
	if o.hashes != nil {
		o.hashes.send(b)
		if b.ends() {
			o.hashes.close()
		}
		return b
	}
	b.start(helpers(o.workers))
	return b
}

// openNow opens frame i of a batch that was not started (a lazy
// stream's): into dst if its plaintext fits there, else in place, or for
// a frame in lent bytes into lentOut.
func (o *Opener) openNow(b *batch, i int, dst []byte) ([]byte, error) {
	f := &b.frames[i]
	n := f.ContentLen()
	if n > len(dst) && o.room != nil {
		dst = o.room(n)
	}
	if n > len(dst) {
		out := f.Sealed[:n]
		if b.lent {
			if o.lentOut == nil || len(o.lentOut.b) < n {
				if o.lentOut != nil {
					putSegment(o.lentOut)
				}
				o.lentOut = getSegment(n)
			}
			o.lentOut.used = max(o.lentOut.used, n)
			out = o.lentOut.b[:n]
		}
		pt, err := o.openSafe(out, f, b.single)
		if err == nil {
			o.shown = pt
		}
		return pt, err
	}
	return o.openSafe(dst[:n], f, b.single)
}

// openSafe opens f into out, which has room for its plaintext, on the
// calling goroutine. A panic (a bug: no input can cause one) becomes an
// error wrapping [ErrInternal], as on the pipeline's goroutines. Nothing
// of a frame that does not open is left in out.
func (o *Opener) openSafe(out []byte, f *format.Frame, single bool) (pt []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrInternal, r)
		}
		if err != nil {
			pt = nil
			clear(out)
		}
	}()
	return o.c.OpenTo(&o.scratch, out[:0], f, single)
}

// read reads the next frame, or the non-framed body.
func (o *Opener) read() (format.Frame, error) {
	if o.single {
		return o.mr.ReadNonFramed(nil)
	}
	return o.mr.ReadFrame(nil)
}

// segSize is the read buffer size for the next batch: room for what has
// been read ahead and a whole frame, and at least twice what the last
// batch read (up to a full batch), so that buffers grow to what the
// message needs and the source delivers; only what is left when the
// input has ended.
func (o *Opener) segSize() int {
	carry := o.in.Buffered()
	if o.in.ended() || o.single {
		return carry // a non-framed body grows the buffer as it arrives
	}
	next := carry + o.slot
	if o.slot > 1<<20+64 {
		// A frame above 1 MiB is read into a buffer grown as its bytes
		// arrive, never to a length the header merely declares.
		next = carry + minSegment
	}
	return max(next, min(2*o.lastRead, o.maxSeg))
}

// openBatches recycles the open batches of finished streams.
var openBatches sync.Pool // of *batch

// take takes a free batch, making one if none is free (callers keep to
// o.depth).
func (o *Opener) take() *batch {
	if n := len(o.free); n > 0 {
		b := o.free[n-1]
		o.free = o.free[:n-1]
		return b
	}
	o.batches++
	if b, ok := openBatches.Get().(*batch); ok {
		b.c, b.capFrames = o.c, o.frameCap
		return b
	}
	return o.c.newOpenBatch(o.frameCap)
}

// putOpenBatch gives a waited-for, reset batch back for other messages,
// dropping its references to their bytes.
func putOpenBatch(b *batch) {
	clear(b.frames[:cap(b.frames)])
	clear(b.out[:cap(b.out)])
	b.c, b.out = nil, b.out[:0]
	openBatches.Put(b)
}

// frameBuffered reports whether a whole frame can be read without waiting
// for input (which would delay releasing earlier frames): it is read ahead
// already, or the source is in memory or a regular file. While bytes are
// lent, only a regular frame wholly among them can be read.
func (o *Opener) frameBuffered() bool {
	if o.in.lending {
		return !o.single && o.in.Buffered() >= o.slot && !o.finalNext()
	}
	return !o.single && (o.local || o.in.Buffered() >= o.slot)
}

// finalNext reports whether the bytes read ahead start with the final
// frame's marker (reading nothing).
func (o *Opener) finalNext() bool {
	if o.in.Buffered() < 4 {
		return false
	}
	p, _ := o.in.Peek(4)
	return binary.BigEndian.Uint32(p) == format.FinalFrameMarker
}

// errStarved is what next returns, while bytes are lent, when no frame can
// be released without more input.
var errStarved = errors.New("frame: no whole frame lent")

// Lends reports whether [Opener.Lend] reads frames from bytes lent to it:
// a framed stream's that opens its frames as they are released (see
// OpensInto), whose final frame has not been read. (A stream that opens
// batches ahead on the worker pool copies its input all the same: for
// the large sources it reads, the copy brings each batch into the
// processor's cache faster than opening frames from memory would.)
func (o *Opener) Lends() bool {
	if o.in == nil || !o.lazy || o.single || o.err != nil || o.done {
		return false
	}
	if o.rel != nil && o.rel.ends() {
		return false
	}
	return len(o.pending) == 0 || !o.pending[len(o.pending)-1].ends()
}

// Lend gives the Opener p, the bytes of the stream that follow what it has
// read from its source, as an [io.WriterTo] source writes them: the
// Opener reads whole regular frames straight from p, never writing to it,
// and passes the plaintext of each, in order, to emit. A frame of n bytes
// is opened into room(n) when that holds it (emit is then passed the
// start of that slice), else into a buffer of the Opener's, cleared once
// emit returns. Lend stops before the final frame, and before
// a frame that p holds only part of, and returns how many bytes of p it
// consumed: the source must deliver the rest of the stream, from p[n:],
// to later reads. Nothing refers to p once Lend returns. An error of
// emit, or of a frame, ends the stream and is returned.
func (o *Opener) Lend(p []byte, room func(n int) []byte, emit func([]byte) error) (int, error) {
	if !o.Lends() {
		return 0, o.err
	}
	o.in.lending, o.room = true, room
	used := 0 // bytes of p consumed before the current borrow, if any
	end := func(err error) (int, error) {
		o.hide()
		if o.in.borrowed() {
			used += o.in.unborrow()
		}
		o.in.lending, o.room = false, nil
		if err != nil {
			o.fail(err)
		}
		return used, err
	}
	for {
		pt, _, err := o.next(nil)
		if err == errStarved {
			rest := p[used:]
			switch {
			case o.in.borrowed() || len(rest) == 0 || o.finalNext():
				return end(nil)
			case o.in.Buffered() == 0 && len(rest) >= o.slot:
				o.in.borrow(rest)
			case o.in.Buffered() == 0:
				return end(nil) // not a whole frame: left to the source
			default:
				// Complete the frame begun in the read buffer.
				k := min(len(rest), o.slot-o.in.Buffered())
				o.in.feed(rest[:k])
				used += k
			}
			continue
		}
		if err != nil {
			return end(err)
		}
		if err := emit(pt); err != nil {
			return end(err)
		}
	}
}

// errClosed is what Next returns after Close.
var errClosed = errors.New("frame: Opener is closed")

// Close ends the stream, recycling its buffers; Next then fails. Closing
// after io.EOF or an error does nothing more.
func (o *Opener) Close() {
	if o.err == nil {
		o.fail(errClosed)
	}
}

// recycle gives the read buffers and batches of a finished stream back for
// other streams. Only batches in o.free are given back: each was waited
// for (no helper of the pool and no hashing goroutine works on it any
// more), reset, and released (its plaintext was consumed: the caller
// of Next is done with it when it asks for more, or on error). At the end
// of the message every batch is free; after an error, batches still
// pending are left to the garbage collector, since a helper or the
// hashing goroutine may still hold them. The batch being released is
// given back too once the message is complete.
func (o *Opener) recycle() {
	if o.in == nil {
		return
	}
	if b := o.rel; b != nil && o.done && len(o.pending) == 0 {
		b.reset()
		o.free = append(o.free, b)
		o.rel = nil
	}
	for _, b := range o.free {
		if b.seg != nil {
			if b.seg == o.in.seg {
				o.in.held = false // the Input gives it back below
			} else {
				putSegment(b.seg)
			}
			b.seg = nil
		}
		putOpenBatch(b)
	}
	o.free = nil
	if o.lentOut != nil {
		putSegment(o.lentOut) // cleared: it held plaintext
		o.lentOut = nil
	}
	o.in.Close()
	o.in = nil
}

// appendSequential is AppendAll on the calling goroutine alone: each
// frame is opened as soon as it is read, while its bytes are in the
// processor's cache (locating a batch of frames first takes a cache miss
// per frame: 30% of a 64 MiB decryption on one core).
func (o *Opener) appendSequential(dst []byte) ([]byte, error) {
	start := len(dst)
	fail := func(err error) ([]byte, error) {
		clear(dst[start:cap(dst)])
		o.err = err
		return dst[:start], err
	}
	for final := false; !final; {
		f, err := o.read()
		if err != nil {
			return fail(err)
		}
		if o.hash != nil {
			o.hash.Write(f.Raw)
		}
		n := f.ContentLen()
		if n > cap(dst)-len(dst) {
			return fail(errNoRoom(f.Seq))
		}
		if _, err := o.openSafe(dst[len(dst):len(dst)+n], &f, o.single); err != nil {
			return fail(fmt.Errorf("frame %d: %w", f.Seq, err))
		}
		dst, final = dst[:len(dst)+n], f.Final
	}
	if err := o.finish.Finish(); err != nil {
		return fail(err)
	}
	o.done = true
	return dst, nil
}

// oneShotHasherMin is the body length from which a signed message in
// memory is hashed on a goroutine of its own: below it, handing frames
// to another goroutine costs more than hashing them.
const oneShotHasherMin = 1 << 20

// errNoRoom is AppendAll's error for a frame that does not fit in the
// room its caller made for the plaintext (format.Header.MaxPlaintextLen):
// a bug, since a frame that the reader accepts always fits.
func errNoRoom(seq uint32) error {
	return fmt.Errorf("%w: frame %d does not fit in the room made for the plaintext", ErrInternal, seq)
}

// AppendAll opens every frame of a message held in memory, whose body
// (what follows the header) is bodyLen bytes, straight into dst, which
// must have room for the plaintext, and returns dst extended by it. A
// frame that does not fit is an error wrapping [ErrInternal].
// Frames are opened by several goroutines for large messages, and
// hashed, when signed and large, on a goroutine of their own; finish
// runs after the last frame. On error the bytes written past len(dst) are
// zeroed and the extension is not returned.
func (o *Opener) AppendAll(dst []byte, bodyLen int) ([]byte, error) {
	if o.in != nil {
		panic("frame: AppendAll of a stream")
	}
	if o.workers == 1 || bodyLen < minParallelBytes {
		return o.appendSequential(dst)
	}
	if !o.single {
		// Batches no larger than the message.
		o.frameCap = min(o.frameCap, bodyLen/max(1, o.c.fl)+1)
	}
	if bodyLen >= oneShotHasherMin && o.hash != nil && o.workers > 1 {
		o.startHasher()
		defer o.hashes.close()
	}
	start := len(dst)
	// A window of batches: while the oldest are opened, the frames of the
	// next are located (and, for signed suites, hashed).
	var window []*batch
	fail := func(err error) ([]byte, error) {
		for _, b := range window {
			if o.hashes != nil {
				o.hashes.await(b)
			}
			b.wait(&o.scratch)
		}
		clear(dst[start:cap(dst)])
		o.err = err
		return dst[:start], err
	}
	for final := false; !final || len(window) > 0; {
		if !final && (len(o.free) > 0 || o.batches < o.depth) {
			b := o.take()
			b.reset()
			b.single = o.single
			for i := 0; i < b.capFrames && !final; i++ {
				f, err := o.read()
				if err != nil {
					return fail(err)
				}
				if o.hash != nil && o.hashes == nil {
					o.hash.Write(f.Raw)
				}
				n := f.ContentLen()
				if n > cap(dst)-len(dst) {
					return fail(errNoRoom(f.Seq))
				}
				b.add(f, dst[len(dst):len(dst)+n])
				dst = dst[:len(dst)+n]
				final = f.Final
			}
			if o.hashes != nil {
				o.hashes.send(b) // the hashing goroutine starts it
			} else {
				b.start(helpers(o.workers))
			}
			window = append(window, b)
			continue
		}
		b := window[0]
		window = window[1:]
		if o.hashes != nil {
			o.hashes.await(b)
		}
		b.wait(&o.scratch)
		o.free = append(o.free, b)
		if err := b.err(); err != nil {
			return fail(err)
		}
		for i, err := range b.errs[:b.len()] {
			if err != nil {
				return fail(fmt.Errorf("frame %d: %w", b.frames[i].Seq, err))
			}
		}
	}
	if err := o.finish.Finish(); err != nil {
		return fail(err)
	}
	o.done = true
	for _, b := range o.free {
		b.reset()
		putOpenBatch(b)
	}
	o.free = nil
	return dst, nil
}

// OpenFrames authenticates and decrypts frames of one message in place,
// several at once on the shared pool when workers allows, and returns
// their plaintexts in order: random access to a message, a batch at a
// time. The error names the first frame that did not open.
func (c *Cipher) OpenFrames(frames []format.Frame, workers int) ([][]byte, error) {
	b := c.newOpenBatch(len(frames))
	for _, f := range frames {
		b.add(f, nil)
	}
	var s Scratch
	b.start(helpers(workers))
	b.wait(&s)
	if err := b.err(); err != nil {
		return nil, err
	}
	for i, err := range b.errs {
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", frames[i].Seq, err)
		}
	}
	return b.plain, nil
}
