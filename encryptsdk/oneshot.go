package encryptsdk

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
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
	var out appendWriter
	out.b = dst
	if overlaps(dst[len(dst):cap(dst)], plaintext) {
		// Not even the header may be written over the plaintext.
		out.b = slices.Clip(slices.Clone(dst))
	}
	e, err := c.Encrypt(ctx, &out, &o)
	if err != nil {
		return dst, err
	}
	need64 := e.MessageLength(int64(len(plaintext)))
	if need64 > int64(maxInt-len(dst)) {
		return dst, fmt.Errorf("encryptsdk: a %d-byte message does not fit in memory on this platform", need64)
	}
	if need := int(need64); cap(out.b)-len(dst) < need {
		grown := make([]byte, len(out.b), len(dst)+need)
		copy(grown, out.b)
		out.b = grown
	}
	rest := plaintext
	if !e.nonFramed {
		whole := len(plaintext) / e.frameLen * e.frameLen
		if out.b, err = e.appendFrames(out.b, plaintext[:whole]); err != nil {
			return dst, err
		}
		rest = plaintext[whole:]
	}
	if _, err := e.Write(rest); err != nil {
		return dst, err
	}
	if err := e.Close(); err != nil {
		return dst, err
	}
	return out.b, nil
}

type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// oneShotHasherMin is the body length from which a signed one-shot
// decryption hashes on a goroutine of its own: below it, handing frames
// to another goroutine costs more than hashing them.
const oneShotHasherMin = 1 << 20

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
	d, err := c.decrypt(ctx, format.NewBytesReader(message, c.limits(opts)), opts)
	if err != nil {
		return dst, nil, err
	}
	start := len(dst)
	// The plaintext is shorter than the body that follows the header.
	need := len(message) - int(d.mr.Offset())
	if d.hdr.ContentType == format.Framed {
		// Batches no larger than the message.
		d.frameCap = need/frameLenInt(d.hdr) + 1
	}
	if d.verifier != nil && d.workers > 1 && need >= oneShotHasherMin {
		// Frames are hashed on a goroutine of their own while the
		// caller's goroutine locates the next ones and helps open them.
		d.startHasher()
		defer d.hashes.close()
	}
	d.local = true
	// Sequential signed: the caller's goroutine hashes each frame as it
	// locates it.
	hashInline := d.verifier != nil && d.hashes == nil
	if cap(dst)-len(dst) < need || overlaps(dst[len(dst):cap(dst)], message) {
		grown := make([]byte, len(dst), len(dst)+need)
		copy(grown, dst)
		dst = grown
	}
	// A window of batches: while the oldest are opened, the frames of the
	// next are located (and, for signed suites, hashed).
	var window []*frame.Batch
	fail := func(err error) ([]byte, *Decryptor, error) {
		for _, b := range window {
			if d.hashes != nil {
				b.AwaitReady()
			}
			b.Wait(&d.scratch)
		}
		clear(dst[start:cap(dst)])
		return dst[:start], nil, err
	}
	single := d.hdr.ContentType == format.NonFramed
	for final := false; !final || len(window) > 0; {
		if !final && (len(d.free) > 0 || d.batches < d.depth) {
			b := d.batch()
			b.Reset()
			b.SetSingle(single)
			for i := 0; i < b.Cap() && !final; i++ {
				var f format.Frame
				if single {
					f, err = d.mr.ReadNonFramed(nil)
				} else {
					f, err = d.mr.ReadFrame(nil)
				}
				if err != nil {
					return fail(err)
				}
				if hashInline {
					d.verifier.Write(f.Raw)
				}
				n := f.ContentLen()
				b.AddTo(f, dst[len(dst):len(dst)+n])
				dst = dst[:len(dst)+n]
				final = f.Final
			}
			if d.hashes != nil {
				b.UseReady()
				d.hashes.q <- b // the hashing goroutine starts it
			} else {
				b.Start(helpers(d.workers))
			}
			window = append(window, b)
			continue
		}
		b := window[0]
		window = window[1:]
		if d.hashes != nil {
			b.AwaitReady()
		}
		b.Wait(&d.scratch)
		d.free = append(d.free, b)
		if err := b.Err(); err != nil {
			return fail(err)
		}
		for i := range b.Len() {
			if _, err := b.Result(i); err != nil {
				return fail(fmt.Errorf("encryptsdk: frame %d: %w", b.Frame(i).Seq, err))
			}
		}
	}
	if err := d.finish(); err != nil {
		return fail(err)
	}
	d.err = io.EOF
	return dst, d, nil
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
