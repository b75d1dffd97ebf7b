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

// batch is a run of consecutive frames of one message, sealed or opened
// by several goroutines at once: the unit of work of a [Sealer] or an
// [Opener]. Regular frames of a sealed batch are laid out back to back in
// one slab, so the sealed batch is one contiguous byte run.
//
// The frames are shared out in chunks: start lets goroutines of a shared
// pool claim chunks, and wait has the owner claim whatever is left before
// it waits for the chunks others are still working on. So a batch is done
// as soon as its owner reaches wait, even if no helper has woken up yet.
// Only the owner (the Sealer or Opener, on its caller's goroutine, or the
// hashing goroutine it has handed the batch to) calls its methods; pool
// goroutines only call work.
type batch struct {
	c *Cipher

	// Sealing: n regular frames starting at sequence number firstSeq, each
	// slotLen bytes in slab. Plaintext comes from src (n*frameLen
	// contiguous bytes) when set, else from each slot after its header.
	slab     []byte
	slotLen  int
	n        int
	firstSeq uint32
	src      []byte
	max      int // slab size limit of a seal batch

	// Opening: frames are opened in place, or into out[i] when out holds
	// their destinations; plain[i] receives the plaintext of frames[i]
	// and errs[i] its error.
	open      bool
	capFrames int // the most frames an open batch takes
	frames    []format.Frame
	out       [][]byte
	plain     [][]byte
	errs      []error
	single    bool // the one frame is a non-framed body
	// seg is the read buffer that holds the frames of a stream's batch
	// (see input); it stays with the batch when the batch is reused.
	seg *segment
	// lent says the frames are in bytes lent to the stream (see
	// Opener.Lend), which must not be written: they are not opened in
	// place.
	lent bool
	// readErr is an error met while reading the frame after the last one.
	readErr error
	// ready is signalled by a stream's hashing goroutine once it has
	// hashed (and, for opening, started) the batch; see hashFeed.
	ready chan struct{}

	// claim is the generation of the batch's contents in its high 32 bits
	// and the next unclaimed frame in its low 32 bits. reset moves to a
	// new generation, so that a helper that wakes up late for an earlier
	// use of the batch claims nothing.
	claim   atomic.Uint64
	left    atomic.Int64          // frames of this generation not yet done
	fault   atomic.Pointer[error] // the first fault of this generation
	done    chan struct{}         // signalled once per started generation
	started bool                  // start was called and wait not yet
}

// newSealBatch returns a batch that seals up to frames regular frames. Its
// slab is allocated by grow, as data arrives.
func (c *Cipher) newSealBatch(frames int) *batch {
	slot := wire.RegularFrameHeaderLen + c.fl + 16
	return &batch{c: c, slotLen: slot, max: frames * slot, done: make(chan struct{}, 1)}
}

// newSealBatchAt returns a batch that seals the whole frames of src,
// starting at sequence number firstSeq, into dst, which is their exact
// sealed length.
func (c *Cipher) newSealBatchAt(dst, src []byte, firstSeq uint32) *batch {
	b := c.newSealBatch(len(src) / c.fl)
	b.slab, b.src, b.n, b.firstSeq = dst[:b.max], src, b.maxFrames(), firstSeq
	return b
}

// newOpenBatch returns a batch that opens up to frames frames. Its
// arrays grow as frames are added, so that a batch of a short message
// stays small.
func (c *Cipher) newOpenBatch(frames int) *batch {
	return &batch{c: c, open: true, capFrames: frames, done: make(chan struct{}, 1)}
}

// add appends a frame to an open batch, to be opened into out if out is
// not nil, else in place.
func (b *batch) add(f format.Frame, out []byte) {
	b.frames = append(b.frames, f)
	if out != nil {
		b.out = append(b.out, out)
	}
	if len(b.plain) < len(b.frames) {
		b.plain = append(b.plain, nil)
		b.errs = append(b.errs, nil)
	}
}

// grow makes the slab at least n bytes long (at most the batch's size),
// growing it geometrically so that a stream with huge frames holds memory
// in proportion to the data it has been given, not to the frame length
// (a first slab holds one slot, or 64 KiB of a larger one). A frame's
// whole slot must be grown to before it is sealed.
func (b *batch) grow(n int) {
	if n <= len(b.slab) {
		return
	}
	size := min(max(n, 2*len(b.slab), min(b.slotLen, 64<<10)), b.max)
	seg := getSegment(size)
	grown := seg.b[:size]
	copy(grown, b.slab)
	if b.seg != nil {
		// The old slab may hold plaintext copied in to be sealed.
		b.seg.used = len(b.slab)
		putSegment(b.seg)
	}
	b.seg, b.slab = seg, grown
}

// maxFrames is the number of frames a seal batch holds when full.
func (b *batch) maxFrames() int { return b.max / b.slotLen }

// slot returns the bytes of regular frame i of a seal batch; its plaintext
// goes at slot(i)[wire.RegularFrameHeaderLen:].
func (b *batch) slot(i int) []byte { return b.slab[i*b.slotLen : (i+1)*b.slotLen] }

// sealed returns the sealed frames of a seal batch, back to back.
func (b *batch) sealed() []byte { return b.slab[:b.n*b.slotLen] }

// len is the number of frames in the batch.
func (b *batch) len() int {
	if b.open {
		return len(b.frames)
	}
	return b.n
}

// ends reports whether an open batch holds the message's last frame, or
// reading stopped after it with an error.
func (b *batch) ends() bool {
	n := len(b.frames)
	return b.readErr != nil || n > 0 && b.frames[n-1].Final
}

// run seals or opens frames [lo, hi).
func (b *batch) run(s *Scratch, lo, hi int) {
	if b.open {
		for i := lo; i < hi; i++ {
			dst := b.frames[i].Sealed[:0]
			if len(b.out) > 0 {
				dst = b.out[i][:0]
			}
			b.plain[i], b.errs[i] = b.c.OpenTo(s, dst, &b.frames[i], b.single)
		}
		return
	}
	fl := b.c.fl
	for i := lo; i < hi; i++ {
		slot := b.slot(i)
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

func (b *batch) chunkFrames() int { return max(1, chunkBytes/max(1, b.c.fl)) }

// start makes the batch's frames available to be sealed or opened, and
// asks up to helpers goroutines of the shared pool to work on them; it
// returns at once, so that the owner can do other work (reading, copying,
// hashing) meanwhile. wait finishes the batch. A batch too small to be
// worth sharing, or started with no helpers, is left to wait: no
// goroutine is involved.
func (b *batch) start(helpers int) {
	if b.started {
		panic("frame: start of a started batch")
	}
	b.started = true
	n := b.len()
	b.left.Store(int64(n))
	gen := uint32(b.claim.Load() >> 32)
	if helpers < 1 || b.small() {
		return
	}
	// One helper fewer than chunks: the owner claims at least one when
	// it waits, and more helpers than chunks would only be woken in vain.
	step := b.chunkFrames()
	chunks := (n + step - 1) / step
	for range min(helpers, chunks-1) {
		pool.submit(ticket{b: b, gen: gen, n: n, step: step})
	}
}

// wait seals or opens the frames that no helper has claimed, with the
// owner's goroutine and scratch, then waits for the helpers' chunks. It
// does nothing if the batch was not started.
func (b *batch) wait(s *Scratch) {
	if !b.started {
		return
	}
	b.started = false
	if b.len() == 0 {
		return
	}
	b.work(s, uint32(b.claim.Load()>>32), b.len(), b.chunkFrames())
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
// find the batch reused by another stream (batches are recycled).
func (b *batch) work(s *Scratch, gen uint32, n, frames int) {
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
func (b *batch) runSafe(s *Scratch, lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("%w: frames %d to %d: %v", ErrInternal, lo, hi-1, r)
			b.fault.CompareAndSwap(nil, &err)
		}
	}()
	b.run(s, lo, hi)
}

// err returns the fault met while sealing or opening the batch, if any,
// wrapping [ErrInternal]. Call it after wait; a batch with a fault must
// not be used (its frames may be unsealed or unopened).
func (b *batch) err() error {
	if p := b.fault.Load(); p != nil {
		return *p
	}
	return nil
}

// small reports whether the batch is too small for other goroutines to
// help.
func (b *batch) small() bool {
	return b.len() < 2 || b.len()*b.c.fl < minParallelBytes
}

// reset empties a waited-for batch for reuse.
func (b *batch) reset() {
	if b.started {
		panic("frame: reset of a started batch")
	}
	b.claim.Store(uint64(uint32(b.claim.Load()>>32)+1) << 32)
	b.n, b.src, b.readErr, b.lent = 0, nil, nil, false
	b.fault.Store(nil)
	b.frames = b.frames[:0]
	b.out = b.out[:0]
	clear(b.plain)
	clear(b.errs)
}

// ticket asks a pool goroutine to help with generation gen of a batch of n
// frames.
type ticket struct {
	b    *batch
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
