package frame_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
	"github.com/go-esdk/esdk/internal/wire"
)

func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// gcmSeal is the test's own AES-GCM with the body AAD written out by hand.
func gcmSeal(t *testing.T, key, mid []byte, content string, sq uint32, length uint64, iv, pt []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, _ := cipher.NewGCM(block)
	aad := append(bytes.Clone(mid), content...)
	aad = binary.BigEndian.AppendUint32(aad, sq)
	aad = binary.BigEndian.AppendUint64(aad, length)
	return gcm.Seal(nil, iv, pt, aad)
}

func newCipher(t *testing.T, key, mid []byte, frameLen uint32) *frame.Cipher {
	t.Helper()
	c, err := frame.New(key, mid, frameLen)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// frameOf cuts a sealed frame into the Frame the format reader returns.
func frameOf(b []byte, final bool) format.Frame {
	if final {
		return format.Frame{Seq: binary.BigEndian.Uint32(b[4:]), Final: true, IV: b[8:20], Sealed: b[24:], Raw: b}
	}
	return format.Frame{Seq: binary.BigEndian.Uint32(b), IV: b[4:16], Sealed: b[16:], Raw: b}
}

func TestNew(t *testing.T) {
	for _, n := range []int{0, 15, 33} {
		if _, err := frame.New(make([]byte, n), make([]byte, 16), 4096); err == nil {
			t.Errorf("%d-byte key accepted", n)
		}
	}
	c := newCipher(t, make([]byte, 24), make([]byte, 16), 1)
	if c.AEAD().NonceSize() != 12 || c.AEAD().Overhead() != 16 {
		t.Error("AEAD is not AES-GCM with a 12-byte nonce and 16-byte tag")
	}
}

func TestSealOpenRegular(t *testing.T) {
	const fl = 100
	for _, kl := range []int{16, 24, 32} {
		for _, midLen := range []int{16, 32} {
			key, mid := seq(kl, 1), seq(midLen, 0x40)
			c := newCipher(t, key, mid, fl)
			var s frame.Scratch
			pt := seq(fl, 0x80)
			for _, inPlace := range []bool{false, true} {
				dst := make([]byte, wire.RegularFrameHeaderLen+fl+16)
				src := pt
				if inPlace {
					src = dst[wire.RegularFrameHeaderLen : wire.RegularFrameHeaderLen+fl]
					copy(src, pt)
				}
				out := c.SealFrame(&s, dst, 7, false, src)
				if len(out) != 16+fl+16 {
					t.Fatalf("sealed frame is %d bytes", len(out))
				}
				iv := append(make([]byte, 8), 0, 0, 0, 7)
				want := append(append([]byte{0, 0, 0, 7}, iv...), gcmSeal(t, key, mid, "AWSKMSEncryptionClient Frame", 7, fl, iv, pt)...)
				if !bytes.Equal(out, want) {
					t.Fatalf("key %d, in place %v: sealed frame differs from an independent AES-GCM", kl, inPlace)
				}
				f := frameOf(out, false)
				got, err := c.Open(&s, &f, false)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("Open: %v", err)
				}
				if &got[0] != &out[16] {
					t.Error("Open did not decrypt in place")
				}
			}
		}
	}
}

func TestSealOpenFinal(t *testing.T) {
	const fl = 64
	key, mid := seq(32, 3), seq(32, 0x50)
	c := newCipher(t, key, mid, fl)
	var s frame.Scratch
	for _, n := range []int{0, 1, 63, 64} {
		for _, inPlace := range []bool{false, true} {
			pt := seq(n, 0x90)
			dst := make([]byte, wire.FinalFrameHeaderLen+n+16)
			src := pt
			if inPlace {
				src = dst[wire.FinalFrameHeaderLen : wire.FinalFrameHeaderLen+n]
				copy(src, pt)
			}
			out := c.SealFrame(&s, dst, 3, true, src)
			iv := append(make([]byte, 8), 0, 0, 0, 3)
			want := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3}
			want = append(want, iv...)
			want = binary.BigEndian.AppendUint32(want, uint32(n))
			want = append(want, gcmSeal(t, key, mid, "AWSKMSEncryptionClient Final Frame", 3, uint64(n), iv, pt)...)
			if !bytes.Equal(out, want) {
				t.Fatalf("final frame of %d bytes (in place %v) differs from an independent AES-GCM", n, inPlace)
			}
			f := frameOf(out, true)
			got, err := c.Open(&s, &f, false)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("Open final %d: %v", n, err)
			}
		}
	}
}

func TestSingleBlock(t *testing.T) {
	key, mid := seq(16, 9), seq(16, 0x60)
	c := newCipher(t, key, mid, 0)
	var s frame.Scratch
	pt := seq(50, 0xa0)
	// The body header and plaintext, with capacity for the tag.
	singleBuf := func() []byte {
		buf := make([]byte, 0, wire.NonFramedHeaderLen+len(pt)+16)
		buf = wire.AppendNonFramedHeader(buf, uint64(len(pt)))
		return append(buf, pt...)
	}
	out := c.SealSingleBlock(&s, singleBuf())
	iv := append(make([]byte, 8), 0, 0, 0, 1)
	want := append(append(bytes.Clone(iv), 0, 0, 0, 0, 0, 0, 0, 50), gcmSeal(t, key, mid, "AWSKMSEncryptionClient Single Block", 1, 50, iv, pt)...)
	if !bytes.Equal(out, want) {
		t.Fatal("single block differs from an independent AES-GCM")
	}
	f := format.Frame{Seq: 1, Final: true, IV: out[:12], Sealed: out[20:], Raw: out}
	got, err := c.Open(&s, &f, true)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open single block: %v", err)
	}
	// The same bytes opened as a final frame use another AAD and fail.
	out = c.SealSingleBlock(&s, singleBuf())
	f = format.Frame{Seq: 1, Final: true, IV: out[:12], Sealed: out[20:], Raw: out}
	if _, err := c.Open(&s, &f, false); !errors.Is(err, frame.ErrAuthentication) {
		t.Errorf("single block opened as a final frame: %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	const fl = 32
	key, mid := seq(32, 1), seq(16, 2)
	c := newCipher(t, key, mid, fl)
	var s frame.Scratch
	seal := func(sq uint32, final bool, n int) []byte {
		return c.SealFrame(&s, make([]byte, 24+n+16), sq, final, seq(n, 5))
	}
	for _, tc := range []struct {
		name   string
		f      func() format.Frame
		single bool
		c      *frame.Cipher
	}{
		{"wrong sequence number", func() format.Frame { f := frameOf(seal(2, false, fl), false); f.Seq = 3; return f }, false, c},
		{"regular opened as final", func() format.Frame { f := frameOf(seal(2, false, fl), false); f.Final = true; return f }, false, c},
		{"final opened as regular", func() format.Frame { f := frameOf(seal(2, true, fl), true); f.Final = false; return f }, false, c},
		{"final with wrong sequence number", func() format.Frame { f := frameOf(seal(2, true, 5), true); f.Seq = 1; return f }, false, c},
		{"regular opened as single block", func() format.Frame { return frameOf(seal(1, false, fl), false) }, true, c},
		{"final opened as single block", func() format.Frame { return frameOf(seal(1, true, 5), true) }, true, c},
		{"modified IV", func() format.Frame { f := frameOf(seal(1, false, fl), false); f.IV[0] ^= 1; return f }, false, c},
		{"modified content", func() format.Frame { f := frameOf(seal(1, false, fl), false); f.Sealed[0] ^= 1; return f }, false, c},
		{"modified tag", func() format.Frame {
			f := frameOf(seal(1, true, 5), true)
			f.Sealed[len(f.Sealed)-1] ^= 1
			return f
		}, false, c},
		{"other message ID", func() format.Frame { return frameOf(seal(1, false, fl), false) }, false, newCipher(t, key, seq(16, 3), fl)},
		{"other frame length", func() format.Frame { return frameOf(seal(1, false, fl), false) }, false, newCipher(t, key, mid, fl+1)},
		{"other key", func() format.Frame { return frameOf(seal(1, false, fl), false) }, false, newCipher(t, seq(32, 2), mid, fl)},
	} {
		f := tc.f()
		if pt, err := tc.c.Open(&s, &f, tc.single); !errors.Is(err, frame.ErrAuthentication) || pt != nil {
			t.Errorf("%s: Open = %x, %v; want ErrAuthentication", tc.name, pt, err)
		}
	}
}

// TestConcurrentScratch seals and opens from several goroutines, each with
// its own scratch, on one Cipher (run with -race).
func TestConcurrentScratch(t *testing.T) {
	c := newCipher(t, seq(32, 1), seq(32, 2), 256)
	done := make(chan error)
	for g := range 8 {
		go func() {
			var s frame.Scratch
			for i := range 50 {
				sq := uint32(g*100 + i + 1)
				pt := seq(256, byte(sq))
				out := c.SealFrame(&s, make([]byte, 16+256+16), sq, false, pt)
				f := frameOf(out, false)
				got, err := c.Open(&s, &f, false)
				if err != nil || !bytes.Equal(got, pt) {
					done <- errors.New("round trip failed")
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestKnownAnswerMessages decrypts every commitment-kat-2020 message, whose
// data keys are published, with format.Reader, algorithms.DeriveKeys and
// this package, and compares the plaintext.
func TestKnownAnswerMessages(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "testvectors", "commitment-kat-2020")
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		t.Skip("test vectors not present")
	}
	var manifest struct {
		Tests map[string]struct {
			Ciphertext string `json:"ciphertext"`
			MasterKeys []struct {
				Key string `json:"key"`
			} `json:"master-keys"`
			Result struct {
				Output *struct {
					Plaintext string `json:"plaintext"`
				} `json:"output"`
			} `json:"result"`
		} `json:"tests"`
	}
	var keys struct {
		Keys map[string]struct {
			PDK string `json:"plaintextDataKey"`
		} `json:"keys"`
	}
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	readJSON(t, filepath.Join(dir, "keys.json"), &keys)
	n := 0
	for name, tc := range manifest.Tests {
		if tc.Result.Output == nil {
			continue
		}
		pdk, _ := base64.StdEncoding.DecodeString(keys.Keys[tc.MasterKeys[0].Key].PDK)
		msg, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(tc.Ciphertext, "file://")))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(tc.Result.Output.Plaintext, "file://")))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decrypt(msg, pdk)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: plaintext differs (%d bytes, want %d)", name, len(got), len(want))
		}
		n++
	}
	if n != 41 {
		t.Errorf("decrypted %d messages, want 41", n)
	}
}

// decrypt is a minimal decryptor for messages with no required context.
func decrypt(msg, pdk []byte) ([]byte, error) {
	r := format.NewReader(bytes.NewReader(msg), format.Limits{})
	hdr, raw, err := r.ReadHeader()
	if err != nil {
		return nil, err
	}
	auth, err := r.ReadHeaderAuth()
	if err != nil {
		return nil, err
	}
	dk, ck, err := hdr.Suite.DeriveKeys(pdk, hdr.MessageID)
	if err != nil {
		return nil, err
	}
	if hdr.Suite.Committing() {
		if err := algorithms.CheckCommitment(ck, hdr.SuiteData); err != nil {
			return nil, err
		}
	}
	c, err := frame.New(dk, hdr.MessageID, hdr.FrameLength)
	if err != nil {
		return nil, err
	}
	if _, err := c.AEAD().Open(nil, auth.AuthIV(), auth.Tag, raw); err != nil {
		return nil, errors.New("header authentication failed")
	}
	var s frame.Scratch
	var out []byte
	single := hdr.ContentType == format.NonFramed
	for {
		var f format.Frame
		if single {
			f, err = r.ReadNonFramed(nil)
		} else {
			f, err = r.ReadFrame(nil)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		pt, err := c.Open(&s, &f, single)
		if err != nil {
			return nil, err
		}
		out = append(out, pt...)
	}
	if hdr.Suite.Signed() {
		if _, err := r.ReadFooter(); err != nil {
			return nil, err
		}
	}
	return out, r.ExpectEOF()
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestOpenToSeparateBuffer opens into a buffer apart from the sealed bytes,
// which stay intact.
func TestOpenToSeparateBuffer(t *testing.T) {
	const fl = 48
	c := newCipher(t, seq(32, 1), seq(32, 2), fl)
	var s frame.Scratch
	for _, final := range []bool{false, true} {
		pt := seq(fl, 0x30)
		out := c.SealFrame(&s, make([]byte, 24+fl+16), 1, final, pt)
		sealed := bytes.Clone(out)
		f := frameOf(out, final)
		dst := make([]byte, 0, fl)
		got, err := c.OpenTo(&s, dst, &f, false)
		if err != nil || !bytes.Equal(got, pt) || &got[0] != &dst[:1][0] {
			t.Fatalf("final %v: OpenTo = %x, %v", final, got, err)
		}
		if !bytes.Equal(out, sealed) {
			t.Errorf("final %v: OpenTo into another buffer changed the sealed frame", final)
		}
		f.Seq++
		if _, err := c.OpenTo(&s, dst, &f, false); !errors.Is(err, frame.ErrAuthentication) {
			t.Errorf("final %v: OpenTo with a wrong sequence number: %v", final, err)
		}
	}
}
