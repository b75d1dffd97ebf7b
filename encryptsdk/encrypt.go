package encryptsdk

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"

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
	hdr       format.Header
	messageID [32]byte // hdr.MessageID's memory
	commitKey [32]byte // hdr.SuiteData's memory (format 2)
	headerLen int
	cipher    frame.Cipher
	sealer    frame.Sealer
	suite     algorithms.Suite
	signer    hash.Hash
	signKey   *ecdsa.PrivateKey
	nonFramed bool

	written  int64 // plaintext bytes accepted
	declared int64
	err      error
}

// Encrypt obtains materials, writes the message header to dst and returns
// an Encryptor for the plaintext. Nothing is written to dst on error.
// In FIPS 140-only mode it returns [ErrFIPSEncrypt] at once.
func (c *Client) Encrypt(ctx context.Context, dst io.Writer, opts *EncryptOptions) (*Encryptor, error) {
	if opts == nil {
		opts = &EncryptOptions{}
	}
	plen := opts.PlaintextLength
	if plen <= 0 {
		plen = -1
	}
	e := new(Encryptor)
	if err := c.encrypt(ctx, e, dst, opts, plen); err != nil {
		return nil, err
	}
	return e, nil
}

// encrypt sets up e, the zero Encryptor, as Encrypt does for a plaintext
// of plen bytes, or of unknown length when plen is negative: the length
// the materials manager is told. A dst that is an *appendWriter is first
// grown to hold the whole message when plen is known.
func (c *Client) encrypt(ctx context.Context, e *Encryptor, dst io.Writer, opts *EncryptOptions, plen int64) error {
	if fipsOnly() {
		return ErrFIPSEncrypt
	}
	if c.Manager == nil {
		return errors.New("encryptsdk: Client has no materials manager")
	}
	if !c.CommitmentPolicy.Valid() {
		return fmt.Errorf("encryptsdk: invalid commitment policy %d", int(c.CommitmentPolicy))
	}
	ec := materials.EncryptionContext(opts.EncryptionContext)
	if err := ec.CheckReserved(); err != nil {
		return err
	}
	frameLen := opts.FrameLength
	switch {
	case opts.NonFramed:
		frameLen = 0
	case frameLen == 0:
		frameLen = DefaultFrameLength
	case frameLen < 0 || frameLen > 1<<32-1:
		return fmt.Errorf("encryptsdk: frame length %d is outside 1 to 2^32-1", frameLen)
	case uint64(frameLen) > maxInt-64:
		return fmt.Errorf("encryptsdk: %w: frame length %d does not fit in memory on this platform (at most %d)", ErrBodyTooLarge, frameLen, maxInt-64)
	}
	if opts.Suite != 0 {
		suite, err := algorithms.Lookup(opts.Suite)
		if err != nil {
			return err
		}
		if !c.CommitmentPolicy.AllowsEncrypt(suite) {
			return fmt.Errorf("%w: %v cannot encrypt with %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID())
		}
	}
	m, err := c.Manager.GetEncryptionMaterials(ctx, materials.EncryptionRequest{
		EncryptionContext: ec,
		CommitmentPolicy:  c.CommitmentPolicy,
		Suite:             opts.Suite,
		PlaintextLength:   plen,
	})
	if err != nil {
		return err
	}
	defer clear(m.PlaintextDataKey)
	suite := m.Suite
	switch {
	case suite.ID() == 0:
		return fmt.Errorf("%w: no algorithm suite", materials.ErrInvalidMaterials)
	case !c.CommitmentPolicy.AllowsEncrypt(suite):
		return fmt.Errorf("%w: %v cannot encrypt with %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID())
	case opts.Suite != 0 && suite.ID() != opts.Suite:
		return fmt.Errorf("%w: manager chose suite %v, %v was requested", materials.ErrInvalidMaterials, suite.ID(), opts.Suite)
	case len(m.PlaintextDataKey) != suite.KeyLen():
		return fmt.Errorf("%w: data key length", materials.ErrInvalidMaterials)
	case len(m.EncryptedDataKeys) == 0:
		return fmt.Errorf("%w: no encrypted data key", materials.ErrInvalidMaterials)
	case c.MaxEncryptedDataKeys > 0 && len(m.EncryptedDataKeys) > c.MaxEncryptedDataKeys:
		return fmt.Errorf("encryptsdk: %w: %d, limit %d", ErrTooManyEncryptedDataKeys, len(m.EncryptedDataKeys), c.MaxEncryptedDataKeys)
	case suite.Signed() && m.SigningKey == nil:
		return fmt.Errorf("%w: signed suite without a signing key", materials.ErrInvalidMaterials)
	}
	if err := carries(m.EncryptionContext, ec, "requested"); err != nil {
		return err
	}

	messageID := e.messageID[:suite.MessageIDLen()]
	rand.Read(messageID)
	dataKey, commitKey, err := suite.DeriveKeys(m.PlaintextDataKey, messageID)
	if err != nil {
		return err
	}
	defer clear(dataKey)
	e.hdr = format.Header{
		Version:           byte(suite.MessageFormat()),
		Suite:             suite,
		MessageID:         messageID,
		EncryptionContext: m.EncryptionContext.Without(m.RequiredEncryptionContextKeys),
		EncryptedDataKeys: m.EncryptedDataKeys,
		ContentType:       format.Framed,
		FrameLength:       uint32(frameLen),
	}
	hdr := &e.hdr
	if commitKey != nil {
		hdr.SuiteData = e.commitKey[:copy(e.commitKey[:], commitKey)]
	}
	if frameLen == 0 {
		hdr.ContentType = format.NonFramed
	}
	raw, err := hdr.AppendBinary(nil)
	if err != nil {
		return err
	}
	authOnly, err := m.EncryptionContext.Subset(m.RequiredEncryptionContextKeys).MarshalBinary()
	if err != nil {
		return err
	}
	fc := &e.cipher
	if err := fc.Init(dataKey, messageID, uint32(frameLen)); err != nil {
		return err
	}
	// The header tag authenticates the header and the pairs only
	// authenticated; it is sealed straight into the room AppendBinary left
	// after the header (past the IV, in format 1).
	aad := raw[:len(raw):len(raw)]
	if len(authOnly) > 0 {
		aad = append(aad, authOnly...)
	}
	at := len(raw)
	if hdr.Version == 1 {
		at += algorithms.IVLen
	}
	raw = slices.Grow(raw, at-len(raw)+algorithms.TagLen)
	tag := fc.AEAD().Seal(raw[at:at], zeroIV[:], nil, aad)
	raw = wire.AppendHeaderAuth(raw, hdr.Version, tag)

	e.w, e.headerLen, e.suite = dst, len(raw), suite
	e.signKey, e.declared, e.nonFramed = m.SigningKey, opts.PlaintextLength, frameLen == 0
	if suite.Signed() {
		e.signer = suite.SignatureHash()
		e.signer.Write(raw)
	}
	cfg := frame.Config{Workers: c.workers()}
	if e.signer != nil {
		cfg.Hash = e.signer
	}
	e.sealer.Init(fc, dst, cfg)
	if w, ok := dst.(*appendWriter); ok && plen >= 0 {
		if err := w.reserve(e.MessageLength(plen)); err != nil {
			return err
		}
	}
	if _, err := dst.Write(raw); err != nil {
		return err
	}
	return nil
}

// zeroIV is the IV of the header tag.
var zeroIV [algorithms.IVLen]byte

// Header returns the message header (the encryption context stored in it
// excludes required, authenticate-only pairs).
func (e *Encryptor) Header() *format.Header { return &e.hdr }

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
		n := int64(e.sealer.BodyLen()) + int64(len(p))
		if n > format.MaxNonFramedLen {
			e.err = errors.New("encryptsdk: non-framed plaintext exceeds 2^36-32 bytes")
			return 0, e.err
		}
		if n > maxInt-64 {
			e.err = fmt.Errorf("encryptsdk: %w: a non-framed body of %d bytes does not fit in memory on this platform", ErrBodyTooLarge, n)
			return 0, e.err
		}
	}
	n, err := e.sealer.Write(p)
	e.written += int64(n)
	if err != nil {
		e.err = sealErr(err)
	}
	return n, e.err
}

// sealErr gives an error of the frame pipeline the package's prefix.
func sealErr(err error) error {
	if errors.Is(err, frame.ErrTooManyFrames) || errors.Is(err, frame.ErrInternal) {
		return fmt.Errorf("encryptsdk: %w", err)
	}
	return err
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
	err := e.sealer.Close()
	if err != nil {
		err = sealErr(err)
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
