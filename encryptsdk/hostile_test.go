package encryptsdk_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
	"github.com/go-esdk/esdk/materials"
)

// maxHostileAlloc bounds the memory any of the hostile inputs below may
// make a decryption allocate.
const maxHostileAlloc = 8 << 20

// ecLenAt is the offset of the encryption context length field.
func ecLenAt(version byte) int {
	if version == 1 {
		return 1 + 1 + 2 + 16
	}
	return 1 + 2 + 32
}

// decryptAlloc decrypts msg with the one-shot and the streaming API and
// returns the error of each and the most either allocated.
//
//lint:ignore ST1008 the errors of the two APIs are results, not a failure of this helper
func decryptAlloc(t *testing.T, c *encryptsdk.Client, msg []byte, opts *encryptsdk.DecryptOptions) (oneShot, streaming error, alloc uint64) {
	t.Helper()
	a := allocated(func() { _, _, oneShot = c.DecryptBytes(bg, msg, opts) })
	b := allocated(func() {
		d, err := c.Decrypt(bg, bytes.NewReader(msg), opts)
		if err != nil {
			streaming = err
			return
		}
		_, streaming = io.Copy(io.Discard, d)
	})
	return oneShot, streaming, max(a, b)
}

// TestHostileHeaders feeds hand-built headers whose length fields promise
// far more data than follows.
func TestHostileHeaders(t *testing.T) {
	f := newForger(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	h, _ := f.header(t, format.Framed, 4096)
	raw, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	edkAt := ecLenAt(2) + 2 // empty context

	manyKeys := bytes.Clone(raw[:edkAt+2+6+len(f.edk.ProviderID)])
	binary.BigEndian.PutUint16(manyKeys[edkAt:], 0xffff)

	hugeEC := bytes.Clone(raw[:ecLenAt(2)])
	hugeEC = append(hugeEC, 0xff, 0xff, 0x00, 0x05, 0x00, 0x01, 'k')

	longEDK := bytes.Clone(raw[:edkAt+2])
	longEDK = append(longEDK, 0xff, 0xff, 'n', 's')

	for _, tc := range []struct {
		name  string
		msg   []byte
		field string
	}{
		{"65535 encrypted data keys, one present", manyKeys, "encrypted data key 0"},
		{"encryption context length 65535", hugeEC, "encryption context"},
		{"provider ID length 65535", longEDK, "encrypted data key 0"},
	} {
		one, stream, alloc := decryptAlloc(t, f.client, tc.msg, nil)
		for _, err := range []error{one, stream} {
			errIs(t, err, encryptsdk.ErrTruncated, tc.name)
			if pe := parseError(t, err, tc.name); pe != nil && pe.Field != tc.field {
				t.Errorf("%s: field %q, want %q", tc.name, pe.Field, tc.field)
			}
		}
		if alloc > maxHostileAlloc {
			t.Errorf("%s: allocated %d bytes", tc.name, alloc)
		}
	}

	// 65535 keys that are all present (empty fields) cost memory in
	// proportion to the input, not more.
	all := bytes.Clone(raw[:edkAt])
	all = binary.BigEndian.AppendUint16(all, 0xffff)
	all = append(all, bytes.Repeat([]byte{0, 1, 'x', 0, 0, 0, 0}, 0xffff)...)
	all = append(all, raw[len(raw)-1-4-32:]...)
	one, _, alloc := decryptAlloc(t, f.client, all, nil)
	var nd *encryptsdk.NoDecryptableKeyError
	if !errors.As(one, &nd) {
		t.Errorf("65535 foreign keys: %v, want NoDecryptableKeyError", one)
	}
	if alloc > 64<<20 {
		t.Errorf("65535 foreign keys (%d bytes of input): allocated %d bytes", len(all), alloc)
	}
	t.Logf("a header with 65535 encrypted data keys (%d bytes) allocates %d bytes", len(all), alloc)
}

// TestHostileBodyLengths uses headers that authenticate (the forger knows
// the data key) with bodies whose length fields are huge.
func TestHostileBodyLengths(t *testing.T) {
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY} {
		f := newForger(t, id)
		t.Run(hexID(id), func(t *testing.T) {
			// Frame length 2^32-1, and the input ends 100 bytes into frame 1.
			h, _ := f.header(t, format.Framed, 1<<32-1)
			raw, _ := h.AppendBinary(nil)
			_, aead := f.header(t, format.Framed, 1<<32-1)
			msg := sealHeader(raw, h.Version, aead, nil)
			msg = binary.BigEndian.AppendUint32(msg, 1)
			msg = append(msg, make([]byte, algorithms.IVLen+100)...)
			one, stream, alloc := decryptAlloc(t, f.client, msg, nil)
			for _, err := range []error{one, stream} {
				errIs(t, err, encryptsdk.ErrTruncated, "frame length 2^32-1")
				if pe := parseError(t, err, "frame length 2^32-1"); pe != nil && pe.Field != "frame content" {
					t.Errorf("field %q", pe.Field)
				}
			}
			if alloc > maxHostileAlloc {
				t.Errorf("frame length 2^32-1: allocated %d bytes", alloc)
			}
			_, _, err := f.client.DecryptBytes(bg, msg, &encryptsdk.DecryptOptions{MaxBodySize: 1 << 20})
			errIs(t, err, encryptsdk.ErrBodyTooLarge, "frame length 2^32-1 with MaxBodySize")

			// A valid message with frame length 2^32-1 and a short final frame.
			pt := []byte("short final frame")
			valid := sealHeader(bytes.Clone(raw), h.Version, aead, nil)
			valid = appendFrame(valid, aead, h.MessageID, h.FrameLength, 1, true, nil, pt)
			var got []byte
			alloc = allocated(func() { got, _, err = f.client.DecryptBytes(bg, valid, nil) })
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("valid message with frame length 2^32-1: %q, %v", got, err)
			}
			if alloc > maxHostileAlloc {
				t.Errorf("valid message with frame length 2^32-1: allocated %d bytes", alloc)
			}

			// Non-framed bodies claiming 2^36 bytes (over the AES-GCM limit),
			// 2^64-1 bytes, and exactly the limit with little data.
			h, aead = f.header(t, format.NonFramed, 0)
			raw, _ = h.AppendBinary(nil)
			hdr := sealHeader(raw, h.Version, aead, nil)
			for _, tc := range []struct {
				n     uint64
				want  error
				field string
			}{
				{1 << 36, format.ErrMalformed, "non-framed body length"},
				{1<<64 - 1, format.ErrMalformed, "non-framed body length"},
				{format.MaxNonFramedLen + 1, format.ErrMalformed, "non-framed body length"},
				{format.MaxNonFramedLen, format.ErrTruncated, "non-framed body content"},
			} {
				msg := wire.AppendNonFramedHeader(bytes.Clone(hdr), tc.n)
				msg = append(msg, make([]byte, 1000)...)
				one, stream, alloc := decryptAlloc(t, f.client, msg, nil)
				for _, err := range []error{one, stream} {
					errIs(t, err, tc.want, fmt.Sprintf("non-framed length %d", tc.n))
					if pe := parseError(t, err, "non-framed"); pe != nil && pe.Field != tc.field {
						t.Errorf("non-framed length %d: field %q, want %q", tc.n, pe.Field, tc.field)
					}
				}
				if alloc > maxHostileAlloc {
					t.Errorf("non-framed length %d: allocated %d bytes", tc.n, alloc)
				}
			}
		})
	}
}

// TestDecryptAllocationSmallFrames: the frame length is chosen by whoever
// wrote the message; a short message with tiny (or large) frames must not
// make the reader allocate much more than the message.
func TestDecryptAllocationSmallFrames(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	// The largest frame length a 32-bit platform encrypts with is a little
	// under 2^31-1 (a regular frame with its header and tag fits int).
	for _, fl := range []int64{1, 16, 4096, 1 << 20, min(1<<31-1, math.MaxInt-64)} {
		ct, err := c.EncryptBytes(bg, []byte("hello, frames"), &encryptsdk.EncryptOptions{FrameLength: fl})
		if err != nil {
			t.Fatal(err)
		}
		one, stream, alloc := decryptAlloc(t, c, ct, nil)
		if one != nil || stream != nil {
			t.Fatalf("frame length %d: %v, %v", fl, one, stream)
		}
		if alloc > maxHostileAlloc {
			t.Errorf("frame length %d: decrypting a %d-byte message allocated %d bytes", fl, len(ct), alloc)
		}
	}
}

// TestForgedMessagesAccepted: messages other SDKs may write, which this
// library does not, must decrypt (DESIGN: decrypt accepts everything any
// official SDK writes).
func TestForgedMessagesAccepted(t *testing.T) {
	pt := plaintext(40, 40)
	for _, id := range []algorithms.ID{algorithms.AES_128_GCM_IV12_TAG16_NO_KDF, algorithms.AES_192_GCM_IV12_TAG16_HKDF_SHA256, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY} {
		f := newForger(t, id)
		h, aead := f.header(t, format.Framed, 20)
		raw, _ := h.AppendBinary(nil)
		hdr := sealHeader(bytes.Clone(raw), h.Version, aead, nil)
		for _, tc := range []struct {
			name string
			msg  func() []byte
		}{
			{"full final frame", func() []byte {
				m := appendFrame(bytes.Clone(hdr), aead, h.MessageID, 20, 1, false, nil, pt[:20])
				return appendFrame(m, aead, h.MessageID, 20, 2, true, nil, pt[20:])
			}},
			{"empty final frame", func() []byte {
				m := appendFrame(bytes.Clone(hdr), aead, h.MessageID, 20, 1, false, nil, pt[:20])
				m = appendFrame(m, aead, h.MessageID, 20, 2, false, nil, pt[20:])
				return appendFrame(m, aead, h.MessageID, 20, 3, true, nil, nil)
			}},
			{"random frame IVs", func() []byte {
				m := appendFrame(bytes.Clone(hdr), aead, h.MessageID, 20, 1, false, plaintext(12, 1), pt[:20])
				return appendFrame(m, aead, h.MessageID, 20, 2, true, plaintext(12, 2), pt[20:])
			}},
			{"legacy empty context 00 02 00 00", func() []byte {
				at := ecLenAt(h.Version)
				r := append(bytes.Clone(raw[:at]), 0, 2, 0, 0)
				r = append(r, raw[at+2:]...)
				m := sealHeader(r, h.Version, aead, nil)
				m = appendFrame(m, aead, h.MessageID, 20, 1, false, nil, pt[:20])
				return appendFrame(m, aead, h.MessageID, 20, 2, true, nil, pt[20:])
			}},
			{"non-zero header IV (format 1)", func() []byte {
				if h.Version != 1 {
					return nil
				}
				m := sealHeader(bytes.Clone(raw), h.Version, aead, plaintext(12, 3))
				m = appendFrame(m, aead, h.MessageID, 20, 1, false, nil, pt[:20])
				return appendFrame(m, aead, h.MessageID, 20, 2, true, nil, pt[20:])
			}},
		} {
			msg := tc.msg()
			if msg == nil {
				continue
			}
			got, _, err := f.client.DecryptBytes(bg, msg, nil)
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("%v %s: %d bytes, %v", id, tc.name, len(got), err)
			}
		}

		// A non-framed body.
		hn, aeadN := f.header(t, format.NonFramed, 0)
		rawN, _ := hn.AppendBinary(nil)
		msg := appendNonFramed(sealHeader(rawN, hn.Version, aeadN, nil), aeadN, hn.MessageID, pt)
		if got, _, err := f.client.DecryptBytes(bg, msg, nil); err != nil || !bytes.Equal(got, pt) {
			t.Errorf("%v non-framed: %d bytes, %v", id, len(got), err)
		}
	}
}

// TestForgedMessagesRejected: well-authenticated messages whose structure
// breaks the format's rules.
func TestForgedMessagesRejected(t *testing.T) {
	pt := plaintext(40, 40)
	for _, id := range []algorithms.ID{algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY} {
		f := newForger(t, id)
		h, aead := f.header(t, format.Framed, 20)
		raw, _ := h.AppendBinary(nil)
		hdr := sealHeader(bytes.Clone(raw), h.Version, aead, nil)
		frame := func(m []byte, seq uint32, final bool, p []byte) []byte {
			return appendFrame(m, aead, h.MessageID, 20, seq, final, nil, p)
		}
		// editHeader changes header bytes and re-authenticates them.
		editHeader := func(edit func([]byte) []byte) []byte {
			r := edit(bytes.Clone(raw))
			m := sealHeader(r, h.Version, aead, nil)
			m = frame(m, 1, false, pt[:20])
			return frame(m, 2, true, pt[20:])
		}
		frameLenAt := len(raw) - 4 - h.Suite.SuiteDataLen()
		for _, tc := range []struct {
			name string
			msg  []byte
			want error
		}{
			{"first frame has sequence number 2", frame(frame(bytes.Clone(hdr), 2, false, pt[:20]), 3, true, pt[20:]), format.ErrMalformed},
			{"sequence number 0", frame(bytes.Clone(hdr), 0, true, pt), format.ErrMalformed},
			{"sequence gap", frame(frame(frame(bytes.Clone(hdr), 1, false, pt[:20]), 3, false, pt[20:]), 4, true, nil), format.ErrMalformed},
			{"final frame number repeats", frame(frame(bytes.Clone(hdr), 1, false, pt[:20]), 1, true, pt[20:]), format.ErrMalformed},
			{"final frame longer than the frame length", frame(bytes.Clone(hdr), 1, true, pt[:21]), format.ErrMalformed},
			{"no final frame", frame(frame(bytes.Clone(hdr), 1, false, pt[:20]), 2, false, pt[20:]), format.ErrTruncated},
			{"framed with frame length 0", editHeader(func(r []byte) []byte {
				binary.BigEndian.PutUint32(r[frameLenAt:], 0)
				return r
			}), format.ErrMalformed},
			{"non-framed content type with a frame length", editHeader(func(r []byte) []byte {
				r[frameLenAt-1-5*(2-int(h.Version))] = byte(format.NonFramed)
				return r
			}), format.ErrMalformed},
			{"content type 3", editHeader(func(r []byte) []byte {
				r[frameLenAt-1-5*(2-int(h.Version))] = 3
				return r
			}), format.ErrMalformed},
			{"no encrypted data keys", editHeader(func(r []byte) []byte {
				at := ecLenAt(h.Version) + 2
				n := 2 + 6 + len(f.edk.ProviderID) + len(f.edk.ProviderInfo) + len(f.edk.Ciphertext)
				return append(append(r[:at:at], 0, 0), r[at+n:]...)
			}), format.ErrMalformed},
			{"invalid UTF-8 provider ID", editHeader(func(r []byte) []byte {
				at := ecLenAt(h.Version) + 2 + 2 + 2
				r[at] = 0xff
				return r
			}), format.ErrMalformed},
		} {
			_, _, err := f.client.DecryptBytes(bg, tc.msg, nil)
			errIs(t, err, tc.want, fmt.Sprintf("%v %s", id, tc.name))
			parseError(t, err, tc.name)
		}
		if h.Version == 1 {
			for _, tc := range []struct {
				name string
				at   int
				val  byte
			}{
				{"reserved bytes", frameLenAt - 5, 1},
				{"IV length 16", frameLenAt - 1, 16},
			} {
				msg := editHeader(func(r []byte) []byte { r[tc.at] = tc.val; return r })
				_, _, err := f.client.DecryptBytes(bg, msg, nil)
				errIs(t, err, format.ErrMalformed, tc.name)
			}
		}
	}
}

// TestHalfSignedMessage: a message of an unsigned suite whose encryption
// context carries a verification key (what an attacker who can decrypt a
// signed message makes by re-encrypting it unsigned) is rejected even
// though its header authenticates, and so is a signed suite without one.
func TestHalfSignedMessage(t *testing.T) {
	key, err := suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384).GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := algorithms.EncodePublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pt := []byte("half signed")
	for _, tc := range []struct {
		id algorithms.ID
		ec materials.EncryptionContext
	}{
		{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, materials.EncryptionContext{algorithms.PublicKeyContextKey: pub}},
		{algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, materials.EncryptionContext{}},
		{algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256, materials.EncryptionContext{algorithms.PublicKeyContextKey: pub}},
	} {
		f := newForger(t, tc.id).withEC(t, tc.ec)
		h, aead := f.header(t, format.Framed, 64)
		raw, _ := h.AppendBinary(nil)
		msg := sealHeader(raw, h.Version, aead, nil)
		msg = appendFrame(msg, aead, h.MessageID, 64, 1, true, nil, pt)
		_, _, err := f.client.DecryptBytes(bg, msg, nil)
		errIs(t, err, materials.ErrInvalidMaterials, fmt.Sprintf("%v with context %v", tc.id, tc.ec))
	}
	// Control: the same forgery without the key decrypts.
	f := newForger(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
	h, aead := f.header(t, format.Framed, 64)
	raw, _ := h.AppendBinary(nil)
	msg := appendFrame(sealHeader(raw, h.Version, aead, nil), aead, h.MessageID, 64, 1, true, nil, pt)
	if got, _, err := f.client.DecryptBytes(bg, msg, nil); err != nil || !bytes.Equal(got, pt) {
		t.Errorf("control: %q, %v", got, err)
	}
}
