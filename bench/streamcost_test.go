package bench

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"io"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// BenchmarkOursStreamSizes measures our streaming API at every size
// (suite 0x0478, default concurrency) as a consumer of io.Readers and
// io.Writers drives it: Encrypt with io.Copy from a bytes.Reader into a
// bytes.Buffer, Decrypt with io.Copy from a bytes.Reader into a
// bytes.Buffer (both buffers reused from op to op). The matching one-shot
// rows are BenchmarkOurs/.../0478/SIZE.
func BenchmarkOursStreamSizes(b *testing.B) {
	ctx := context.Background()
	o := newOurs(b, suites[1])
	for _, op := range []string{"Encrypt", "Decrypt"} {
		b.Run(op, func(b *testing.B) {
			b.Run("0478", func(b *testing.B) {
				for _, sz := range sizes {
					b.Run(sz.name, func(b *testing.B) {
						pt := plaintext(sz.n)
						ct, err := o.encrypt(pt, nil)
						if err != nil {
							b.Fatal(err)
						}
						var r bytes.Reader
						var out bytes.Buffer
						b.SetBytes(int64(sz.n))
						b.ReportAllocs()
						for b.Loop() {
							out.Reset()
							if op == "Encrypt" {
								r.Reset(pt)
								e, err := o.c.Encrypt(ctx, &out, o.opts)
								if err != nil {
									b.Fatal(err)
								}
								if _, err := io.Copy(e, &r); err != nil {
									b.Fatal(err)
								}
								if err := e.Close(); err != nil {
									b.Fatal(err)
								}
								continue
							}
							r.Reset(ct)
							d, err := o.c.Decrypt(ctx, &r, nil)
							if err != nil {
								b.Fatal(err)
							}
							if n, err := io.Copy(&out, d); err != nil || n != int64(sz.n) {
								b.Fatalf("decrypted %d bytes (%v), want %d", n, err, sz.n)
							}
						}
					})
				}
			})
		})
	}
}

// tinkKeyTemplate is the Tink streaming AEAD the table compares with:
// AES256_GCM_HKDF_4KB (4 KiB segments, the frame length of our rows).
const tinkTemplateName = "AES256_GCM_HKDF_4KB"

func newTink(tb testing.TB) tink.StreamingAEAD {
	tb.Helper()
	h, err := keyset.NewHandle(streamingaead.AES256GCMHKDF4KBKeyTemplate())
	if err != nil {
		tb.Fatal(err)
	}
	a, err := streamingaead.New(h)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// BenchmarkTink measures Tink's streaming AEAD (AES256_GCM_HKDF_4KB),
// driven as our streaming rows are: the encrypting writer fed by io.Copy
// from a bytes.Reader into a reused bytes.Buffer, the decrypting reader
// drained by io.Copy into a reused bytes.Buffer. Each encryption starts a
// new stream (a new salt and nonce prefix, a new HKDF derivation), each
// decryption re-derives the key, as each of our messages does.
func BenchmarkTink(b *testing.B) {
	a := newTink(b)
	aad := []byte("esdk-bench")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		b.Run(op, func(b *testing.B) {
			b.Run(tinkTemplateName, func(b *testing.B) {
				for _, sz := range sizes {
					b.Run(sz.name, func(b *testing.B) {
						pt := plaintext(sz.n)
						var msg bytes.Buffer
						w, err := a.NewEncryptingWriter(&msg, aad)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := w.Write(pt); err != nil {
							b.Fatal(err)
						}
						if err := w.Close(); err != nil {
							b.Fatal(err)
						}
						ct := msg.Bytes()
						var r bytes.Reader
						var out bytes.Buffer
						b.SetBytes(int64(sz.n))
						b.ReportAllocs()
						for b.Loop() {
							out.Reset()
							if op == "Encrypt" {
								r.Reset(pt)
								w, err := a.NewEncryptingWriter(&out, aad)
								if err != nil {
									b.Fatal(err)
								}
								if _, err := io.Copy(w, &r); err != nil {
									b.Fatal(err)
								}
								if err := w.Close(); err != nil {
									b.Fatal(err)
								}
								continue
							}
							r.Reset(ct)
							d, err := a.NewDecryptingReader(&r, aad)
							if err != nil {
								b.Fatal(err)
							}
							if n, err := io.Copy(&out, d); err != nil || n != int64(sz.n) {
								b.Fatalf("decrypted %d bytes (%v), want %d", n, err, sz.n)
							}
						}
					})
				}
			})
		})
	}
}

// floorMessage is the data path of an ESDK message of suite 0x0478
// composed from standard-library primitives and our key derivation: the
// HKDF-SHA512 derivations of the data key and the commitment key from a plaintext
// data key and a 32-byte message ID, and per-frame AES-256-GCM with the
// ESDK's IV (8 zero bytes, big-endian sequence number) and body AAD
// (message ID, content string, sequence number, content length). Frames
// are laid out as in a message body: sequence number and IV, content, tag;
// the final frame has the final-frame marker and content length. No
// header, keyring or signature: what every implementation of the format
// must do per message and per frame at least.
type floorMessage struct {
	pdk, mid []byte
	frameLen int
}

const (
	floorRegularHdr = 4 + 12
	floorFinalHdr   = 4 + 4 + 12 + 4
	floorFinalSeq   = 0xFFFFFFFF
)

var (
	floorFrameString = []byte("AWSKMSEncryptionClient Frame")
	floorFinalString = []byte("AWSKMSEncryptionClient Final Frame")
)

func newFloor() *floorMessage {
	f := &floorMessage{pdk: make([]byte, 32), mid: make([]byte, 32), frameLen: frameLength}
	rand.Read(f.pdk)
	rand.Read(f.mid)
	return f
}

// aead derives the message's keys and returns its AES-256-GCM (the
// commitment key is derived, and compared, as a decryption must).
func (f *floorMessage) aead(tb testing.TB, commit []byte) cipher.AEAD {
	dk, ck := f.keys(tb)
	if commit != nil && !bytes.Equal(ck, commit) { // timing is irrelevant here
		tb.Fatal("commitment key differs")
	}
	return gcm(tb, dk)
}

// gcm returns AES-GCM under key.
func gcm(tb testing.TB, key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// keys derives the data key and the commitment key of f's message with
// HKDF-SHA512, as our library does (algorithms.Suite.DeriveKeys), so that
// the floor and the library pay the same derivation and a ratio to the
// floor measures the rest. BenchmarkBaseline/HKDF compares that derivation
// with crypto/hkdf's.
func (f *floorMessage) keys(tb testing.TB) (dataKey, commitKey []byte) {
	dk, ck, err := floorSuite.DeriveKeys(f.pdk, f.mid)
	if err != nil {
		tb.Fatal(err)
	}
	return dk, ck
}

var floorSuite, _ = algorithms.Lookup(algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)

// frames returns the number of frames of an n-byte plaintext (the last
// one, final, may be empty) and the sealed body's length.
func (f *floorMessage) frames(n int) (int, int) {
	k := n/f.frameLen + 1
	return k, (k-1)*(floorRegularHdr+f.frameLen+16) + floorFinalHdr + n%f.frameLen + 16
}

// frameAt returns the offset in the body of frame i (from 0) and its
// content length.
func (f *floorMessage) frameAt(i, n int) (off, hdr, content int) {
	off = i * (floorRegularHdr + f.frameLen + 16)
	if i == n/f.frameLen {
		return off, floorFinalHdr, n % f.frameLen
	}
	return off, floorRegularHdr, f.frameLen
}

// sealFrames seals frames [lo, hi) of pt into body; scratch (at least
// 12 bytes, with room for the AAD after them) holds the IV and AAD.
func (f *floorMessage) sealFrames(a cipher.AEAD, body, pt []byte, lo, hi int, scratch []byte) {
	iv, aad := scratch[:12:12], scratch[12:12]
	for i := lo; i < hi; i++ {
		off, hdr, content := f.frameAt(i, len(pt))
		seq := uint32(i + 1)
		clear(iv[:8])
		binary.BigEndian.PutUint32(iv[8:], seq)
		h := body[off : off+hdr]
		str := floorFrameString
		if hdr == floorFinalHdr {
			str = floorFinalString
			binary.BigEndian.PutUint32(h, floorFinalSeq)
			binary.BigEndian.PutUint32(h[4:], seq)
			copy(h[8:], iv)
			binary.BigEndian.PutUint32(h[20:], uint32(content))
		} else {
			binary.BigEndian.PutUint32(h, seq)
			copy(h[4:], iv)
		}
		aad = f.bodyAAD(aad[:0], str, seq, content)
		a.Seal(body[off+hdr:off+hdr], iv, pt[i*f.frameLen:i*f.frameLen+content], aad)
	}
}

// openFrames opens frames [lo, hi) of body into out (the plaintext of an
// n-byte message), taking each frame's IV from the frame as a reader must;
// scratch holds the AAD.
func (f *floorMessage) openFrames(tb testing.TB, a cipher.AEAD, out, body []byte, lo, hi int, scratch []byte) {
	n, aad := len(out), scratch[:0]
	for i := lo; i < hi; i++ {
		off, hdr, content := f.frameAt(i, n)
		h := body[off : off+hdr]
		seq, iv, str := binary.BigEndian.Uint32(h), h[4:16], floorFrameString
		if hdr == floorFinalHdr {
			seq, iv, str = binary.BigEndian.Uint32(h[4:]), h[8:20], floorFinalString
		}
		aad = f.bodyAAD(aad[:0], str, seq, content)
		if _, err := a.Open(out[i*f.frameLen:i*f.frameLen], iv, body[off+hdr:off+hdr+content+16], aad); err != nil {
			tb.Fatal(err)
		}
	}
}

func (f *floorMessage) bodyAAD(dst, str []byte, seq uint32, content int) []byte {
	dst = append(dst, f.mid...)
	dst = append(dst, str...)
	dst = binary.BigEndian.AppendUint32(dst, seq)
	return binary.BigEndian.AppendUint64(dst, uint64(content))
}

// BenchmarkFloor is the floor of a one-shot 0x0478 message on one core:
// the floorMessage data path (key derivation once per message, then every
// frame sealed or opened in order) into a fresh output buffer per
// operation, as EncryptBytes and DecryptBytes return a fresh result.
func BenchmarkFloor(b *testing.B) {
	f := newFloor()
	for _, op := range []string{"Encrypt", "Decrypt"} {
		b.Run(op, func(b *testing.B) {
			b.Run("0478", func(b *testing.B) {
				for _, sz := range sizes {
					b.Run(sz.name, func(b *testing.B) {
						pt := plaintext(sz.n)
						k, bodyLen := f.frames(sz.n)
						aad := make([]byte, 128)
						body := make([]byte, bodyLen)
						f.sealFrames(f.aead(b, nil), body, pt, 0, k, aad)
						_, commit := f.keys(b)
						b.SetBytes(int64(sz.n))
						b.ReportAllocs()
						for b.Loop() {
							if op == "Encrypt" {
								out := make([]byte, bodyLen)
								f.sealFrames(f.aead(b, nil), out, pt, 0, k, aad)
								continue
							}
							out := make([]byte, sz.n)
							f.openFrames(b, f.aead(b, commit), out, body, 0, k, aad)
						}
						b.StopTimer()
						check := make([]byte, sz.n)
						f.openFrames(b, f.aead(b, commit), check, body, 0, k, aad)
						if !bytes.Equal(check, pt) {
							b.Fatal("floor round trip differs")
						}
					})
				}
			})
		})
	}
}

// BenchmarkFloor2 is the floor of a 64 MiB 0x0478 stream on two cores: the
// frames of one message shared by two goroutines (each takes runs of 16
// KiB of frames from a shared counter, as our pipeline does), sealed or
// opened into buffers reused from op to op.
func BenchmarkFloor2(b *testing.B) {
	f := newFloor()
	const n = size64M
	pt := plaintext(n)
	k, bodyLen := f.frames(n)
	aad := make([]byte, 128)
	body := make([]byte, bodyLen)
	f.sealFrames(f.aead(b, nil), body, pt, 0, k, aad)
	_, commit := f.keys(b)
	out := make([]byte, bodyLen)
	step := max(1, (16<<10)/f.frameLen)
	for _, op := range []string{"Encrypt", "Decrypt"} {
		b.Run(op, func(b *testing.B) {
			b.Run("0478", func(b *testing.B) {
				b.Run("64MiB", func(b *testing.B) {
					b.SetBytes(n)
					b.ReportAllocs()
					for b.Loop() {
						a := f.aead(b, commit)
						var next sync.Mutex
						claimed := 0
						claim := func() (int, int) {
							next.Lock()
							defer next.Unlock()
							lo := claimed
							claimed = min(claimed+step, k)
							return lo, claimed
						}
						var wg sync.WaitGroup
						for range 2 {
							wg.Go(func() {
								buf := make([]byte, 128)
								for lo, hi := claim(); lo < hi; lo, hi = claim() {
									if op == "Encrypt" {
										f.sealFrames(a, out, pt, lo, hi, buf)
									} else {
										f.openFrames(b, a, out[:n], body, lo, hi, buf)
									}
								}
							})
						}
						wg.Wait()
					}
					if op == "Decrypt" && !bytes.Equal(out[:n], pt) {
						b.Fatal("2-goroutine floor decryption differs")
					}
				})
			})
		})
	}
}

// BenchmarkFloorMessage is BenchmarkFloor (one core, 1 KiB and 64 KiB)
// with the rest of an ESDK message's per-message work composed from
// standard-library calls too, so that a ratio to it measures only what
// our library adds: a raw AES keyring's wrapping of the data key (AES-GCM
// under a wrapping key whose cipher is made once, the serialized empty
// context as AAD), a format 2 header with that one encrypted data key
// (built on encryption, its fields read at known offsets on decryption)
// and the header's tag (AES-GCM with a zero IV over the header).
// Encryption also draws the data key, the message ID and the wrapping IV
// from crypto/rand, as every message must.
func BenchmarkFloorMessage(b *testing.B) {
	wk := make([]byte, 32)
	rand.Read(wk)
	wrap := gcm(b, wk)
	ecAAD := []byte{0, 0} // the serialized empty encryption context
	var zeroIV [12]byte
	// header appends f's format 2 header to dst: version, suite, message
	// ID, empty context, one encrypted data key (provider "bench", key
	// name "key" with the raw AES keyring's tag length and IV), content
	// type, frame length, and the commitment.
	header := func(dst []byte, f *floorMessage, wiv, edk, commit []byte) []byte {
		dst = append(dst, 2, 0x04, 0x78)
		dst = append(dst, f.mid...)
		dst = append(dst, 0, 0, 0, 1, 0, 5)
		dst = append(dst, "bench"...)
		dst = binary.BigEndian.AppendUint16(dst, uint16(3+8+len(wiv)))
		dst = append(dst, "key"...)
		dst = append(dst, 0, 0, 0, 128, 0, 0, 0, 12)
		dst = append(dst, wiv...)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(edk)))
		dst = append(dst, edk...)
		dst = append(dst, 2)
		dst = binary.BigEndian.AppendUint32(dst, uint32(f.frameLen))
		return append(dst, commit...)
	}
	const edkAt = 3 + 32 + 2 + 2 + 2 + 5 + 2 + 3 + 8 // the wrapping IV, then the EDK
	for _, op := range []string{"Encrypt", "Decrypt"} {
		b.Run(op, func(b *testing.B) {
			b.Run("0478", func(b *testing.B) {
				for _, sz := range sizes[:2] {
					b.Run(sz.name, func(b *testing.B) {
						f := newFloor()
						pt := plaintext(sz.n)
						k, bodyLen := f.frames(sz.n)
						scratch := make([]byte, 128)
						wiv := make([]byte, 12)
						rand.Read(wiv)
						_, commit := f.keys(b)
						hdr := header(nil, f, wiv, wrap.Seal(nil, wiv, f.pdk, ecAAD), commit)
						a := f.aead(b, nil)
						tag := a.Seal(nil, zeroIV[:], nil, hdr)
						body := make([]byte, bodyLen)
						f.sealFrames(a, body, pt, 0, k, scratch)
						var hbuf []byte
						b.SetBytes(int64(sz.n))
						b.ReportAllocs()
						for b.Loop() {
							if op == "Encrypt" {
								rand.Read(f.pdk)
								rand.Read(f.mid)
								rand.Read(wiv)
								edk := wrap.Seal(nil, wiv, f.pdk, ecAAD)
								dk, ck := f.keys(b)
								ma := gcm(b, dk)
								hbuf = header(hbuf[:0], f, wiv, edk, ck)
								out := make([]byte, len(hbuf)+16+bodyLen)
								copy(out, hbuf)
								ma.Seal(out[len(hbuf):len(hbuf)], zeroIV[:], nil, hbuf)
								f.sealFrames(ma, out[len(hbuf)+16:], pt, 0, k, scratch)
								continue
							}
							iv := hdr[edkAt : edkAt+12]
							n := int(binary.BigEndian.Uint16(hdr[edkAt+12:]))
							pdk, err := wrap.Open(nil, iv, hdr[edkAt+14:edkAt+14+n], ecAAD)
							if err != nil || !bytes.Equal(pdk, f.pdk) {
								b.Fatal("unwrap failed")
							}
							a := f.aead(b, hdr[len(hdr)-32:])
							if _, err := a.Open(nil, zeroIV[:], tag, hdr); err != nil {
								b.Fatal(err)
							}
							out := make([]byte, sz.n)
							f.openFrames(b, a, out, body, 0, k, scratch)
						}
					})
				}
			})
		})
	}
}
