package frame

import (
	"runtime"
	"sync"

	"github.com/go-esdk/esdk/format"
)

// Batch is a run of consecutive frames of one message, sealed or opened by
// several goroutines at once. Regular frames of a sealed batch are laid out
// back to back in Slab, so the sealed batch is one contiguous byte run.
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
	wg   sync.WaitGroup
}

// NewSealBatch returns a batch that seals up to frames regular frames. Its
// slab is allocated by Grow, as data arrives.
func (c *Cipher) NewSealBatch(frames int) *Batch {
	slot := format.RegularFrameHeaderLen + int(c.frameLen) + 16
	return &Batch{c: c, SlotLen: slot, max: frames * slot}
}

// Grow makes the slab at least n bytes long (at most the batch's size),
// growing it geometrically so that a stream with huge frames holds memory
// in proportion to the data it has been given, not to the frame length.
func (b *Batch) Grow(n int) {
	if n <= len(b.Slab) {
		return
	}
	size := min(max(n, 2*len(b.Slab), b.SlotLen), b.max)
	grown := make([]byte, size)
	copy(grown, b.Slab)
	b.Slab = grown
}

// NewOpenBatch returns a batch that opens up to frames frames.
func (c *Cipher) NewOpenBatch(frames int) *Batch {
	return &Batch{c: c, open: true, Frames: make([]format.Frame, 0, frames), Plain: make([][]byte, frames), Errs: make([]error, frames), Bufs: make([][]byte, frames)}
}

// MaxFrames is the number of frames a seal batch holds when full.
func (b *Batch) MaxFrames() int { return b.max / b.SlotLen }

// Slot returns the bytes of regular frame i of a seal batch; its plaintext
// goes at Slot(i)[format.RegularFrameHeaderLen:].
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
	fl := int(b.c.frameLen)
	for i := lo; i < hi; i++ {
		slot := b.Slot(i)
		var pt []byte
		if b.Src != nil {
			pt = b.Src[i*fl : (i+1)*fl]
		} else {
			pt = slot[format.RegularFrameHeaderLen : format.RegularFrameHeaderLen+fl]
		}
		b.c.SealFrame(s, slot, b.FirstSeq+uint32(i), false, pt)
	}
}

// minParallelBytes is the batch size below which handing frames to other
// goroutines costs more than it saves.
const minParallelBytes = 32 << 10

// Start begins sealing or opening the batch with workers goroutines of a
// shared pool, and returns at once so that the caller can do other work
// (hashing, writing) meanwhile. With workers < 1, or a batch too small to
// be worth handing over, the work is done before Start returns. Call Wait
// before using the results.
func (b *Batch) Start(workers int, s *Scratch) {
	n := b.Len()
	if workers < 1 || b.small() {
		b.run(s, 0, n)
		return
	}
	workers = min(workers, n)
	b.wg.Add(workers)
	for w := range workers {
		pool.submit(job{b: b, lo: n * w / workers, hi: n * (w + 1) / workers})
	}
}

// Run seals or opens the batch with up to workers goroutines, the caller's
// among them, and returns when it is done. With workers <= 1 it is
// sequential.
func (b *Batch) Run(workers int, s *Scratch) {
	n := b.Len()
	if workers <= 1 || b.small() {
		b.run(s, 0, n)
		return
	}
	workers = min(workers, n)
	b.wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		pool.submit(job{b: b, lo: n * w / workers, hi: n * (w + 1) / workers})
	}
	b.run(s, 0, n/workers)
	b.wg.Wait()
}

// small reports whether the batch is too small for other goroutines to
// help.
func (b *Batch) small() bool {
	return b.Len() < 2 || b.Len()*int(b.c.frameLen) < minParallelBytes
}

// Wait waits for a started batch to finish.
func (b *Batch) Wait() { b.wg.Wait() }

// Cap is the number of frames an open batch holds.
func (b *Batch) Cap() int { return cap(b.Frames) }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	b.N, b.Src, b.ReadErr = 0, nil, nil
	b.Frames = b.Frames[:0]
	b.Out = b.Out[:0]
	clear(b.Plain)
	clear(b.Errs)
}

type job struct {
	b      *Batch
	lo, hi int
}

// pool is a set of goroutines, one per processor, shared by every stream.
// Jobs are plain values, so handing one over allocates nothing.
var pool workerPool

type workerPool struct {
	once sync.Once
	jobs chan job
}

func (p *workerPool) submit(j job) {
	p.once.Do(func() {
		n := runtime.GOMAXPROCS(0)
		p.jobs = make(chan job, 4*n)
		for range n {
			go func() {
				var s Scratch
				for j := range p.jobs {
					j.b.run(&s, j.lo, j.hi)
					j.b.wg.Done()
				}
			}()
		}
	})
	p.jobs <- j
}
