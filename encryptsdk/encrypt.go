package encryptsdk

import (
	"bufio"
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
	w         *bufio.Writer
	hdr       *format.Header
	headerLen int
	cipher    *frame.Cipher
	scratch   frame.Scratch
	suite     *algorithms.Suite
	signer    hash.Hash
	signKey   *ecdsa.PrivateKey

	frameLen  int
	buf       []byte // frame being filled: room for header, frameLen bytes, tag
	n         int    // plaintext bytes in buf
	seq       uint32
	written   int64 // plaintext bytes accepted
	declared  int64
	nonFramed bool
	err       error
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
		w:         bufio.NewWriterSize(dst, 64<<10),
		hdr:       hdr,
		headerLen: len(raw),
		cipher:    fc,
		suite:     suite,
		signKey:   m.SigningKey,
		frameLen:  int(frameLen),
		seq:       1,
		declared:  opts.PlaintextLength,
		nonFramed: frameLen == 0,
	}
	if suite.Signed() {
		e.signer = suite.SignatureHash()
		e.signer.Write(raw)
	}
	if !e.nonFramed {
		e.buf = make([]byte, format.FinalFrameHeaderLen+e.frameLen+algorithms.TagLen)
	} else {
		e.buf = make([]byte, format.NonFramedHeaderLen)
	}
	if _, err := dst.Write(raw); err != nil {
		return nil, err
	}
	return e, nil
}

// Header returns the message header (the encryption context stored in it
// excludes required, authenticate-only pairs).
func (e *Encryptor) Header() *format.Header { return e.hdr }

// MessageLength returns the exact length of the whole message for a
// framed message of the given plaintext length, available before any
// plaintext is written (for uploads that need a Content-Length).
func (e *Encryptor) MessageLength(plaintextLen int64) int64 {
	if e.nonFramed {
		n := int64(e.headerLen) + format.NonFramedHeaderLen + plaintextLen + algorithms.TagLen
		if s := e.suite.SignatureLen(); s > 0 {
			n += 2 + int64(s)
		}
		return n
	}
	return format.MessageLen(e.headerLen, uint32(e.frameLen), plaintextLen, e.suite.SignatureLen())
}

// Write encrypts p. Full frames are sealed and written as they fill.
func (e *Encryptor) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.declared > 0 && e.written+int64(len(p)) > e.declared {
		e.err = fmt.Errorf("%w: more than %d bytes written", ErrPlaintextLength, e.declared)
		return 0, e.err
	}
	if e.nonFramed {
		if int64(len(e.buf)-format.NonFramedHeaderLen+len(p)) > format.MaxNonFramedLen {
			e.err = errors.New("encryptsdk: non-framed plaintext exceeds 2^36-32 bytes")
			return 0, e.err
		}
		e.buf = append(e.buf, p...)
		e.written += int64(len(p))
		return len(p), nil
	}
	total := len(p)
	for len(p) > 0 {
		if e.n == 0 && len(p) >= e.frameLen {
			// Seal straight from the caller's buffer.
			if err := e.emit(p[:e.frameLen]); err != nil {
				return total - len(p), err
			}
			p = p[e.frameLen:]
			e.written += int64(e.frameLen)
			continue
		}
		k := copy(e.buf[format.RegularFrameHeaderLen+e.n:format.RegularFrameHeaderLen+e.frameLen], p)
		e.n += k
		p = p[k:]
		e.written += int64(k)
		if e.n == e.frameLen {
			if err := e.emit(e.buf[format.RegularFrameHeaderLen : format.RegularFrameHeaderLen+e.frameLen]); err != nil {
				return total - len(p), err
			}
			e.n = 0
		}
	}
	return total, nil
}

// emit seals and writes one regular frame.
func (e *Encryptor) emit(plaintext []byte) error {
	if e.seq == format.FinalFrameMarker-1 {
		e.err = errors.New("encryptsdk: message would exceed 2^32-1 frames")
		return e.err
	}
	out := e.cipher.SealFrame(&e.scratch, e.buf, e.seq, false, plaintext)
	e.seq++
	return e.put(out)
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

// Close writes the final frame and the signature, and flushes. It does not
// close the destination. After Close, Write returns ErrClosed.
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
	var err error
	if e.nonFramed {
		format.AppendNonFramedHeader(e.buf[:0], uint64(len(e.buf)-format.NonFramedHeaderLen))
		body := append(e.buf, make([]byte, algorithms.TagLen)...)[:len(e.buf)]
		err = e.put(e.cipher.SealSingleBlock(&e.scratch, body))
		clear(e.buf)
	} else {
		// Move the buffered tail so that it starts where a final frame's
		// content goes, then seal it in place.
		start := format.FinalFrameHeaderLen
		copy(e.buf[start:start+e.n], e.buf[format.RegularFrameHeaderLen:format.RegularFrameHeaderLen+e.n])
		err = e.put(e.cipher.SealFrame(&e.scratch, e.buf, e.seq, true, e.buf[start:start+e.n]))
	}
	if err == nil && e.signer != nil {
		var sig []byte
		if sig, err = e.suite.Sign(e.signKey, e.signer.Sum(nil)); err == nil {
			_, err = e.w.Write(format.AppendFooter(nil, sig))
		}
	}
	if err == nil {
		err = e.w.Flush()
	}
	if err != nil {
		e.err = err
		return err
	}
	e.err = ErrClosed
	return nil
}
