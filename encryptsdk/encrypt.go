package encryptsdk

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
	"github.com/go-esdk/esdk/materials"
)

// Encryptor is a streaming encryption: an [io.WriteCloser] that writes a
// message to its destination. Write seals each frame as soon as it is full;
// Close writes the final frame and, for signed suites, the signature. Close
// does not close the destination. An Encryptor is not safe for concurrent use.
type Encryptor struct {
	w         io.Writer
	hdr       *format.Header
	headerLen int
	cipher    *frame.Cipher
	scratch   frame.Scratch
	suite     *algorithms.Suite
	signer    hash.Hash
	signKey   *ecdsa.PrivateKey
	workers   int

	frameLen  int
	cur       *frame.Batch // frames being filled
	inflight  *frame.Batch // frames being sealed, written at the next flush
	spare     *frame.Batch
	partial   int    // plaintext bytes in slot cur.N, which is not full yet
	nextSeq   uint32 // sequence number of the next frame
	nonFramed bool
	body      []byte // non-framed: body header, then the whole plaintext

	written  int64 // plaintext bytes accepted
	declared int64
	err      error
}

// Encrypt obtains materials, writes the message header to dst and returns
// an Encryptor for the plaintext. Nothing is written to dst on error.
func (c *Client) Encrypt(ctx context.Context, dst io.Writer, opts *EncryptOptions) (*Encryptor, error) {
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
	}
	if opts.Suite != 0 {
		suite, err := algorithms.Lookup(opts.Suite)
		if err != nil {
			return nil, err
		}
		if !c.CommitmentPolicy.AllowsEncrypt(suite) {
			return nil, fmt.Errorf("%w: %v cannot encrypt with %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID)
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
	case suite == nil:
		return nil, fmt.Errorf("%w: no algorithm suite", materials.ErrInvalidMaterials)
	case !c.CommitmentPolicy.AllowsEncrypt(suite):
		return nil, fmt.Errorf("%w: %v cannot encrypt with %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID)
	case opts.Suite != 0 && suite.ID != opts.Suite:
		return nil, fmt.Errorf("%w: manager chose suite %v, %v was requested", materials.ErrInvalidMaterials, suite.ID, opts.Suite)
	case len(m.PlaintextDataKey) != suite.KeyLen:
		return nil, fmt.Errorf("%w: data key length", materials.ErrInvalidMaterials)
	case len(m.EncryptedDataKeys) == 0:
		return nil, fmt.Errorf("%w: no encrypted data key", materials.ErrInvalidMaterials)
	case c.MaxEncryptedDataKeys > 0 && len(m.EncryptedDataKeys) > c.MaxEncryptedDataKeys:
		return nil, fmt.Errorf("encryptsdk: %w: %d, limit %d", ErrTooManyEncryptedDataKeys, len(m.EncryptedDataKeys), c.MaxEncryptedDataKeys)
	case suite.Signed() && m.SigningKey == nil:
		return nil, fmt.Errorf("%w: signed suite without a signing key", materials.ErrInvalidMaterials)
	}

	messageID := make([]byte, suite.MessageIDLen())
	rand.Read(messageID)
	dataKey, commitKey, err := suite.DeriveKeys(m.PlaintextDataKey, messageID)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	hdr := &format.Header{
		Version:           byte(suite.MessageFormat),
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
	raw = format.AppendHeaderAuth(raw, hdr.Version, tag)

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
		e.body = make([]byte, format.NonFramedHeaderLen)
	} else {
		frames := batchFrames(e.frameLen, e.workers)
		e.cur, e.spare = fc.NewSealBatch(frames), fc.NewSealBatch(frames)
	}
	if _, err := dst.Write(raw); err != nil {
		return nil, err
	}
	return e, nil
}

// hashingWorkers is how many goroutines seal or open frames while the
// caller's goroutine hashes the message for its signature: one fewer than
// the concurrency, so that the hash, the bottleneck of signed suites, keeps
// a processor to itself.
func hashingWorkers(workers int) int { return workers - 1 }

// batchFrames is how many frames a batch holds: about 256 KiB of them but
// at most 256, at least two per worker so that workers have something to
// share, and a single frame when frames are large.
func batchFrames(frameLen, workers int) int {
	if frameLen > 1<<20 {
		return 1
	}
	return max(min((256<<10)/frameLen, 256), 2*workers, 1)
}

// Header returns the message header (the encryption context stored in it
// excludes required, authenticate-only pairs).
func (e *Encryptor) Header() *format.Header { return e.hdr }

// MessageLength returns the exact length of the whole message for a
// framed message of the given plaintext length, available before any
// plaintext is written (for uploads that need a Content-Length).
func (e *Encryptor) MessageLength(plaintextLen int64) int64 {
	return format.MessageLen(e.headerLen, e.hdr.FrameLength, plaintextLen, e.suite.SignatureLen())
}

// Write encrypts p. Full frames are sealed (by several goroutines for
// large writes) and written as they fill; Write does not keep p.
func (e *Encryptor) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.declared > 0 && e.written+int64(len(p)) > e.declared {
		e.err = fmt.Errorf("%w: more than %d bytes written", ErrPlaintextLength, e.declared)
		return 0, e.err
	}
	if e.nonFramed {
		if int64(len(e.body)-format.NonFramedHeaderLen+len(p)) > format.MaxNonFramedLen {
			e.err = errors.New("encryptsdk: non-framed plaintext exceeds 2^36-32 bytes")
			return 0, e.err
		}
		e.body = append(e.body, p...)
		e.written += int64(len(p))
		return len(p), nil
	}
	total := len(p)
	fl := e.frameLen
	for len(p) > 0 {
		b := e.cur
		if e.partial == 0 && b.N == 0 && len(p) >= fl && (e.workers <= 1 || len(p) >= 2*b.MaxFrames()*fl) {
			// Seal whole frames straight from p, saving a copy; Write must
			// then wait for them, since p is not ours to keep. That suits
			// a sequential stream and large writes; smaller writes to a
			// parallel stream are copied instead, so that Write returns
			// while the frames are sealed.
			k := min(len(p)/fl, b.MaxFrames())
			if err := e.reserve(k); err != nil {
				return total - len(p), err
			}
			b.Grow(k * b.SlotLen)
			b.N, b.Src = k, p[:k*fl]
			if err := e.dispatch(true); err != nil {
				return total - len(p), err
			}
			if b := e.inflight; b != nil { // sealing still in progress
				b.Wait()
				b.Src = nil
			}
			p = p[k*fl:]
			e.written += int64(k * fl)
			continue
		}
		start := b.N*b.SlotLen + format.RegularFrameHeaderLen + e.partial
		n := min(len(p), fl-e.partial)
		b.Grow(start + n)
		copy(b.Slab[start:start+n], p[:n])
		p = p[n:]
		e.partial += n
		e.written += int64(n)
		if e.partial == fl {
			if err := e.reserve(1); err != nil {
				return total - len(p), err
			}
			e.partial = 0
			b.N++
			if b.N == b.MaxFrames() {
				if err := e.dispatch(false); err != nil {
					return total - len(p), err
				}
			}
		}
	}
	return total, nil
}

// reserve assigns sequence numbers to k more regular frames of e.cur.
func (e *Encryptor) reserve(k int) error {
	if e.cur.N == 0 {
		e.cur.FirstSeq = e.nextSeq
	}
	if uint64(e.nextSeq)+uint64(k) >= format.FinalFrameMarker {
		e.err = errors.New("encryptsdk: message would exceed 2^32-1 frames")
		return e.err
	}
	e.nextSeq += uint32(k)
	return nil
}

// dispatch seals e.cur and makes a free batch current. It writes the batch
// sealed before while this one is sealed by the worker pool: for signed
// suites the hash, the bottleneck, keeps the caller's processor, and
// unsigned batches copied from small writes are sealed while the caller
// goes on copying. An unsigned batch sealed straight from the caller's
// buffer (sync) is sealed with the caller's goroutine helping.
func (e *Encryptor) dispatch(sync bool) error {
	b := e.cur
	if e.signer == nil && sync {
		if err := e.flush(); err != nil {
			b.Src = nil
			return err
		}
		b.Run(e.workers, &e.scratch)
		b.Src = nil
		e.inflight = b
		e.cur, e.spare = e.spare, nil
		return e.flush()
	}
	workers := e.workers
	if e.signer != nil {
		workers = hashingWorkers(workers)
	}
	b.Start(workers, &e.scratch)
	err := e.flush()
	if err != nil {
		// The batch may be sealing from the caller's buffer: let it finish
		// before Write returns.
		b.Wait()
		b.Src = nil
	}
	e.inflight = b
	e.cur, e.spare = e.spare, nil
	return err
}

// flush writes the batch in flight, if any, and frees it.
func (e *Encryptor) flush() error {
	b := e.inflight
	if b == nil {
		return nil
	}
	b.Wait()
	err := e.put(b.Sealed())
	b.Reset()
	e.inflight, e.spare = nil, b
	return err
}

func (e *Encryptor) put(b []byte) error {
	if e.signer != nil {
		e.signer.Write(b)
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
	if err == nil && e.signer != nil {
		var sig []byte
		if sig, err = e.suite.Sign(e.signKey, e.signer.Sum(nil)); err == nil {
			_, err = e.w.Write(format.AppendFooter(nil, sig))
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
		format.AppendNonFramedHeader(e.body[:0], uint64(len(e.body)-format.NonFramedHeaderLen))
		body := append(e.body, make([]byte, algorithms.TagLen)...)[:len(e.body)]
		err := e.put(e.cipher.SealSingleBlock(&e.scratch, body))
		clear(e.body)
		return err
	}
	// The final frame holds the partial tail of e.cur; the full frames
	// before it go out first.
	b := e.cur
	final := make([]byte, format.FinalFrameHeaderLen+e.partial+algorithms.TagLen)
	if e.partial > 0 {
		start := b.N*b.SlotLen + format.RegularFrameHeaderLen
		copy(final[format.FinalFrameHeaderLen:], b.Slab[start:start+e.partial])
		clear(b.Slab[start : start+e.partial])
	}
	if b.N > 0 {
		if err := e.dispatch(false); err != nil {
			return err
		}
	}
	if err := e.flush(); err != nil {
		return err
	}
	seq := e.nextSeq
	out := e.cipher.SealFrame(&e.scratch, final, seq, true, final[format.FinalFrameHeaderLen:format.FinalFrameHeaderLen+e.partial])
	return e.put(out)
}
