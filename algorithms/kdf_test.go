package algorithms_test

import (
	"bytes"
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	sha256pkg "crypto/sha256"
	sha512pkg "crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
)

// The HKDF below is written from RFC 5869 with crypto/hmac so that the
// known answers do not come from the crypto/hkdf package the code uses.

func rfcExtract(h func() hash.Hash, salt, ikm []byte) []byte {
	if len(salt) == 0 {
		salt = make([]byte, h().Size())
	}
	m := hmac.New(h, salt)
	m.Write(ikm)
	return m.Sum(nil)
}

func rfcExpand(h func() hash.Hash, prk, info []byte, n int) []byte {
	var out, t []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmac.New(h, prk)
		m.Write(t)
		m.Write(info)
		m.Write([]byte{i})
		t = m.Sum(nil)
		out = append(out, t...)
	}
	return out[:n]
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func mustLookup(t testing.TB, id algorithms.ID) algorithms.Suite {
	t.Helper()
	s, err := algorithms.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRFC5869Helper checks the test's own HKDF against RFC 5869 test case 1,
// so that a mistake in the helper cannot hide a mistake in the code.
func TestRFC5869Helper(t *testing.T) {
	sha256 := sha256pkg.New
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	salt := seq(13, 0)
	info := seq(10, 0xf0)
	prk := rfcExtract(sha256, salt, ikm)
	okm := rfcExpand(sha256, prk, info, 42)
	wantPRK := "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
	wantOKM := "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
	if got := hexs(prk); got != wantPRK {
		t.Fatalf("PRK = %s, want %s", got, wantPRK)
	}
	if got := hexs(okm); got != wantOKM {
		t.Fatalf("OKM = %s, want %s", got, wantOKM)
	}
}

func hexs(b []byte) string {
	const d = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, d[c>>4], d[c&15])
	}
	return string(out)
}

func TestDeriveKeysIdentity(t *testing.T) {
	for _, id := range []algorithms.ID{0x0014, 0x0046, 0x0078} {
		s := mustLookup(t, id)
		pdk := seq(s.KeyLen(), 1)
		dk, ck, err := s.DeriveKeys(pdk, seq(16, 100))
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if !bytes.Equal(dk, pdk) || ck != nil {
			t.Errorf("%v: DeriveKeys = %x, %x; want the PDK and no commit key", s, dk, ck)
		}
		dk[0] ^= 0xff
		if pdk[0] != 1 {
			t.Errorf("%v: the data key aliases the plaintext data key", s)
		}
	}
}

// TestDeriveKeysKnownAnswer derives keys for every HKDF suite and compares
// them with the RFC 5869 helper.
func TestDeriveKeysKnownAnswer(t *testing.T) {
	for _, s := range algorithms.All() {
		if s.KDF() == algorithms.KDFIdentity {
			continue
		}
		pdk := seq(s.KeyLen(), 0x20)
		mid := seq(s.MessageIDLen(), 0x80)
		dk, ck, err := s.DeriveKeys(pdk, mid)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		var wantDK, wantCK []byte
		switch s.KDF() {
		case algorithms.KDFHKDF:
			// salt = hashLen zeros, info = u16(id) || message ID.
			prk := rfcExtract(s.KDFHash, nil, pdk)
			wantDK = rfcExpand(s.KDFHash, prk, append(u16(uint16(s.ID())), mid...), s.KeyLen())
		case algorithms.KDFHKDFCommit:
			// salt = message ID; info = u16(id) || "DERIVEKEY" and "COMMITKEY".
			prk := rfcExtract(s.KDFHash, mid, pdk)
			wantDK = rfcExpand(s.KDFHash, prk, append(u16(uint16(s.ID())), "DERIVEKEY"...), 32)
			wantCK = rfcExpand(s.KDFHash, prk, []byte("COMMITKEY"), 32)
		}
		if !bytes.Equal(dk, wantDK) {
			t.Errorf("%v: data key = %x, want %x", s, dk, wantDK)
		}
		if !bytes.Equal(ck, wantCK) {
			t.Errorf("%v: commit key = %x, want %x", s, ck, wantCK)
		}
		if len(dk) != s.KeyLen() {
			t.Errorf("%v: data key is %d bytes", s, len(dk))
		}
	}
}

// TestCommitKDFMatchesStdlib derives the keys of the committing suites
// from random data keys and message IDs and compares them with
// crypto/hkdf's. Outside FIPS 140-3 mode DeriveKeys computes them with its
// own HKDF-SHA512 (without allocating more than the keys it returns); in
// that mode it uses crypto/hkdf.
func TestCommitKDFMatchesStdlib(t *testing.T) {
	for _, s := range algorithms.All() {
		if s.KDF() != algorithms.KDFHKDFCommit {
			continue
		}
		if s.KDFHash().Size() != sha512pkg.Size {
			t.Fatalf("%v: committing KDF hash is %d bytes, not SHA-512", s, s.KDFHash().Size())
		}
		pdk, mid := make([]byte, s.KeyLen()), make([]byte, s.MessageIDLen())
		for range 500 {
			rand.Read(pdk)
			rand.Read(mid)
			dk, ck, err := s.DeriveKeys(pdk, mid)
			if err != nil {
				t.Fatal(err)
			}
			prk, err := hkdf.Extract(sha512pkg.New, pdk, mid)
			if err != nil {
				t.Fatal(err)
			}
			wantDK, _ := hkdf.Expand(sha512pkg.New, prk, string(u16(uint16(s.ID())))+"DERIVEKEY", s.KeyLen())
			wantCK, _ := hkdf.Expand(sha512pkg.New, prk, "COMMITKEY", s.SuiteDataLen())
			if !bytes.Equal(dk, wantDK) || !bytes.Equal(ck, wantCK) {
				t.Fatalf("%v: pdk %x, message ID %x: DeriveKeys = %x, %x; crypto/hkdf %x, %x", s, pdk, mid, dk, ck, wantDK, wantCK)
			}
			if cap(dk) != len(dk) {
				t.Fatalf("%v: appending to the data key would overwrite the commit key", s)
			}
		}
		allocs := testing.AllocsPerRun(100, func() { s.DeriveKeys(pdk, mid) })
		if !fips140.Enabled() && !raceEnabled && allocs > 1 {
			t.Errorf("%v: DeriveKeys allocates %v times, want 1 (the keys)", s, allocs)
		}
	}
}

// TestDeriveKeysFixed pins suites 0x0178 and 0x0478 to literal bytes,
// computed once with the RFC 5869 helper (and cross-checked by
// TestDeriveKeysKnownAnswer), so that a change in the helper is noticed too.
func TestDeriveKeysFixed(t *testing.T) {
	pdk := seq(32, 0x20)
	for _, c := range []struct {
		id     algorithms.ID
		dk, ck string
	}{
		{0x0178, fixed0178DK, ""},
		{0x0478, fixed0478DK, fixed0478CK},
	} {
		s := mustLookup(t, c.id)
		dk, ck, err := s.DeriveKeys(pdk, seq(s.MessageIDLen(), 0x80))
		if err != nil {
			t.Fatal(err)
		}
		if hexs(dk) != c.dk || hexs(ck) != c.ck {
			t.Errorf("%v: DeriveKeys = %x, %x; want %s, %s", s, dk, ck, c.dk, c.ck)
		}
	}
}

func TestDeriveKeysNetV400(t *testing.T) {
	for _, s := range algorithms.All() {
		pdk := seq(s.KeyLen(), 3)
		mid := seq(s.MessageIDLen(), 9)
		dk, ck, err := s.DeriveKeysNetV400(pdk, mid)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if s.KDF() != algorithms.KDFHKDF {
			wdk, wck, _ := s.DeriveKeys(pdk, mid)
			if !bytes.Equal(dk, wdk) || !bytes.Equal(ck, wck) {
				t.Errorf("%v: DeriveKeysNetV400 differs from DeriveKeys for a suite the bug did not touch", s)
			}
			continue
		}
		want := rfcExpand(s.KDFHash, rfcExtract(s.KDFHash, nil, pdk), u16(uint16(s.ID())), s.KeyLen())
		if !bytes.Equal(dk, want) || ck != nil {
			t.Errorf("%v: DeriveKeysNetV400 = %x, want %x (info without the message ID)", s, dk, want)
		}
		if _, _, err := s.DeriveKeysNetV400(pdk[1:], mid); err == nil {
			t.Errorf("%v: DeriveKeysNetV400 accepted a short data key", s)
		}
	}
}

func TestDeriveKeysBadLengths(t *testing.T) {
	for _, s := range algorithms.All() {
		good := seq(s.KeyLen(), 1)
		mid := seq(s.MessageIDLen(), 1)
		for _, pdk := range [][]byte{nil, good[:s.KeyLen()-1], append(good, 0), seq(s.KeyLen()+8, 0)} {
			if _, _, err := s.DeriveKeys(pdk, mid); err == nil {
				t.Errorf("%v: DeriveKeys accepted a %d-byte data key", s, len(pdk))
			}
		}
		other := 48 - s.MessageIDLen() // 32 for format 1, 16 for format 2
		for _, m := range [][]byte{nil, mid[:len(mid)-1], append(mid, 0), seq(other, 0)} {
			if _, _, err := s.DeriveKeys(good, m); err == nil {
				t.Errorf("%v: DeriveKeys accepted a %d-byte message ID", s, len(m))
			}
		}
	}
}

func TestCheckCommitment(t *testing.T) {
	a := seq(32, 1)
	if err := algorithms.CheckCommitment(a, bytes.Clone(a)); err != nil {
		t.Errorf("equal keys: %v", err)
	}
	b := bytes.Clone(a)
	b[31] ^= 1
	for _, c := range []struct {
		name            string
		derived, stored []byte
	}{
		{"last bit", a, b},
		{"short stored", a, a[:31]},
		{"long stored", a, append(bytes.Clone(a), 0)},
		{"empty stored", a, nil},
		{"empty derived", nil, nil},
		{"empty derived, stored set", nil, a},
		{"zero-length both", []byte{}, []byte{}},
	} {
		if err := algorithms.CheckCommitment(c.derived, c.stored); !errors.Is(err, algorithms.ErrCommitmentMismatch) {
			t.Errorf("%s: CheckCommitment = %v, want ErrCommitmentMismatch", c.name, err)
		}
	}
}

// TestCommitmentKnownAnswers derives the commitment key of every
// commitment-kat-2020 vector from its published data key and message ID.
func TestCommitmentKnownAnswers(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testvectors", "commitment-kat-2020")
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		t.Skip("test vectors not present")
	}
	var manifest struct {
		Tests map[string]struct {
			MasterKeys []struct {
				Key string `json:"key"`
			} `json:"master-keys"`
			Result struct {
				Error json.RawMessage `json:"error"`
			} `json:"result"`
			MessageID  string `json:"x-expected-message-id"`
			Commitment string `json:"x-expected-commitment"`
		} `json:"tests"`
	}
	var keys struct {
		Keys map[string]struct {
			PDK   string `json:"plaintextDataKey"`
			Suite string `json:"algorithmSuiteId"`
		} `json:"keys"`
	}
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	readJSON(t, filepath.Join(dir, "keys.json"), &keys)
	checked := 0
	for name, tc := range manifest.Tests {
		key := keys.Keys[tc.MasterKeys[0].Key]
		id, err := algorithms.ParseID(key.Suite)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := mustLookup(t, id)
		if !s.Committing() {
			continue
		}
		pdk := b64(t, key.PDK)
		mid := b64(t, tc.MessageID)
		stored := b64(t, tc.Commitment)
		_, ck, err := s.DeriveKeys(pdk, mid)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ct, err := os.ReadFile(filepath.Join(dir, "ciphertexts", name))
		if err != nil {
			t.Fatal(err)
		}
		// The header holds the commitment key written by the encryptor; a
		// positive vector's data key must derive it, a negative one's must not.
		if tc.Result.Error == nil {
			if err := algorithms.CheckCommitment(ck, stored); err != nil {
				t.Errorf("%s: positive vector: %v (derived %x, expected %x)", name, err, ck, stored)
			}
			if !bytes.Contains(ct, ck) {
				t.Errorf("%s: positive vector: derived commitment key %x is not in the message", name, ck)
			}
		} else if bytes.Contains(ct, ck) {
			t.Errorf("%s: negative vector: the data key derives the commitment key in the header", name)
		}
		checked++
	}
	if checked < 40 {
		t.Errorf("checked only %d committing vectors", checked)
	}
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

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Computed with Python's hmac module (an implementation independent of Go)
// for PDK = 20 21 … 3f and message ID = 80 81 … (16 or 32 bytes).
const (
	fixed0178DK = "04283f2698a5761ca92f62e5be2eccee788f7e183e8f7e8f65a6e2274f589b93"
	fixed0478DK = "b414fb6cd3694865dd8f9037e8bb8446f3e5d566ab1efc92b388b47648d78813"
	fixed0478CK = "baea90a3ea18f9be18c3cc21f9b8e323a88da5d70d79197a57b044653bc546aa"
)
