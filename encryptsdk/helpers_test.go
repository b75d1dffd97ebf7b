package encryptsdk_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// The Decryptor must implement io.WriterTo so that io.Copy uses it.
var _ io.WriterTo = (*encryptsdk.Decryptor)(nil)

var bg = context.Background()

// rsaKey is one 2048-bit key shared by the whole test binary.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testKey returns a deterministic AES key of n bytes; seed makes keys differ.
func testKey(n int, seed byte) []byte {
	k := make([]byte, n)
	for i := range k {
		k[i] = seed + byte(i)*7
	}
	return k
}

func mustAES(t testing.TB, ns, name string, key []byte) *keyring.RawAES {
	t.Helper()
	kr, err := keyring.NewRawAES(ns, name, key)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func mustRSA(t testing.TB, ns, name string, p keyring.Padding) *keyring.RawRSA {
	t.Helper()
	k := rsaKey()
	kr, err := keyring.NewRawRSA(keyring.RawRSAConfig{Namespace: ns, Name: name, Padding: p, PublicKey: &k.PublicKey, PrivateKey: k})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func mustMulti(t testing.TB, gen materials.Keyring, children ...materials.Keyring) *keyring.Multi {
	t.Helper()
	kr, err := keyring.NewMulti(gen, children...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// policyFor returns a commitment policy under which suite s may encrypt
// (alt picks between the two policies that allow committing suites).
func policyFor(s algorithms.Suite, alt bool) encryptsdk.CommitmentPolicy {
	switch {
	case !s.Committing():
		return encryptsdk.ForbidEncryptAllowDecrypt
	case alt:
		return encryptsdk.RequireEncryptAllowDecrypt
	default:
		return encryptsdk.RequireEncryptRequireDecrypt
	}
}

// clientFor returns a client over kr whose policy allows encrypting with s.
func clientFor(kr materials.Keyring, s algorithms.Suite) *encryptsdk.Client {
	c := encryptsdk.New(kr)
	c.CommitmentPolicy = policyFor(s, false)
	return c
}

func suite(t testing.TB, id algorithms.ID) algorithms.Suite {
	t.Helper()
	s, err := algorithms.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// plaintext returns n deterministic pseudo-random bytes.
func plaintext(n int, seed int64) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9e3779b97f4a7c15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// layout describes where the parts of a framed message produced by this
// library are, computed from its authenticated header.
type layout struct {
	hdrLen    int // header body
	authLen   int // header authentication
	bodyStart int
	frames    []frameSpan
	footer    int // offset of the footer, or len(message) when unsigned
}

type frameSpan struct {
	start, end int
	final      bool
	ivAt       int // offset of the IV
	ctAt       int // offset of the encrypted content
	ptLen      int
}

// messageLayout decrypts msg with c (it must be valid) and returns its
// layout. Only framed messages are supported.
func messageLayout(t testing.TB, c *encryptsdk.Client, msg []byte) layout {
	t.Helper()
	_, d, err := c.DecryptBytes(bg, msg, nil)
	if err != nil {
		t.Fatalf("messageLayout: %v", err)
	}
	h := d.Header()
	raw, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, msg[:len(raw)]) {
		t.Fatal("messageLayout: parsed header does not serialize to the message's header bytes")
	}
	l := layout{hdrLen: len(raw), authLen: algorithms.TagLen}
	if h.Version == 1 {
		l.authLen += algorithms.IVLen
	}
	l.bodyStart = l.hdrLen + l.authLen
	if h.ContentType != format.Framed {
		t.Fatal("messageLayout: non-framed message")
	}
	fl := int(h.FrameLength)
	off := l.bodyStart
	for {
		if binary.BigEndian.Uint32(msg[off:]) == format.FinalFrameMarker {
			n := int(binary.BigEndian.Uint32(msg[off+20:]))
			end := off + wire.FinalFrameHeaderLen + n + algorithms.TagLen
			l.frames = append(l.frames, frameSpan{start: off, end: end, final: true, ivAt: off + 8, ctAt: off + wire.FinalFrameHeaderLen, ptLen: n})
			off = end
			break
		}
		end := off + wire.RegularFrameHeaderLen + fl + algorithms.TagLen
		l.frames = append(l.frames, frameSpan{start: off, end: end, ivAt: off + 4, ctAt: off + wire.RegularFrameHeaderLen, ptLen: fl})
		off = end
	}
	l.footer = off
	return l
}

// trickleReader hands out data at most chunk bytes per Read and records how
// much it has delivered.
type trickleReader struct {
	data      []byte
	delivered int
	chunk     int
}

func (r *trickleReader) Read(p []byte) (int, error) {
	if r.delivered >= len(r.data) {
		return 0, io.EOF
	}
	n := min(len(p), r.chunk, len(r.data)-r.delivered)
	copy(p, r.data[r.delivered:r.delivered+n])
	r.delivered += n
	return n, nil
}

// release records what a Decryptor released, and how much input had been
// delivered when each byte came out.
type release struct {
	got      []byte
	at       []int // delivered count when got[i] was released
	err      error
	sawEOF   bool
	reads    int
	badCount bool
}

// readSmall reads d with a buffer of size n until an error, recording each
// released byte against src.delivered.
func readSmall(d io.Reader, src *trickleReader, n int) release {
	var r release
	buf := make([]byte, n)
	for i := 0; i < 1<<20; i++ {
		k, err := d.Read(buf)
		r.reads++
		if k < 0 || k > len(buf) {
			r.badCount = true
			return r
		}
		for j := 0; j < k; j++ {
			r.got = append(r.got, buf[j])
			r.at = append(r.at, src.delivered)
		}
		if err != nil {
			if err == io.EOF {
				r.sawEOF = true
			} else {
				r.err = err
			}
			return r
		}
	}
	r.err = errors.New("readSmall: too many reads")
	return r
}

// allocated returns the bytes allocated on the heap while f runs. Tests
// that use it must not run in parallel with other tests.
func allocated(f func()) uint64 {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// forger builds messages by hand that authenticate under a raw AES
// keyring: it knows the plaintext data key, so it can make valid headers
// and frames with any field values.
type forger struct {
	suite  algorithms.Suite
	pdk    []byte
	kr     *keyring.RawAES
	ec     materials.EncryptionContext
	edk    materials.EncryptedDataKey
	client *encryptsdk.Client
}

// newForger returns a forger for suite id. Its messages carry no
// signature, so for signed suites they are only good for tests that fail
// before the body.
func newForger(t testing.TB, id algorithms.ID) *forger {
	t.Helper()
	s := suite(t, id)
	kr := mustAES(t, "forge-ns", "forge-key", testKey(32, 99))
	c := encryptsdk.New(kr)
	c.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
	f := &forger{suite: s, pdk: plaintext(s.KeyLen(), int64(id)), kr: kr, client: c}
	return f.withEC(t, materials.EncryptionContext{})
}

// withEC returns a forger whose headers carry ec (the raw AES encrypted
// data key binds the context, so it is made again).
func (f *forger) withEC(t testing.TB, ec materials.EncryptionContext) *forger {
	t.Helper()
	m, err := f.kr.OnEncrypt(bg, materials.EncryptionMaterials{Suite: f.suite, EncryptionContext: ec, PlaintextDataKey: f.pdk})
	if err != nil {
		t.Fatal(err)
	}
	g := *f
	g.ec, g.edk = ec, m.EncryptedDataKeys[0]
	return &g
}

// header returns a header with the forger's encryption context and the
// message's AES-GCM instance.
func (f *forger) header(t testing.TB, ct format.ContentType, frameLen uint32) (*format.Header, cipher.AEAD) {
	t.Helper()
	id := plaintext(f.suite.MessageIDLen(), int64(frameLen)+int64(ct))
	dk, ck, err := f.suite.DeriveKeys(f.pdk, id)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	h := &format.Header{
		Version:           byte(f.suite.MessageFormat()),
		Suite:             f.suite,
		MessageID:         id,
		EncryptionContext: f.ec,
		EncryptedDataKeys: []materials.EncryptedDataKey{f.edk},
		ContentType:       ct,
		FrameLength:       frameLen,
		SuiteData:         ck,
	}
	return h, aead
}

// sealHeader appends the header authentication of raw (the header body
// bytes, possibly edited) to raw. iv is the v1 header IV (nil: zeros).
func sealHeader(raw []byte, version byte, aead cipher.AEAD, iv []byte) []byte {
	if iv == nil {
		iv = make([]byte, algorithms.IVLen)
	}
	tag := aead.Seal(nil, iv, nil, raw)
	if version == 1 {
		raw = append(raw, iv...)
	}
	return append(raw, tag...)
}

// appendFrame appends a sealed frame. iv nil means the deterministic IV.
func appendFrame(b []byte, aead cipher.AEAD, messageID []byte, frameLen uint32, seq uint32, final bool, iv, pt []byte) []byte {
	if iv == nil {
		iv = make([]byte, algorithms.IVLen)
		wire.PutIV(iv, seq)
	}
	var aad []byte
	if final {
		b = binary.BigEndian.AppendUint32(b, format.FinalFrameMarker)
		b = binary.BigEndian.AppendUint32(b, seq)
		b = append(b, iv...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(pt)))
		aad = wire.AppendBodyAAD(nil, messageID, wire.FinalFrame, seq, uint64(len(pt)))
	} else {
		b = binary.BigEndian.AppendUint32(b, seq)
		b = append(b, iv...)
		aad = wire.AppendBodyAAD(nil, messageID, wire.RegularFrame, seq, uint64(frameLen))
	}
	return aead.Seal(b, iv, pt, aad)
}

func appendNonFramed(b []byte, aead cipher.AEAD, messageID, pt []byte) []byte {
	b = wire.AppendNonFramedHeader(b, uint64(len(pt)))
	iv := b[len(b)-8-algorithms.IVLen : len(b)-8]
	aad := wire.AppendBodyAAD(nil, messageID, wire.SingleBlock, 1, uint64(len(pt)))
	return aead.Seal(b, iv, pt, aad)
}

// errIs reports a test failure unless errors.Is(err, target).
func errIs(t testing.TB, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one wrapping %v", what, err, target)
	}
}

func parseError(t testing.TB, err error, what string) *format.ParseError {
	t.Helper()
	var pe *format.ParseError
	if !errors.As(err, &pe) {
		t.Errorf("%s: error %v (%T) is not a *format.ParseError", what, err, err)
		return nil
	}
	return pe
}

func hexID(id algorithms.ID) string { return fmt.Sprintf("%04x", uint16(id)) }
