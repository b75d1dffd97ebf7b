package format_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
)

// vectorsDir is the shared test vector directory, relative to this package.
var vectorsDir = filepath.Join("..", "..", "shared", "testvectors")

type vector struct {
	set, name, path string
	positive        bool
	// tamper is the js-5.0.2-generated x-tamper kind of a negative case.
	tamper string
	// suite is the x-case suite of a js-5.0.2-generated case, if given.
	suite string
}

// loadVectors reads every manifest of every set and returns each distinct
// ciphertext once; a ciphertext that is positive in any manifest counts as
// positive.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	if _, err := os.Stat(vectorsDir); os.IsNotExist(err) {
		t.Skip("test vectors not present at " + vectorsDir)
	}
	manifests, err := filepath.Glob(filepath.Join(vectorsDir, "*", "manifest*.json"))
	if err != nil || len(manifests) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	byPath := map[string]*vector{}
	for _, mf := range manifests {
		data, err := os.ReadFile(mf)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Manifest struct {
				Version int `json:"version"`
			} `json:"manifest"`
			Tests map[string]struct {
				Ciphertext string `json:"ciphertext"`
				Plaintext  string `json:"plaintext"`
				Result     *struct {
					Output json.RawMessage `json:"output"`
					Error  json.RawMessage `json:"error"`
				} `json:"result"`
				Scenario *struct {
					Type       string `json:"type"`
					Ciphertext string `json:"ciphertext"`
				} `json:"decryption-scenario"`
				Case *struct {
					Suite string `json:"suite"`
				} `json:"x-case"`
				Tamper *struct {
					Kind string `json:"kind"`
				} `json:"x-tamper"`
			} `json:"tests"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", mf, err)
		}
		set := filepath.Base(filepath.Dir(mf))
		for name, tc := range m.Tests {
			v := vector{set: set, name: name}
			uri := tc.Ciphertext
			switch {
			case tc.Scenario != nil:
				uri = tc.Scenario.Ciphertext
				v.positive = strings.HasPrefix(tc.Scenario.Type, "positive")
			case tc.Result != nil:
				v.positive = tc.Result.Error == nil
			default: // manifest v1: every case has a plaintext
				v.positive = tc.Plaintext != ""
			}
			if tc.Tamper != nil {
				v.tamper = tc.Tamper.Kind
			}
			if tc.Case != nil {
				v.suite = tc.Case.Suite
			}
			if !strings.HasPrefix(uri, "file://") {
				t.Fatalf("%s/%s: ciphertext %q", mf, name, uri)
			}
			v.path = filepath.Join(filepath.Dir(mf), strings.TrimPrefix(uri, "file://"))
			if old, ok := byPath[v.path]; ok {
				old.positive = old.positive || v.positive
				if old.tamper == "" {
					old.tamper = v.tamper
				}
				continue
			}
			byPath[v.path] = &v
		}
	}
	out := make([]vector, 0, len(byPath))
	for _, v := range byPath {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// parsed is what parseMessage learned about a message.
type parsed struct {
	hdr       *format.Header
	raw       []byte
	auth      format.HeaderAuth
	frames    int
	content   int64 // total encrypted content bytes
	sig       []byte
	signedLen int64 // bytes covered by the signature
}

// parseMessage runs the whole Reader over data: header, header auth, every
// frame (or the non-framed body), the footer of signed suites (verifying
// the signature with the key in the encryption context), then ExpectEOF.
func parseMessage(data []byte, lim format.Limits) (*parsed, error) {
	r := format.NewReader(bytes.NewReader(data), lim)
	hdr, raw, err := r.ReadHeader()
	if err != nil {
		return nil, err
	}
	p := &parsed{hdr: hdr, raw: raw}
	var h hash.Hash
	if hdr.Suite.Signed() {
		h = hdr.Suite.SignatureHash()
		h.Write(raw)
	}
	if p.auth, err = r.ReadHeaderAuth(); err != nil {
		return p, err
	}
	if h != nil {
		h.Write(p.auth.IV)
		h.Write(p.auth.Tag)
	}
	var buf []byte
	if hdr.ContentType == format.Framed {
		for {
			f, err := r.ReadFrame(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				return p, err
			}
			p.frames++
			p.content += int64(f.ContentLen())
			if h != nil {
				h.Write(f.Raw)
			}
			buf = f.Raw
		}
	} else {
		f, err := r.ReadNonFramed(buf)
		if err != nil {
			return p, err
		}
		p.frames++
		p.content += int64(f.ContentLen())
		if h != nil {
			h.Write(f.Raw)
		}
		if _, err := r.ReadNonFramed(nil); err != io.EOF {
			return p, errors.New("second ReadNonFramed did not return io.EOF")
		}
	}
	p.signedLen = r.Offset()
	if hdr.Suite.Signed() {
		if p.sig, err = r.ReadFooter(); err != nil {
			return p, err
		}
		pub, err := hdr.Suite.DecodePublicKey(hdr.EncryptionContext[algorithms.PublicKeyContextKey])
		if err != nil {
			return p, err
		}
		if err := algorithms.Verify(pub, h.Sum(nil), p.sig); err != nil {
			return p, err
		}
	}
	if err := r.ExpectEOF(); err != nil {
		return p, err
	}
	if r.Offset() != int64(len(data)) {
		return p, errors.New("offset after the message is not the message length")
	}
	return p, nil
}

// hb builds header bodies field by field, so tests can break any field.
// Offsets of interesting fields are recorded while building.
type hb struct {
	version     byte
	typ         byte
	suite       uint16
	mid         []byte
	ecLen       int // -1: len(ec)
	ec          []byte
	edkCount    int // -1: len(edks)
	edks        [][3][]byte
	contentType byte
	reserved    [4]byte
	ivLen       byte
	frameLen    uint32
	suiteData   []byte
}

func v1Header() hb {
	return hb{
		version: 1, typ: 0x80, suite: 0x0178, mid: fill(16, 0x11), ecLen: -1,
		ec:       ecBytes("a", "b"),
		edkCount: -1, edks: [][3][]byte{{[]byte("prov"), []byte("info"), []byte("ciphertext")}},
		contentType: 2, ivLen: 12, frameLen: 64,
	}
}

func v2Header() hb {
	h := v1Header()
	h.version, h.suite, h.mid, h.suiteData = 2, 0x0478, fill(32, 0x22), fill(32, 0x33)
	return h
}

// ecBytes serializes pairs in the order given (not sorted).
func ecBytes(pairs ...string) []byte {
	if len(pairs) == 0 {
		return nil
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(len(pairs)/2))
	for _, s := range pairs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b
}

func fill(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }

// build returns the header bytes and the offset of each field by name.
func (h hb) build() ([]byte, map[string]int) {
	off := map[string]int{}
	var b []byte
	mark := func(name string) { off[name] = len(b) }
	mark("version")
	b = append(b, h.version)
	if h.version != 2 {
		mark("type")
		b = append(b, h.typ)
	}
	mark("suite")
	b = binary.BigEndian.AppendUint16(b, h.suite)
	mark("message ID")
	b = append(b, h.mid...)
	mark("ec length")
	ecLen := h.ecLen
	if ecLen < 0 {
		ecLen = len(h.ec)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(ecLen))
	mark("ec")
	b = append(b, h.ec...)
	mark("edk count")
	n := h.edkCount
	if n < 0 {
		n = len(h.edks)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	for i, k := range h.edks {
		for j, f := range k {
			b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
			mark("edk" + string(rune('0'+i)) + string(rune('a'+j)))
			b = append(b, f...)
		}
	}
	mark("content type")
	b = append(b, h.contentType)
	if h.version != 2 {
		mark("reserved")
		b = append(b, h.reserved[:]...)
		mark("iv length")
		b = append(b, h.ivLen)
	}
	mark("frame length")
	b = binary.BigEndian.AppendUint32(b, h.frameLen)
	if h.version == 2 {
		mark("suite data")
		b = append(b, h.suiteData...)
	}
	mark("end")
	return b, off
}

func (h hb) bytes() []byte { b, _ := h.build(); return b }

// authLen is the header authentication length for a header version.
func authLen(version byte) int {
	if version == 1 {
		return 28
	}
	return 16
}

// regularFrame and finalFrame build frames by hand, with filler content.
func regularFrame(seq uint32, frameLen int) []byte {
	b := binary.BigEndian.AppendUint32(nil, seq)
	b = append(b, iv(seq)...)
	b = append(b, fill(frameLen, 0xcc)...)
	return append(b, fill(16, 0xdd)...)
}

func finalFrame(seq uint32, contentLen int) []byte {
	b := []byte{0xff, 0xff, 0xff, 0xff}
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(b, iv(seq)...)
	b = binary.BigEndian.AppendUint32(b, uint32(contentLen))
	b = append(b, fill(contentLen, 0xee)...)
	return append(b, fill(16, 0xdd)...)
}

func iv(seq uint32) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 8), seq)
}

// message joins a header, a zero header auth and the given body parts.
func message(h hb, parts ...[]byte) []byte {
	b := h.bytes()
	b = append(b, make([]byte, authLen(h.version))...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// parseErr asserts that err is a *ParseError with the given field and
// offset (offset < 0: any) wrapping target.
func parseErr(t *testing.T, name string, err error, target error, field string, offset int64) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", name, target)
		return
	}
	var pe *format.ParseError
	if !errors.As(err, &pe) {
		t.Errorf("%s: error %v (%T) is not a *format.ParseError", name, err, err)
		return
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("%s: error %v does not wrap %v", name, err, target)
	}
	if field != "" && pe.Field != field {
		t.Errorf("%s: Field = %q, want %q (%v)", name, pe.Field, field, err)
	}
	if offset >= 0 && pe.Offset != offset {
		t.Errorf("%s: Offset = %d, want %d (%v)", name, pe.Offset, offset, err)
	}
}
