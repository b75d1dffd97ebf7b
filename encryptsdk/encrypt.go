package encryptsdk

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
	"github.com/go-esdk/esdk/internal/wire"
	"github.com/go-esdk/esdk/materials"
)

// Encryptor is a streaming encryption: an [io.WriteCloser] that writes a
// message to its destination. Write seals frames as they fill, in batches
// shared with other goroutines, and writes them in order; with
// Concurrency above 1, a few batches of sealed frames (about a megabyte
// with the default frame length) may wait for a later Write or Close.
// Close writes the rest, the final frame and, for signed suites, the signature.
// Close does not close the destination. An Encryptor is not safe for
// concurrent use.
type Encryptor struct {
	w         io.Writer
	hdr       *format.Header
	headerLen int
	cipher    *frame.Cipher
	scratch   frame.Scratch
	suite     algorithms.Suite
	signer    hash.Hash
	hashes    *hashFeed // the hashing goroutine of a parallel signed stream
	signKey   *ecdsa.PrivateKey
	workers   int

	frameLen  int
	cur       *frame.Batch   // frames being filled
	inflight  []*frame.Batch // started batches, oldest first, written in order
	free      []*frame.Batch
	batches   int    // batches in existence: cur, in flight and free
	depth     int    // the most batches there may be
	batchLen  int    // frames per batch
	directMin int    // writes at least this long are sealed straight from the caller's buffer
	partial   int    // plaintext bytes in the frame of cur being filled
	nextSeq   uint32 // sequence number of the next frame
	nonFramed bool
	body      []byte // non-framed: body header, then the whole plaintext

	written  int64 // plaintext bytes accepted
	declared int64
	err      error
}

// Encrypt obtains materials, writes the message header to dst and returns
// an Encryptor for the plaintext. Nothing is written to dst on error.
// In FIPS 140-only mode it returns [ErrFIPSEncrypt] at once.
func (c *Client) Encrypt(ctx context.Context, dst io.Writer, opts *EncryptOptions) (*Encryptor, error) {
	if fipsOnly() {
		return nil, ErrFIPSEncrypt
	}
	if opts == nil {
		opts = &EncryptOptions{}
	}
	if c.Manager == nil {
		return nil, errors.New("encryptsdk: Client has no materials manager")
	}
	if !c.CommitmentPolicy.Valid() {
		return nil, fmt.Errorf("encryptsdk: invalid commitment policy %d", int(c.CommitmentPolicy))
	}
	ec := materials.EncryptionContext(opts.EncryptionContext)
	if err := ec.CheckReserved(); err != nil {
		return nil, err
	}
	frameLen := opts.FrameLength
	switch {
	case opts.NonFramed:
		frameLen = 0
	case frameLen == 0:
		frameLen = DefaultFrameLength
	case frameLen < 0 || frameLen > 1<<32-1:
		return nil, fmt.Errorf("encryptsdk: frame length %d is outside 1 to 2^32-1", frameLen)
	case uint64(frameLen) > maxInt-64:
		return nil, fmt.Errorf("encryptsdk: %w: frame length %d does not fit in memory on this platform (at most %d)", ErrBodyTooLarge, frameLen, maxInt-64)
	}
	if opts.Suite != 0 {
		suite, err := algorithms.Lookup(opts.Suite)
		if err != nil {
			return nil, err
		}
		if !c.CommitmentPolicy.AllowsEncrypt(suite) {
			return nil, fmt.Errorf("%w: %v cannot encrypt with %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID())
		}
	}
	plen := opts.PlaintextLength
	if plen <= 0 {
		plen = -1
	}
	m, err := c.Manager.GetEncryptionMaterials(ctx, materials.EncryptionRequest{
		EncryptionContext: ec,
		CommitmentPolicy:  c.CommitmentPolicy,
		Suite:             opts.Suite,
		PlaintextLength:   plen,
	})
	if err != nil {
		return nil, err
	}
	defer clear(m.PlaintextDataKey)
	suite := m.Suite
	switch {
	case suite.ID() == 0:
		return nil, fmt.Errorf("%w: no algorithm suite", materials.ErrInvalidMaterials)
	case !c.CommitmentPolicy.AllowsEncrypt(suite):
		return nil, fmt.Errorf("%w: %v cannot encrypt with %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID())
	case opts.Suite != 0 && suite.ID() != opts.Suite:
		return nil, fmt.Errorf("%w: manager chose suite %v, %v was requested", materials.ErrInvalidMaterials, suite.ID(), opts.Suite)
	case len(m.PlaintextDataKey) != suite.KeyLen():
		return nil, fmt.Errorf("%w: data key length", materials.ErrInvalidMaterials)
	case len(m.EncryptedDataKeys) == 0:
		return nil, fmt.Errorf("%w: no encrypted data key", materials.ErrInvalidMaterials)
	case c.MaxEncryptedDataKeys > 0 && len(m.EncryptedDataKeys) > c.MaxEncryptedDataKeys:
		return nil, fmt.Errorf("encryptsdk: %w: %d, limit %d", ErrTooManyEncryptedDataKeys, len(m.EncryptedDataKeys), c.MaxEncryptedDataKeys)
	case suite.Signed() && m.SigningKey == nil:
		return nil, fmt.Errorf("%w: signed suite without a signing key", materials.ErrInvalidMaterials)
	}
	if err := carries(m.EncryptionContext, ec, "requested"); err != nil {
		return nil, err
	}

	messageID := make([]byte, suite.MessageIDLen())
	rand.Read(messageID)
	dataKey, commitKey, err := suite.DeriveKeys(m.PlaintextDataKey, messageID)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	hdr := &format.Header{
		Version:           byte(suite.MessageFormat()),
		Suite:             suite,
		MessageID:         messageID,
		EncryptionContext: m.EncryptionContext.Without(m.RequiredEncryptionContextKeys),
		EncryptedDataKeys: m.EncryptedDataKeys,
		ContentType:       format.Framed,
		FrameLength:       uint32(frameLen),
		SuiteData:         commitKey,
	}
	if frameLen == 0 {
		hdr.ContentType = format.NonFramed
	}
	raw, err := hdr.AppendBinary(nil)
	if err != nil {
		return nil, err
	}
	authOnly, err := m.EncryptionContext.Subset(m.RequiredEncryptionContextKeys).MarshalBinary()
	if err != nil {
		return nil, err
	}
	fc, err := frame.New(dataKey, messageID, uint32(frameLen))
	if err != nil {
		return nil, err
	}
	tag := fc.AEAD().Seal(nil, make([]byte, algorithms.IVLen), nil, append(raw[:len(raw):len(raw)], authOnly...))
	raw = wire.AppendHeaderAuth(raw, hdr.Version, tag)

	e := &Encryptor{
		w:         dst,
		hdr:       hdr,
		headerLen: len(raw),
		cipher:    fc,
		suite:     suite,
		signKey:   m.SigningKey,
		workers:   c.workers(),
		frameLen:  int(frameLen),
		nextSeq:   1,
		declared:  opts.PlaintextLength,
		nonFramed: frameLen == 0,
	}
	if suite.Signed() {
		e.signer = suite.SignatureHash()
		e.signer.Write(raw)
	}
	if e.nonFramed {
		e.body = make([]byte, wire.NonFramedHeaderLen)
	} else {
		e.batchLen = batchFrames(e.frameLen, e.workers)
		e.depth = pipelineDepth(e.batchLen*e.frameLen, e.workers)
		// Whole frames are sealed straight from the caller's buffer,
		// saving a copy. A parallel stream copies smaller writes instead,
		// so that Write returns while the pool seals: unsigned writes
		// under 64 KiB (too small to share out), and all but very large
		// signed writes, which another goroutine hashes (waiting for
		// each to be sealed was a third slower).
		e.directMin = e.frameLen
		switch {
		case e.workers > 1 && e.signer != nil:
			// Saturating: with huge frames on 32-bit platforms the product
			// does not fit int.
			e.directMin = int(min(int64(e.depth)*int64(e.batchLen)*int64(e.frameLen), maxInt))
		case e.workers > 1:
			e.directMin = max(e.frameLen, 64<<10)
		}
		e.cur = e.take()
	}
	if _, err := dst.Write(raw); err != nil {
		return nil, err
	}
	return e, nil
}

// helpers is how many goroutines of the shared pool help with each batch
// of a stream with the given concurrency: the stream's own goroutine
// makes up the number, doing its share when it waits for a batch (and, for
// signed suites, hashing the message meanwhile).
func helpers(workers int) int { return workers - 1 }

// batchFrames is how many frames a batch holds: about 256 KiB of them but
// at most 256, at least two per worker so that workers have something to
// share, and a single frame when frames are large.
func batchFrames(frameLen, workers int) int {
	if frameLen > 1<<20 {
		return 1
	}
	return max(min((256<<10)/frameLen, 256), 2*workers, 1)
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

// Header returns the message header (the encryption context stored in it
// excludes required, authenticate-only pairs).
func (e *Encryptor) Header() *format.Header { return e.hdr }

// MessageLength returns the exact length of the whole message for a
// framed message of the given plaintext length, available before any
// plaintext is written (for uploads that need a Content-Length).
func (e *Encryptor) MessageLength(plaintextLen int64) int64 {
	return wire.MessageLen(e.headerLen, e.hdr.FrameLength, plaintextLen, e.suite.SignatureLen())
}

// Write encrypts p. Full frames are sealed (by several goroutines for
// large writes) and written as batches of them fill; Write does not keep p.
func (e *Encryptor) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.declared > 0 && e.written+int64(len(p)) > e.declared {
		e.err = fmt.Errorf("%w: more than %d bytes written", ErrPlaintextLength, e.declared)
		return 0, e.err
	}
	if e.nonFramed {
		n := int64(len(e.body)-wire.NonFramedHeaderLen) + int64(len(p))
		if n > format.MaxNonFramedLen {
			e.err = errors.New("encryptsdk: non-framed plaintext exceeds 2^36-32 bytes")
			return 0, e.err
		}
		if n > maxInt-64 {
			e.err = fmt.Errorf("encryptsdk: %w: a non-framed body of %d bytes does not fit in memory on this platform", ErrBodyTooLarge, n)
			return 0, e.err
		}
		e.body = append(e.body, p...)
		e.written += int64(len(p))
		return len(p), nil
	}
	n, err := e.write(p)
	// Batches sealed straight from p must be done before Write returns.
	for _, b := range e.inflight {
		if !b.Direct() {
			continue
		}
		if e.hashes != nil {
			// The hashing goroutine waits for the batches: write them all.
			for len(e.inflight) > 0 {
				if ferr := e.flush(); err == nil {
					err = ferr
				}
			}
			break
		}
		b.Wait(&e.scratch)
		b.ReleaseSource()
		if ferr := b.Err(); ferr != nil && err == nil {
			e.err, err = ferr, ferr
		}
	}
	return n, err
}

func (e *Encryptor) write(p []byte) (int, error) {
	total := len(p)
	fl := e.frameLen
	for len(p) > 0 {
		b := e.cur
		if e.partial == 0 && b.Len() == 0 && len(p) >= e.directMin && len(p) >= fl {
			// Seal whole frames straight from p; Write then waits for
			// them, since p is not ours to keep.
			k := min(len(p)/fl, b.MaxFrames())
			if err := e.reserve(k); err != nil {
				return total - len(p), err
			}
			b.SealFrom(p[:k*fl])
			p = p[k*fl:]
			e.written += int64(k * fl)
			if err := e.dispatch(); err != nil {
				return total - len(p), err
			}
			continue
		}
		n := b.CopyIn(e.partial, p)
		p = p[n:]
		e.partial += n
		e.written += int64(n)
		if e.partial == fl {
			if err := e.reserve(1); err != nil {
				return total - len(p), err
			}
			e.partial = 0
			b.FrameFilled()
			if b.Full() {
				if err := e.dispatch(); err != nil {
					return total - len(p), err
				}
			}
		}
	}
	return total, nil
}

// appendFrames seals plaintext, a whole number of frames, as regular frames
// straight into dst, which has room for them, and returns dst extended by
// them: the body of a one-shot message, sealed without a copy. A signed
// message's frames are sealed a few batches ahead of the caller's
// goroutine, which hashes them in order.
func (e *Encryptor) appendFrames(dst, plaintext []byte) ([]byte, error) {
	fl := e.frameLen
	n := len(plaintext) / fl
	slot := e.cur.SlotLen()
	if e.partial != 0 || e.cur.Len() != 0 || len(e.inflight) != 0 {
		panic("encryptsdk: appendFrames on a used Encryptor")
	}
	if err := e.reserve(n); err != nil {
		return dst, err
	}
	first := e.cur.FirstSeq()
	per := n // unsigned: one batch, shared out in chunks
	if e.signer != nil {
		per = e.batchLen
	}
	start := len(dst)
	dst = dst[:start+n*slot]
	var window []*frame.Batch
	for i := 0; i < n || len(window) > 0; {
		for i < n && len(window) < e.depth {
			k := min(per, n-i)
			b := e.cipher.NewSealBatchAt(dst[start+i*slot:start+(i+k)*slot], plaintext[i*fl:(i+k)*fl], first+uint32(i))
			b.Start(helpers(e.workers))
			window = append(window, b)
			i += k
		}
		b := window[0]
		window = window[1:]
		b.Wait(&e.scratch)
		if err := b.Err(); err != nil {
			for _, w := range window {
				w.Wait(&e.scratch)
			}
			e.err = err
			return dst, err
		}
		if e.signer != nil {
			e.signer.Write(b.Sealed())
		}
	}
	e.written += int64(n * fl)
	return dst, nil
}

// reserve assigns sequence numbers to k more regular frames of e.cur.
func (e *Encryptor) reserve(k int) error {
	if e.cur.Len() == 0 {
		e.cur.SetFirstSeq(e.nextSeq)
	}
	if uint64(e.nextSeq)+uint64(k) >= format.FinalFrameMarker {
		e.err = errors.New("encryptsdk: message would exceed 2^32-1 frames")
		return e.err
	}
	e.nextSeq += uint32(k)
	return nil
}

// dispatch starts sealing e.cur and makes a free batch current, writing
// the oldest batch in flight first if all are in use. While the pool
// seals, the caller goes on copying plaintext or, for signed suites,
// hashing what is written.
func (e *Encryptor) dispatch() error {
	b := e.cur
	b.Start(helpers(e.workers))
	if e.signer != nil && e.workers > 1 {
		if e.hashes == nil {
			e.startHasher()
		}
		b.UseReady()
		e.hashes.q <- b
	}
	e.inflight = append(e.inflight, b)
	e.cur = nil
	if len(e.free) == 0 && e.batches == e.depth {
		if err := e.flush(); err != nil {
			return err
		}
	}
	e.cur = e.take()
	return nil
}

// startHasher moves the signature hash of a parallel stream off the
// caller's goroutine: a goroutine waits for each batch to be sealed and
// hashes it, so that copying, sealing and hashing overlap. It ends when
// the Encryptor is closed, or dropped unfinished.
func (e *Encryptor) startHasher() {
	f := &hashFeed{q: make(chan *frame.Batch, e.depth)}
	e.hashes = f
	h := e.signer
	go func(q <-chan *frame.Batch) {
		var s frame.Scratch
		for b := range q {
			b.Wait(&s)
			h.Write(b.Sealed())
			b.MarkReady()
		}
	}(f.q)
	runtime.AddCleanup(e, (*hashFeed).close, f)
}

// take returns a free batch, making one if fewer than depth exist.
func (e *Encryptor) take() *frame.Batch {
	if n := len(e.free); n > 0 {
		b := e.free[n-1]
		e.free = e.free[:n-1]
		return b
	}
	e.batches++
	return e.cipher.NewSealBatch(e.batchLen)
}

// flush finishes the oldest batch in flight (the caller's goroutine
// sealing what no helper has taken), writes it and frees it.
func (e *Encryptor) flush() error {
	b := e.inflight[0]
	e.inflight = append(e.inflight[:0], e.inflight[1:]...)
	var err error
	if e.hashes != nil {
		b.AwaitReady() // sealed and hashed
		if err = b.Err(); err == nil {
			err = e.emit(b.Sealed())
		}
	} else {
		b.Wait(&e.scratch)
		if err = b.Err(); err == nil {
			err = e.put(b.Sealed())
		}
	}
	if ferr := b.Err(); ferr != nil {
		e.err, err = ferr, ferr
	}
	b.ReleaseSource()
	b.Reset()
	e.free = append(e.free, b)
	return err
}

// put hashes b, for signed suites, and writes it.
func (e *Encryptor) put(b []byte) error {
	if e.signer != nil {
		e.signer.Write(b)
	}
	return e.emit(b)
}

// emit writes b to the destination, unless an earlier write failed.
func (e *Encryptor) emit(b []byte) error {
	if e.err != nil {
		return e.err
	}
	if _, err := e.w.Write(b); err != nil {
		e.err = err
		return err
	}
	return nil
}

// Close writes the final frame and the signature. It does not close the
// destination. After Close, Write returns ErrClosed.
func (e *Encryptor) Close() error {
	if e.err != nil {
		if e.err == ErrClosed {
			return nil
		}
		return e.err
	}
	if e.declared > 0 && e.written != e.declared {
		e.err = fmt.Errorf("%w: %d bytes written, %d declared", ErrPlaintextLength, e.written, e.declared)
		return e.err
	}
	err := e.closeBody()
	if e.hashes != nil {
		e.hashes.close()
	}
	if err == nil && e.signer != nil {
		var sig []byte
		if sig, err = e.suite.Sign(e.signKey, e.signer.Sum(nil)); err == nil {
			_, err = e.w.Write(wire.AppendFooter(nil, sig))
		}
	}
	if err != nil {
		e.err = err
		return err
	}
	e.err = ErrClosed
	return nil
}

func (e *Encryptor) closeBody() error {
	if e.nonFramed {
		wire.AppendNonFramedHeader(e.body[:0], uint64(len(e.body)-wire.NonFramedHeaderLen))
		body := append(e.body, make([]byte, algorithms.TagLen)...)[:len(e.body)]
		err := e.put(e.cipher.SealSingleBlock(&e.scratch, body))
		clear(e.body)
		return err
	}
	// The final frame holds the partial tail of e.cur; the full frames
	// before it go out first.
	b := e.cur
	final := make([]byte, wire.FinalFrameHeaderLen+e.partial+algorithms.TagLen)
	b.TakePartial(final[wire.FinalFrameHeaderLen:], e.partial)
	if b.Len() > 0 {
		if err := e.dispatch(); err != nil {
			return err
		}
	}
	for len(e.inflight) > 0 {
		if err := e.flush(); err != nil {
			return err
		}
	}
	seq := e.nextSeq
	out := e.cipher.SealFrame(&e.scratch, final, seq, true, final[wire.FinalFrameHeaderLen:wire.FinalFrameHeaderLen+e.partial])
	return e.put(out)
}
