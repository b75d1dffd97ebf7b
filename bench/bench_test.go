package bench

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
)

// sizes are the plaintext lengths of the one-shot benchmarks.
var sizes = []struct {
	name string
	n    int
}{
	{"1KiB", 1 << 10},
	{"64KiB", 64 << 10},
	{"1MiB", 1 << 20},
	{"64MiB", 64 << 20},
}

const size64M = 64 << 20

// init builds Go's lazily computed P-384 tables (thousands of allocations,
// once per process), so that they are not charged to whichever benchmark
// with a signed suite happens to run first.
func init() {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		panic(err)
	}
	digest := make([]byte, 48)
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest)
	if err != nil || !ecdsa.VerifyASN1(&k.PublicKey, digest, sig) {
		panic("P-384 warm-up failed")
	}
}

// plaintext returns n random bytes, a prefix of one 64 MiB slice, never
// nil (the official SDK panics on a nil plaintext).
var bigPlaintext []byte

func plaintext(n int) []byte {
	if bigPlaintext == nil {
		bigPlaintext = make([]byte, size64M)
		rand.Read(bigPlaintext)
	}
	return bigPlaintext[:n]
}

// sdk is what the one-shot benchmarks need of each SDK.
type sdk interface {
	encrypt(pt []byte, ec map[string]string) ([]byte, error)
	decrypt(ct []byte) ([]byte, map[string]string, error)
}

func benchOneShot(b *testing.B, newSDK func(testing.TB, suiteCase) sdk) {
	b.Run("Encrypt", func(b *testing.B) {
		for _, s := range suites {
			b.Run(s.name, func(b *testing.B) {
				x := newSDK(b, s)
				for _, sz := range sizes {
					b.Run(sz.name, func(b *testing.B) {
						pt := plaintext(sz.n)
						b.SetBytes(int64(sz.n))
						b.ReportAllocs()
						for b.Loop() {
							if _, err := x.encrypt(pt, nil); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			})
		}
	})
	b.Run("Decrypt", func(b *testing.B) {
		for _, s := range suites {
			b.Run(s.name, func(b *testing.B) {
				x := newSDK(b, s)
				for _, sz := range sizes {
					b.Run(sz.name, func(b *testing.B) {
						ct, err := x.encrypt(plaintext(sz.n), nil)
						if err != nil {
							b.Fatal(err)
						}
						b.SetBytes(int64(sz.n))
						b.ReportAllocs()
						for b.Loop() {
							pt, _, err := x.decrypt(ct)
							if err != nil {
								b.Fatal(err)
							}
							if len(pt) != sz.n {
								b.Fatalf("decrypted %d bytes, want %d", len(pt), sz.n)
							}
						}
					})
				}
			})
		}
	})
}

// BenchmarkOurs measures our one-shot EncryptBytes and DecryptBytes with a
// raw AES-256 keyring and 4096-byte frames.
func BenchmarkOurs(b *testing.B) {
	benchOneShot(b, func(tb testing.TB, s suiteCase) sdk { return newOurs(tb, s) })
}

// BenchmarkOfficial measures the official AWS Encryption SDK for Go (which
// has only one-shot Encrypt and Decrypt) with the MPL raw AES keyring and
// 4096-byte frames.
func BenchmarkOfficial(b *testing.B) {
	benchOneShot(b, func(tb testing.TB, s suiteCase) sdk { return newOfficial(tb, s) })
}

// BenchmarkOursStream measures our streaming Encryptor (written in 64 KiB
// chunks, to io.Discard) and Decryptor (read from a bytes.Reader with
// io.Copy to io.Discard), with the default concurrency (GOMAXPROCS).
func BenchmarkOursStream(b *testing.B) {
	for _, op := range []string{"Encrypt", "Decrypt"} {
		b.Run(op, func(b *testing.B) {
			for _, s := range suites[1:] { // 0478, 0578
				b.Run(s.name, func(b *testing.B) {
					b.Run("64MiB", func(b *testing.B) { benchStream(b, op, s, 0) })
				})
			}
		})
	}
}

// BenchmarkOursAppend measures the one-shot AppendEncrypt and AppendDecrypt
// (0x0478, 64 MiB) into a buffer reused from call to call: one-shot
// encryption without the cost of a fresh 64 MiB result, which the runtime
// must zero or fault in.
func BenchmarkOursAppend(b *testing.B) {
	ctx := context.Background()
	o := newOurs(b, suites[1])
	pt := plaintext(size64M)
	ct, err := o.encrypt(pt, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Encrypt/0478/64MiB", func(b *testing.B) {
		buf := make([]byte, 0, 2*len(ct))
		b.SetBytes(size64M)
		b.ReportAllocs()
		for b.Loop() {
			if buf, err = o.c.AppendEncrypt(ctx, buf[:0], pt, o.opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decrypt/0478/64MiB", func(b *testing.B) {
		buf := make([]byte, 0, len(ct))
		b.SetBytes(size64M)
		b.ReportAllocs()
		for b.Loop() {
			if buf, _, err = o.c.AppendDecrypt(ctx, buf[:0], ct, nil); err != nil {
				b.Fatal(err)
			}
			if len(buf) != size64M {
				b.Fatalf("decrypted %d bytes, want %d", len(buf), size64M)
			}
		}
	})
}

// BenchmarkWorkers measures the streaming 0x0478 case with one worker
// (sequential) and with two, to compare with the single-core AES-GCM
// baseline.
func BenchmarkWorkers(b *testing.B) {
	for _, op := range []string{"Encrypt", "Decrypt"} {
		b.Run(op, func(b *testing.B) {
			for _, w := range []int{1, 2} {
				b.Run(fmt.Sprintf("0478-w%d", w), func(b *testing.B) {
					b.Run("64MiB", func(b *testing.B) { benchStream(b, op, suites[1], w) })
				})
			}
		})
	}
}

func benchStream(b *testing.B, op string, s suiteCase, workers int) {
	ctx := context.Background()
	o := newOurs(b, s)
	o.c.Concurrency = workers
	pt := plaintext(size64M)
	var ct []byte
	if op == "Decrypt" {
		var err error
		if ct, err = o.encrypt(pt, nil); err != nil {
			b.Fatal(err)
		}
	}
	r := bytes.NewReader(ct)
	b.SetBytes(size64M)
	b.ReportAllocs()
	for b.Loop() {
		if op == "Encrypt" {
			e, err := o.c.Encrypt(ctx, io.Discard, o.opts)
			if err != nil {
				b.Fatal(err)
			}
			for p := pt; len(p) > 0; p = p[64<<10:] {
				if _, err := e.Write(p[:64<<10]); err != nil {
					b.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
			continue
		}
		r.Reset(ct)
		d, err := o.c.Decrypt(ctx, r, nil)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, d)
		if err != nil {
			b.Fatal(err)
		}
		if n != size64M {
			b.Fatalf("decrypted %d bytes, want %d", n, size64M)
		}
	}
}

// BenchmarkBaseline measures what the machine can do with the primitives
// alone: AES-256-GCM over 64 MiB in 4 KiB chunks (the frame size; one key,
// a counter nonce, in place), and over one 4 KiB chunk that stays in cache;
// SHA-384 (the signature hash of 0x0578), and ECDSA P-384 key
// generation plus signing, and verification (the fixed cost of a signed
// message).
func BenchmarkBaseline(b *testing.B) {
	const chunk = 4096
	key := make([]byte, 32)
	rand.Read(key)
	aead := gcm(b, key)
	stride := chunk + aead.Overhead()
	nChunks := size64M / chunk
	b.Run("AESGCM", func(b *testing.B) {
		// buf holds the chunks one after another, each with room for its tag.
		buf := make([]byte, nChunks*stride)
		for i := range nChunks {
			copy(buf[i*stride:i*stride+chunk], plaintext(size64M)[i*chunk:])
		}
		var nonce [12]byte
		seal := func() {
			for i := range nChunks {
				binary.BigEndian.PutUint32(nonce[8:], uint32(i+1))
				c := buf[i*stride : i*stride+chunk]
				aead.Seal(c[:0], nonce[:], c, nil) // in place
			}
		}
		b.Run("Seal", func(b *testing.B) {
			b.Run("64MiB", func(b *testing.B) {
				b.SetBytes(size64M)
				b.ReportAllocs()
				for b.Loop() {
					seal()
				}
			})
			b.Run("4KiB", func(b *testing.B) {
				c := make([]byte, chunk, stride)
				copy(c, plaintext(chunk))
				b.SetBytes(chunk)
				b.ReportAllocs()
				for b.Loop() {
					aead.Seal(c[:0], nonce[:], c, nil)
				}
			})
		})
		b.Run("Open", func(b *testing.B) {
			b.Run("64MiB", func(b *testing.B) {
				// Open in place, then (untimed) seal again, since opening in
				// place leaves plaintext where the next iteration needs
				// ciphertext.
				for i := range nChunks {
					copy(buf[i*stride:i*stride+chunk], plaintext(size64M)[i*chunk:])
				}
				seal()
				b.SetBytes(size64M)
				b.ReportAllocs()
				for b.Loop() {
					for i := range nChunks {
						binary.BigEndian.PutUint32(nonce[8:], uint32(i+1))
						c := buf[i*stride : (i+1)*stride]
						if _, err := aead.Open(c[:0], nonce[:], c, nil); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					seal()
					b.StartTimer()
				}
			})
			// One frame in a buffer that stays in cache: the CPU's limit,
			// without the memory traffic of 64 MiB.
			b.Run("4KiB", func(b *testing.B) {
				ct := aead.Seal(nil, nonce[:], plaintext(chunk), nil)
				out := make([]byte, chunk)
				b.SetBytes(chunk)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := aead.Open(out[:0], nonce[:], ct, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	})
	b.Run("SHA384", func(b *testing.B) {
		b.Run("64MiB", func(b *testing.B) {
			pt := plaintext(size64M)
			var sum [48]byte
			b.SetBytes(size64M)
			b.ReportAllocs()
			for b.Loop() {
				h := sha512.New384()
				h.Write(pt)
				h.Sum(sum[:0])
			}
		})
	})
	b.Run("HKDF", func(b *testing.B) {
		// The key derivation of suite 0x0478 (an extract and two
		// expands): ours, and crypto/hkdf's, which FIPS 140-3 mode uses.
		pdk, mid := make([]byte, 32), make([]byte, 32)
		rand.Read(pdk)
		rand.Read(mid)
		suite, err := algorithms.Lookup(algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("Ours", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := suite.DeriveKeys(pdk, mid); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("CryptoHKDF", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				prk, err := hkdf.Extract(sha512.New, pdk, mid)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := hkdf.Expand(sha512.New, prk, "\x04\x78DERIVEKEY", 32); err != nil {
					b.Fatal(err)
				}
				if _, err := hkdf.Expand(sha512.New, prk, "COMMITKEY", 32); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("P384", func(b *testing.B) {
		digest := make([]byte, 48)
		rand.Read(digest)
		b.Run("KeygenSign", func(b *testing.B) {
			b.SetBytes(int64(len(digest)))
			b.ReportAllocs()
			for b.Loop() {
				k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ecdsa.SignASN1(rand.Reader, k, digest); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Verify", func(b *testing.B) {
			k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			sig, err := ecdsa.SignASN1(rand.Reader, k, digest)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(digest)))
			b.ReportAllocs()
			for b.Loop() {
				if !ecdsa.VerifyASN1(&k.PublicKey, digest, sig) {
					b.Fatal("signature does not verify")
				}
			}
		})
	})
}
