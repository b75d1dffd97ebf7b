package algorithms_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math/big"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
)

func TestPublicKeyRoundTrip(t *testing.T) {
	for _, c := range []struct {
		id     algorithms.ID
		encLen int // base64 characters
		rawLen int // compressed point bytes
	}{
		{0x0214, 44, 33},
		{0x0346, 68, 49},
		{0x0378, 68, 49},
		{0x0578, 68, 49},
	} {
		s := mustLookup(t, c.id)
		for range 20 {
			priv, err := s.GenerateSigningKey()
			if err != nil {
				t.Fatal(err)
			}
			if priv.Curve != s.Curve() {
				t.Fatalf("%v: key on %v", s, priv.Curve.Params().Name)
			}
			enc, err := algorithms.EncodePublicKey(&priv.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if len(enc) != c.encLen {
				t.Fatalf("%v: encoded key %q has %d characters, want %d", s, enc, len(enc), c.encLen)
			}
			raw, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				t.Fatal(err)
			}
			// Independent check of the SEC 1 compressed form.
			want := elliptic.MarshalCompressed(s.Curve(), priv.X, priv.Y)
			if string(raw) != string(want) || len(raw) != c.rawLen {
				t.Fatalf("%v: encoded point %x, want %x", s, raw, want)
			}
			pub, err := s.DecodePublicKey(enc)
			if err != nil {
				t.Fatalf("%v: DecodePublicKey(%q): %v", s, enc, err)
			}
			if !pub.Equal(&priv.PublicKey) {
				t.Fatalf("%v: decoded key differs", s)
			}
		}
	}
}

func TestDecodePublicKeyRejects(t *testing.T) {
	p256 := mustLookup(t, 0x0214)
	p384 := mustLookup(t, 0x0578)
	k256, _ := p256.GenerateSigningKey()
	k384, _ := p384.GenerateSigningKey()
	enc256, _ := algorithms.EncodePublicKey(&k256.PublicKey)
	enc384, _ := algorithms.EncodePublicKey(&k384.PublicKey)

	uncompressed := func(k *ecdsa.PrivateKey) string {
		b, err := k.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	comp256 := elliptic.MarshalCompressed(p256.Curve(), k256.X, k256.Y)
	withPrefix := func(raw []byte, prefix byte) string {
		b := append([]byte{prefix}, raw[1:]...)
		return base64.StdEncoding.EncodeToString(b)
	}

	cases := []struct {
		name  string
		suite algorithms.Suite
		in    string
	}{
		{"uncompressed P-256", p256, uncompressed(k256)},
		{"uncompressed P-384", p384, uncompressed(k384)},
		{"P-384 key for a P-256 suite", p256, enc384},
		{"P-256 key for a P-384 suite", p384, enc256},
		{"short", p256, base64.StdEncoding.EncodeToString(comp256[:32])},
		{"long", p256, base64.StdEncoding.EncodeToString(append(comp256, 0))},
		{"prefix 04", p256, withPrefix(comp256, 4)},
		{"prefix 00", p256, withPrefix(comp256, 0)},
		{"prefix 01", p256, withPrefix(comp256, 1)},
		{"x not on curve P-256", p256, notOnCurve(t, p256.Curve())},
		{"x not on curve P-384", p384, notOnCurve(t, p384.Curve())},
		{"x >= p", p256, base64.StdEncoding.EncodeToString(append([]byte{2}, fill(32, 0xff)...))},
		{"empty", p256, ""},
		{"bad base64", p256, "!!!!" + enc256[4:]},
		// 33 bytes encode to 44 characters without padding, so use P-384 (49 bytes).
		{"unpadded base64", p384, base64.RawStdEncoding.EncodeToString(elliptic.MarshalCompressed(p384.Curve(), k384.X, k384.Y))},
		{"URL-safe alphabet", p256, base64URLVariant(t, p256)},
		{"space", p256, enc256[:20] + " " + enc256[20:]},
		{"tab", p256, enc256[:20] + "\t" + enc256[20:]},
		{"trailing garbage", p256, enc256 + "AA=="},
	}
	for _, c := range cases {
		if pub, err := c.suite.DecodePublicKey(c.in); err == nil {
			t.Errorf("%s: DecodePublicKey(%q) = %v, want an error", c.name, c.in, pub)
		}
	}
	// Unsigned suites have no verification key.
	if _, err := mustLookup(t, 0x0478).DecodePublicKey(enc384); err == nil {
		t.Error("DecodePublicKey on an unsigned suite succeeded")
	}
	if _, err := mustLookup(t, 0x0178).GenerateSigningKey(); err == nil {
		t.Error("GenerateSigningKey on an unsigned suite succeeded")
	}
}

func fill(n int, b byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// notOnCurve returns a compressed encoding of an x for which x^3 − 3x + b
// has no square root, so no point has that x.
func notOnCurve(t *testing.T, c elliptic.Curve) string {
	size := (c.Params().BitSize + 7) / 8
	for x := int64(1); x < 1000; x++ {
		raw := make([]byte, 1+size)
		raw[0] = 2
		big.NewInt(x).FillBytes(raw[1:])
		if px, _ := elliptic.UnmarshalCompressed(c, raw); px == nil {
			return base64.StdEncoding.EncodeToString(raw)
		}
	}
	t.Fatal("no x off the curve found")
	return ""
}

// base64URLVariant returns the URL-safe encoding of a P-256 key whose
// standard encoding contains '+' or '/', so the two alphabets differ.
func base64URLVariant(t *testing.T, s algorithms.Suite) string {
	for range 1000 {
		k, _ := s.GenerateSigningKey()
		raw := elliptic.MarshalCompressed(s.Curve(), k.X, k.Y)
		std := base64.StdEncoding.EncodeToString(raw)
		url := base64.URLEncoding.EncodeToString(raw)
		if std != url {
			return url
		}
	}
	t.Fatal("no key with + or / in its encoding")
	return ""
}

// TestSignFixedLength signs 200 random digests per curve: every signature
// must be exactly SignatureLen bytes, strict DER, and verify.
func TestSignFixedLength(t *testing.T) {
	iterations := 200
	if testing.Short() {
		iterations = 20
	}
	for _, id := range []algorithms.ID{0x0214, 0x0578} {
		s := mustLookup(t, id)
		priv, err := s.GenerateSigningKey()
		if err != nil {
			t.Fatal(err)
		}
		h := s.SignatureHash()
		for i := range iterations {
			digest := make([]byte, h.Size())
			rand.Read(digest)
			sig, err := s.Sign(priv, digest)
			if err != nil {
				t.Fatalf("%v: Sign #%d: %v", s, i, err)
			}
			if len(sig) != s.SignatureLen() {
				t.Fatalf("%v: signature #%d is %d bytes, want %d", s, i, len(sig), s.SignatureLen())
			}
			if !ecdsa.VerifyASN1(&priv.PublicKey, digest, sig) {
				t.Fatalf("%v: signature #%d does not verify with crypto/ecdsa", s, i)
			}
			if err := algorithms.Verify(&priv.PublicKey, digest, sig); err != nil {
				t.Fatalf("%v: Verify #%d: %v", s, i, err)
			}
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	for _, id := range []algorithms.ID{0x0214, 0x0378} {
		s := mustLookup(t, id)
		priv, _ := s.GenerateSigningKey()
		other, _ := s.GenerateSigningKey()
		digest := make([]byte, s.SignatureHash().Size())
		rand.Read(digest)
		sig, err := s.Sign(priv, digest)
		if err != nil {
			t.Fatal(err)
		}
		mod := append([]byte(nil), digest...)
		mod[0] ^= 1
		badSig := append([]byte(nil), sig...)
		badSig[len(badSig)-1] ^= 1
		for _, c := range []struct {
			name        string
			pub         *ecdsa.PublicKey
			digest, sig []byte
		}{
			{"modified digest", &priv.PublicKey, mod, sig},
			{"modified signature", &priv.PublicKey, digest, badSig},
			{"other key", &other.PublicKey, digest, sig},
			{"truncated signature", &priv.PublicKey, digest, sig[:len(sig)-1]},
			{"empty signature", &priv.PublicKey, digest, nil},
			{"trailing byte", &priv.PublicKey, digest, append(append([]byte(nil), sig...), 0)},
		} {
			if err := algorithms.Verify(c.pub, c.digest, c.sig); !errors.Is(err, algorithms.ErrSignature) {
				t.Errorf("%v: %s: Verify = %v, want ErrSignature", s, c.name, err)
			}
		}
	}
}

// TestVerifyAnyLength checks that Verify does not insist on the fixed
// length: a valid DER signature of another length (as JS writes) verifies.
func TestVerifyAnyLength(t *testing.T) {
	s := mustLookup(t, 0x0214)
	priv, _ := s.GenerateSigningKey()
	digest := make([]byte, 32)
	seen := map[int]bool{}
	for range 300 {
		rand.Read(digest)
		sig, err := ecdsa.SignASN1(rand.Reader, priv, digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := algorithms.Verify(&priv.PublicKey, digest, sig); err != nil {
			t.Fatalf("Verify of a %d-byte signature: %v", len(sig), err)
		}
		seen[len(sig)] = true
	}
	if len(seen) < 2 {
		t.Logf("only saw signature lengths %v", seen)
	}
}
