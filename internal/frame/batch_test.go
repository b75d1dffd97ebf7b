package frame

import (
	"bytes"
	"sync"
	"testing"

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
		b := c.NewSealBatchAt(make([]byte, len(want)), src, 5)
		b.Start(helpers)
		var s Scratch
		b.Wait(&s)
		if !bytes.Equal(b.Sealed(), want) {
			t.Fatalf("%d helpers: sealed batch differs from frames sealed one by one", helpers)
		}

		o := c.NewOpenBatch(200)
		slot := len(want) / 200
		for i := range 200 {
			f := bytes.Clone(want[i*slot : (i+1)*slot])
			o.frames = append(o.frames, format.Frame{Seq: 5 + uint32(i), IV: f[4:16], Sealed: f[16:], Raw: f})
		}
		o.Start(helpers)
		o.Wait(&s)
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
	b := c.NewSealBatch(64)
	var s Scratch
	for gen := range 50 {
		src := pattern(64*1024, byte(gen))
		b.Grow(64 * b.slotLen)
		b.n, b.src, b.firstSeq = 64, src, uint32(1+64*gen)
		stale := uint32(b.claim.Load() >> 32)
		b.Start(2)
		b.Wait(&s)
		if !bytes.Equal(b.Sealed(), sealOneByOne(c, src, uint32(1+64*gen))) {
			t.Fatalf("generation %d sealed wrongly", gen)
		}
		b.Reset()
		before := bytes.Clone(b.slab)
		b.work(&s, stale, 64, b.chunkFrames()) // a helper that woke up late
		if !bytes.Equal(before, b.slab) {
			t.Fatalf("generation %d: a stale ticket sealed frames", gen)
		}
	}
}

// TestRecycledOpenBatch: an open batch given back with PutOpenBatch is
// handed out again for another cipher with its buffers cleared, and a
// helper holding a ticket for its earlier use, running while the batch
// changes hands, claims nothing and touches nothing but the claim counter
// (the race detector checks the latter).
func TestRecycledOpenBatch(t *testing.T) {
	c1, c2 := testCipher(t, 1024), testCipher(t, 1024)
	var s Scratch
	for round := range 20 {
		b := c1.GetOpenBatch(8)
		buf := append(b.ReadBuffer(0, 1100), "secret plaintext"...)
		b.Add(format.Frame{Seq: 1, Raw: buf})
		b.Start(0)
		b.Wait(&s)
		stale := uint32(b.claim.Load() >> 32)
		b.Reset()
		PutOpenBatch(b)
		done := make(chan struct{})
		go func() {
			defer close(done)
			var hs Scratch
			b.work(&hs, stale, 1, 1) // a helper that woke up late
		}()
		got := c2.GetOpenBatch(8)
		<-done
		if got == b {
			if got.c != c2 || got.Len() != 0 {
				t.Fatalf("round %d: a recycled batch was not reset for its new cipher", round)
			}
			if rb := got.ReadBuffer(0, 0); bytes.Contains(rb[:cap(rb)], []byte("secret")) {
				t.Fatalf("round %d: a recycled read buffer still holds plaintext", round)
			}
		}
		if got.Cap() != 8 {
			t.Fatalf("round %d: batch of %d frames, want 8", round, got.Cap())
		}
		got.Reset()
		PutOpenBatch(got)
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
				b := c.NewSealBatchAt(make([]byte, len(want)), src, 1)
				b.Start(3)
				b.Wait(&s)
				if !bytes.Equal(b.Sealed(), want) {
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
	b := c.NewSealBatchAt(make([]byte, 4*(wire.RegularFrameHeaderLen+1024+16)), pattern(4096, 0), 1)
	b.Start(0)
	mustPanic("Start twice", func() { b.Start(0) })
	mustPanic("Reset before Wait", b.Reset)
	var s Scratch
	b.Wait(&s)
	b.Wait(&s) // a second Wait does nothing
	b.Reset()
}
