package frame

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
)

// Batch is a run of consecutive frames of one message, sealed or opened by
// several goroutines at once. Regular frames of a sealed batch are laid out
// back to back in one slab, so the sealed batch is one contiguous byte run.
//
// The frames are shared out in chunks: Start lets goroutines of a shared
// pool claim chunks, and Wait has the caller claim whatever is left before
// it waits for the chunks others are still working on. So a batch is done
// as soon as the caller reaches Wait, even if no helper has woken up yet.
type Batch struct {
	c *Cipher

	// Sealing: n regular frames starting at sequence number firstSeq, each
	// slotLen bytes in slab. Plaintext comes from src (n*frameLen
	// contiguous bytes) when set, else from each slot after its header.
	slab     []byte
	slotLen  int
	n        int
	firstSeq uint32
	src      []byte

	// Opening: frames are opened in place, or into out[i] when out is set;
	// plain[i] receives the plaintext of frames[i] and errs[i] its error.
	frames []format.Frame
	out    [][]byte
	plain  [][]byte
	errs   []error
	single bool // the one frame is a non-framed body
	// bufs are the read buffers of an open batch, reused from batch to batch.
	bufs [][]byte
	// readErr is an error met while reading the frame after the last one.
	readErr error
	// ready is signalled by whoever finishes a batch's work on its owner's
	// behalf (a stream's hashing goroutine); see UseReady.
	ready chan struct{}

	max  int // slab size limit of a seal batch
	open bool

	// claim is the generation of the batch's contents in its high 32 bits
	// and the next unclaimed frame in its low 32 bits. Reset moves to a
	// new generation, so that a helper that wakes up late for an earlier
	// use of the batch claims nothing.
	claim   atomic.Uint64
	left    atomic.Int64          // frames of this generation not yet done
	fault   atomic.Pointer[error] // the first fault of this generation
	done    chan struct{}         // signalled once per started generation
	started bool                  // Start was called and Wait not yet
}

// NewSealBatch returns a batch that seals up to frames regular frames. Its
// slab is allocated by Grow, as data arrives.
func (c *Cipher) NewSealBatch(frames int) *Batch {
	slot := wire.RegularFrameHeaderLen + c.fl + 16
	return &Batch{c: c, slotLen: slot, max: frames * slot, done: make(chan struct{}, 1)}
}

// NewSealBatchAt returns a batch that seals the whole frames of src,
// starting at sequence number firstSeq, into dst, which is their exact
// sealed length: a one-shot message's body sealed where it belongs.
func (c *Cipher) NewSealBatchAt(dst, src []byte, firstSeq uint32) *Batch {
	b := c.NewSealBatch(len(src) / c.fl)
	b.slab, b.src, b.n, b.firstSeq = dst[:b.max], src, b.MaxFrames(), firstSeq
	return b
}

// Grow makes the slab at least n bytes long (at most the batch's size),
// growing it geometrically so that a stream with huge frames holds memory
// in proportion to the data it has been given, not to the frame length
// (a first slab holds one slot, or 64 KiB of a larger one). A frame's
// whole slot must be grown to before it is sealed.
func (b *Batch) Grow(n int) {
	if n <= len(b.slab) {
		return
	}
	size := min(max(n, 2*len(b.slab), min(b.slotLen, 64<<10)), b.max)
	grown := make([]byte, size)
	copy(grown, b.slab)
	b.slab = grown
}

// NewOpenBatch returns a batch that opens up to frames frames.
func (c *Cipher) NewOpenBatch(frames int) *Batch {
	return &Batch{
		c: c, open: true, done: make(chan struct{}, 1),
		frames: make([]format.Frame, 0, frames), plain: make([][]byte, frames),
		errs: make([]error, frames), bufs: make([][]byte, frames),
	}
}

// openBatches recycles open batches, with their read buffers, from one
// stream to the next.
var openBatches sync.Pool // of *Batch

// GetOpenBatch is NewOpenBatch, taking a batch given back by PutOpenBatch
// when one of that many frames is free. The batch keeps its claim counter,
// so a helper still holding a ticket for its earlier use claims nothing.
func (c *Cipher) GetOpenBatch(frames int) *Batch {
	if b, ok := openBatches.Get().(*Batch); ok && b.Cap() == frames {
		b.c, b.single = c, false
		return b
	}
	return c.NewOpenBatch(frames)
}

// PutOpenBatch gives a reset open batch back for reuse by GetOpenBatch.
// Nothing may refer to the batch or its read buffers any more: it has been
// waited for (and, if handed to another goroutine, that goroutine is done
// with it) and its plaintext has been consumed. The read buffers are
// cleared, since frames were opened in place in them.
func PutOpenBatch(b *Batch) {
	if !b.open || b.started || len(b.frames) != 0 {
		panic("frame: PutOpenBatch of a batch in use")
	}
	for i, buf := range b.bufs {
		if cap(buf) > maxPooledBuffer {
			b.bufs[i] = nil
			continue
		}
		clear(buf[:cap(buf)])
	}
	clear(b.frames[:cap(b.frames)]) // references into the buffers
	b.c, b.out = nil, nil
	openBatches.Put(b)
}

// maxPooledBuffer is the largest read buffer kept with a recycled batch.
const maxPooledBuffer = 1<<20 + 64

// MaxFrames is the number of frames a seal batch holds when full.
func (b *Batch) MaxFrames() int { return b.max / b.slotLen }

// Slot returns the bytes of regular frame i of a seal batch; its plaintext
// goes at Slot(i)[wire.RegularFrameHeaderLen:].
func (b *Batch) Slot(i int) []byte { return b.slab[i*b.slotLen : (i+1)*b.slotLen] }

// Sealed returns the sealed frames of a seal batch, back to back.
func (b *Batch) Sealed() []byte { return b.slab[:b.n*b.slotLen] }

// Len is the number of frames in the batch.
func (b *Batch) Len() int {
	if b.open {
		return len(b.frames)
	}
	return b.n
}

// Cap is the number of frames an open batch holds.
func (b *Batch) Cap() int { return cap(b.frames) }

// run seals or opens frames [lo, hi).
func (b *Batch) run(s *Scratch, lo, hi int) {
	if b.open {
		for i := lo; i < hi; i++ {
			dst := b.frames[i].Sealed[:0]
			if b.out != nil {
				dst = b.out[i][:0]
			}
			b.plain[i], b.errs[i] = b.c.OpenTo(s, dst, &b.frames[i], b.single)
		}
		return
	}
	fl := b.c.fl
	for i := lo; i < hi; i++ {
		slot := b.Slot(i)
		var pt []byte
		if b.src != nil {
			pt = b.src[i*fl : (i+1)*fl]
		} else {
			pt = slot[wire.RegularFrameHeaderLen : wire.RegularFrameHeaderLen+fl]
		}
		b.c.SealFrame(s, slot, b.firstSeq+uint32(i), false, pt)
	}
}

// chunkBytes is about how much of a batch one claim takes: enough to make
// the claim's cost negligible, small enough that the goroutines sharing a
// batch finish it at about the same time.
const chunkBytes = 16 << 10

// minParallelBytes is the batch size below which handing frames to other
// goroutines costs more than it saves.
const minParallelBytes = 32 << 10

func (b *Batch) chunkFrames() int { return max(1, chunkBytes/max(1, b.c.fl)) }

// Start makes the batch's frames available to be sealed or opened, and
// asks up to helpers goroutines of the shared pool to work on them; it
// returns at once, so that the caller can do other work (reading, copying,
// hashing) meanwhile. Wait finishes the batch. A batch too small to be
// worth sharing is left to Wait.
func (b *Batch) Start(helpers int) {
	if b.started {
		panic("frame: Start of a started batch")
	}
	b.started = true
	n := b.Len()
	b.left.Store(int64(n))
	gen := uint32(b.claim.Load() >> 32)
	if helpers < 1 || b.small() {
		return
	}
	// One helper fewer than chunks: the caller claims at least one when
	// it waits, and more helpers than chunks would only be woken in vain.
	step := b.chunkFrames()
	chunks := (n + step - 1) / step
	for range min(helpers, chunks-1) {
		pool.submit(ticket{b: b, gen: gen, n: n, step: step})
	}
}

// Wait seals or opens the frames that no helper has claimed, with the
// caller's goroutine and scratch, then waits for the helpers' chunks. It
// does nothing if the batch was not started.
func (b *Batch) Wait(s *Scratch) {
	if !b.started {
		return
	}
	b.started = false
	if b.Len() == 0 {
		return
	}
	b.work(s, uint32(b.claim.Load()>>32), b.Len(), b.chunkFrames())
	// Only chunks claimed by helpers are left, each a few microseconds of
	// work: spin briefly rather than sleep, since waking a sleeping
	// goroutine costs more than that on some machines.
	deadline := time.Now().Add(spinWait)
	for {
		select {
		case <-b.done:
			return
		default:
		}
		if time.Now().After(deadline) {
			<-b.done
			return
		}
		runtime.Gosched()
	}
}

// work claims chunks of step frames of generation gen, which has n
// frames, and runs them until none is left. It reads no field of the batch
// but its atomics before a claim succeeds: a helper that wakes up late may
// find the batch reused by another stream (see GetOpenBatch).
func (b *Batch) work(s *Scratch, gen uint32, n, frames int) {
	step := uint64(frames)
	for {
		c := b.claim.Load()
		lo := c & (1<<32 - 1)
		if uint32(c>>32) != gen || lo >= uint64(n) {
			return
		}
		hi := min(lo+step, uint64(n))
		if !b.claim.CompareAndSwap(c, c+(hi-lo)) {
			continue
		}
		b.runSafe(s, int(lo), int(hi))
		if b.left.Add(-int64(hi-lo)) == 0 {
			b.done <- struct{}{}
		}
	}
}

// runSafe runs frames [lo, hi), turning a panic (a bug: no input can
// cause one) into the batch's error, so that no goroutine of the shared
// pool, nor a stream's own, ever takes the process down.
func (b *Batch) runSafe(s *Scratch, lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("%w: frames %d to %d: %v", ErrInternal, lo, hi-1, r)
			b.fault.CompareAndSwap(nil, &err)
		}
	}()
	b.run(s, lo, hi)
}

// Err returns the fault met while sealing or opening the batch, if any,
// wrapping [ErrInternal]. Call it after Wait; a batch with a fault must
// not be used (its frames may be unsealed or unopened).
func (b *Batch) Err() error {
	if p := b.fault.Load(); p != nil {
		return *p
	}
	return nil
}

// small reports whether the batch is too small for other goroutines to
// help.
func (b *Batch) small() bool {
	return b.Len() < 2 || b.Len()*b.c.fl < minParallelBytes
}

// Reset empties a waited-for batch for reuse.
func (b *Batch) Reset() {
	if b.started {
		panic("frame: Reset of a started batch")
	}
	b.claim.Store(uint64(uint32(b.claim.Load()>>32)+1) << 32)
	b.n, b.src, b.readErr = 0, nil, nil
	b.fault.Store(nil)
	b.frames = b.frames[:0]
	b.out = b.out[:0]
	clear(b.plain)
	clear(b.errs)
}

// ticket asks a pool goroutine to help with generation gen of a batch of n
// frames.
type ticket struct {
	b    *Batch
	gen  uint32
	n    int
	step int // frames per chunk
}

// spinWait is how long a goroutine with nothing to do keeps polling for
// work before it sleeps: about what waking a sleeping goroutine on an idle
// processor costs on a virtual machine, so that a stream feeding batches
// every few tens of microseconds keeps its helpers awake.
const spinWait = 100 * time.Microsecond

// pool is a set of goroutines shared by every stream: at most one per
// processor (GOMAXPROCS, read again whenever work is submitted, so the pool
// follows changes of it), started on demand. A worker with nothing to do
// polls briefly, then sleeps, and exits after 2 s without work, or
// as soon as there are more workers than GOMAXPROCS: a process that stops
// encrypting is left with no goroutine of the pool. Tickets are plain
// values, so handing one over allocates nothing, and they are only hints:
// a batch's waiting goroutine does whatever no worker claimed.
var pool = workerPool{tickets: make(chan ticket, 4096)}

// idleExit is how long, in nanoseconds, a pool worker sleeps without work
// before it exits (a variable for tests).
var idleExit atomic.Int64

func init() { idleExit.Store(int64(2 * time.Second)) }

type workerPool struct {
	tickets chan ticket
	running atomic.Int32 // workers started and not yet exited
	mu      sync.Mutex   // serialises starting workers
}

func (p *workerPool) submit(t ticket) {
	if want := int32(runtime.GOMAXPROCS(0)); p.running.Load() < want {
		p.mu.Lock()
		for p.running.Load() < want {
			p.running.Add(1)
			go p.serve()
		}
		p.mu.Unlock()
	}
	select {
	case p.tickets <- t:
	default:
		// The queue is full: the batch's own goroutine will do the work.
	}
}

func (p *workerPool) serve() {
	var s Scratch
	idle := time.NewTimer(time.Duration(idleExit.Load()))
	defer idle.Stop()
	for {
		t, ok := p.next(idle)
		if !ok {
			return
		}
		t.b.work(&s, t.gen, t.n, t.step)
	}
}

// next returns the next ticket, polling for a while before it sleeps. It
// returns false when the worker should exit: idle for idleExit, or one of
// more workers than GOMAXPROCS (the running count is decremented then).
func (p *workerPool) next(idle *time.Timer) (ticket, bool) {
	select {
	case t := <-p.tickets:
		return t, true
	default:
	}
	deadline := time.Now().Add(spinWait)
	for time.Now().Before(deadline) {
		runtime.Gosched()
		select {
		case t := <-p.tickets:
			return t, true
		default:
		}
	}
	for {
		if n := p.running.Load(); n > int32(runtime.GOMAXPROCS(0)) {
			if p.running.CompareAndSwap(n, n-1) {
				return ticket{}, false
			}
			continue
		}
		idle.Reset(time.Duration(idleExit.Load()))
		select {
		case t := <-p.tickets:
			return t, true
		case <-idle.C:
			p.running.Add(-1)
			return ticket{}, false
		}
	}
}

// The methods below are how a stream fills a batch and takes its results;
// the batch's fields are the pipeline's own.

// FirstSeq is the sequence number of a seal batch's first frame.
func (b *Batch) FirstSeq() uint32 { return b.firstSeq }

// SetFirstSeq sets the sequence number of an empty seal batch's first
// frame.
func (b *Batch) SetFirstSeq(seq uint32) { b.firstSeq = seq }

// SlotLen is the length of one sealed regular frame.
func (b *Batch) SlotLen() int { return b.slotLen }

// Full reports whether a seal batch holds as many frames as it can.
func (b *Batch) Full() bool { return b.n == b.MaxFrames() }

// SealFrom makes an empty seal batch seal the whole frames of src
// straight from it; src must stay unchanged until Wait returns and
// ReleaseSource is called.
func (b *Batch) SealFrom(src []byte) {
	k := len(src) / b.c.fl
	b.Grow(k * b.slotLen)
	b.n, b.src = k, src[:k*b.c.fl]
}

// Direct reports whether the batch seals from a caller's buffer
// (SealFrom).
func (b *Batch) Direct() bool { return b.src != nil }

// ReleaseSource forgets the caller's buffer of a waited-for batch.
func (b *Batch) ReleaseSource() { b.src = nil }

// CopyIn copies plaintext for the frame being filled (the one after the
// batch's full frames), which already holds partial bytes, and returns
// how many bytes it took: at most what completes the frame.
func (b *Batch) CopyIn(partial int, p []byte) int {
	start := b.n*b.slotLen + wire.RegularFrameHeaderLen + partial
	n := min(len(p), b.c.fl-partial)
	b.Grow(start + n)
	copy(b.slab[start:start+n], p[:n])
	return n
}

// FrameFilled counts the frame being filled as full.
func (b *Batch) FrameFilled() {
	b.Grow((b.n + 1) * b.slotLen) // room for the frame's tag
	b.n++
}

// TakePartial moves the partial bytes of the frame being filled into dst
// and clears them from the batch.
func (b *Batch) TakePartial(dst []byte, partial int) {
	if partial == 0 {
		return
	}
	start := b.n*b.slotLen + wire.RegularFrameHeaderLen
	copy(dst, b.slab[start:start+partial])
	clear(b.slab[start : start+partial])
}

// SetSingle says whether an open batch holds a non-framed body.
func (b *Batch) SetSingle(single bool) { b.single = single }

// ReadBuffer returns the read buffer for frame i of an open batch,
// allocating one of capacity size the first time when size is positive.
func (b *Batch) ReadBuffer(i, size int) []byte {
	if b.bufs[i] == nil && size > 0 {
		b.bufs[i] = make([]byte, 0, size)
	}
	return b.bufs[i]
}

// Add appends a frame read into ReadBuffer(Len()) to an open batch, which
// keeps the frame's buffer for later reuse.
func (b *Batch) Add(f format.Frame) {
	b.bufs[len(b.frames)] = f.Raw[:0]
	b.frames = append(b.frames, f)
}

// AddTo appends a frame to an open batch that opens it into out, which has
// room for its plaintext.
func (b *Batch) AddTo(f format.Frame, out []byte) {
	b.frames = append(b.frames, f)
	b.out = append(b.out, out)
}

// Frame returns frame i of an open batch.
func (b *Batch) Frame(i int) *format.Frame { return &b.frames[i] }

// Result returns the plaintext of frame i of a waited-for open batch, or
// why it did not open.
func (b *Batch) Result(i int) ([]byte, error) { return b.plain[i], b.errs[i] }

// SetReadErr records the error met reading the frame after the batch's
// last one.
func (b *Batch) SetReadErr(err error) { b.readErr = err }

// ReadErr is the error met reading the frame after the batch's last one.
func (b *Batch) ReadErr() error { return b.readErr }

// Ends reports whether the batch holds the message's last frame, or
// reading stopped after it with an error.
func (b *Batch) Ends() bool {
	n := len(b.frames)
	return b.readErr != nil || n > 0 && b.frames[n-1].Final
}

// WriteRaw writes the raw bytes of an open batch's frames, in order, to w
// (the signature hash).
func (b *Batch) WriteRaw(w interface{ Write([]byte) (int, error) }) {
	for i := range b.frames {
		w.Write(b.frames[i].Raw)
	}
}

// UseReady prepares MarkReady and AwaitReady; the owner calls it before it
// hands the batch to another goroutine.
func (b *Batch) UseReady() {
	if b.ready == nil {
		b.ready = make(chan struct{}, 1)
	}
}

// MarkReady signals AwaitReady, once per use of the batch.
func (b *Batch) MarkReady() { b.ready <- struct{}{} }

// AwaitReady waits for MarkReady.
func (b *Batch) AwaitReady() { <-b.ready }
