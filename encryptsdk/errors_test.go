package encryptsdk_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/materials"
)

func TestWrongKey(t *testing.T) {
	key := testKey(32, 1)
	right := mustAES(t, "ns", "name", key)
	wrong := mustAES(t, "ns", "name", testKey(32, 2))
	for _, id := range []algorithms.ID{algorithms.AES_128_GCM_IV12_TAG16_NO_KDF, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		s := suite(t, id)
		ct, err := clientFor(right, s).EncryptBytes(bg, []byte("secret"), &encryptsdk.EncryptOptions{Suite: id})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = clientFor(wrong, s).DecryptBytes(bg, ct, nil)
		var nd *encryptsdk.NoDecryptableKeyError
		if !errors.As(err, &nd) {
			t.Fatalf("%v: error %v (%T), want *NoDecryptableKeyError", id, err, err)
		}
		if len(nd.Errs) != 1 {
			t.Errorf("%v: %d per-key errors, want 1 (the key matched by name and failed)", id, len(nd.Errs))
		}
		// Nothing secret in the message.
		if msg := err.Error(); strings.Contains(msg, hex.EncodeToString(key[:8])) || strings.Contains(msg, string(key[:8])) {
			t.Errorf("error message contains key bytes: %s", msg)
		}

		// A keyring with another name does not even try the key.
		other := mustAES(t, "ns", "other-name", key)
		_, _, err = clientFor(other, s).DecryptBytes(bg, ct, nil)
		if !errors.As(err, &nd) || len(nd.Errs) != 0 {
			t.Errorf("%v: other key name: %v", id, err)
		}
	}
}

func TestCommitmentMismatch(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	for _, id := range []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		s := suite(t, id)
		c := clientFor(kr, s)
		var buf bytes.Buffer
		e, err := c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{Suite: id})
		if err != nil {
			t.Fatal(err)
		}
		e.Write([]byte("commit"))
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		raw, err := e.Header().AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), raw) || !bytes.Equal(raw[len(raw)-32:], e.Header().SuiteData) {
			t.Fatal("header bytes do not end with the commitment key")
		}
		for _, at := range []int{len(raw) - 32, len(raw) - 1} {
			msg := bytes.Clone(buf.Bytes())
			msg[at] ^= 0x10
			_, _, err := c.DecryptBytes(bg, msg, nil)
			errIs(t, err, encryptsdk.ErrCommitmentMismatch, id.String())
			if errors.Is(err, encryptsdk.ErrHeaderAuthentication) {
				t.Errorf("%v: commitment must be checked before the header tag", id)
			}
		}
	}
}

func TestCommitmentPolicyErrors(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	legacy := suite(t, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256)
	forbid := clientFor(kr, legacy)
	ct, err := forbid.EncryptBytes(bg, []byte("legacy"), &encryptsdk.EncryptOptions{Suite: legacy.ID()})
	if err != nil {
		t.Fatal(err)
	}

	def := encryptsdk.New(kr)
	_, _, err = def.DecryptBytes(bg, ct, nil)
	errIs(t, err, encryptsdk.ErrCommitmentPolicy, "default policy decrypting a non-committing message")
	if d, err := def.Decrypt(bg, bytes.NewReader(ct), nil); d != nil || !errors.Is(err, encryptsdk.ErrCommitmentPolicy) {
		t.Errorf("streaming: %v", err)
	}
	allow := encryptsdk.New(kr)
	allow.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
	if got, _, err := allow.DecryptBytes(bg, ct, nil); err != nil || string(got) != "legacy" {
		t.Errorf("RequireEncryptAllowDecrypt: %q, %v", got, err)
	}

	var buf bytes.Buffer
	_, err = def.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{Suite: legacy.ID()})
	errIs(t, err, encryptsdk.ErrCommitmentPolicy, "default policy encrypting with a non-committing suite")
	if buf.Len() != 0 {
		t.Errorf("a failed Encrypt wrote %d bytes", buf.Len())
	}
	_, err = allow.EncryptBytes(bg, nil, &encryptsdk.EncryptOptions{Suite: legacy.ID()})
	errIs(t, err, encryptsdk.ErrCommitmentPolicy, "RequireEncryptAllowDecrypt encrypting with a non-committing suite")
	_, err = forbid.EncryptBytes(bg, nil, &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY})
	errIs(t, err, encryptsdk.ErrCommitmentPolicy, "ForbidEncryptAllowDecrypt encrypting with a committing suite")

	bad := encryptsdk.New(kr)
	bad.CommitmentPolicy = 7
	if _, err := bad.EncryptBytes(bg, nil, nil); err == nil {
		t.Error("invalid policy: Encrypt succeeded")
	}
	if _, _, err := bad.DecryptBytes(bg, ct, nil); err == nil {
		t.Error("invalid policy: Decrypt succeeded")
	}
}

func TestEncryptionContextErrors(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	ec := map[string]string{"tenant": "acme", "purpose": "test"}
	ct, err := c.EncryptBytes(bg, []byte("ec"), &encryptsdk.EncryptOptions{EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.DecryptBytes(bg, ct, &encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"tenant": "acme"}}); err != nil {
		t.Errorf("subset of the context: %v", err)
	}
	_, _, err = c.DecryptBytes(bg, ct, &encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"tenant": "other"}})
	errIs(t, err, encryptsdk.ErrEncryptionContextMismatch, "wrong value")
	// A pair that was not stored is treated as required and fails
	// authentication (the raw AES keyring binds the whole context).
	if _, _, err = c.DecryptBytes(bg, ct, &encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"extra": "x"}}); err == nil {
		t.Error("extra expected pair: decrypted")
	}

	for _, key := range []string{"aws-crypto-foo", "aws-crypto-public-key", "aws-crypto-"} {
		var buf bytes.Buffer
		_, err := c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{EncryptionContext: map[string]string{"ok": "1", key: "x"}})
		errIs(t, err, encryptsdk.ErrReservedEncryptionContextKey, key)
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes", key, buf.Len())
		}
	}
	if _, err := c.EncryptBytes(bg, nil, &encryptsdk.EncryptOptions{EncryptionContext: map[string]string{"aws-cryptoX": "fine", "AWS-CRYPTO-x": "fine"}}); err != nil {
		t.Errorf("keys without the exact reserved prefix: %v", err)
	}
}

func TestMaxEncryptedDataKeys(t *testing.T) {
	a := mustAES(t, "ns-a", "a", testKey(32, 1))
	b := mustAES(t, "ns-b", "b", testKey(16, 2))
	multi := mustMulti(t, a, b)

	limited := encryptsdk.New(multi)
	limited.MaxEncryptedDataKeys = 1
	var buf bytes.Buffer
	_, err := limited.Encrypt(bg, &buf, nil)
	errIs(t, err, encryptsdk.ErrTooManyEncryptedDataKeys, "encrypt with 2 keys, limit 1")
	if buf.Len() != 0 {
		t.Errorf("failed Encrypt wrote %d bytes", buf.Len())
	}

	two := encryptsdk.New(multi)
	two.MaxEncryptedDataKeys = 2
	ct, err := two.EncryptBytes(bg, []byte("two keys"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := two.DecryptBytes(bg, ct, nil); err != nil || string(got) != "two keys" {
		t.Fatalf("limit 2: %q, %v", got, err)
	}

	// Decrypt checks the count as soon as it is read: the keyring is never
	// asked, and the error names the field.
	spy := &spyKeyring{Keyring: a}
	dec := encryptsdk.New(spy)
	dec.MaxEncryptedDataKeys = 1
	_, _, err = dec.DecryptBytes(bg, ct, nil)
	errIs(t, err, encryptsdk.ErrTooManyEncryptedDataKeys, "decrypt 2-key message, limit 1")
	if pe := parseError(t, err, "too many keys"); pe != nil && pe.Field != "encrypted data key count" {
		t.Errorf("field %q", pe.Field)
	}
	_, err = dec.Decrypt(bg, bytes.NewReader(ct), nil)
	errIs(t, err, encryptsdk.ErrTooManyEncryptedDataKeys, "streaming decrypt of a 2-key message, limit 1")
	if n := spy.decrypts.Load(); n != 0 {
		t.Errorf("keyring called %d times", n)
	}
	dec.MaxEncryptedDataKeys = 0 // no limit
	if _, _, err := dec.DecryptBytes(bg, ct, nil); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

func TestMaxBodySize(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	c.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
	pt := plaintext(3000, 1)
	framed, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{FrameLength: 1024})
	if err != nil {
		t.Fatal(err)
	}
	nonFramed, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{NonFramed: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		max  int64
		ok   bool
	}{
		{"framed, limit below frame length", framed, 1023, false},
		{"framed, limit = frame length", framed, 1024, true},
		{"non-framed, limit below body", nonFramed, 2999, false},
		{"non-framed, limit = body", nonFramed, 3000, true},
	} {
		got, _, err := c.DecryptBytes(bg, tc.msg, &encryptsdk.DecryptOptions{MaxBodySize: tc.max})
		if tc.ok {
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		errIs(t, err, encryptsdk.ErrBodyTooLarge, tc.name)
		parseError(t, err, tc.name)
		// The streaming API applies the same limit.
		d, err := c.Decrypt(bg, bytes.NewReader(tc.msg), &encryptsdk.DecryptOptions{MaxBodySize: tc.max})
		if err == nil {
			_, err = io.ReadAll(d)
		}
		errIs(t, err, encryptsdk.ErrBodyTooLarge, tc.name+" (streaming)")
	}
}

func TestHeaderAuthenticationError(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	for _, s := range []algorithms.Suite{suite(t, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256), suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)} {
		c := clientFor(kr, s)
		ct, err := c.EncryptBytes(bg, []byte("hdr"), &encryptsdk.EncryptOptions{Suite: s.ID()})
		if err != nil {
			t.Fatal(err)
		}
		l := messageLayout(t, c, ct)
		msg := bytes.Clone(ct)
		msg[l.bodyStart-1] ^= 1 // the tag
		_, _, err = c.DecryptBytes(bg, msg, nil)
		errIs(t, err, encryptsdk.ErrHeaderAuthentication, s.ID().String())
	}
}

func TestMalformedInput(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	ct, err := c.EncryptBytes(bg, []byte("malformed"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, format.ErrTruncated},
		{"base64 of a message", []byte(base64.StdEncoding.EncodeToString(ct)), format.ErrBase64},
		{"version 3", append([]byte{3}, ct[1:]...), format.ErrMalformed},
		{"unknown suite", append([]byte{2, 0x09, 0x99}, ct[3:]...), format.ErrMalformed},
		{"v2 header with a v1 suite", append([]byte{2, 0x01, 0x78}, ct[3:]...), format.ErrMalformed},
		{"v1 header with bad type", []byte{1, 0x81, 0x01, 0x78}, format.ErrMalformed},
		{"v1 header with a committing suite", append([]byte{1, 0x80, 0x04, 0x78}, ct[3:]...), format.ErrMalformed},
	} {
		_, _, err := c.DecryptBytes(bg, tc.msg, nil)
		errIs(t, err, tc.want, tc.name)
		parseError(t, err, tc.name)
	}
}

func TestClientMisuse(t *testing.T) {
	var c encryptsdk.Client // no manager
	if _, err := c.EncryptBytes(bg, []byte("x"), nil); err == nil {
		t.Error("Encrypt without a manager succeeded")
	}
	if _, _, err := c.DecryptBytes(bg, []byte{2}, nil); err == nil {
		t.Error("Decrypt without a manager succeeded")
	}
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	ok := encryptsdk.New(kr)
	for _, fl := range []int64{-1, 1 << 32, 1<<32 + 5} {
		if _, err := ok.EncryptBytes(bg, []byte("x"), &encryptsdk.EncryptOptions{FrameLength: fl}); err == nil {
			t.Errorf("frame length %d accepted", fl)
		}
	}
	if _, err := ok.EncryptBytes(bg, []byte("x"), &encryptsdk.EncryptOptions{Suite: 0x0999}); err == nil {
		t.Error("unknown suite accepted")
	}
}

// badManager returns materials that break the rules.
type badManager struct {
	materials.Manager
	edit func(*materials.EncryptionMaterials)
}

func (b badManager) GetEncryptionMaterials(ctx context.Context, req materials.EncryptionRequest) (materials.EncryptionMaterials, error) {
	m, err := b.Manager.GetEncryptionMaterials(ctx, req)
	if err == nil {
		b.edit(&m)
	}
	return m, err
}

func TestInvalidMaterialsFromManager(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	for name, edit := range map[string]func(*materials.EncryptionMaterials){
		"short data key":    func(m *materials.EncryptionMaterials) { m.PlaintextDataKey = m.PlaintextDataKey[:16] },
		"no encrypted keys": func(m *materials.EncryptionMaterials) { m.EncryptedDataKeys = nil },
		"no signing key":    func(m *materials.EncryptionMaterials) { m.SigningKey = nil },
		"other suite": func(m *materials.EncryptionMaterials) {
			m.Suite = suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
		},
		"non-committing suite": func(m *materials.EncryptionMaterials) {
			m.Suite = suite(t, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA256)
		},
	} {
		c := &encryptsdk.Client{Manager: badManager{materials.NewDefaultManager(kr), edit}}
		var buf bytes.Buffer
		_, err := c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{Suite: algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384})
		if err == nil || buf.Len() != 0 {
			t.Errorf("%s: %v, wrote %d bytes", name, err, buf.Len())
		}
	}
}

// errWriter fails every write.
type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestEncryptDestinationError(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	c := encryptsdk.New(kr)
	boom := errors.New("boom")
	if _, err := c.Encrypt(bg, errWriter{boom}, nil); !errors.Is(err, boom) {
		t.Errorf("header write error: %v", err)
	}
	// Failing after the header: the error surfaces from Write or Close.
	w := &limitWriter{n: 400, err: boom}
	e, err := c.Encrypt(bg, w, &encryptsdk.EncryptOptions{FrameLength: 64})
	if err != nil {
		t.Fatal(err)
	}
	_, werr := e.Write(make([]byte, 1<<17))
	cerr := e.Close()
	// Sealed frames may be written one batch later than they are sealed, so
	// the error may first show at Close; it must show there either way.
	if (werr != nil && !errors.Is(werr, boom)) || !errors.Is(cerr, boom) {
		t.Errorf("Write: %v, Close: %v; want the destination's error from Close (and Write, if it failed)", werr, cerr)
	}
	if _, err := e.Write([]byte("x")); err == nil {
		t.Error("Write after a failure succeeded")
	}
}

// limitWriter accepts n bytes, keeping them in got, then fails.
type limitWriter struct {
	n   int
	err error
	got []byte
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		w.got = append(w.got, p[:k]...)
		return k, w.err
	}
	w.n -= len(p)
	w.got = append(w.got, p...)
	return len(p), nil
}

var _ io.Writer = (*limitWriter)(nil)
