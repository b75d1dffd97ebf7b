package frame

import (
	"bytes"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
)

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
