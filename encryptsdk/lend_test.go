package encryptsdk_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
)

// plainWriter is a writer with no ReadFrom or AvailableBuffer, so that
// the Decryptor writes each frame's plaintext to it from its own buffer.
type plainWriter struct{ b bytes.Buffer }

func (w *plainWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

// memorySources are sources in memory over ct: a bytes.Reader's and a
// bytes.Buffer's WriteTo give the Decryptor their bytes to read frames
// from in place; a strings.Reader is read through its Read.
var memorySources = []struct {
	name string
	open func(ct []byte) io.Reader
}{
	{"bytes.Reader", func(ct []byte) io.Reader { return bytes.NewReader(ct) }},
	{"bytes.Buffer", func(ct []byte) io.Reader { return bytes.NewBuffer(ct) }},
	{"strings.Reader", func(ct []byte) io.Reader { return strings.NewReader(string(ct)) }},
}

// TestWriteToFromMemory: io.Copy from a Decryptor whose source is in
// memory (frames read in place from the source's bytes) into a
// bytes.Buffer (frames opened into its free space) or another writer
// writes exactly the plaintext, after what the buffer held, reports its
// length, consumes the whole source and never writes to it; after a
// Read, the rest.
func TestWriteToFromMemory(t *testing.T) {
	kr := mustAES(t, "ns", "lend", testKey(32, 5))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		c := clientFor(kr, suite(t, id))
		for _, fl := range []int64{100, 4096} {
			for _, size := range []int{0, 4096, 4097, 200<<10 + 5} {
				pt := plaintext(size, int64(size))
				ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id, FrameLength: fl})
				if err != nil {
					t.Fatal(err)
				}
				for _, src := range memorySources {
					for _, workers := range []int{1, 2} {
						for _, readFirst := range []int{0, 1} {
							for _, toBuffer := range []bool{true, false} {
								name := fmt.Sprintf("%s, frame %d, %d bytes, %s, %d workers, %d read first, to a bytes.Buffer %v",
									hexID(id), fl, size, src.name, workers, readFirst, toBuffer)
								c.Concurrency = workers
								msg := bytes.Clone(ct)
								r := src.open(msg)
								d, err := c.Decrypt(bg, r, nil)
								if err != nil {
									t.Fatalf("%s: %v", name, err)
								}
								first := make([]byte, readFirst)
								if _, err := io.ReadFull(d, first); err != nil && size > 0 {
									t.Fatalf("%s: Read: %v", name, err)
								}
								var out bytes.Buffer
								var pw plainWriter
								var w io.Writer = &out
								if !toBuffer {
									w = &pw
								}
								w.Write([]byte("kept"))
								n, err := io.Copy(w, d)
								got := append(out.Bytes(), pw.b.Bytes()...)
								rest := pt[min(readFirst, size):]
								if err != nil || n != int64(len(rest)) || !bytes.Equal(got, append([]byte("kept"), rest...)) {
									t.Fatalf("%s: io.Copy wrote %d bytes (%d expected): %v", name, n, len(rest), err)
								}
								if left := r.(interface{ Len() int }).Len(); left != 0 {
									t.Fatalf("%s: %d bytes of the source left unread", name, left)
								}
								if !bytes.Equal(msg, ct) {
									t.Fatalf("%s: the source's bytes were written", name)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestWriteToFromMemoryFailures: a tampered frame read in place from a
// source in memory stops io.Copy at that frame, with exactly the frames
// before it written and nothing of it left in a bytes.Buffer's free
// space; so do a cut and trailing bytes; a failing writer's error is
// returned. The source's bytes are never written.
func TestWriteToFromMemoryFailures(t *testing.T) {
	const fl = 4096
	id := algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
	c := clientFor(mustAES(t, "ns", "lend", testKey(32, 6)), suite(t, id))
	c.Concurrency = 1
	pt := plaintext(50*fl+9, 1) // 50 regular frames and a final one
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id, FrameLength: fl})
	if err != nil {
		t.Fatal(err)
	}
	l := messageLayout(t, c, ct)
	for _, k := range []int{0, 20, 49, 50} { // frame k+1 is tampered
		bad := bytes.Clone(ct)
		bad[l.frames[k].ctAt+7] ^= 2
		for _, src := range memorySources {
			for _, toBuffer := range []bool{true, false} {
				name := fmt.Sprintf("frame %d tampered, %s, to a bytes.Buffer %v", k+1, src.name, toBuffer)
				msg := bytes.Clone(bad)
				d, err := c.Decrypt(bg, src.open(msg), nil)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				var pw plainWriter
				var w io.Writer = &out
				if !toBuffer {
					w = &pw
				}
				n, err := io.Copy(w, d)
				got := append(out.Bytes(), pw.b.Bytes()...)
				if !errors.Is(err, encryptsdk.ErrFrameAuthentication) || n != int64(k*fl) || !bytes.Equal(got, pt[:k*fl]) {
					t.Fatalf("%s: io.Copy wrote %d bytes (want %d): %v", name, n, k*fl, err)
				}
				spare := out.AvailableBuffer()
				if tail := pt[k*fl : min(len(pt), k*fl+fl)]; len(tail) > 64 && bytes.Contains(spare[:cap(spare)], tail[:64]) {
					t.Fatalf("%s: the tampered frame's plaintext is in the buffer's free space", name)
				}
				if !bytes.Equal(msg, bad) {
					t.Fatalf("%s: the source's bytes were written", name)
				}
				if _, err := d.Read(make([]byte, 10)); !errors.Is(err, encryptsdk.ErrFrameAuthentication) {
					t.Fatalf("%s: a Read after the failure returned %v", name, err)
				}
			}
		}
	}
	// Cut in frame 31, or followed by a byte: the frames before the cut,
	// or the regular frames, are written, then the error.
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
		n    int
	}{
		{"cut in frame 31", ct[:l.frames[30].start+100], encryptsdk.ErrTruncated, 30 * fl},
		{"cut after frame 50", ct[:l.frames[50].start], encryptsdk.ErrTruncated, 50 * fl},
		{"a byte after the message", append(bytes.Clone(ct), 0), encryptsdk.ErrTrailingData, 50 * fl},
	} {
		for _, src := range memorySources {
			d, err := c.Decrypt(bg, src.open(bytes.Clone(tc.msg)), nil)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			n, err := io.Copy(&out, d)
			if !errors.Is(err, tc.want) || n != int64(tc.n) || !bytes.Equal(out.Bytes(), pt[:tc.n]) {
				t.Fatalf("%s, %s: io.Copy wrote %d bytes (want %d): %v", tc.name, src.name, n, tc.n, err)
			}
		}
	}
	errWrite := errors.New("disk full")
	for _, src := range memorySources {
		msg := bytes.Clone(ct)
		d, err := c.Decrypt(bg, src.open(msg), nil)
		if err != nil {
			t.Fatal(err)
		}
		w := &limitWriter{n: 3 * fl, err: errWrite}
		n, err := io.Copy(w, d)
		if err != errWrite || n != 3*fl || !bytes.Equal(w.got, pt[:3*fl]) {
			t.Fatalf("%s: failing writer: io.Copy wrote %d bytes: %v", src.name, n, err)
		}
		if !bytes.Equal(msg, ct) {
			t.Fatalf("%s: failing writer: the source's bytes were written", src.name)
		}
		// The stream has ended (frames read in place), or goes on where the
		// writer stopped (frames copied in).
		p := make([]byte, 10)
		if k, err := d.Read(p); err == nil && !bytes.Equal(p[:k], pt[3*fl:3*fl+k]) || err != nil && k != 0 {
			t.Fatalf("%s: a Read after the failing write returned %d bytes, %v", src.name, k, err)
		}
	}
}

// TestWriteToFromMemoryBounded: decrypting a 4 MiB message from memory
// with io.Copy allocates a small fraction of it, whatever the source:
// bytes are lent without a copy, or read through the stream's pooled
// buffers (a strings.Reader's WriteTo would copy the whole message).
func TestWriteToFromMemoryBounded(t *testing.T) {
	id := algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
	c := clientFor(mustAES(t, "ns", "lend", testKey(32, 7)), suite(t, id))
	c.Concurrency = 1
	pt := plaintext(4<<20, 2)
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{Suite: id, FrameLength: 4096})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range memorySources {
		r := src.open(ct)
		d, err := c.Decrypt(bg, r, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		alloc := allocated(func() { n, err = io.Copy(io.Discard, d) })
		if err != nil || n != int64(len(pt)) {
			t.Fatalf("%s: io.Copy wrote %d bytes: %v", src.name, n, err)
		}
		if alloc > 512<<10 {
			t.Fatalf("%s: decrypting 4 MiB allocated %d bytes", src.name, alloc)
		}
	}
}

// TestWriteToFromMemoryHugeFrame: a message that declares frames of 2^32-1
// bytes and ends 2 MiB into the first, decrypted with io.Copy from memory
// into a bytes.Buffer, fails as truncated without growing the buffer (the
// destination makes room only for a frame that is wholly there) and
// allocates no more than reading the same bytes through an io.Reader.
func TestWriteToFromMemoryHugeFrame(t *testing.T) {
	f := newForger(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	h, aead := f.header(t, format.Framed, 1<<32-1)
	raw, _ := h.AppendBinary(nil)
	msg := sealHeader(raw, h.Version, aead, nil)
	msg = binary.BigEndian.AppendUint32(msg, 1)
	msg = append(msg, make([]byte, algorithms.IVLen+2<<20)...)
	f.client.Concurrency = 1
	read := allocated(func() {
		d, err := f.client.Decrypt(bg, struct{ io.Reader }{bytes.NewReader(msg)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, d)
	})
	for _, src := range memorySources {
		d, err := f.client.Decrypt(bg, src.open(msg), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		var n int64
		alloc := allocated(func() { n, err = io.Copy(&out, d) })
		if !errors.Is(err, encryptsdk.ErrTruncated) || n != 0 {
			t.Fatalf("%s: io.Copy wrote %d bytes: %v", src.name, n, err)
		}
		if out.Cap() > 64<<10 || alloc > read+read/2 {
			t.Fatalf("%s: the buffer grew to %d bytes, %d bytes allocated (%d through an io.Reader)", src.name, out.Cap(), alloc, read)
		}
	}
}
