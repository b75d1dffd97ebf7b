package format_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
	"github.com/go-esdk/esdk/materials"
)

func mustSuite(t testing.TB, id algorithms.ID) algorithms.Suite {
	t.Helper()
	s, err := algorithms.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIVAndFrameHeaders(t *testing.T) {
	ivb := fill(12, 0xff)
	wire.PutIV(ivb, 0x0a0b0c0d)
	if want := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d}; !bytes.Equal(ivb, want) {
		t.Errorf("PutIV = %x", ivb)
	}
	b := fill(40, 0x77)
	if n := wire.PutFrameHeader(b, 5, false, 999); n != 16 ||
		!bytes.Equal(b[:n], append([]byte{0, 0, 0, 5}, iv(5)...)) || b[n] != 0x77 {
		t.Errorf("regular frame header = %d, %x", n, b)
	}
	b = fill(40, 0x77)
	want := append([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 6}, iv(6)...)
	want = append(want, 0, 0, 0x01, 0x02)
	if n := wire.PutFrameHeader(b, 6, true, 0x0102); n != 24 || !bytes.Equal(b[:n], want) || b[n] != 0x77 {
		t.Errorf("final frame header = %d, %x", n, b)
	}
	got := wire.AppendNonFramedHeader([]byte{1}, 0x0102030405)
	if want := append(append([]byte{1}, iv(1)...), 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05); !bytes.Equal(got, want) || wire.NonFramedHeaderLen != 20 {
		t.Errorf("AppendNonFramedHeader = %x", got)
	}
}

func validHeader(t testing.TB, id algorithms.ID) *format.Header {
	s := mustSuite(t, id)
	h := &format.Header{
		Version:           byte(s.MessageFormat()),
		Suite:             s,
		MessageID:         fill(s.MessageIDLen(), 0x42),
		EncryptionContext: materials.EncryptionContext{"b": "2", "a": "1"},
		EncryptedDataKeys: []materials.EncryptedDataKey{{ProviderID: "p", ProviderInfo: []byte("i"), Ciphertext: []byte("c")}},
		ContentType:       format.Framed,
		FrameLength:       64,
	}
	if s.SuiteDataLen() > 0 {
		h.SuiteData = fill(s.SuiteDataLen(), 0x43)
	}
	return h
}

// TestAppendBinaryLayout compares a written header with the hand builder.
func TestAppendBinaryLayout(t *testing.T) {
	for _, id := range []algorithms.ID{0x0014, 0x0378, 0x0478, 0x0578} {
		h := validHeader(t, id)
		got, err := h.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		want := hb{
			version: h.Version, typ: 0x80, suite: uint16(id), mid: h.MessageID, ecLen: -1,
			ec: ecBytes("a", "1", "b", "2"), edkCount: -1, edks: [][3][]byte{{[]byte("p"), []byte("i"), []byte("c")}},
			contentType: 2, ivLen: 12, frameLen: 64, suiteData: h.SuiteData,
		}.bytes()
		if !bytes.Equal(got, want) {
			t.Errorf("%v: AppendBinary = %x\nwant %x", id, got, want)
		}
		// Fixed overhead (spec §2.2): v1 34 + 12 + 16 = 62 with auth, v2 76 + 16 = 92.
		fixed := len(got) - len(ecBytes("a", "1", "b", "2")) - (2 + 1 + 2 + 1 + 2 + 1)
		if want := map[byte]int{1: 34, 2: 76}[h.Version]; fixed != want {
			t.Errorf("%v: fixed header overhead %d, want %d", id, fixed, want)
		}
		// An empty context is written as a zero length.
		h.EncryptionContext = nil
		got, _ = h.AppendBinary(nil)
		hdr, _, err := readHeader(got, format.Limits{})
		if err != nil || len(hdr.EncryptionContext) != 0 {
			t.Errorf("%v: empty context header: %v", id, err)
		}
	}
}

func TestAppendBinaryRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*format.Header)
	}{
		{"no suite", func(h *format.Header) { h.Suite = algorithms.Suite{} }},
		{"version 1 for a committing suite", func(h *format.Header) { h.Version = 1 }},
		{"short message ID", func(h *format.Header) { h.MessageID = h.MessageID[:16] }},
		{"no suite data", func(h *format.Header) { h.SuiteData = nil }},
		{"no EDKs", func(h *format.Header) { h.EncryptedDataKeys = nil }},
		{"65536 EDKs", func(h *format.Header) {
			h.EncryptedDataKeys = make([]materials.EncryptedDataKey, 65536)
		}},
		{"framed with frame length 0", func(h *format.Header) { h.FrameLength = 0 }},
		{"non-framed with frame length", func(h *format.Header) { h.ContentType = format.NonFramed }},
		{"content type 3", func(h *format.Header) { h.ContentType = 3 }},
		{"content type 0", func(h *format.Header) { h.ContentType, h.FrameLength = 0, 0 }},
		{"provider info too long", func(h *format.Header) { h.EncryptedDataKeys[0].ProviderInfo = make([]byte, 65536) }},
		{"ciphertext too long", func(h *format.Header) { h.EncryptedDataKeys[0].Ciphertext = make([]byte, 65536) }},
		{"provider ID too long", func(h *format.Header) { h.EncryptedDataKeys[0].ProviderID = strings.Repeat("p", 65536) }},
		{"context too large", func(h *format.Header) {
			h.EncryptionContext = materials.EncryptionContext{"a": strings.Repeat("x", 40000), "b": strings.Repeat("y", 40000)}
		}},
		{"context invalid UTF-8", func(h *format.Header) { h.EncryptionContext = materials.EncryptionContext{"\xff": ""} }},
	} {
		h := validHeader(t, 0x0578)
		c.edit(h)
		if b, err := h.AppendBinary(nil); err == nil {
			t.Errorf("%s: AppendBinary wrote %d bytes", c.name, len(b))
		}
	}
	h := validHeader(t, 0x0178)
	h.Version = 2
	if _, err := h.AppendBinary(nil); err == nil {
		t.Error("version 2 with a format 1 suite accepted")
	}
}

// buildMessage writes a framed message the way the library does (full
// frames then a final frame, empty if the plaintext is a multiple of the
// frame length) with filler ciphertext and a fixed-length signature.
func buildMessage(t *testing.T, h *format.Header, ptLen int64) []byte {
	t.Helper()
	b, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	b = wire.AppendHeaderAuth(b, h.Version, fill(16, 0x99))
	fl := int64(h.FrameLength)
	seq := uint32(1)
	for ; ptLen >= fl; ptLen -= fl {
		fh := make([]byte, wire.RegularFrameHeaderLen)
		wire.PutFrameHeader(fh, seq, false, int(fl))
		b = append(b, fh...)
		b = append(b, fill(int(fl)+16, 0x55)...)
		seq++
	}
	fh := make([]byte, wire.FinalFrameHeaderLen)
	wire.PutFrameHeader(fh, seq, true, int(ptLen))
	b = append(b, fh...)
	b = append(b, fill(int(ptLen)+16, 0x66)...)
	if h.Suite.Signed() {
		b = wire.AppendFooter(b, fill(h.Suite.SignatureLen(), 0x30))
	}
	return b
}

func TestMessageLen(t *testing.T) {
	for _, id := range []algorithms.ID{0x0014, 0x0214, 0x0378, 0x0478, 0x0578} {
		for _, fl := range []uint32{1, 7, 64} {
			h := validHeader(t, id)
			h.FrameLength = fl
			hdr, _ := h.AppendBinary(nil)
			headerLen := len(hdr) + authLen(h.Version)
			for _, n := range []int64{0, 1, int64(fl) - 1, int64(fl), int64(fl) + 1, 3 * int64(fl), 3*int64(fl) + 2} {
				if n < 0 {
					continue
				}
				msg := buildMessage(t, h, n)
				if got := wire.MessageLen(headerLen, fl, n, h.Suite.SignatureLen()); got != int64(len(msg)) {
					t.Errorf("%v, frame %d, plaintext %d: MessageLen = %d, built %d", id, fl, n, got, len(msg))
				}
				// The written message reads back; the filler signature does
				// not verify, so stop before the footer.
				r := format.NewReader(bytes.NewReader(msg), format.Limits{})
				if _, _, err := r.ReadHeader(); err != nil {
					t.Fatal(err)
				}
				r.ReadHeaderAuth()
				var total int
				for {
					f, err := r.ReadFrame(nil)
					if err != nil {
						break
					}
					total += f.ContentLen()
				}
				if int64(total) != n {
					t.Errorf("%v, frame %d: read %d content bytes, want %d", id, fl, total, n)
				}
				if h.Suite.Signed() {
					if sig, err := r.ReadFooter(); err != nil || len(sig) != h.Suite.SignatureLen() {
						t.Errorf("footer: %d bytes, %v", len(sig), err)
					}
				}
				if err := r.ExpectEOF(); err != nil {
					t.Errorf("%v: %v", id, err)
				}
			}
		}
	}
	// Constants the formula relies on.
	if wire.MessageLen(100, 4096, 0, 0) != 100+24+16 {
		t.Error("MessageLen of an empty message")
	}
	if got := wire.MessageLen(100, 4096, 4096, 103); got != 100+(16+4096+16)+(24+16)+2+103 {
		t.Errorf("MessageLen of one frame = %d", got)
	}
	if wire.RegularFrameHeaderLen != 16 || wire.FinalFrameHeaderLen != 24 {
		t.Errorf("frame header lengths %d, %d; want 16, 24", wire.RegularFrameHeaderLen, wire.FinalFrameHeaderLen)
	}
}
