package encryptsdk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
	"github.com/go-esdk/esdk/internal/wire"
	"github.com/go-esdk/esdk/materials"
)

// Errors of random-access decryption, for use with errors.Is.
var (
	// ErrSignatureNotVerified: random access was asked of a signed message
	// without RandomAccessOptions.SkipSignatureVerification. It also
	// matches [ErrSignedMessage].
	ErrSignatureNotVerified = errors.New("encryptsdk: random access cannot verify the signature of a signed message; set RandomAccessOptions.SkipSignatureVerification to accept that")
	// ErrNotFramed: random access was asked of a non-framed message.
	ErrNotFramed = errors.New("encryptsdk: random access needs a framed message; this message is non-framed")
	// ErrMessageSize: the size given for the message does not agree with
	// its layout (the message was truncated, extended, or the size is
	// wrong).
	ErrMessageSize = errors.New("encryptsdk: message size does not match its frames")
)

// RandomAccessOptions are the settings of [Client.OpenReaderAt].
type RandomAccessOptions struct {
	// DecryptOptions are applied as by Decrypt (encryption context,
	// MaxBodySize, UnsignedOnly, NetV400Retry); BufferUntilVerified has no
	// effect.
	DecryptOptions
	// SkipSignatureVerification allows random access to a message of a
	// signed suite. The signature covers the whole message and is NOT
	// checked: each frame released is authenticated by its tag (so it was
	// made by a holder of the data key, at that position, in that
	// message), but anyone who can decrypt the message could have made it
	// — the guarantee a signed suite exists to add is lost. Use it only
	// when readers of the message are trusted not to forge it.
	SkipSignatureVerification bool
	// CacheFrames is how many opened frames are kept for later reads; 0
	// means 8, negative means none.
	CacheFrames int
}

// RandomAccessReader reads the plaintext of a framed message at any offset:
// it implements [io.ReaderAt], [io.Reader] and [io.Seeker]. Each read
// fetches and opens only the frames it covers; a read of many frames opens
// them in parallel.
//
// # Release of plaintext
//
// A frame's plaintext is returned only after its tag has verified; the tag
// binds the frame to the message ID, its sequence number and (for the final
// frame) its length, so moved, swapped, dropped or altered frames are
// refused when read. The final frame is opened, and the message size
// checked against it, when the reader is opened, so truncation and
// extension are refused then. For signed suites (only with
// [RandomAccessOptions.SkipSignatureVerification]) the signature is never
// verified.
//
// ReadAt may be called from several goroutines at once; Read and Seek
// share one offset and are not safe for concurrent use.
type RandomAccessReader struct {
	src      io.ReaderAt
	hdr      *format.Header
	auth     format.HeaderAuth
	suite    algorithms.Suite
	ec       materials.EncryptionContext
	dataKey  materials.EncryptedDataKey
	cipher   *frame.Cipher
	workers  int
	batchMax int   // frames opened as one batch
	bodyOff  int64 // offset of frame 1
	frameLen int64 // plaintext length of a regular frame
	regular  int64 // number of regular frames
	lastLen  int64 // plaintext length of the final frame
	size     int64 // plaintext length
	pos      int64 // offset of Read and Seek
	cacheMax int   // frames kept in cache
	mu       sync.Mutex
	cache    []cachedFrame // most recently used last
}

type cachedFrame struct {
	seq uint32
	pt  []byte
}

// OpenReaderAt reads and authenticates the header of the message held in
// the first size bytes of r, obtains the data key (with the same
// materials, commitment policy and encryption-context rules as
// [Client.Decrypt]), checks the size against the message's final frame and
// returns a reader of its plaintext. Only the header and the final frame
// are read here.
//
// Non-framed messages are refused with [ErrNotFramed]; signed messages
// with [ErrSignatureNotVerified] unless opts.SkipSignatureVerification is
// set. A size that disagrees with the message is [ErrMessageSize].
func (c *Client) OpenReaderAt(ctx context.Context, r io.ReaderAt, size int64, opts *RandomAccessOptions) (*RandomAccessReader, error) {
	if opts == nil {
		opts = &RandomAccessOptions{}
	}
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size %d", ErrMessageSize, size)
	}
	dopts := opts.DecryptOptions
	dopts.BufferUntilVerified = false
	dopts.UnsignedOnly = dopts.UnsignedOnly || !opts.SkipSignatureVerification
	// Read in small pieces so that opening reads little more than the
	// header, whatever the read-ahead of the format reader.
	in := frame.NewInput(&chunkReader{r: io.NewSectionReader(r, 0, size), max: 1024}, false)
	d := &Decryptor{mr: format.NewReader(in, c.limits(&dopts))}
	err := c.decrypt(ctx, d, &dopts)
	in.Close() // nothing is read after the header
	if err != nil {
		if errors.Is(err, ErrSignedMessage) && !opts.UnsignedOnly {
			return nil, fmt.Errorf("%w: %w", ErrSignatureNotVerified, err)
		}
		return nil, err
	}
	if d.hdr.ContentType != format.Framed {
		return nil, ErrNotFramed
	}
	ra := &RandomAccessReader{
		src: r, hdr: d.hdr, auth: d.auth, suite: d.suite, ec: d.ec, dataKey: d.dataKey,
		cipher: &d.cipher, workers: c.workers(), bodyOff: d.mr.Offset(),
		frameLen: int64(d.hdr.FrameLength), cacheMax: opts.CacheFrames,
	}
	ra.batchMax = frame.BatchFrames(frameLenInt(d.hdr), ra.workers)
	if ra.cacheMax == 0 {
		ra.cacheMax = 8
	}
	if err := ra.layout(size); err != nil {
		return nil, err
	}
	return ra, nil
}

// layout works out the frame count and final frame length from the
// message size, checks them against the final frame's header, and opens
// the final frame.
func (ra *RandomAccessReader) layout(size int64) error {
	body := size - ra.bodyOff
	if !ra.suite.Signed() {
		if err := ra.tryBody(body); err != nil {
			return err
		}
		return ra.openFinal()
	}
	// The footer is a 2-byte length then the signature; find a length that
	// puts the final frame where its header says it is.
	const maxFooter = 2 + 512
	n := min(body, maxFooter)
	if n < 3 {
		return fmt.Errorf("%w: %d bytes after the header leave no room for a body and footer", ErrMessageSize, body)
	}
	tail := make([]byte, n)
	if err := ra.readFull(tail, size-n); err != nil {
		return err
	}
	var firstErr error
	for sig := int64(1); sig+2 <= n; sig++ {
		at := n - sig - 2
		if int64(binary.BigEndian.Uint16(tail[at:])) != sig {
			continue
		}
		err := ra.tryBody(body - sig - 2)
		if err == nil {
			return ra.openFinal()
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: no signature footer ends the message", ErrMessageSize)
	}
	return firstErr
}

// tryBody sets the layout for a body of the given length and checks the
// final frame's header against it.
func (ra *RandomAccessReader) tryBody(body int64) error {
	const fh = wire.FinalFrameHeaderLen + algorithms.TagLen
	if body < fh {
		return fmt.Errorf("%w: %d body bytes cannot hold a final frame", ErrMessageSize, body)
	}
	slot := wire.RegularFrameHeaderLen + ra.frameLen + algorithms.TagLen
	k := (body - fh) / slot
	last := body - fh - k*slot
	if last > ra.frameLen {
		return fmt.Errorf("%w: %d body bytes are not whole frames of length %d", ErrMessageSize, body, ra.frameLen)
	}
	if k >= format.FinalFrameMarker-1 {
		return fmt.Errorf("%w: %d frames is more than a message may have", ErrMessageSize, k+1)
	}
	var h [wire.FinalFrameHeaderLen]byte
	at := ra.bodyOff + k*slot
	if err := ra.readFull(h[:], at); err != nil {
		return err
	}
	seq := binary.BigEndian.Uint32(h[4:])
	got := int64(binary.BigEndian.Uint32(h[wire.FinalFrameHeaderLen-4:]))
	switch {
	case binary.BigEndian.Uint32(h[:]) != format.FinalFrameMarker:
		return fmt.Errorf("%w: no final frame at byte %d", ErrMessageSize, at)
	case int64(seq) != k+1:
		return fmt.Errorf("%w: final frame at byte %d has sequence number %d, the size implies %d", ErrMessageSize, at, seq, k+1)
	case got != last:
		return fmt.Errorf("%w: final frame at byte %d has length %d, the size implies %d", ErrMessageSize, at, got, last)
	}
	ra.regular, ra.lastLen = k, last
	ra.size = k*ra.frameLen + last
	return nil
}

// openFinal opens the final frame, so that a final frame whose header was
// forged to match a wrong size is refused at open time.
func (ra *RandomAccessReader) openFinal() error {
	pt, err := ra.openOne(uint32(ra.regular + 1))
	if err != nil {
		return err
	}
	ra.put(uint32(ra.regular+1), pt)
	return nil
}

// frameSpan is the offset and length of frame seq.
func (ra *RandomAccessReader) frameSpan(seq uint32) (int64, int64) {
	slot := wire.RegularFrameHeaderLen + ra.frameLen + algorithms.TagLen
	off := ra.bodyOff + int64(seq-1)*slot
	if int64(seq) > ra.regular {
		return off, wire.FinalFrameHeaderLen + ra.lastLen + algorithms.TagLen
	}
	return off, slot
}

// readFrame reads frame seq into buf (grown as needed) and parses it.
func (ra *RandomAccessReader) readFrame(seq uint32, buf []byte) (format.Frame, error) {
	off, n := ra.frameSpan(seq)
	if n > int64(maxInt) {
		return format.Frame{}, &format.ParseError{Field: "frame content", Offset: off, Err: fmt.Errorf("%w: a %d-byte frame does not fit in memory on this platform", ErrBodyTooLarge, n)}
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	raw := buf[:n]
	if err := ra.readFull(raw, off); err != nil {
		return format.Frame{}, err
	}
	f := format.Frame{Seq: seq, Raw: raw}
	stored := binary.BigEndian.Uint32(raw)
	if int64(seq) > ra.regular {
		f.Final = true
		f.IV = raw[8 : 8+algorithms.IVLen]
		f.Sealed = raw[wire.FinalFrameHeaderLen:]
		if stored != format.FinalFrameMarker {
			return format.Frame{}, &format.ParseError{Field: "final frame marker", Offset: off, Err: fmt.Errorf("%w: frame %d is not marked final", format.ErrMalformed, seq)}
		}
		stored = binary.BigEndian.Uint32(raw[4:])
	} else {
		f.IV = raw[4:wire.RegularFrameHeaderLen]
		f.Sealed = raw[wire.RegularFrameHeaderLen:]
	}
	if stored != seq {
		return format.Frame{}, &format.ParseError{Field: "frame sequence number", Offset: off, Err: fmt.Errorf("%w: sequence number %d, want %d", format.ErrMalformed, stored, seq)}
	}
	return f, nil
}

// openOne reads and opens frame seq.
func (ra *RandomAccessReader) openOne(seq uint32) ([]byte, error) {
	f, err := ra.readFrame(seq, nil)
	if err != nil {
		return nil, err
	}
	var s frame.Scratch
	pt, err := ra.cipher.Open(&s, &f, false)
	if err != nil {
		return nil, fmt.Errorf("encryptsdk: frame %d: %w", seq, err)
	}
	return pt, nil
}

func (ra *RandomAccessReader) readFull(p []byte, off int64) error {
	n, err := ra.src.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		err = format.ErrTruncated
	}
	return &format.ParseError{Field: "message", Offset: off + int64(n), Err: err}
}

// cached reports whether frame seq is in the cache.
func (ra *RandomAccessReader) cached(seq uint32) bool {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	for _, c := range ra.cache {
		if c.seq == seq {
			return true
		}
	}
	return false
}

// copyCached copies the plaintext of frame seq from index from into dst,
// if the frame is cached, and marks it most recently used.
func (ra *RandomAccessReader) copyCached(seq uint32, dst []byte, from int64) (int, bool) {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	for i, c := range ra.cache {
		if c.seq == seq {
			ra.cache = append(append(ra.cache[:i:i], ra.cache[i+1:]...), c)
			return copy(dst, c.pt[from:]), true
		}
	}
	return 0, false
}

// put caches a frame's plaintext, dropping the least recently used.
func (ra *RandomAccessReader) put(seq uint32, pt []byte) {
	if ra.cacheMax <= 0 {
		return
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	for _, c := range ra.cache {
		if c.seq == seq {
			return
		}
	}
	if len(ra.cache) >= ra.cacheMax {
		ra.cache = append(ra.cache[:0], ra.cache[1:]...)
	}
	ra.cache = append(ra.cache, cachedFrame{seq, pt})
}

// ReadAt implements [io.ReaderAt]: it fills p with the plaintext at off,
// returning io.EOF when the plaintext ends before p is full.
func (ra *RandomAccessReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("encryptsdk: ReadAt at negative offset %d", off)
	}
	if off >= ra.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := p
	if rem := ra.size - off; int64(len(want)) > rem {
		want = want[:rem]
	}
	if len(want) == 0 {
		return 0, nil
	}
	first := uint32(off/ra.frameLen) + 1
	last := uint32((off+int64(len(want))-1)/ra.frameLen) + 1
	n := 0
	for seq := first; seq <= last; {
		c, ok := ra.copyCached(seq, want[n:], ra.inFrame(off+int64(n), seq))
		if !ok {
			// Open the run of uncached frames from here in one batch.
			end := seq
			for end < last && end-seq < 255 && !ra.cached(end+1) {
				end++
			}
			if err := ra.openRun(seq, end, want, off, &n); err != nil {
				return n, err
			}
			seq = end + 1
			continue
		}
		n += c
		seq++
	}
	if len(want) < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// inFrame is the index in frame seq of plaintext offset off.
func (ra *RandomAccessReader) inFrame(off int64, seq uint32) int64 {
	return off - int64(seq-1)*ra.frameLen
}

// openRun opens frames first to last (at most a batch) and copies their
// plaintext into want, which starts at plaintext offset off and of which
// *n bytes are filled. Several frames are opened by the shared worker pool.
func (ra *RandomAccessReader) openRun(first, last uint32, want []byte, off int64, n *int) error {
	count := int(last-first) + 1
	if count == 1 {
		pt, err := ra.openOne(first)
		if err != nil {
			return err
		}
		*n += copy(want[*n:], pt[ra.inFrame(off+int64(*n), first):])
		ra.put(first, pt)
		return nil
	}
	frames := make([]format.Frame, count)
	for i := range count {
		f, err := ra.readFrame(first+uint32(i), nil)
		if err != nil {
			return err
		}
		frames[i] = f
	}
	pts, err := ra.cipher.OpenFrames(frames, ra.workers)
	if err != nil {
		return openErr(err)
	}
	for i, pt := range pts {
		seq := first + uint32(i)
		*n += copy(want[*n:], pt[ra.inFrame(off+int64(*n), seq):])
		if i == 0 || i == count-1 {
			// The ends of a range are the frames a neighbouring read needs.
			ra.put(seq, pt)
		}
	}
	return nil
}

// Read implements [io.Reader], reading from the offset set by Seek.
func (ra *RandomAccessReader) Read(p []byte) (int, error) {
	if ra.pos >= ra.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n, err := ra.ReadAt(p, ra.pos)
	ra.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Seek implements [io.Seeker] over the plaintext.
func (ra *RandomAccessReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = ra.pos + offset
	case io.SeekEnd:
		abs = ra.size + offset
	default:
		return 0, fmt.Errorf("encryptsdk: Seek: invalid whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("encryptsdk: Seek to negative offset %d", abs)
	}
	ra.pos = abs
	return abs, nil
}

// Size returns the length of the plaintext.
func (ra *RandomAccessReader) Size() int64 { return ra.size }

// Header returns the authenticated message header.
func (ra *RandomAccessReader) Header() *format.Header { return ra.hdr }

// HeaderAuth returns the message's header authentication (IV and tag).
func (ra *RandomAccessReader) HeaderAuth() format.HeaderAuth { return ra.auth }

// Suite returns the message's algorithm suite.
func (ra *RandomAccessReader) Suite() algorithms.Suite { return ra.suite }

// EncryptionContext returns the message's authenticated encryption
// context, as [Decryptor.EncryptionContext] does.
func (ra *RandomAccessReader) EncryptionContext() materials.EncryptionContext { return ra.ec.Clone() }

// DataKey returns the encrypted data key that the keyring decrypted.
func (ra *RandomAccessReader) DataKey() materials.EncryptedDataKey { return ra.dataKey }

// chunkReader returns at most max bytes per Read, so that a buffered
// reader on top of it reads ahead no more than that.
type chunkReader struct {
	r   io.Reader
	max int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.max {
		p = p[:c.max]
	}
	return c.r.Read(p)
}
