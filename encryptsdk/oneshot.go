package encryptsdk

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/go-esdk/esdk/format"
)

// EncryptBytes encrypts plaintext into one message and returns it. In
// FIPS 140-only mode it returns [ErrFIPSEncrypt] at once.
func (c *Client) EncryptBytes(ctx context.Context, plaintext []byte, opts *EncryptOptions) ([]byte, error) {
	return c.AppendEncrypt(ctx, nil, plaintext, opts)
}

// AppendEncrypt encrypts plaintext and appends the message to dst, growing
// it at most once.
//
// dst may overlap plaintext, as in the [crypto/cipher.AEAD] idiom
// AppendEncrypt(ctx, buf[:0], buf[:n], opts): when the capacity past
// len(dst) overlaps plaintext, the message is written to a new buffer
// (with dst's contents copied first) and plaintext is left as it was,
// since the message is longer than the plaintext and its frames are
// sealed by several goroutines. In FIPS 140-only mode it returns
// [ErrFIPSEncrypt] at once.
func (c *Client) AppendEncrypt(ctx context.Context, dst, plaintext []byte, opts *EncryptOptions) ([]byte, error) {
	if fipsOnly() {
		return dst, ErrFIPSEncrypt
	}
	o := EncryptOptions{}
	if opts != nil {
		o = *opts
	}
	if o.PlaintextLength <= 0 {
		o.PlaintextLength = int64(len(plaintext))
	}
	m := &toMemory{out: appendWriter{b: dst}}
	if overlaps(dst[len(dst):cap(dst)], plaintext) {
		// Not even the header may be written over the plaintext.
		m.out.b = slices.Clip(slices.Clone(dst))
	}
	// The length is known, even when it is 0: an empty message may use
	// cached materials too. m.out is grown to the message's length before
	// the header is written.
	e, out := &m.e, &m.out
	if err := c.encrypt(ctx, e, out, &o, int64(len(plaintext))); err != nil {
		return dst, err
	}
	var err error
	if fl := int(e.hdr.FrameLength); !e.nonFramed {
		whole := len(plaintext) / fl * fl
		if out.b, err = e.sealer.AppendFrames(out.b, plaintext[:whole]); err != nil {
			return dst, sealErr(err)
		}
		if out.b, err = e.sealer.AppendFinal(out.b, plaintext[whole:]); err != nil {
			return dst, sealErr(err)
		}
		e.written += int64(len(plaintext))
	} else if _, err := e.Write(plaintext); err != nil {
		return dst, err
	}
	if err := e.Close(); err != nil {
		return dst, err
	}
	return out.b, nil
}

// toMemory is the encryption of a message into memory: an Encryptor and
// the buffer it writes to in one allocation.
type toMemory struct {
	e   Encryptor
	out appendWriter
}

// appendWriter appends what is written to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// reserve grows b, at most once, to hold n more bytes.
func (w *appendWriter) reserve(n int64) error {
	if n > int64(maxInt-len(w.b)) {
		return fmt.Errorf("encryptsdk: a %d-byte message does not fit in memory on this platform", n)
	}
	if cap(w.b)-len(w.b) < int(n) {
		grown := make([]byte, len(w.b), len(w.b)+int(n))
		copy(grown, w.b)
		w.b = grown
	}
	return nil
}

// DecryptBytes decrypts one whole message. Nothing is returned unless the
// whole message, including its signature, verified. The Decryptor gives
// access to the header and encryption context.
func (c *Client) DecryptBytes(ctx context.Context, message []byte, opts *DecryptOptions) ([]byte, *Decryptor, error) {
	return c.AppendDecrypt(ctx, nil, message, opts)
}

// AppendDecrypt decrypts one whole message and appends its plaintext to
// dst, growing it at most once. Frames are decrypted straight from message
// into dst, by several goroutines for large messages. On error dst is
// returned unchanged in length (and the bytes past it are zeroed).
//
// dst may overlap message, as in the [crypto/cipher.AEAD] idiom
// AppendDecrypt(ctx, msg[:0], msg, opts): when the capacity past len(dst)
// overlaps message, the plaintext is written to a new buffer (with dst's
// contents copied first) and message is left as it was, since frames are
// opened by several goroutines at once and one frame's plaintext could
// overwrite another's ciphertext before it is read.
func (c *Client) AppendDecrypt(ctx context.Context, dst, message []byte, opts *DecryptOptions) ([]byte, *Decryptor, error) {
	if opts == nil {
		opts = &DecryptOptions{}
	}
	m := &inMemory{r: *format.NewBytesReader(message, c.limits(opts))}
	d := &m.d
	d.mr = &m.r
	if err := c.decrypt(ctx, d, opts); err != nil {
		return dst, nil, err
	}
	bodyLen := len(message) - int(d.mr.Offset())
	need := d.hdr.MaxPlaintextLen(bodyLen)
	if cap(dst)-len(dst) < need || overlaps(dst[len(dst):cap(dst)], message) {
		grown := make([]byte, len(dst), len(dst)+need)
		copy(grown, dst)
		dst = grown
	}
	d.op.Init(&d.cipher, d.mr, nil, true, (*finisher)(d), d.config())
	out, err := d.op.AppendAll(dst, bodyLen)
	if err != nil {
		return out, nil, openErr(err)
	}
	d.err = io.EOF
	return out, d, nil
}

// inMemory is the decryption of a message in memory: a Decryptor and the
// reader of its message in one allocation.
type inMemory struct {
	d Decryptor
	r format.Reader
}

const maxInt = math.MaxInt

// overlaps reports whether a and b share any byte of memory.
func overlaps(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return a0 < b0+uintptr(len(b)) && b0 < a0+uintptr(len(a))
}
