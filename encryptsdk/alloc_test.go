package encryptsdk_test

import (
	"bytes"
	"crypto/fips140"
	"io"
	"math"
	"runtime"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/materials"
)

// TestSteadyStateAllocations: once a stream is running, encrypting or
// decrypting another frame allocates nothing, sequentially or with the
// worker pool.
func TestSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	kr := mustAES(t, "ns", "k", testKey(32, 6))
	for _, workers := range []int{1, 2} {
		for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
			c := encryptsdk.New(kr)
			c.Concurrency = workers
			frame := make([]byte, 4096)
			batch := make([]byte, 64<<10) // large writes take the parallel path

			e, err := c.Encrypt(bg, io.Discard, &encryptsdk.EncryptOptions{Suite: id})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][]byte{frame, batch, frame[:100]} {
				e.Write(p) // warm up: batches are allocated on first use
				if a := testing.AllocsPerRun(200, func() { e.Write(p) }); a != 0 {
					t.Errorf("workers %d, suite %v: Write of %d bytes allocates %.1f times", workers, id, len(p), a)
				}
			}

			// A long message to decrypt, read a frame at a time.
			var msg bytes.Buffer
			e, _ = c.Encrypt(bg, &msg, &encryptsdk.EncryptOptions{Suite: id})
			for range 1000 {
				e.Write(batch)
			}
			e.Close()
			d, err := c.Decrypt(bg, bytes.NewReader(msg.Bytes()), nil)
			if err != nil {
				t.Fatal(err)
			}
			io.ReadFull(d, batch) // warm up
			if a := testing.AllocsPerRun(500, func() { io.ReadFull(d, frame) }); a != 0 {
				t.Errorf("workers %d, suite %v: reading a frame allocates %.1f times", workers, id, a)
			}
		}
	}
}

// TestOneShotAllocations: one-shot encryption and decryption allocate
// about the size of their result, and never copy the input.
func TestOneShotAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 7)))
	pt := make([]byte, 16<<20)
	var ct []byte
	a := allocated(func() { ct, _ = c.EncryptBytes(bg, pt, nil) })
	if limit := uint64(float64(len(ct)) * 1.05); a > limit {
		t.Errorf("EncryptBytes of %d bytes allocated %d bytes, result %d", len(pt), a, len(ct))
	}
	var out []byte
	a = allocated(func() { out, _, _ = c.DecryptBytes(bg, ct, nil) })
	if limit := uint64(float64(len(out)) * 1.05); a > limit {
		t.Errorf("DecryptBytes of %d bytes allocated %d bytes, result %d", len(ct), a, len(out))
	}
}

// TestStreamDecryptAllocations: a streaming decryption allocates what the
// message needs, not a fixed read-ahead: for a message smaller than one
// batch, at most 2 × (frame length + header) plus a few KiB per stream,
// once buffers have been recycled from earlier streams.
func TestStreamDecryptAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const frameLen = 4096
	const slack = 4 << 10
	kr := mustAES(t, "ns", "k", testKey(32, 8))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		for _, workers := range []int{1, 0} {
			for _, size := range []int{1 << 10, 4 << 10, 64 << 10} {
				hdrLen, dec := streamDecryption(t, kr, id, workers, frameLen, size, 3)
				per := allocatedPerStream(dec)
				limit := uint64(2*(frameLen+hdrLen) + slack)
				t.Logf("suite %v, concurrency %d, %d bytes: %d bytes allocated per stream (limit %d)", id, workers, size, per, limit)
				if per > limit {
					t.Errorf("suite %v, concurrency %d, %d-byte message: a stream allocates %d bytes, want at most %d", id, workers, size, per, limit)
				}
			}
		}
	}
}

// TestStreamEncryptAllocations: a streaming encryption recycles the
// buffers its frames are sealed in, so that once earlier streams have
// given theirs back a stream allocates only its per-message state (key
// generation and signing included), the same for a 64 KiB message as for
// a 1 KiB one, not a buffer the size of the message.
func TestStreamEncryptAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	// Per message: key generation and, for signed suites, the signing key
	// and signature (more in FIPS 140-3 mode); the hashing goroutine of a
	// parallel signed stream. A 64 KiB sealing buffer would be 66 KiB.
	const perMessage = 32 << 10
	const slack = 8 << 10
	kr := mustAES(t, "ns", "k", testKey(32, 8))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		for _, workers := range []int{1, 0} {
			var small uint64
			for _, size := range []int{1 << 10, 64 << 10} {
				c := encryptsdk.New(kr)
				c.Concurrency = workers
				pt := plaintext(size, 4)
				var out bytes.Buffer
				enc := func() {
					out.Reset()
					e, err := c.Encrypt(bg, &out, &encryptsdk.EncryptOptions{Suite: id, FrameLength: 4096})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := io.Copy(e, bytes.NewReader(pt)); err != nil {
						t.Fatal(err)
					}
					if err := e.Close(); err != nil {
						t.Fatal(err)
					}
				}
				per := allocatedPerStream(enc)
				t.Logf("suite %v, concurrency %d, %d bytes: %d bytes allocated per stream", id, workers, size, per)
				if size == 1<<10 {
					small = per
				}
				if per > perMessage || per > small+slack {
					t.Errorf("suite %v, concurrency %d, %d-byte message: a stream allocates %d bytes, want at most %d and at most %d more than for 1 KiB", id, workers, size, per, perMessage, slack)
				}
			}
		}
	}
}

// TestStreamDecryptColdAllocations: even when the buffer pools are empty
// (the first stream of a process, or the first after the garbage
// collector emptied them), a streaming decryption of a message smaller
// than one frame allocates a read buffer sized to the message, not to a
// batch: beyond what a stream with recycled buffers allocates, at most
// one frame, the header and a few KiB.
func TestStreamDecryptColdAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const frameLen = 4096
	const slack = 4 << 10
	kr := mustAES(t, "ns", "k", testKey(32, 8))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		for _, workers := range []int{1, 0} {
			for _, size := range []int{0, 1 << 10, 3 << 10} {
				hdrLen, dec := streamDecryption(t, kr, id, workers, frameLen, size, 4)
				cold, warm := uint64(math.MaxUint64), uint64(math.MaxUint64)
				for range 3 {
					runtime.GC() // a pooled object survives one collection, not two
					cold = min(cold, allocated(dec))
					dec()
					warm = min(warm, allocated(dec))
				}
				limit := uint64(frameLen + hdrLen + slack)
				t.Logf("suite %v, concurrency %d, %d bytes: %d bytes allocated by a stream with empty pools, %d with recycled buffers (limit %d more)", id, workers, size, cold, warm, limit)
				if cold > warm+limit {
					t.Errorf("suite %v, concurrency %d, %d-byte message: a stream with empty pools allocates %d bytes, %d more than with recycled buffers, want at most %d more", id, workers, size, cold, cold-warm, limit)
				}
			}
		}
	}
}

// allocatedPerStream is the bytes one run of stream allocates once the
// buffers of earlier runs are recycled: the best of three batches of
// runs, since a pool may miss now and then (an object put back on one
// processor is not always found from another), which costs one buffer,
// not one per stream.
func allocatedPerStream(stream func()) uint64 {
	const streams = 200
	for range 3 {
		stream() // warm up: buffers of earlier streams are recycled
	}
	per := uint64(math.MaxUint64)
	for range 3 {
		per = min(per, allocated(func() {
			for range streams {
				stream()
			}
		})/streams)
	}
	return per
}

// streamDecryption encrypts a message of size bytes (plaintext seed
// seed) with suite id and frameLen, decrypts it once, and returns the
// length of its header (with the header's IV and tag) and a function
// that decrypts it again as a stream, failing t unless every byte comes
// out.
func streamDecryption(t *testing.T, kr materials.Keyring, id algorithms.ID, workers int, frameLen int64, size int, seed int64) (int, func()) {
	t.Helper()
	c := encryptsdk.New(kr)
	c.Concurrency = workers
	msg, err := c.EncryptBytes(bg, plaintext(size, seed), &encryptsdk.EncryptOptions{Suite: id, FrameLength: frameLen})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Decrypt(bg, bytes.NewReader(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := d.Header().AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	hdrLen := len(raw) + len(d.HeaderAuth().IV) + len(d.HeaderAuth().Tag)
	io.Copy(io.Discard, d)
	return hdrLen, func() {
		d, err := c.Decrypt(bg, bytes.NewReader(msg), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, d); err != nil || n != int64(size) {
			t.Fatalf("decrypted %d bytes, %v", n, err)
		}
	}
}

// TestAppendDecryptRecyclesBatches: decrypting into a reused buffer
// allocates only the per-message work (header, keys, cipher), not
// frame-tracking arrays sized to the message: those are recycled from
// one call to the next, as a stream's are.
func TestAppendDecryptRecyclesBatches(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 8)))
	c.Concurrency = 1
	ct, err := c.EncryptBytes(bg, make([]byte, 1<<20), nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, len(ct))
	for range 3 { // warm up
		buf, _, _ = c.AppendDecrypt(bg, buf[:0], ct, nil)
	}
	const calls, limit = 20, 16 << 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range calls {
		if buf, _, err = c.AppendDecrypt(bg, buf[:0], ct, nil); err != nil || len(buf) != 1<<20 {
			t.Fatalf("AppendDecrypt: %d bytes, %v", len(buf), err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := (after.TotalAlloc - before.TotalAlloc) / calls; n > limit {
		t.Errorf("AppendDecrypt of a 1 MiB message into a reused buffer allocated %d bytes per call, want at most %d", n, limit)
	}
}

// TestOneShotDecryptAllocationCount: a one-shot decryption of an unsigned
// message allocates a fixed handful of objects, however many frames it
// has: its plaintext; the Decryptor (with its reader, cipher and frame
// opener); the header with its private copy of the header bytes, provider
// ID and encryption context; the materials' context and data key; and the
// AES-GCM key schedule (two objects).
func TestOneShotDecryptAllocationCount(t *testing.T) {
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 9)))
	c.Concurrency = 1
	checkAllocationCount(t, "DecryptBytes", 10, func(pt []byte) func() {
		ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, FrameLength: 4096})
		if err != nil {
			t.Fatal(err)
		}
		return func() {
			if _, _, err := c.DecryptBytes(bg, ct, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestOneShotEncryptAllocationCount: a one-shot encryption of an unsigned
// message allocates a fixed handful of objects, however many frames it
// has: the message (grown once, before the header is written into it); the
// Encryptor (with its header, cipher, frame sealer and the buffer it writes
// to); the header's bytes; the materials (data key, encrypted data key,
// context); the AES-GCM key schedule (two objects); and, when there are
// regular frames, the batch that seals them (two objects, one batch for
// every length of an unsigned message).
func TestOneShotEncryptAllocationCount(t *testing.T) {
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 9)))
	c.Concurrency = 1
	opts := &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, FrameLength: 4096}
	checkAllocationCount(t, "EncryptBytes", 13, func(pt []byte) func() {
		return func() {
			if _, err := c.EncryptBytes(bg, pt, opts); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// checkAllocationCount counts the allocations of the call that op returns
// for plaintexts of 0 B to 1 MiB (16 to 256 frames of 4 KiB for the
// longer two): the same for 64 KiB as for 1 MiB, and at most perMessage.
// The bound holds outside FIPS 140-3 mode, whose approved key derivation
// allocates more (a fixed number still).
func checkAllocationCount(t *testing.T, what string, perMessage int, op func(plaintext []byte) func()) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	counts := map[int]float64{}
	for _, size := range []int{0, 1 << 10, 64 << 10, 1 << 20} {
		a := testing.AllocsPerRun(100, op(plaintext(size, 9)))
		t.Logf("%d bytes: %.0f allocations", size, a)
		counts[size] = a
		if a > float64(perMessage) && !fips140.Enabled() {
			t.Errorf("%s of %d bytes: %.1f allocations, want at most %d", what, size, a, perMessage)
		}
	}
	if counts[1<<20] != counts[64<<10] {
		t.Errorf("%s: %.1f allocations for 1 MiB, %.1f for 64 KiB: want the same", what, counts[1<<20], counts[64<<10])
	}
}
