// Package frame seals and opens the frames of a message body with the
// message's derived data key. It knows the frame layout and AAD; it never
// sees keyrings or materials.
//
// [Cipher] seals and opens one frame. [Sealer] and [Opener] are the frame
// pipeline: every path of the module that seals or opens more than one
// frame drives one of them (streaming encryption and one-shot encryption a
// Sealer; streaming decryption and one-shot decryption an Opener;
// random-access decryption [Cipher.OpenFrames], a single batch of the
// same kind). The rules below hold for all of them; the tests of this
// package (pipeline_test.go) check each.
//
// # Batches and ordering
//
// Frames are sealed or opened in batches of consecutive frames. A batch is
// filled by its owner (the Sealer or Opener, on its caller's goroutine),
// then started: goroutines of a pool shared by every stream may claim
// chunks of its frames. The owner waits for a batch by claiming whatever
// is left itself, so a batch never waits for a helper that has not woken
// up. Batches are written (Sealer) or released (Opener) strictly in
// sequence-number order, whatever order their chunks were done in. A
// stream keeps a ring of at most a few batches (about a megabyte): a
// Sealer's caller fills the next while earlier ones are sealed; an Opener
// reads the next while earlier ones are opened and consumed.
//
// # Generations
//
// A batch is reused from use to use, and recycled from stream to stream.
// Its claim counter carries a generation in its high 32 bits; reset moves
// to the next one. A pool goroutine that wakes up late with a ticket for
// an earlier generation claims nothing and touches nothing of the batch
// but its atomics. A batch is reset only after it was waited for.
//
// # Who touches which buffer when
//
//   - Between start and wait, a batch's frames belong to whoever claimed
//     them; the owner reads nothing of them and writes only what lies
//     outside them (the next batch, the read-ahead of its input).
//   - The signature hash is fed a batch's bytes before the batch is
//     started when opening (frames are opened in place, destroying the
//     ciphertext), after it was waited for when sealing, and always in
//     order. With more than one worker a goroutine of the stream's own
//     hashes, handed batches in order over a channel; it signals each
//     batch's ready channel, after which the owner may wait for it.
//   - A Sealer that seals straight from its caller's buffer waits for
//     those batches before Write returns: the caller's buffer is not kept.
//   - An Opener's frames are read in place in its input's buffer (see
//     [Input]); each buffer holds the frames of one batch only and goes
//     back to a pool, cleared, only when that batch's plaintext has been
//     consumed and the stream has ended.
//
// # Release
//
// An Opener returns a frame's plaintext only after the frame's tag has
// verified, and frames only in order; the final frame (and a non-framed
// body) only after the finish function (the signature and end-of-input
// checks) has succeeded, so no plaintext of an unauthenticated frame, and
// no final plaintext of an unverified message, is ever released. The
// first error ends the stream and is returned by every later call: a
// frame that did not verify (after the frames before it were released),
// a read or parse error (after every frame read before it), a failed
// finish (the final frame's plaintext is cleared, not released).
//
// # Faults and goroutines
//
// A panic while sealing or opening (a bug: no input can cause one) is
// recovered on whichever goroutine met it and becomes the batch's error,
// wrapping [ErrInternal], reported to the owner; no goroutine of the pool
// or of a stream ever takes the process down. With one worker nothing is
// handed to another goroutine: no pool goroutine and no hashing goroutine
// is started. A stream's hashing goroutine ends with the stream, or when
// its Sealer or Opener is dropped unfinished.
package frame

import (
	"hash"
	"runtime"
	"sync"
)

// Config is what a [Sealer] or an [Opener] needs beyond its [Cipher].
type Config struct {
	// Workers is how many goroutines seal or open the frames of the
	// stream: its caller's and Workers-1 of the shared pool. 1 or less
	// is sequential, on the caller's goroutine only.
	Workers int
	// Hash, when set, is the message's signature hash: it is fed every
	// frame, in order (sealed frames of a Sealer, frames as read by an
	// Opener).
	Hash hash.Hash
}

// helpers is how many goroutines of the shared pool help with each batch
// of a stream with the given concurrency: the stream's own goroutine
// makes up the number, doing its share when it waits for a batch (and, for
// signed suites, hashing the message meanwhile).
func helpers(workers int) int { return max(0, workers-1) }

// BatchFrames is how many frames a batch holds when sealing, or when
// opening runs of frames for random access: about 256 KiB of them (see
// framesIn).
func BatchFrames(frameLen, workers int) int { return framesIn(256<<10, frameLen, workers) }

// openBatchBytes is about how much a batch of a decryption that opens
// batches ahead holds: half a sealing batch, which keeps each batch's
// read buffer in the processor's cache between the copy into it and the
// opening (measured against 256 KiB on two cores: a 1 MiB stream 5-7%
// faster, a 64 MiB one the same within noise; 64 KiB batches were slower
// at 64 MiB).
const openBatchBytes = 128 << 10

// framesIn is how many frames a batch of about size bytes holds: at most
// 256, at least two per worker so that workers have something to share,
// and a single frame when frames are large.
func framesIn(size, frameLen, workers int) int {
	if frameLen > 1<<20 {
		return 1
	}
	return max(min(size/max(1, frameLen), 256), 2*workers, 1)
}

// pipelineDepth is how many batches a stream keeps: one when sequential;
// else enough that the pool always has a batch to work on while the
// stream's goroutine fills, hashes or writes another (up to four, holding
// about a megabyte).
func pipelineDepth(batchBytes, workers int) int {
	if workers <= 1 {
		return 1
	}
	return max(2, min(4, (1<<20)/max(1, batchBytes)))
}

// hashFeed hands batches, in order, to a stream's hashing goroutine,
// which runs step on each and then signals the batch's ready channel.
// The goroutine ends when the feed is closed: at the end of the stream,
// or by a cleanup when the stream's owner (a Sealer or Opener) is dropped
// unfinished, since the goroutine refers to nothing of the owner.
type hashFeed struct {
	q    chan *batch
	once sync.Once
}

// startHashFeed starts the hashing goroutine of owner, with a queue of
// depth batches.
func startHashFeed[T any](owner *T, depth int, step func(s *Scratch, b *batch)) *hashFeed {
	f := &hashFeed{q: make(chan *batch, depth)}
	go func(q <-chan *batch) {
		var s Scratch
		for b := range q {
			step(&s, b)
			b.ready <- struct{}{}
		}
	}(f.q)
	runtime.AddCleanup(owner, (*hashFeed).close, f)
	return f
}

// send hands b to the hashing goroutine.
func (f *hashFeed) send(b *batch) {
	if b.ready == nil {
		b.ready = make(chan struct{}, 1)
	}
	f.q <- b
}

// await waits for the hashing goroutine to be done with b.
func (f *hashFeed) await(b *batch) { <-b.ready }

func (f *hashFeed) close() { f.once.Do(func() { close(f.q) }) }
