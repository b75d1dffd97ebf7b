package encryptsdk

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
	"github.com/go-esdk/esdk/materials"
)

// Decryptor is a streaming decryption: an [io.Reader] of the plaintext of
// one message. The header has been read and authenticated, and the data
// key obtained, before Decrypt returns it, so the header, suite and
// encryption context can be inspected before the first Read.
//
// # Release of plaintext
//
// Read returns the plaintext of a frame only after that frame's
// authentication tag has verified. The final frame (and a non-framed body)
// is released only after the signature (for signed suites) has verified
// and the end of the input has been reached with no trailing bytes; io.EOF
// is returned only after that. With a signed suite, bytes returned before
// io.EOF are authenticated but not yet known to be signed: a caller that
// cannot discard them when a later Read fails should set
// [DecryptOptions.BufferUntilVerified] or [DecryptOptions.UnsignedOnly].
//
// A Decryptor is not safe for concurrent use. The first error is returned
// by every later call.
type Decryptor struct {
	mr       *format.Reader
	hdr      *format.Header
	auth     format.HeaderAuth
	suite    algorithms.Suite
	ec       materials.EncryptionContext
	dataKey  materials.EncryptedDataKey
	cipher   frame.Cipher
	verifier hash.Hash
	pub      *ecdsa.PublicKey
	buffer   bool
	workers  int
	op       frame.Opener // the body's frames, authenticated and decrypted
	lender   lender       // src, if WriteTo may read frames in place from it

	out []byte // verified plaintext not yet returned
	all []byte // BufferUntilVerified: everything so far
	err error
}

// Decrypt reads and authenticates the message header from src, obtains the
// data key, and returns a Decryptor for the body. src is read through an
// internal buffer; nothing after the message may follow in src.
func (c *Client) Decrypt(ctx context.Context, src io.Reader, opts *DecryptOptions) (*Decryptor, error) {
	if opts == nil {
		opts = &DecryptOptions{}
	}
	in := frame.NewSourceInput(src)
	d := &Decryptor{mr: format.NewReader(in, c.limits(opts))}
	if err := c.decrypt(ctx, d, opts); err != nil {
		in.Close()
		return nil, err
	}
	d.op.Init(&d.cipher, d.mr, in, in.Local(), (*finisher)(d), d.config())
	d.lender = lenderOf(src)
	return d, nil
}

// config is the frame pipeline's configuration for d.
func (d *Decryptor) config() frame.Config {
	cfg := frame.Config{Workers: d.workers}
	if d.verifier != nil {
		cfg.Hash = d.verifier
	}
	return cfg
}

func (c *Client) limits(opts *DecryptOptions) format.Limits {
	return format.Limits{MaxEncryptedDataKeys: c.MaxEncryptedDataKeys, MaxBodySize: opts.MaxBodySize}
}

// decrypt reads and authenticates the header of the message d.mr reads,
// obtains its data key, and sets up d's fields but its Opener.
func (c *Client) decrypt(ctx context.Context, d *Decryptor, opts *DecryptOptions) error {
	if c.Manager == nil {
		return errors.New("encryptsdk: Client has no materials manager")
	}
	if !c.CommitmentPolicy.Valid() {
		return fmt.Errorf("encryptsdk: invalid commitment policy %d", int(c.CommitmentPolicy))
	}
	mr := d.mr
	hdr, raw, err := mr.ReadHeader()
	if err != nil {
		return err
	}
	suite := hdr.Suite
	if !c.CommitmentPolicy.AllowsDecrypt(suite) {
		return fmt.Errorf("%w: %v cannot decrypt %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID())
	}
	if opts.UnsignedOnly && suite.Signed() {
		return fmt.Errorf("%w (suite %v)", ErrSignedMessage, suite.ID())
	}
	m, err := c.Manager.DecryptMaterials(ctx, materials.DecryptionRequest{
		Suite:                       suite,
		CommitmentPolicy:            c.CommitmentPolicy,
		EncryptedDataKeys:           hdr.EncryptedDataKeys,
		EncryptionContext:           hdr.EncryptionContext,
		ReproducedEncryptionContext: opts.EncryptionContext,
	})
	if err != nil {
		return err
	}
	defer func() {
		clear(m.PlaintextDataKey)
		for _, c := range m.Candidates {
			clear(c.PlaintextDataKey)
		}
	}()
	switch {
	case m.Suite.ID() != suite.ID():
		return fmt.Errorf("%w: materials are for suite %v, message is %v", materials.ErrInvalidMaterials, m.Suite.ID(), suite.ID())
	case !c.CommitmentPolicy.AllowsDecrypt(m.Suite):
		return fmt.Errorf("%w: %v cannot decrypt %v", ErrCommitmentPolicy, c.CommitmentPolicy, suite.ID())
	case suite.Signed() && m.VerificationKey == nil:
		return fmt.Errorf("%w: no verification key for a signed suite", materials.ErrInvalidMaterials)
	}
	if err := carries(m.EncryptionContext, hdr.EncryptionContext, "stored"); err != nil {
		return err
	}
	if err := carries(m.EncryptionContext, opts.EncryptionContext, "expected"); err != nil {
		return err
	}
	auth, err := mr.ReadHeaderAuth()
	if err != nil {
		return err
	}
	authOnly, err := m.EncryptionContext.Subset(m.RequiredEncryptionContextKeys).MarshalBinary()
	if err != nil {
		return err
	}
	dataKey, err := openWithKeys(&d.cipher, m, hdr, raw, auth, authOnly, opts.NetV400Retry)
	if err != nil {
		return err
	}
	d.hdr, d.auth, d.suite = hdr, auth, suite
	d.ec, d.dataKey, d.pub = m.EncryptionContext, dataKey, m.VerificationKey
	d.buffer, d.workers = opts.BufferUntilVerified, c.workers()
	if suite.Signed() {
		d.verifier = suite.SignatureHash()
		d.verifier.Write(raw)
		d.verifier.Write(auth.IV)
		d.verifier.Write(auth.Tag)
	}
	return nil
}

// openWithKeys tries the candidate data keys of m in order, then its
// authenticated data key, and sets fc to the cipher of the first that
// passes the key commitment and header authentication; it returns the
// encrypted data key that one came from.
//
// A candidate was not authenticated by its keyring (RSA PKCS #1 v1.5 with
// implicit rejection), so its failure must not tell a padding error from a
// wrong key: each candidate costs the same work (key derivation, the
// commitment comparison and the header tag check, whatever the first
// result) and every failed one is described by the same words. When all
// fail and there is no authenticated key, the error is a
// [*NoDecryptableKeyError], as for a wrong key of any other keyring. The
// authenticated key's failure, which can only be tampering, is reported as
// what it is.
func openWithKeys(fc *frame.Cipher, m materials.DecryptionMaterials, hdr *format.Header, raw []byte, auth format.HeaderAuth, authOnly []byte, netRetry bool) (materials.EncryptedDataKey, error) {
	suite := hdr.Suite
	var netAuthOnly materials.EncryptionContext
	if netRetry {
		netAuthOnly = m.EncryptionContext.Subset(m.RequiredEncryptionContextKeys)
	}
	errs := slices.Clip(m.Failures)
	for i, c := range m.Candidates {
		ok := openCandidate(fc, suite, c.PlaintextDataKey, hdr, raw, auth, authOnly)
		if !ok && netRetry {
			ok = openHeaderNetV400(fc, suite, c.PlaintextDataKey, hdr, raw, auth, netAuthOnly) == nil
		}
		if ok {
			return c.DataKey, nil
		}
		errs = append(errs, fmt.Errorf("candidate data key %d, from an encrypted data key of provider %q, did not authenticate the message header", i, c.DataKey.ProviderID))
	}
	if m.PlaintextDataKey == nil {
		return materials.EncryptedDataKey{}, &NoDecryptableKeyError{Reason: "no data key obtained from the encrypted data keys authenticated the message", Errs: errs}
	}
	err := openHeader(fc, suite, m.PlaintextDataKey, hdr, raw, auth, authOnly)
	if errors.Is(err, ErrHeaderAuthentication) && netRetry {
		err = openHeaderNetV400(fc, suite, m.PlaintextDataKey, hdr, raw, auth, netAuthOnly)
	}
	return m.DataKey, err
}

// openCandidate derives the message keys from a candidate data key and
// reports whether both the key commitment (for committing suites) and
// the header tag verify, setting fc to the message's cipher if so. Both
// checks always run.
func openCandidate(fc *frame.Cipher, suite algorithms.Suite, pdk []byte, hdr *format.Header, raw []byte, auth format.HeaderAuth, authOnly []byte) bool {
	dataKey, commitKey, err := suite.DeriveKeys(pdk, hdr.MessageID)
	if err != nil {
		return false
	}
	defer clear(dataKey)
	committed := true
	if suite.Committing() {
		committed = algorithms.CheckCommitment(commitKey, hdr.SuiteData) == nil
	}
	err = verifyHeader(fc, dataKey, hdr, raw, auth, authOnly)
	return committed && err == nil
}

// openHeader derives the message keys, checks key commitment (in constant
// time, before anything else) and verifies the header tag, setting fc to
// the message's cipher.
func openHeader(fc *frame.Cipher, suite algorithms.Suite, pdk []byte, hdr *format.Header, raw []byte, auth format.HeaderAuth, authOnly []byte) error {
	dataKey, commitKey, err := suite.DeriveKeys(pdk, hdr.MessageID)
	if err != nil {
		return err
	}
	defer clear(dataKey)
	if suite.Committing() {
		if err := algorithms.CheckCommitment(commitKey, hdr.SuiteData); err != nil {
			return err
		}
	}
	return verifyHeader(fc, dataKey, hdr, raw, auth, authOnly)
}

// verifyHeader sets fc to the cipher of dataKey and verifies the header
// tag with it.
func verifyHeader(fc *frame.Cipher, dataKey []byte, hdr *format.Header, raw []byte, auth format.HeaderAuth, authOnly []byte) error {
	if err := fc.Init(dataKey, hdr.MessageID, hdr.FrameLength); err != nil {
		return err
	}
	aad := append(raw[:len(raw):len(raw)], authOnly...)
	iv := auth.IV // format 1
	if iv == nil {
		iv = zeroIV[:] // format 2: never written to
	}
	if err := fc.OpenHeaderTag(iv, auth.Tag, aad); err != nil {
		return ErrHeaderAuthentication
	}
	return nil
}

// openHeaderNetV400 verifies a header written by the ESDK for .NET 4.0.0:
// its format 1 HKDF keys omit the message ID, and its header AAD carries
// the authenticate-only context with a pair count even when empty.
func openHeaderNetV400(fc *frame.Cipher, suite algorithms.Suite, pdk []byte, hdr *format.Header, raw []byte, auth format.HeaderAuth, authOnly materials.EncryptionContext) error {
	dataKey, _, err := suite.DeriveKeysNetV400(pdk, hdr.MessageID)
	if err != nil {
		return err
	}
	defer clear(dataKey)
	ser, err := authOnly.MarshalBinary()
	if err != nil {
		return err
	}
	if len(authOnly) == 0 {
		ser = []byte{0, 0}
	}
	return verifyHeader(fc, dataKey, hdr, raw, auth, ser)
}

// Header returns the authenticated message header.
func (d *Decryptor) Header() *format.Header { return d.hdr }

// HeaderAuth returns the message's header authentication (IV and tag).
func (d *Decryptor) HeaderAuth() format.HeaderAuth { return d.auth }

// Suite returns the message's algorithm suite.
func (d *Decryptor) Suite() algorithms.Suite { return d.suite }

// EncryptionContext returns the message's encryption context: the pairs
// stored in the header and any required pairs supplied by the caller, all
// authenticated. It includes aws-crypto-public-key for signed suites.
func (d *Decryptor) EncryptionContext() materials.EncryptionContext { return d.ec.Clone() }

// DataKey returns the encrypted data key that the keyring decrypted
// (provider ID and info name the wrapping key that was used).
func (d *Decryptor) DataKey() materials.EncryptedDataKey { return d.dataKey }

// Read implements [io.Reader]; see the type's documentation for when
// plaintext is released.
func (d *Decryptor) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		var n int
		if n, d.err = d.next(p); n > 0 {
			return n, nil
		}
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// WriteTo implements [io.WriterTo] so that io.Copy writes each verified
// frame straight from the Decryptor's buffer. A stream whose frames are
// opened one by one as they are read (with Concurrency 1, or from a small
// source that tells its length, such as a [bytes.Reader] or a regular
// file) opens them straight into a [bytes.Buffer]'s free space; and, when
// its source is a [bytes.Reader] or [bytes.Buffer], straight from the
// source's memory (which it never writes), through the source's WriteTo,
// rather than copying them into its read buffer first.
// An error writing to w then ends the stream.
func (d *Decryptor) WriteTo(w io.Writer) (int64, error) {
	total, err := d.lend(w)
	if err != nil {
		return total, err
	}
	if b, ok := w.(*bytes.Buffer); ok && d.op.OpensInto() && !d.buffer {
		n, err := b.ReadFrom(readerOnly{d})
		return total + n, err
	}
	return d.writeOut(w, total)
}

// lend writes to w the plaintext of what [frame.Opener.Lend] can open in
// place from a lender source: every regular frame not yet released.
func (d *Decryptor) lend(w io.Writer) (int64, error) {
	if d.lender == nil || d.lender.Len() == 0 || any(w) == any(d.lender) ||
		len(d.out) > 0 || d.err != nil || d.buffer || !d.op.Lends() {
		return 0, nil
	}
	s := &lendSink{d: d, w: w}
	s.buf, _ = w.(*bytes.Buffer)
	_, err := d.lender.WriteTo(s)
	if err == errLendStop {
		err = nil
	}
	return s.total, err
}

// writeOut writes the rest of the plaintext to w, total bytes having been
// written already.
func (d *Decryptor) writeOut(w io.Writer, total int64) (int64, error) {
	for {
		if len(d.out) > 0 {
			n, err := w.Write(d.out)
			total += int64(n)
			d.out = d.out[n:]
			if err != nil {
				return total, err
			}
			continue
		}
		if d.err != nil {
			if d.err == io.EOF {
				return total, nil
			}
			return total, d.err
		}
		_, d.err = d.next(nil)
	}
}

// lender is a source in memory that writes itself, with its WriteTo, in
// one Write of its remaining bytes (Len of them, handed over without a
// copy), keeping those that the Write does not consume for later reads: a
// [bytes.Reader] or [bytes.Buffer]. (A [strings.Reader] converts its
// string to a new []byte for the Write: as large as the message.)
type lender interface {
	io.WriterTo
	Len() int
}

// lenderOf returns src if it is a lender, else nil.
func lenderOf(src io.Reader) lender {
	switch src := src.(type) {
	case *bytes.Reader:
		return src
	case *bytes.Buffer:
		return src
	}
	return nil
}

// lendSink is what a lender writes itself to: the Opener reads frames in
// place from what it is given (see frame.Opener.Lend) and their
// plaintext is written to w, opened straight into the free space of w
// when w is a bytes.Buffer.
type lendSink struct {
	d     *Decryptor
	w     io.Writer
	buf   *bytes.Buffer // w, if it is one
	total int64
}

// errLendStop stops a lender's WriteTo where the Opener stopped
// consuming: at the final frame, or a frame not wholly given.
var errLendStop = errors.New("encryptsdk: lent bytes left to read")

func (s *lendSink) Write(p []byte) (int, error) {
	n, err := s.d.op.Lend(p, s.room, s.emit)
	if err != nil {
		s.d.err = openErr(err)
		return n, s.d.err
	}
	if n < len(p) {
		return n, errLendStop
	}
	return n, nil
}

// room is where a frame of n bytes (read from the bytes lent) is opened:
// the free space of a bytes.Buffer, grown to hold it.
func (s *lendSink) room(n int) []byte {
	if s.buf == nil {
		return nil
	}
	s.buf.Grow(n)
	return s.buf.AvailableBuffer()[:n]
}

// emit writes a frame's plaintext; one opened into a bytes.Buffer's free
// space is already in place, and Write does not copy it.
func (s *lendSink) emit(pt []byte) error {
	m, err := s.w.Write(pt)
	s.total += int64(m)
	if err == nil && m < len(pt) {
		err = io.ErrShortWrite
	}
	return err
}

// readerOnly hides the Decryptor's WriteTo from a ReadFrom.
type readerOnly struct{ d *Decryptor }

func (r readerOnly) Read(p []byte) (int, error) { return r.d.Read(p) }

// next obtains the next verified plaintext: it opens it straight into
// dst and returns its length when the Opener can and it fits there, else
// sets d.out to it. It returns io.EOF once the message is complete and
// verified.
func (d *Decryptor) next(dst []byte) (int, error) {
	if d.buffer {
		dst = nil
	}
	for {
		pt, last, err := d.op.NextTo(dst)
		if err != nil {
			return 0, openErr(err)
		}
		if d.buffer {
			if len(pt) > maxInt-len(d.all) {
				d.op.Close()
				return 0, fmt.Errorf("encryptsdk: %w: the buffered plaintext does not fit in memory on this platform", ErrBodyTooLarge)
			}
			d.all = append(d.all, pt...)
			if last {
				d.out = d.all
				return 0, nil
			}
			continue
		}
		if len(pt) > 0 && len(dst) > 0 && &pt[0] == &dst[0] {
			return len(pt), nil // opened into dst
		}
		d.out = pt
		return 0, nil
	}
}

// openErr gives an error of the frame pipeline about a frame the
// package's prefix.
func openErr(err error) error {
	if errors.Is(err, frame.ErrAuthentication) || errors.Is(err, frame.ErrInternal) {
		return fmt.Errorf("encryptsdk: %w", err)
	}
	return err
}

// finisher is a Decryptor as the [frame.Finisher] of its Opener.
type finisher Decryptor

// Finish calls the Decryptor's finish.
func (f *finisher) Finish() error { return (*Decryptor)(f).finish() }

// finish verifies the signature and the end of input.
func (d *Decryptor) finish() error {
	if d.verifier != nil {
		sig, err := d.mr.ReadFooter()
		if err != nil {
			return err
		}
		if err := algorithms.Verify(d.pub, d.verifier.Sum(nil), sig); err != nil {
			return err
		}
	}
	if err := d.mr.ExpectEOF(); err != nil {
		return err
	}
	return nil
}

// carries checks that the materials' encryption context holds every pair
// of want, so that materials made for another request (a manager's bug,
// or a cache entry shared by mistake) are never used.
func carries(have, want materials.EncryptionContext, what string) error {
	for _, k := range want.SortedKeys() {
		if v, ok := have[k]; !ok || v != want[k] {
			return fmt.Errorf("%w: the materials' encryption context lacks the %s pair with key %q", materials.ErrInvalidMaterials, what, k)
		}
	}
	return nil
}

// frameLenInt is the message's frame length as an int for sizing buffers
// and batches, capped at what an int holds: a 32-bit platform reads a
// message that declares a frame length above 2^31 as long as its frames
// fit (the reader refuses a frame that does not).
func frameLenInt(h *format.Header) int { return int(min(uint64(h.FrameLength), maxInt-64)) }
