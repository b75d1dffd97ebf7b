package format_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
	"github.com/go-esdk/esdk/materials"
)

func readHeader(b []byte, lim format.Limits) (*format.Header, []byte, error) {
	return format.NewReader(bytes.NewReader(b), lim).ReadHeader()
}

func TestReadHeaderValid(t *testing.T) {
	for _, h := range []hb{v1Header(), v2Header()} {
		b, _ := h.build()
		hdr, raw, err := readHeader(append(bytes.Clone(b), 0xaa, 0xbb), format.Limits{})
		if err != nil {
			t.Fatalf("v%d: %v", h.version, err)
		}
		if !bytes.Equal(raw, b) {
			t.Errorf("v%d: raw = %x, want %x", h.version, raw, b)
		}
		if hdr.Version != h.version || uint16(hdr.Suite.ID()) != h.suite || !bytes.Equal(hdr.MessageID, h.mid) ||
			!hdr.EncryptionContext.Equal(materials.EncryptionContext{"a": "b"}) || len(hdr.EncryptedDataKeys) != 1 ||
			hdr.ContentType != format.Framed || hdr.FrameLength != 64 || !bytes.Equal(hdr.SuiteData, h.suiteData) {
			t.Errorf("v%d: header %+v", h.version, hdr)
		}
		k := hdr.EncryptedDataKeys[0]
		if k.ProviderID != "prov" || string(k.ProviderInfo) != "info" || string(k.Ciphertext) != "ciphertext" {
			t.Errorf("v%d: EDK %+v", h.version, k)
		}
		if again, err := hdr.AppendBinary(nil); err != nil || !bytes.Equal(again, b) {
			t.Errorf("v%d: AppendBinary = %x, %v", h.version, again, err)
		}
	}
}

// TestReadHeaderKeepsRawEC checks that legacy and non-canonical encryption
// context sections are accepted and written back exactly as read.
func TestReadHeaderKeepsRawEC(t *testing.T) {
	for _, c := range []struct {
		name string
		ec   []byte
		want materials.EncryptionContext
	}{
		{"empty", nil, materials.EncryptionContext{}},
		{"legacy 00 00", []byte{0, 0}, materials.EncryptionContext{}},
		{"unsorted", ecBytes("b", "2", "a", "1"), materials.EncryptionContext{"a": "1", "b": "2"}},
		{"UTF-16 order", ecBytes("\U0001F600", "x", "\uFFFD", "y"), materials.EncryptionContext{"\U0001F600": "x", "\uFFFD": "y"}},
	} {
		for _, h := range []hb{v1Header(), v2Header()} {
			h.ec = c.ec
			b := h.bytes()
			hdr, raw, err := readHeader(b, format.Limits{})
			if err != nil {
				t.Fatalf("%s v%d: %v", c.name, h.version, err)
			}
			if !hdr.EncryptionContext.Equal(c.want) {
				t.Errorf("%s v%d: context %q", c.name, h.version, hdr.EncryptionContext)
			}
			if again, err := hdr.AppendBinary(nil); err != nil || !bytes.Equal(again, raw) {
				t.Errorf("%s v%d: AppendBinary = %x, %v; want %x", c.name, h.version, again, err, raw)
			}
		}
	}
}

func TestReadHeaderHostile(t *testing.T) {
	type mut func(*hb)
	cases := []struct {
		name   string
		base   func() hb
		mutate mut
		raw    func([]byte, map[string]int) []byte // optional byte-level edit
		lim    format.Limits
		target error
		field  string
		off    string // key into the offsets map; "" for none
		delta  int
	}{
		{"version 0", v1Header, func(h *hb) { h.version = 0 }, nil, format.Limits{}, format.ErrMalformed, "version", "version", 0},
		{"version 3", v1Header, func(h *hb) { h.version = 3 }, nil, format.Limits{}, format.ErrMalformed, "version", "version", 0},
		{"version 0x80", v1Header, func(h *hb) { h.version = 0x80 }, nil, format.Limits{}, format.ErrMalformed, "version", "version", 0},
		{"type 0x81", v1Header, func(h *hb) { h.typ = 0x81 }, nil, format.Limits{}, format.ErrMalformed, "type", "type", 0},
		{"type 0", v1Header, func(h *hb) { h.typ = 0 }, nil, format.Limits{}, format.ErrMalformed, "type", "type", 0},
		{"unknown suite v1", v1Header, func(h *hb) { h.suite = 0x0999 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"suite 0 v2", v2Header, func(h *hb) { h.suite = 0 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"S3EC suite", v1Header, func(h *hb) { h.suite = 0x0070 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"DB-ESDK suite", v2Header, func(h *hb) { h.suite = 0x6700 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"committing suite in v1", v1Header, func(h *hb) { h.suite = 0x0478 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"signed committing suite in v1", v1Header, func(h *hb) { h.suite = 0x0578 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"non-committing suite in v2", v2Header, func(h *hb) { h.suite = 0x0178 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"legacy suite in v2", v2Header, func(h *hb) { h.suite = 0x0014 }, nil, format.Limits{}, format.ErrMalformed, "algorithm suite ID", "suite", 0},
		{"reserved 00 00 00 01", v1Header, func(h *hb) { h.reserved = [4]byte{0, 0, 0, 1} }, nil, format.Limits{}, format.ErrMalformed, "reserved", "reserved", 0},
		{"reserved 80 00 00 00", v1Header, func(h *hb) { h.reserved = [4]byte{0x80, 0, 0, 0} }, nil, format.Limits{}, format.ErrMalformed, "reserved", "reserved", 0},
		{"IV length 16", v1Header, func(h *hb) { h.ivLen = 16 }, nil, format.Limits{}, format.ErrMalformed, "IV length", "iv length", 0},
		{"IV length 0", v1Header, func(h *hb) { h.ivLen = 0 }, nil, format.Limits{}, format.ErrMalformed, "IV length", "iv length", 0},
		{"content type 3 v1", v1Header, func(h *hb) { h.contentType = 3 }, nil, format.Limits{}, format.ErrMalformed, "content type", "content type", 0},
		{"content type 0 v2", v2Header, func(h *hb) { h.contentType = 0 }, nil, format.Limits{}, format.ErrMalformed, "content type", "content type", 0},
		{"framed, frame length 0 v1", v1Header, func(h *hb) { h.frameLen = 0 }, nil, format.Limits{}, format.ErrMalformed, "frame length", "frame length", 0},
		{"framed, frame length 0 v2", v2Header, func(h *hb) { h.frameLen = 0 }, nil, format.Limits{}, format.ErrMalformed, "frame length", "frame length", 0},
		{"non-framed, frame length 4096", v1Header, func(h *hb) { h.contentType, h.frameLen = 1, 4096 }, nil, format.Limits{}, format.ErrMalformed, "frame length", "frame length", 0},
		{"non-framed, frame length 1 v2", v2Header, func(h *hb) { h.contentType, h.frameLen = 1, 1 }, nil, format.Limits{}, format.ErrMalformed, "frame length", "frame length", 0},
		{"frame length above MaxBodySize", v2Header, func(h *hb) { h.frameLen = 1 << 20 }, nil, format.Limits{MaxBodySize: 1<<20 - 1}, format.ErrBodyTooLarge, "frame length", "frame length", 0},
		{"EDK count 0 v1", v1Header, func(h *hb) { h.edkCount, h.edks = 0, nil }, nil, format.Limits{}, format.ErrMalformed, "encrypted data key count", "edk count", 0},
		{"EDK count 0 v2, EDK bytes follow", v2Header, func(h *hb) { h.edkCount = 0 }, nil, format.Limits{}, format.ErrMalformed, "encrypted data key count", "edk count", 0},
		{"EDK count above limit", v2Header, func(h *hb) { h.edks = append(h.edks, h.edks[0], h.edks[0]) }, nil, format.Limits{MaxEncryptedDataKeys: 2}, format.ErrTooManyEncryptedDataKeys, "encrypted data key count", "edk count", 0},
		{"invalid UTF-8 provider ID", v1Header, func(h *hb) { h.edks[0][0] = []byte("pr\xffv") }, nil, format.Limits{}, format.ErrMalformed, "encrypted data key 0", "edk0a", 0},
		{"invalid UTF-8 in second provider ID", v2Header, func(h *hb) {
			h.edks = append(h.edks, [3][]byte{[]byte("\xc0\x80"), nil, nil})
		}, nil, format.Limits{}, format.ErrMalformed, "encrypted data key 1", "edk1a", 0},
		{"EDK count larger than the EDKs", v1Header, func(h *hb) { h.edkCount = 5 }, nil, format.Limits{}, nil, "", "", 0},
		{"EC duplicate key", v1Header, func(h *hb) { h.ec = ecBytes("k", "1", "k", "2") }, nil, format.Limits{}, materials.ErrMalformedEncryptionContext, "encryption context", "ec", 8},
		{"EC invalid UTF-8", v2Header, func(h *hb) { h.ec = ecBytes("k", "\xff") }, nil, format.Limits{}, materials.ErrMalformedEncryptionContext, "encryption context", "ec", 2},
		{"EC count 0 with a pair", v1Header, func(h *hb) {
			h.ec = append([]byte{0, 0}, ecBytes("a", "b")[2:]...)
		}, nil, format.Limits{}, materials.ErrMalformedEncryptionContext, "encryption context", "ec", 0},
		{"EC length one short", v1Header, func(h *hb) { h.ecLen = len(h.ec) - 1 }, nil, format.Limits{}, nil, "", "", 0},
		{"EC length one long", v1Header, func(h *hb) { h.ecLen = len(h.ec) + 1 }, nil, format.Limits{}, nil, "", "", 0},
		{"header larger than MaxHeaderSize", v2Header, func(h *hb) { h.edks[0][2] = fill(200, 1) }, nil, format.Limits{MaxHeaderSize: 150}, format.ErrHeaderTooLarge, "encrypted data key 0", "", 0},
	}
	for _, c := range cases {
		h := c.base()
		c.mutate(&h)
		b, offs := h.build()
		// Add a body-like tail so that only the header is at fault.
		input := append(bytes.Clone(b), make([]byte, 64)...)
		hdr, raw, err := readHeader(input, c.lim)
		if err == nil {
			t.Errorf("%s: ReadHeader accepted %x as %+v", c.name, raw, hdr)
			continue
		}
		if hdr != nil || raw != nil {
			t.Errorf("%s: header returned with the error", c.name)
		}
		off := int64(-1)
		if c.off != "" {
			o, ok := offs[c.off]
			if !ok {
				t.Fatalf("%s: no offset %q", c.name, c.off)
			}
			off = int64(o + c.delta)
		}
		parseErr(t, c.name, err, c.target, c.field, off)
	}
}

// TestReadHeaderTruncated cuts a valid header at every length.
func TestReadHeaderTruncated(t *testing.T) {
	for _, h := range []hb{v1Header(), v2Header()} {
		b := h.bytes()
		for n := 0; n < len(b); n++ {
			_, _, err := readHeader(b[:n], format.Limits{})
			parseErr(t, "truncated header", err, format.ErrTruncated, "", -1)
		}
	}
}

// errAfterCount is returned by limitReader when read past its limit.
var errAfterCount = errors.New("test reader: read past the encrypted data key count")

// limitReader serves data one byte per Read up to n bytes, then fails.
type limitReader struct {
	data []byte
	n    int
	pos  int
}

func (r *limitReader) Read(p []byte) (int, error) {
	if r.pos >= r.n {
		return 0, errAfterCount
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[r.pos]
	r.pos++
	return 1, nil
}

// TestEDKLimitChecksBeforeReading gives ReadHeader a reader that fails if
// anything after the encrypted data key count is read: the limit must be
// enforced from the count alone.
func TestEDKLimitChecksBeforeReading(t *testing.T) {
	for _, h := range []hb{v1Header(), v2Header()} {
		h.edks = append(h.edks, h.edks[0], h.edks[0], h.edks[0])
		b, offs := h.build()
		end := offs["edk count"] + 2
		r := &limitReader{data: b, n: end}
		_, _, err := format.NewReader(r, format.Limits{MaxEncryptedDataKeys: 3}).ReadHeader()
		if errors.Is(err, errAfterCount) {
			t.Fatalf("v%d: ReadHeader read past the EDK count before enforcing the limit: %v", h.version, err)
		}
		parseErr(t, "EDK limit", err, format.ErrTooManyEncryptedDataKeys, "encrypted data key count", int64(offs["edk count"]))
		// At the limit the header parses.
		if _, _, err := readHeader(b, format.Limits{MaxEncryptedDataKeys: 4}); err != nil {
			t.Errorf("v%d: 4 EDKs with limit 4: %v", h.version, err)
		}
		// The maximum count with no limit set.
		h.edkCount = 0xffff
		big, _ := h.build()
		_, _, err = readHeader(big, format.Limits{})
		parseErr(t, "65535 EDKs, 4 present", err, format.ErrTruncated, "", -1)
	}
}

func TestBase64Detection(t *testing.T) {
	for _, h := range []hb{v1Header(), v2Header(), func() hb { h := v2Header(); h.suite = 0x0578; return h }()} {
		msg := message(h, finalFrame(1, 0))
		enc := base64.StdEncoding.EncodeToString(msg)
		_, _, err := readHeader([]byte(enc), format.Limits{})
		parseErr(t, "base64 "+enc[:4], err, format.ErrBase64, "", 0)
	}
	// "AY" alone, shorter than the peek, is still recognised as v1 base64.
	_, _, err := readHeader([]byte("AY"), format.Limits{})
	if !errors.Is(err, format.ErrBase64) {
		t.Errorf("\"AY\": %v", err)
	}
	// Other text is an ordinary malformed version, not base64.
	_, _, err = readHeader([]byte("hello world"), format.Limits{})
	if errors.Is(err, format.ErrBase64) || !errors.Is(err, format.ErrMalformed) {
		t.Errorf("text input: %v", err)
	}
}

func TestReadHeaderTwice(t *testing.T) {
	b := v1Header().bytes()
	r := format.NewReader(bytes.NewReader(append(b, b...)), format.Limits{})
	if _, _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.ReadHeader(); err == nil {
		t.Error("second ReadHeader succeeded")
	}
	r = format.NewReader(bytes.NewReader(b), format.Limits{})
	if _, err := r.ReadHeaderAuth(); err == nil {
		t.Error("ReadHeaderAuth before ReadHeader succeeded")
	}
	if _, err := r.ReadFrame(nil); err == nil {
		t.Error("ReadFrame before ReadHeader succeeded")
	}
	if _, err := r.ReadNonFramed(nil); err == nil {
		t.Error("ReadNonFramed before ReadHeader succeeded")
	}
}

func TestHeaderAuth(t *testing.T) {
	for _, h := range []hb{v1Header(), v2Header()} {
		auth := bytes.Repeat([]byte{0x5a}, authLen(h.version))
		if h.version == 1 {
			copy(auth, fill(12, 0x01))
		}
		b := append(h.bytes(), auth...)
		r := format.NewReader(bytes.NewReader(b), format.Limits{})
		if _, _, err := r.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		a, err := r.ReadHeaderAuth()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Tag, fill(16, 0x5a)) {
			t.Errorf("v%d: tag %x", h.version, a.Tag)
		}
		if h.version == 1 {
			if !bytes.Equal(a.IV, fill(12, 1)) || !bytes.Equal(a.AuthIV(), fill(12, 1)) {
				t.Errorf("v1: IV %x, AuthIV %x; want the IV read", a.IV, a.AuthIV())
			}
		} else if a.IV != nil || !bytes.Equal(a.AuthIV(), make([]byte, 12)) {
			t.Errorf("v2: IV %x, AuthIV %x; want nil and zeros", a.IV, a.AuthIV())
		}
		if r.Offset() != int64(len(b)) {
			t.Errorf("v%d: Offset %d, want %d", h.version, r.Offset(), len(b))
		}
		// Truncated authentication.
		r = format.NewReader(bytes.NewReader(b[:len(b)-1]), format.Limits{})
		r.ReadHeader()
		_, err = r.ReadHeaderAuth()
		parseErr(t, "truncated header auth", err, format.ErrTruncated, "header authentication", int64(len(h.bytes())))
	}
	if got := wire.AppendHeaderAuth([]byte{9}, 1, fill(16, 7)); !bytes.Equal(got, append(append([]byte{9}, make([]byte, 12)...), fill(16, 7)...)) {
		t.Errorf("AppendHeaderAuth v1 = %x", got)
	}
	if got := wire.AppendHeaderAuth(nil, 2, fill(16, 7)); !bytes.Equal(got, fill(16, 7)) {
		t.Errorf("AppendHeaderAuth v2 = %x", got)
	}
}

// bodyReader returns a reader positioned after the header auth of msg.
func bodyReader(t *testing.T, msg []byte, lim format.Limits) *format.Reader {
	t.Helper()
	r := format.NewReader(bytes.NewReader(msg), lim)
	if _, _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadHeaderAuth(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReadFrames(t *testing.T) {
	h := v2Header() // frame length 64
	fl := int(h.frameLen)
	body := [][]byte{regularFrame(1, fl), regularFrame(2, fl), finalFrame(3, 10)}
	msg := message(h, body...)
	r := bodyReader(t, msg, format.Limits{})
	start := r.Offset()
	var buf []byte
	for i := range 3 {
		at := r.Offset()
		f, err := r.ReadFrame(buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if f.Seq != uint32(i+1) || f.Final != (i == 2) || !bytes.Equal(f.IV, iv(uint32(i+1))) || !bytes.Equal(f.Raw, body[i]) {
			t.Errorf("frame %d: %+v", i+1, f)
		}
		wantLen := fl
		if i == 2 {
			wantLen = 10
		}
		if f.ContentLen() != wantLen || len(f.Sealed) != wantLen+16 || !bytes.Equal(f.Sealed[wantLen:], fill(16, 0xdd)) {
			t.Errorf("frame %d: content length %d, sealed %d bytes", i+1, f.ContentLen(), len(f.Sealed))
		}
		if r.Offset() != at+int64(len(body[i])) {
			t.Errorf("frame %d: offset %d", i+1, r.Offset())
		}
		buf = f.Raw
	}
	for range 2 {
		if _, err := r.ReadFrame(buf); err != io.EOF {
			t.Errorf("after the final frame: %v, want io.EOF", err)
		}
	}
	if r.Offset()-start != int64(len(msg))-start {
		t.Errorf("offset %d, want %d", r.Offset(), len(msg))
	}
	if err := r.ExpectEOF(); err != nil {
		t.Errorf("ExpectEOF: %v", err)
	}
	if _, err := r.ReadNonFramed(nil); err == nil {
		t.Error("ReadNonFramed on a framed message succeeded")
	}

	// Full and empty final frames are both legal.
	for _, parts := range [][][]byte{
		{finalFrame(1, 0)},
		{finalFrame(1, fl)},
		{regularFrame(1, fl), finalFrame(2, 0)},
		{regularFrame(1, fl), finalFrame(2, fl)},
	} {
		if _, err := parseMessage(message(h, parts...), format.Limits{}); err != nil {
			t.Errorf("%d frames: %v", len(parts), err)
		}
	}
}

func TestReadFramesHostile(t *testing.T) {
	h := v1Header()
	fl := int(h.frameLen)
	hdrLen := int64(len(h.bytes()) + authLen(1))
	r1 := regularFrame(1, fl)
	frameSize := int64(len(r1))
	for _, c := range []struct {
		name   string
		body   [][]byte
		target error
		field  string
		off    int64
	}{
		{"first sequence number 2", [][]byte{regularFrame(2, fl), finalFrame(3, 0)}, format.ErrMalformed, "frame sequence number", hdrLen},
		{"first sequence number 0", [][]byte{regularFrame(0, fl)}, format.ErrMalformed, "frame sequence number", hdrLen},
		{"final frame first with seq 2", [][]byte{finalFrame(2, 0)}, format.ErrMalformed, "frame sequence number", hdrLen},
		{"final frame with seq 0", [][]byte{finalFrame(0, 0)}, format.ErrMalformed, "frame sequence number", hdrLen},
		{"sequence gap", [][]byte{r1, regularFrame(3, fl), finalFrame(4, 0)}, format.ErrMalformed, "frame sequence number", hdrLen + frameSize},
		{"repeated frame", [][]byte{r1, r1, finalFrame(3, 0)}, format.ErrMalformed, "frame sequence number", hdrLen + frameSize},
		{"final frame seq repeats", [][]byte{r1, finalFrame(1, 0)}, format.ErrMalformed, "frame sequence number", hdrLen + frameSize},
		{"final frame seq skips", [][]byte{r1, finalFrame(3, 0)}, format.ErrMalformed, "frame sequence number", hdrLen + frameSize},
		{"final frame longer than frame length", [][]byte{finalFrame(1, fl+1)}, format.ErrMalformed, "final frame length", hdrLen + 20},
		{"final frame length 2^32-1", [][]byte{r1, finalFrame(2, 0)[:20], {0xff, 0xff, 0xff, 0xff}}, format.ErrMalformed, "final frame length", hdrLen + frameSize + 20},
		{"no final frame", [][]byte{r1}, format.ErrTruncated, "frame sequence number", hdrLen + frameSize},
		{"cut in sequence number", [][]byte{r1[:3]}, format.ErrTruncated, "frame sequence number", hdrLen},
		{"cut in IV", [][]byte{r1[:10]}, format.ErrTruncated, "frame IV", hdrLen + 4},
		{"cut in content", [][]byte{r1[:40]}, format.ErrTruncated, "frame content", hdrLen + 16},
		{"cut in tag", [][]byte{r1[:len(r1)-1]}, format.ErrTruncated, "frame content", hdrLen + 16},
		{"cut in final frame header", [][]byte{finalFrame(1, 5)[:10]}, format.ErrTruncated, "final frame header", hdrLen + 4},
		{"cut in final frame content", [][]byte{finalFrame(1, 5)[:30]}, format.ErrTruncated, "frame content", hdrLen + 24},
		{"trailing byte", [][]byte{finalFrame(1, 5), {0}}, format.ErrTrailingData, "end of message", hdrLen + 24 + 5 + 16},
	} {
		_, err := parseMessage(message(h, c.body...), format.Limits{})
		parseErr(t, c.name, err, c.target, c.field, c.off)
	}
}

func TestNonFramed(t *testing.T) {
	h := v1Header()
	h.contentType, h.frameLen = 1, 0
	nf := func(n uint64, content int) []byte {
		b := append(iv(1), binary.BigEndian.AppendUint64(nil, n)...)
		b = append(b, fill(content, 0xab)...)
		return b
	}
	msg := message(h, nf(5, 5+16))
	p, err := parseMessage(msg, format.Limits{})
	if err != nil || p.frames != 1 || p.content != 5 {
		t.Fatalf("non-framed: %+v, %v", p, err)
	}
	r := bodyReader(t, msg, format.Limits{})
	f, err := r.ReadNonFramed(nil)
	if err != nil || f.Seq != 1 || !f.Final || !bytes.Equal(f.IV, iv(1)) || len(f.Sealed) != 21 || len(f.Raw) != 12+8+21 {
		t.Errorf("ReadNonFramed = %+v, %v", f, err)
	}
	r = bodyReader(t, msg, format.Limits{})
	if _, err := r.ReadFrame(nil); err == nil {
		t.Error("ReadFrame on a non-framed message succeeded")
	}
	// Empty non-framed body.
	if _, err := parseMessage(message(h, nf(0, 16)), format.Limits{}); err != nil {
		t.Errorf("empty non-framed body: %v", err)
	}

	hdrLen := int64(len(h.bytes()) + authLen(1))
	for _, c := range []struct {
		name   string
		body   []byte
		lim    format.Limits
		target error
		field  string
		off    int64
	}{
		{"above the GCM limit", nf(format.MaxNonFramedLen+1, 16), format.Limits{}, format.ErrMalformed, "non-framed body length", hdrLen + 12},
		{"2^64-1", nf(^uint64(0), 16), format.Limits{}, format.ErrMalformed, "non-framed body length", hdrLen + 12},
		{"above MaxBodySize", nf(101, 117), format.Limits{MaxBodySize: 100}, format.ErrBodyTooLarge, "non-framed body length", hdrLen + 12},
		{"cut in the body header", nf(5, 21)[:15], format.Limits{}, format.ErrTruncated, "non-framed body header", hdrLen},
		{"cut in the content", nf(5, 20), format.Limits{}, format.ErrTruncated, "non-framed body content", hdrLen + 20},
		{"GCM limit, little data", nf(format.MaxNonFramedLen, 100), format.Limits{}, format.ErrTruncated, "non-framed body content", hdrLen + 20},
		{"trailing byte", nf(5, 22), format.Limits{}, format.ErrTrailingData, "end of message", hdrLen + 20 + 21},
	} {
		_, err := parseMessage(message(h, c.body), c.lim)
		parseErr(t, c.name, err, c.target, c.field, c.off)
	}
}

func TestFooter(t *testing.T) {
	h := v2Header()
	h.suite = 0x0578
	hdrLen := int64(len(h.bytes()) + authLen(2))
	final := finalFrame(1, 0)
	end := hdrLen + int64(len(final))
	for _, c := range []struct {
		name   string
		footer []byte
		target error
		field  string
		off    int64
	}{
		{"no footer", nil, format.ErrTruncated, "footer signature length", end},
		{"one length byte", []byte{0}, format.ErrTruncated, "footer signature length", end},
		{"empty signature", []byte{0, 0}, format.ErrMalformed, "footer signature length", end},
		{"short signature", []byte{0, 5, 1, 2, 3}, format.ErrTruncated, "footer signature", end + 2},
	} {
		r := bodyReader(t, message(h, final, c.footer), format.Limits{})
		if _, err := r.ReadFrame(nil); err != nil {
			t.Fatal(err)
		}
		_, err := r.ReadFooter()
		parseErr(t, c.name, err, c.target, c.field, c.off)
	}
	r := bodyReader(t, message(h, final, []byte{0, 3, 7, 8, 9}), format.Limits{})
	r.ReadFrame(nil)
	sig, err := r.ReadFooter()
	if err != nil || !bytes.Equal(sig, []byte{7, 8, 9}) {
		t.Errorf("ReadFooter = %x, %v", sig, err)
	}
	if err := r.ExpectEOF(); err != nil {
		t.Errorf("ExpectEOF: %v", err)
	}
	if got := wire.AppendFooter([]byte{1}, []byte{7, 8, 9}); !bytes.Equal(got, []byte{1, 0, 3, 7, 8, 9}) {
		t.Errorf("AppendFooter = %x", got)
	}
}

// TestFrameRawCoversTheBody checks that the frames' Raw bytes, back to
// back, are exactly the body between the header authentication and the
// footer: what a signature verifier hashes after the header.
func TestFrameRawCoversTheBody(t *testing.T) {
	h := v1Header()
	h.suite = 0x0378
	fl := int(h.frameLen)
	footer := []byte{0, 2, 1, 2}
	msg := message(h, regularFrame(1, fl), finalFrame(2, 7), footer)
	for _, r := range []*format.Reader{format.NewReader(bytes.NewReader(msg), format.Limits{}), format.NewBytesReader(msg, format.Limits{})} {
		if _, _, err := r.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadHeaderAuth(); err != nil {
			t.Fatal(err)
		}
		start := r.Offset()
		var body []byte
		for {
			f, err := r.ReadFrame(nil)
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
			body = append(body, f.Raw...)
		}
		if _, err := r.ReadFooter(); err != nil {
			t.Fatal(err)
		}
		if want := msg[start : len(msg)-len(footer)]; !bytes.Equal(body, want) {
			t.Errorf("frames hold %d bytes, want the %d between header authentication and footer", len(body), len(want))
		}
	}
}

// TestMemoryBounded checks that a declared length far beyond the input does
// not make the reader allocate for it.
func TestMemoryBounded(t *testing.T) {
	nfh := v1Header()
	nfh.contentType, nfh.frameLen = 1, 0
	nonFramed := message(nfh, append(iv(1), binary.BigEndian.AppendUint64(nil, format.MaxNonFramedLen)...), fill(100, 1))
	bigFrame := v2Header()
	bigFrame.frameLen = 0xffffffff
	framed := message(bigFrame, regularFrame(1, 0)[:16], fill(100, 1))
	finalBig := message(bigFrame, finalFrame(1, 0)[:20], []byte{0xff, 0xff, 0xff, 0xfe}, fill(100, 1))
	manyEDKs := v1Header()
	manyEDKs.edkCount = 0xffff
	bigEC := v2Header()
	bigEC.ecLen = 0xffff
	for _, c := range []struct {
		name string
		msg  []byte
	}{
		{"non-framed 2^36-32", nonFramed},
		{"frame length 2^32-1", framed},
		{"final frame 2^32-2", finalBig},
		{"65535 EDKs", manyEDKs.bytes()},
		{"EC length 65535", bigEC.bytes()},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := parseMessage(c.msg, format.Limits{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, format.ErrTruncated) {
			t.Errorf("%s: %v, want ErrTruncated", c.name, err)
		}
		// The reader's own 64 KiB buffer plus slack.
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: allocated %d bytes for a %d-byte input", c.name, got, len(c.msg))
		}
	}
}

func TestParseErrorString(t *testing.T) {
	err := error(&format.ParseError{Field: "frame IV", Offset: 42, Err: format.ErrTruncated})
	if got := err.Error(); got != "format: frame IV at byte 42: message is truncated" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, format.ErrTruncated) {
		t.Error("Unwrap does not reach the sentinel")
	}
	if !strings.Contains(format.ErrBase64.Error(), "base64") {
		t.Errorf("ErrBase64 = %q", format.ErrBase64)
	}
}
