package format

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// DefaultMaxHeaderSize is the header size limit used when
// [Limits.MaxHeaderSize] is zero.
const DefaultMaxHeaderSize = 16 << 20

// MaxNonFramedLen is the largest non-framed body: the AES-GCM limit for a
// single invocation, 2^36 − 32 bytes.
const MaxNonFramedLen = 1<<36 - 32

// maxInMemoryLen is the largest frame or non-framed body length this
// platform can hold in one buffer together with its header and tag:
// about 2^63 on 64-bit platforms, 2^31 on 32-bit ones. Longer lengths are
// rejected with ErrBodyTooLarge rather than truncated by a conversion to
// int.
const maxInMemoryLen = math.MaxInt - 64

// FinalFrameMarker is the sequence number field that starts the final frame.
const FinalFrameMarker = 0xffffffff

// Limits bound what a [Reader] accepts. Each is checked before the memory
// for the field is allocated.
type Limits struct {
	// MaxEncryptedDataKeys is the largest encrypted data key count accepted
	// in a header; 0 means no limit.
	MaxEncryptedDataKeys int
	// MaxHeaderSize is the largest header body in bytes; 0 means
	// DefaultMaxHeaderSize.
	MaxHeaderSize int
	// MaxBodySize is the largest frame length or non-framed body length
	// accepted; 0 means no limit. Without a limit, memory still grows only
	// with the bytes actually read, never with a declared length.
	MaxBodySize int64
}

// Reader reads one message, part by part, from an underlying reader,
// tracking the byte offset for errors. It reads ahead through an internal
// buffer; use [Reader.ExpectEOF] to check that nothing follows the message.
type Reader struct {
	r   io.Reader     // a *bufio.Reader, or st
	br  *bufio.Reader // when not reading in place
	st  stableSource  // when reading in place
	off int64
	lim Limits

	hdr     *Header
	nextSeq uint32
	final   bool

	// src, when mem is set, is the whole input held in memory (NewBytesReader):
	// reads return slices of it instead of copying.
	src     []byte
	mem     bool
	ownsSrc bool // src is a private copy
}

// NewBytesReader returns a Reader over a message held in memory. Its
// frames, header fields and footer are slices of b, not copies, so b must
// not change while they are in use.
func NewBytesReader(b []byte, lim Limits) *Reader {
	if lim.MaxHeaderSize <= 0 {
		lim.MaxHeaderSize = DefaultMaxHeaderSize
	}
	return &Reader{src: b, mem: true, lim: lim, nextSeq: 1}
}

// NewReader returns a Reader over r, which it reads through a buffer.
//
// A source with a KeepsReadBytes method, a Peek and a Discard method as
// [bufio.Reader]'s, whose bytes stay where they are once Peek has
// returned them and Discard consumed them (the module's streaming
// decryption has one), is its own buffer: frames and the non-framed body
// are then returned as slices of it, not copied.
func NewReader(r io.Reader, lim Limits) *Reader {
	if lim.MaxHeaderSize <= 0 {
		lim.MaxHeaderSize = DefaultMaxHeaderSize
	}
	if st, ok := r.(stableSource); ok {
		return &Reader{r: st, st: st, lim: lim, nextSeq: 1}
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 256<<10 {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	return &Reader{r: br, br: br, lim: lim, nextSeq: 1}
}

// stableSource is a source read in place (see NewReader).
type stableSource interface {
	io.Reader
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	KeepsReadBytes()
}

// more extends raw, the bytes of the frame or body being read, by n
// bytes: read into raw's buffer (grown as needed), or, in memory and from
// a stable source, a longer slice of the input. From a stable source
// nothing is consumed until done is called with the whole frame.
func (r *Reader) more(raw []byte, n int, field string) ([]byte, error) {
	if r.st == nil {
		return r.read(raw, n, field)
	}
	p, err := r.st.Peek(len(raw) + n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = ErrTruncated
		}
		return raw, r.fail(field, r.off+int64(len(raw)), err)
	}
	return p, nil
}

// moreLong is more for a length that may not fit int; see readLong.
func (r *Reader) moreLong(raw []byte, n int64, field string) ([]byte, error) {
	if r.st == nil {
		return r.readLong(raw, n, field)
	}
	room := int64(maxInMemoryLen - len(raw))
	if n <= room {
		return r.more(raw, int(n), field)
	}
	at := r.off + int64(len(raw))
	raw, err := r.more(raw, int(room), field)
	if err != nil {
		return raw, err
	}
	return raw, r.fail(field, at, fmt.Errorf("%w: %d bytes do not fit in memory on this platform", ErrBodyTooLarge, n))
}

// done consumes the frame or body raw read in place from a stable source.
func (r *Reader) done(raw []byte) {
	if r.st != nil {
		r.st.Discard(len(raw))
		r.off += int64(len(raw))
	}
}

// Offset is the number of message bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

func (r *Reader) fail(field string, at int64, err error) error {
	return &ParseError{Field: field, Offset: at, Err: err}
}

// read appends exactly n bytes to dst, growing dst only as bytes arrive so
// that a hostile length cannot force a large allocation.
func (r *Reader) read(dst []byte, n int, field string) ([]byte, error) {
	if r.mem {
		return r.readBytes(dst, n, field)
	}
	at := r.off
	for n > 0 {
		chunk := n
		if free := cap(dst) - len(dst); free < chunk {
			if free == 0 {
				grow := max(len(dst), 4096)
				grow = min(grow, n, 16<<20)
				dst = append(dst[:len(dst):len(dst)], make([]byte, grow)...)[:len(dst)]
				free = cap(dst) - len(dst)
			}
			chunk = min(chunk, free)
		}
		got, err := io.ReadFull(r.r, dst[len(dst):len(dst)+chunk])
		dst = dst[:len(dst)+got]
		r.off += int64(got)
		n -= got
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = ErrTruncated
			}
			return dst, r.fail(field, at, err)
		}
	}
	return dst, nil
}

// readLong is read for a length that may not fit int (a frame or body
// length on a 32-bit platform). What fits is read as usual, so that a
// short input is ErrTruncated on every platform; a length the platform
// cannot hold in one buffer is ErrBodyTooLarge once that much has been
// read, never a truncated conversion to int.
func (r *Reader) readLong(dst []byte, n int64, field string) ([]byte, error) {
	room := int64(maxInMemoryLen - len(dst))
	if n <= room {
		return r.read(dst, int(n), field)
	}
	at := r.off
	if r.mem {
		return r.readBytes(dst, int(min(n, int64(len(r.src))-r.off+1)), field)
	}
	dst, err := r.read(dst, int(room), field)
	if err != nil {
		return dst, err
	}
	return dst, r.fail(field, at, fmt.Errorf("%w: %d bytes do not fit in memory on this platform", ErrBodyTooLarge, n))
}

// readBytes is read for an in-memory input: dst is empty or the result of
// the previous read, so the result is the input from dst's start through n
// more bytes.
func (r *Reader) readBytes(dst []byte, n int, field string) ([]byte, error) {
	at := r.off
	if int64(len(r.src))-r.off < int64(n) {
		r.off = int64(len(r.src))
		return dst, r.fail(field, at, ErrTruncated)
	}
	start := r.off - int64(len(dst))
	r.off += int64(n)
	out := r.src[start:r.off:r.off]
	return out, nil
}

// ReadHeader reads and validates the header body. It returns the header
// and its exact bytes (the input of header authentication).
func (r *Reader) ReadHeader() (*Header, []byte, error) {
	if r.hdr != nil {
		return nil, nil, errors.New("format: header already read")
	}
	if looksBase64(r.peek(4)) {
		return nil, nil, r.fail("version", 0, ErrBase64)
	}
	var raw []byte
	var err error
	take := func(n int, field string) ([]byte, error) {
		if len(raw)+n > r.lim.MaxHeaderSize {
			return nil, r.fail(field, r.off, fmt.Errorf("%w (%d bytes)", ErrHeaderTooLarge, r.lim.MaxHeaderSize))
		}
		start := len(raw)
		raw, err = r.read(raw, n, field)
		if err != nil {
			return nil, err
		}
		return raw[start:], nil
	}
	u16 := func(field string) (int, error) {
		b, err := take(2, field)
		if err != nil {
			return 0, err
		}
		return int(binary.BigEndian.Uint16(b)), nil
	}
	malformed := func(field string, at int64, format string, args ...any) error {
		return r.fail(field, at, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...)))
	}

	h := &Header{}
	b, err := take(1, "version")
	if err != nil {
		return nil, nil, err
	}
	h.Version = b[0]
	switch h.Version {
	case 1:
		if b, err = take(1, "type"); err != nil {
			return nil, nil, err
		}
		if b[0] != typeCustomerAED {
			return nil, nil, malformed("type", 1, "type is 0x%02x, want 0x80", b[0])
		}
	case 2:
	default:
		return nil, nil, malformed("version", 0, "unknown message format version %d", h.Version)
	}
	at := r.off
	id, err := u16("algorithm suite ID")
	if err != nil {
		return nil, nil, err
	}
	if h.Suite, err = algorithms.Lookup(algorithms.ID(id)); err != nil {
		return nil, nil, malformed("algorithm suite ID", at, "unknown algorithm suite 0x%04x", id)
	}
	if h.Suite.MessageFormat() != int(h.Version) {
		return nil, nil, malformed("algorithm suite ID", at, "suite %v belongs to message format %d, not %d", h.Suite.ID(), h.Suite.MessageFormat(), h.Version)
	}
	if b, err = take(h.Suite.MessageIDLen(), "message ID"); err != nil {
		return nil, nil, err
	}
	h.MessageID = b

	ecLen, err := u16("encryption context length")
	if err != nil {
		return nil, nil, err
	}
	ecAt := r.off
	if h.rawEC, err = take(ecLen, "encryption context"); err != nil {
		return nil, nil, err
	}
	ec, off, err := materials.ParseEncryptionContext(h.rawEC)
	if err != nil {
		return nil, nil, r.fail("encryption context", ecAt+int64(off), err)
	}
	h.EncryptionContext = ec

	at = r.off
	count, err := u16("encrypted data key count")
	if err != nil {
		return nil, nil, err
	}
	if count == 0 {
		return nil, nil, malformed("encrypted data key count", at, "no encrypted data keys")
	}
	if r.lim.MaxEncryptedDataKeys > 0 && count > r.lim.MaxEncryptedDataKeys {
		return nil, nil, r.fail("encrypted data key count", at, fmt.Errorf("%w: %d, limit %d", ErrTooManyEncryptedDataKeys, count, r.lim.MaxEncryptedDataKeys))
	}
	// The field name carries the key's index; it is built only on error.
	edkErr := func(i int, err error) error {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Field = fmt.Sprintf("encrypted data key %d", i)
		}
		return err
	}
	if count == 1 {
		h.EncryptedDataKeys = h.edk[:0]
	} else {
		h.EncryptedDataKeys = make([]materials.EncryptedDataKey, 0, min(count, 64))
	}
	for i := range count {
		var k materials.EncryptedDataKey
		for j, dst := range [...]*[]byte{nil, &k.ProviderInfo, &k.Ciphertext} {
			n, err := u16("encrypted data key")
			if err != nil {
				return nil, nil, edkErr(i, err)
			}
			fieldAt := r.off
			v, err := take(n, "encrypted data key")
			if err != nil {
				return nil, nil, edkErr(i, err)
			}
			if j == 0 {
				if !utf8.Valid(v) {
					return nil, nil, edkErr(i, malformed("encrypted data key", fieldAt, "provider ID is not valid UTF-8"))
				}
				k.ProviderID = string(v)
				continue
			}
			*dst = v
		}
		h.EncryptedDataKeys = append(h.EncryptedDataKeys, k)
	}

	at = r.off
	if b, err = take(1, "content type"); err != nil {
		return nil, nil, err
	}
	h.ContentType = ContentType(b[0])
	if h.ContentType != Framed && h.ContentType != NonFramed {
		return nil, nil, malformed("content type", at, "unknown content type %d", b[0])
	}
	if h.Version == 1 {
		at = r.off
		if b, err = take(4, "reserved"); err != nil {
			return nil, nil, err
		}
		if !bytes.Equal(b, []byte{0, 0, 0, 0}) {
			return nil, nil, malformed("reserved", at, "reserved bytes are not zero")
		}
		at = r.off
		if b, err = take(1, "IV length"); err != nil {
			return nil, nil, err
		}
		if b[0] != algorithms.IVLen {
			return nil, nil, malformed("IV length", at, "IV length is %d, want 12", b[0])
		}
	}
	at = r.off
	if b, err = take(4, "frame length"); err != nil {
		return nil, nil, err
	}
	h.FrameLength = binary.BigEndian.Uint32(b)
	switch {
	case h.ContentType == Framed && h.FrameLength == 0:
		return nil, nil, malformed("frame length", at, "framed content with frame length 0")
	case h.ContentType == NonFramed && h.FrameLength != 0:
		return nil, nil, malformed("frame length", at, "non-framed content with frame length %d", h.FrameLength)
	case r.lim.MaxBodySize > 0 && int64(h.FrameLength) > r.lim.MaxBodySize:
		return nil, nil, r.fail("frame length", at, fmt.Errorf("%w: frame length %d, limit %d", ErrBodyTooLarge, h.FrameLength, r.lim.MaxBodySize))
	}
	if h.Version == 2 {
		if h.SuiteData, err = take(h.Suite.SuiteDataLen(), "algorithm suite data"); err != nil {
			return nil, nil, err
		}
	}
	if r.mem && !r.ownsSrc {
		// Keep a private copy, so that the header does not hold on to (or
		// change with) the caller's message buffer.
		own := bytes.Clone(raw)
		h.rebase(raw, own)
		raw = own
	}
	r.hdr = h
	return h, raw, nil
}

// rebase points the byte fields of h, parsed in place from raw, to the
// same bytes of own, a copy of raw. Each field's place follows from the
// header layout and the lengths of the fields before it.
func (h *Header) rebase(raw, own []byte) {
	at := 1 + 2 // version, suite ID
	if h.Version == 1 {
		at++ // type
	}
	move := func(p []byte) []byte {
		if len(p) > 0 && &raw[at] != &p[0] {
			panic("format: a header field is not where the layout puts it")
		}
		q := own[at : at+len(p) : at+len(p)]
		at += len(p)
		return q
	}
	h.MessageID = move(h.MessageID)
	at += 2 // encryption context length
	h.rawEC = move(h.rawEC)
	at += 2 // encrypted data key count
	for i := range h.EncryptedDataKeys {
		k := &h.EncryptedDataKeys[i]
		at += 2 + len(k.ProviderID) + 2
		k.ProviderInfo = move(k.ProviderInfo)
		at += 2
		k.Ciphertext = move(k.Ciphertext)
	}
	at += 1 // content type
	if h.Version == 1 {
		at += 4 + 1 // reserved, IV length
	}
	at += 4 // frame length
	if h.Version == 2 {
		h.SuiteData = move(h.SuiteData)
	}
	if at != len(raw) {
		panic("format: the header layout does not add up to its length")
	}
}

func (r *Reader) peek(n int) []byte {
	if r.mem {
		return r.src[r.off:min(int64(len(r.src)), r.off+int64(n))]
	}
	if r.st != nil {
		p, _ := r.st.Peek(n)
		return p
	}
	p, _ := r.br.Peek(n)
	return p
}

func looksBase64(p []byte) bool {
	return bytes.HasPrefix(p, []byte("AY")) || bytes.HasPrefix(p, []byte("AgR4")) || bytes.HasPrefix(p, []byte("AgV4"))
}

// ReadHeaderAuth reads the header authentication that follows the header.
func (r *Reader) ReadHeaderAuth() (HeaderAuth, error) {
	if r.hdr == nil {
		return HeaderAuth{}, errors.New("format: header not read yet")
	}
	n := algorithms.TagLen
	if r.hdr.Version == 1 {
		n += algorithms.IVLen
	}
	b, err := r.read(nil, n, "header authentication")
	if err != nil {
		return HeaderAuth{}, err
	}
	if r.hdr.Version == 1 {
		return HeaderAuth{IV: b[:algorithms.IVLen], Tag: b[algorithms.IVLen:]}, nil
	}
	return HeaderAuth{Tag: b}, nil
}

// Frame is one frame of a framed body, or a non-framed body (which is read
// as a single final frame with sequence number 1).
type Frame struct {
	Seq   uint32
	Final bool
	IV    []byte
	// Sealed is the encrypted content followed by the 16-byte tag.
	Sealed []byte
	// Raw is every byte of the frame as serialized; Seq, IV and Sealed
	// point into it. Reuse it as the next call's buffer.
	Raw []byte
}

// ContentLen is the length of the frame's plaintext.
func (f *Frame) ContentLen() int { return len(f.Sealed) - algorithms.TagLen }

// ReadFrame reads the next frame of a framed body into buf (grown as
// needed), checking sequence numbers and lengths. After the final frame it
// returns io.EOF. A Reader over a message in memory or a source read in
// place (see [NewReader]) ignores buf: the frame is a slice of the input.
func (r *Reader) ReadFrame(buf []byte) (Frame, error) {
	if r.hdr == nil || r.hdr.ContentType != Framed {
		return Frame{}, errors.New("format: ReadFrame needs a framed message")
	}
	if r.final {
		return Frame{}, io.EOF
	}
	at := r.off
	raw, err := r.more(buf[:0], 4, "frame sequence number")
	if err != nil {
		return Frame{}, err
	}
	f := Frame{}
	seq := binary.BigEndian.Uint32(raw)
	contentLen := int64(r.hdr.FrameLength)
	if seq == FinalFrameMarker {
		f.Final = true
		if raw, err = r.more(raw, 4+algorithms.IVLen+4, "final frame header"); err != nil {
			return Frame{}, err
		}
		seq = binary.BigEndian.Uint32(raw[4:])
		contentLen = int64(binary.BigEndian.Uint32(raw[4+4+algorithms.IVLen:]))
		if contentLen > int64(r.hdr.FrameLength) {
			return Frame{}, r.fail("final frame length", at+20, fmt.Errorf("%w: final frame content length %d exceeds frame length %d", ErrMalformed, contentLen, r.hdr.FrameLength))
		}
	} else if raw, err = r.more(raw, algorithms.IVLen, "frame IV"); err != nil {
		return Frame{}, err
	}
	if seq != r.nextSeq {
		return Frame{}, r.fail("frame sequence number", at, fmt.Errorf("%w: sequence number %d, want %d", ErrMalformed, seq, r.nextSeq))
	}
	hdrLen := len(raw)
	if raw, err = r.moreLong(raw, contentLen+algorithms.TagLen, "frame content"); err != nil {
		return Frame{}, err
	}
	f.Seq = seq
	f.IV = raw[hdrLen-algorithms.IVLen : hdrLen]
	if f.Final {
		f.IV = raw[8 : 8+algorithms.IVLen]
	}
	f.Sealed = raw[hdrLen:]
	f.Raw = raw
	r.done(raw)
	r.nextSeq++
	r.final = f.Final
	return f, nil
}

// ReadNonFramed reads a non-framed body into buf (grown as needed) and
// returns it as a final frame with sequence number 1. Like ReadFrame, it
// ignores buf when the input is read in place.
func (r *Reader) ReadNonFramed(buf []byte) (Frame, error) {
	if r.hdr == nil || r.hdr.ContentType != NonFramed {
		return Frame{}, errors.New("format: ReadNonFramed needs a non-framed message")
	}
	if r.final {
		return Frame{}, io.EOF
	}
	at := r.off
	raw, err := r.more(buf[:0], algorithms.IVLen+8, "non-framed body header")
	if err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint64(raw[algorithms.IVLen:])
	if n > MaxNonFramedLen {
		return Frame{}, r.fail("non-framed body length", at+algorithms.IVLen, fmt.Errorf("%w: body length %d exceeds the AES-GCM limit", ErrMalformed, n))
	}
	if r.lim.MaxBodySize > 0 && int64(n) > r.lim.MaxBodySize {
		return Frame{}, r.fail("non-framed body length", at+algorithms.IVLen, fmt.Errorf("%w: body length %d, limit %d", ErrBodyTooLarge, n, r.lim.MaxBodySize))
	}
	if raw, err = r.moreLong(raw, int64(n)+algorithms.TagLen, "non-framed body content"); err != nil {
		return Frame{}, err
	}
	r.done(raw)
	r.final = true
	return Frame{Seq: 1, Final: true, IV: raw[:algorithms.IVLen], Sealed: raw[algorithms.IVLen+8:], Raw: raw}, nil
}

// ReadFooter reads the signature footer and returns the signature.
func (r *Reader) ReadFooter() ([]byte, error) {
	b, err := r.read(nil, 2, "footer signature length")
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 {
		return nil, r.fail("footer signature length", r.off-2, fmt.Errorf("%w: empty signature", ErrMalformed))
	}
	return r.read(nil, n, "footer signature")
}

// ExpectEOF returns an error wrapping [ErrTrailingData] if any byte follows
// the message, or the underlying read error.
func (r *Reader) ExpectEOF() error {
	if r.mem {
		if r.off < int64(len(r.src)) {
			return r.fail("end of message", r.off, ErrTrailingData)
		}
		return nil
	}
	var err error
	if r.st != nil {
		var p []byte
		if p, err = r.st.Peek(1); len(p) > 0 {
			err = nil
		}
	} else {
		_, err = r.br.ReadByte()
	}
	switch err {
	case io.EOF:
		return nil
	case nil:
		return r.fail("end of message", r.off, ErrTrailingData)
	default:
		return r.fail("end of message", r.off, err)
	}
}
