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
// back to back in Slab, so the sealed batch is one contiguous byte run.
//
// The frames are shared out in chunks: Start lets goroutines of a shared
// pool claim chunks, and Wait has the caller claim whatever is left before
// it waits for the chunks others are still working on. So a batch is done
// as soon as the caller reaches Wait, even if no helper has woken up yet.
type Batch struct {
	c *Cipher

	// Sealing: N regular frames starting at sequence number FirstSeq, each
	// SlotLen bytes in Slab. Plaintext comes from Src (N*frameLen
	// contiguous bytes) when set, else from each slot after its header.
	Slab     []byte
	SlotLen  int
	N        int
	FirstSeq uint32
	Src      []byte

	// Opening: Frames are opened in place, or into Out[i] when Out is set;
	// Plain[i] receives the plaintext of Frames[i] and Errs[i] its error.
	Frames []format.Frame
	Out    [][]byte
	Plain  [][]byte
	Errs   []error
	Single bool // the one frame is a non-framed body
	// Bufs are the read buffers of an open batch, reused from batch to batch.
	Bufs [][]byte
	// ReadErr is an error met while reading the frame after the last one.
	ReadErr error
	// Ready, when not nil, is signalled by whoever starts an open batch
	// on the reader's behalf (the decryptor's hashing goroutine).
	Ready chan struct{}

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
	return &Batch{c: c, SlotLen: slot, max: frames * slot, done: make(chan struct{}, 1)}
}

// NewSealBatchAt returns a batch that seals the whole frames of src,
// starting at sequence number firstSeq, into dst, which is their exact
// sealed length: a one-shot message's body sealed where it belongs.
func (c *Cipher) NewSealBatchAt(dst, src []byte, firstSeq uint32) *Batch {
	b := c.NewSealBatch(len(src) / c.fl)
	b.Slab, b.Src, b.N, b.FirstSeq = dst[:b.max], src, b.MaxFrames(), firstSeq
	return b
}

// Grow makes the slab at least n bytes long (at most the batch's size),
// growing it geometrically so that a stream with huge frames holds memory
// in proportion to the data it has been given, not to the frame length
// (a first slab holds one slot, or 64 KiB of a larger one). A frame's
// whole slot must be grown to before it is sealed.
func (b *Batch) Grow(n int) {
	if n <= len(b.Slab) {
		return
	}
	size := min(max(n, 2*len(b.Slab), min(b.SlotLen, 64<<10)), b.max)
	grown := make([]byte, size)
	copy(grown, b.Slab)
	b.Slab = grown
}

// NewOpenBatch returns a batch that opens up to frames frames.
func (c *Cipher) NewOpenBatch(frames int) *Batch {
	return &Batch{
		c: c, open: true, done: make(chan struct{}, 1),
		Frames: make([]format.Frame, 0, frames), Plain: make([][]byte, frames),
		Errs: make([]error, frames), Bufs: make([][]byte, frames),
	}
}

// MaxFrames is the number of frames a seal batch holds when full.
func (b *Batch) MaxFrames() int { return b.max / b.SlotLen }

// Slot returns the bytes of regular frame i of a seal batch; its plaintext
// goes at Slot(i)[wire.RegularFrameHeaderLen:].
func (b *Batch) Slot(i int) []byte { return b.Slab[i*b.SlotLen : (i+1)*b.SlotLen] }

// Sealed returns the sealed frames of a seal batch, back to back.
func (b *Batch) Sealed() []byte { return b.Slab[:b.N*b.SlotLen] }

// Len is the number of frames in the batch.
func (b *Batch) Len() int {
	if b.open {
		return len(b.Frames)
	}
	return b.N
}

// Cap is the number of frames an open batch holds.
func (b *Batch) Cap() int { return cap(b.Frames) }

// run seals or opens frames [lo, hi).
func (b *Batch) run(s *Scratch, lo, hi int) {
	if b.open {
		for i := lo; i < hi; i++ {
			dst := b.Frames[i].Sealed[:0]
			if b.Out != nil {
				dst = b.Out[i][:0]
			}
			b.Plain[i], b.Errs[i] = b.c.OpenTo(s, dst, &b.Frames[i], b.Single)
		}
		return
	}
	fl := b.c.fl
	for i := lo; i < hi; i++ {
		slot := b.Slot(i)
		var pt []byte
		if b.Src != nil {
			pt = b.Src[i*fl : (i+1)*fl]
		} else {
			pt = slot[wire.RegularFrameHeaderLen : wire.RegularFrameHeaderLen+fl]
		}
		b.c.SealFrame(s, slot, b.FirstSeq+uint32(i), false, pt)
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
	chunks := (n + b.chunkFrames() - 1) / b.chunkFrames()
	for range min(helpers, chunks-1) {
		pool.submit(ticket{b: b, gen: gen, n: n})
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
	b.work(s, uint32(b.claim.Load()>>32), b.Len())
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

// work claims chunks of generation gen, which has n frames, and runs them
// until none is left.
func (b *Batch) work(s *Scratch, gen uint32, n int) {
	step := uint64(b.chunkFrames())
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
	b.N, b.Src, b.ReadErr = 0, nil, nil
	b.fault.Store(nil)
	b.Frames = b.Frames[:0]
	b.Out = b.Out[:0]
	clear(b.Plain)
	clear(b.Errs)
}

// ticket asks a pool goroutine to help with generation gen of a batch of n
// frames.
type ticket struct {
	b   *Batch
	gen uint32
	n   int
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
		t.b.work(&s, t.gen, t.n)
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
