package keyring_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

var ecdhCurves = []struct {
	name      string
	curve     ecdh.Curve
	infoLen   int
	pointLen  int
	fixedName string
}{
	{"P-256", ecdh.P256(), 75, 33, "p256"},
	{"P-384", ecdh.P384(), 107, 49, "p384"},
	{"P-521", ecdh.P521(), 143, 67, "p521"},
}

func genECDH(t testing.TB, c ecdh.Curve) *ecdh.PrivateKey {
	t.Helper()
	k, err := c.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newECDH(t testing.TB, c keyring.RawECDHConfig) *keyring.RawECDH {
	t.Helper()
	kr, err := keyring.NewRawECDH(c)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func compress(pub *ecdh.PublicKey) []byte {
	b := pub.Bytes()
	n := (len(b) - 1) / 2
	return append([]byte{2 | b[len(b)-1]&1}, b[1:1+n]...)
}

func TestRawECDHConstruction(t *testing.T) {
	p256, p384 := genECDH(t, ecdh.P256()), genECDH(t, ecdh.P384())
	x25519 := genECDH(t, ecdh.X25519())
	for _, c := range []struct {
		name string
		cfg  keyring.RawECDHConfig
		is   error
	}{
		{"no schema", keyring.RawECDHConfig{PrivateKey: p256, RecipientPublicKey: p256.PublicKey()}, nil},
		{"static without recipient", keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: p256}, nil},
		{"static without private key", keyring.RawECDHConfig{Schema: keyring.ECDHStatic, RecipientPublicKey: p256.PublicKey()}, nil},
		{"ephemeral with private key", keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, PrivateKey: p256, RecipientPublicKey: p256.PublicKey()}, nil},
		{"ephemeral without recipient", keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral}, nil},
		{"discovery with recipient", keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: p256, RecipientPublicKey: p256.PublicKey()}, nil},
		{"discovery without private key", keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery}, nil},
		{"mismatched curves", keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: p256, RecipientPublicKey: p384.PublicKey()}, keyring.ErrECDHCurve},
		{"X25519 private key", keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: x25519}, keyring.ErrECDHCurve},
		{"X25519 recipient", keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: x25519.PublicKey()}, keyring.ErrECDHCurve},
	} {
		_, err := keyring.NewRawECDH(c.cfg)
		if err == nil || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: err = %v, want an error (Is %v)", c.name, err, c.is)
		}
	}
	for _, s := range []keyring.ECDHSchema{keyring.ECDHStatic, keyring.ECDHEphemeral, keyring.ECDHDiscovery} {
		if n := s.String(); !strings.HasSuffix(n, "Key") && n != "PublicKeyDiscovery" {
			t.Errorf("schema name %q", n)
		}
	}
}

// ecdhParties is a sender and a recipient key pair on one curve and the
// keyrings of every schema.
type ecdhParties struct {
	sender, recipient                     *ecdh.PrivateKey
	static, swapped, ephemeral, discovery *keyring.RawECDH
}

func newParties(t testing.TB, c ecdh.Curve) ecdhParties {
	p := ecdhParties{sender: genECDH(t, c), recipient: genECDH(t, c)}
	p.static = newECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: p.sender, RecipientPublicKey: p.recipient.PublicKey()})
	p.swapped = newECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHStatic, PrivateKey: p.recipient, RecipientPublicKey: p.sender.PublicKey()})
	p.ephemeral = newECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHEphemeral, RecipientPublicKey: p.recipient.PublicKey()})
	p.discovery = newECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: p.recipient})
	return p
}

func TestRawECDHRoundTrip(t *testing.T) {
	ec := materials.EncryptionContext{"purpose": "test", "b": "2"}
	for _, c := range ecdhCurves {
		p := newParties(t, c.curve)
		for _, id := range []algorithms.ID{0x0578, 0x0214, 0x0346, 0x0014} {
			for _, path := range []struct {
				name     string
				enc      *keyring.RawECDH
				decoders []*keyring.RawECDH
			}{
				{"static", p.static, []*keyring.RawECDH{p.static, p.swapped, p.discovery}},
				{"ephemeral", p.ephemeral, []*keyring.RawECDH{p.discovery}},
			} {
				name := fmt.Sprintf("%s/%v/%s", c.name, id, path.name)
				em, err := path.enc.OnEncrypt(ctx, encMaterials(t, id, ec))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(em.EncryptedDataKeys) != 1 {
					t.Fatalf("%s: %d EDKs", name, len(em.EncryptedDataKeys))
				}
				edk := em.EncryptedDataKeys[0]
				keyLen := em.Suite.KeyLen()
				if edk.ProviderID != "raw-ecdh" || len(edk.ProviderInfo) != c.infoLen || len(edk.Ciphertext) != 64+keyLen+16 {
					t.Errorf("%s: EDK %q, %d-byte info, %d-byte ciphertext", name, edk.ProviderID, len(edk.ProviderInfo), len(edk.Ciphertext))
				}
				for i, dec := range path.decoders {
					dm, err := dec.OnDecrypt(ctx, decMaterials(t, id, ec), em.EncryptedDataKeys)
					if err != nil {
						t.Errorf("%s: decoder %d: %v", name, i, err)
						continue
					}
					if !bytes.Equal(dm.PlaintextDataKey, em.PlaintextDataKey) || !dm.DataKey.Equal(edk) {
						t.Errorf("%s: decoder %d: wrong data key", name, i)
					}
				}
				// A recipient with another key finds nothing for it.
				other := newECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: p.sender})
				if _, err := other.OnDecrypt(ctx, decMaterials(t, id, ec), em.EncryptedDataKeys); !errors.Is(err, keyring.ErrECDHOtherKey) {
					t.Errorf("%s: sender's key as discovery recipient: %v", name, err)
				}
			}
		}
		// Ephemeral: a new sender key every message.
		a, _ := p.ephemeral.OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
		b, _ := p.ephemeral.OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
		if bytes.Equal(a.EncryptedDataKeys[0].ProviderInfo, b.EncryptedDataKeys[0].ProviderInfo) {
			t.Errorf("%s: ephemeral keyring reused its sender key", c.name)
		}
		// Discovery cannot encrypt, ephemeral cannot decrypt.
		if _, err := p.discovery.OnEncrypt(ctx, encMaterials(t, 0x0478, nil)); !errors.Is(err, materials.ErrEncryptNotSupported) {
			t.Errorf("%s: discovery encrypt: %v", c.name, err)
		}
		if _, err := p.ephemeral.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), a.EncryptedDataKeys); !errors.Is(err, materials.ErrDecryptNotSupported) {
			t.Errorf("%s: ephemeral decrypt: %v", c.name, err)
		}
	}
}

// TestRawECDHExistingDataKey: a keyring after a generator wraps the data
// key it is given.
func TestRawECDHExistingDataKey(t *testing.T) {
	p := newParties(t, ecdh.P384())
	gen := newAES(t, "ns", "aes", key(32, 1))
	multi, err := keyring.NewMulti(gen, p.static, p.ephemeral)
	if err != nil {
		t.Fatal(err)
	}
	em, err := multi.OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(em.EncryptedDataKeys) != 3 {
		t.Fatalf("%d EDKs", len(em.EncryptedDataKeys))
	}
	dm, err := p.discovery.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), em.EncryptedDataKeys)
	if err != nil || !bytes.Equal(dm.PlaintextDataKey, em.PlaintextDataKey) || !dm.DataKey.Equal(em.EncryptedDataKeys[1]) {
		t.Fatalf("discovery decrypt: %v", err)
	}
	if _, err := p.discovery.OnDecrypt(ctx, dm, em.EncryptedDataKeys); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Errorf("decrypt with a data key present: %v", err)
	}
}

// kdfCtr384 is the test's own SP 800-108 counter-mode KDF with HMAC-SHA384.
func kdfCtr384(z, label, ctx []byte, n int) []byte {
	var out []byte
	for i := uint32(1); len(out) < n; i++ {
		m := hmac.New(sha512.New384, z)
		m.Write(binary.BigEndian.AppendUint32(nil, i))
		m.Write(label)
		m.Write([]byte{0})
		m.Write(ctx)
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(8*n)))
		out = m.Sum(out)
	}
	return out[:n]
}

// TestRawECDHWireFormat rebuilds the encrypted data key of the static
// schema from the layout (provider info, FixedInfo, KDF, AES-GCM with a
// zero IV) with the test's own code.
func TestRawECDHWireFormat(t *testing.T) {
	for _, c := range ecdhCurves {
		p := newParties(t, c.curve)
		em, err := p.static.OnEncrypt(ctx, encMaterials(t, 0x0478, materials.EncryptionContext{"k": "v", "a": "b"}))
		if err != nil {
			t.Fatal(err)
		}
		edk := em.EncryptedDataKeys[0]
		sender, recipient := compress(p.sender.PublicKey()), compress(p.recipient.PublicKey())
		var info []byte
		info = append(info, 1)
		info = binary.BigEndian.AppendUint32(info, uint32(c.pointLen))
		info = append(info, recipient...)
		info = binary.BigEndian.AppendUint32(info, uint32(c.pointLen))
		info = append(info, sender...)
		if !bytes.Equal(edk.ProviderInfo, info) {
			t.Errorf("%s: provider info\n got %x\nwant %x", c.name, edk.ProviderInfo, info)
		}
		fixed := []byte("ecdh-key-derivation\x00" + c.fixedName + "\x00HMAC_SHA384\x00")
		fixed = append(fixed, sender...)
		fixed = append(fixed, recipient...)
		fixed = append(fixed, 0, 1, 0)
		fixed = append(fixed, ecAAD("a", "b", "k", "v")...)
		z, err := p.recipient.ECDH(p.sender.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		salt, commit, wrapped := edk.Ciphertext[:32], edk.Ciphertext[32:64], edk.Ciphertext[64:]
		km := kdfCtr384(z, fixed, salt, 64)
		if !bytes.Equal(commit, km[:32]) {
			t.Errorf("%s: commitment key differs", c.name)
		}
		block, _ := aes.NewCipher(km[32:])
		gcm, _ := cipher.NewGCM(block)
		pdk, err := gcm.Open(nil, make([]byte, 12), wrapped, fixed)
		if err != nil || !bytes.Equal(pdk, em.PlaintextDataKey) {
			t.Errorf("%s: data key does not unwrap with the rebuilt key: %v", c.name, err)
		}
	}
}

// notOnCurve returns a compressed-point encoding of an x-coordinate for
// which no point of the curve exists.
func notOnCurve(t *testing.T, c elliptic.Curve) []byte {
	n := (c.Params().BitSize + 7) / 8
	for x := int64(1); x < 1000; x++ {
		b := append([]byte{2}, big.NewInt(x).FillBytes(make([]byte, n))...)
		if px, _ := elliptic.UnmarshalCompressed(c, b); px == nil {
			return b
		}
	}
	t.Fatal("no x-coordinate off the curve found")
	return nil
}

// TestRawECDHBadEncryptedDataKeys: each damaged encrypted data key is
// skipped with a reason in the NoDecryptableKeyError, never a panic.
func TestRawECDHBadEncryptedDataKeys(t *testing.T) {
	ec := materials.EncryptionContext{"tenant": "a"}
	p := newParties(t, ecdh.P256())
	p384 := newParties(t, ecdh.P384())
	em, err := p.static.OnEncrypt(ctx, encMaterials(t, 0x0478, ec))
	if err != nil {
		t.Fatal(err)
	}
	good := em.EncryptedDataKeys[0]
	em384, _ := p384.static.OnEncrypt(ctx, encMaterials(t, 0x0478, ec))
	stranger := newParties(t, ecdh.P256())
	emOther, _ := stranger.static.OnEncrypt(ctx, encMaterials(t, 0x0478, ec))

	mutate := func(f func(e *materials.EncryptedDataKey)) materials.EncryptedDataKey {
		e := materials.EncryptedDataKey{ProviderID: good.ProviderID, ProviderInfo: bytes.Clone(good.ProviderInfo), Ciphertext: bytes.Clone(good.Ciphertext)}
		f(&e)
		return e
	}
	offCurve := notOnCurve(t, elliptic.P256())
	for _, c := range []struct {
		name string
		edk  materials.EncryptedDataKey
		ec   materials.EncryptionContext
		is   error
	}{
		{"version byte 2", mutate(func(e *materials.EncryptedDataKey) { e.ProviderInfo[0] = 2 }), ec, keyring.ErrECDHProviderInfo},
		{"version byte 0", mutate(func(e *materials.EncryptedDataKey) { e.ProviderInfo[0] = 0 }), ec, keyring.ErrECDHProviderInfo},
		{"empty provider info", mutate(func(e *materials.EncryptedDataKey) { e.ProviderInfo = nil }), ec, keyring.ErrECDHProviderInfo},
		{"recipient length leaves no room for the sender", mutate(func(e *materials.EncryptedDataKey) {
			binary.BigEndian.PutUint32(e.ProviderInfo[1:], 67)
		}), ec, keyring.ErrECDHProviderInfo},
		{"recipient length huge", mutate(func(e *materials.EncryptedDataKey) {
			binary.BigEndian.PutUint32(e.ProviderInfo[1:], 0xffffffff)
		}), ec, keyring.ErrECDHProviderInfo},
		{"sender length past the end", mutate(func(e *materials.EncryptedDataKey) {
			binary.BigEndian.PutUint32(e.ProviderInfo[1+4+33:], 49)
		}), ec, keyring.ErrECDHProviderInfo},
		{"truncated provider info", mutate(func(e *materials.EncryptedDataKey) { e.ProviderInfo = e.ProviderInfo[:74] }), ec, keyring.ErrECDHProviderInfo},
		{"trailing byte in provider info", mutate(func(e *materials.EncryptedDataKey) { e.ProviderInfo = append(e.ProviderInfo, 0) }), ec, keyring.ErrECDHProviderInfo},
		{"keys of another curve", em384.EncryptedDataKeys[0], ec, keyring.ErrECDHCurve},
		{"EDK for another recipient", emOther.EncryptedDataKeys[0], ec, keyring.ErrECDHOtherKey},
		{"commitment key off by one bit", mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext[40] ^= 0x10 }), ec, keyring.ErrECDHCommitment},
		{"salt off by one bit", mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext[0] ^= 1 }), ec, keyring.ErrECDHCommitment},
		{"wrapped key off by one bit", mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext[70] ^= 1 }), ec, keyring.ErrECDHAuthentication},
		{"tag off by one bit", mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext[len(e.Ciphertext)-1] ^= 0x80 }), ec, keyring.ErrECDHAuthentication},
		{"truncated ciphertext", mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext = e.Ciphertext[:len(e.Ciphertext)-1] }), ec, keyring.ErrECDHCiphertext},
		{"ciphertext of salt only", mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext = e.Ciphertext[:32] }), ec, keyring.ErrECDHCiphertext},
		{"empty ciphertext", mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext = nil }), ec, keyring.ErrECDHCiphertext},
		{"other encryption context", good, materials.EncryptionContext{"tenant": "b"}, keyring.ErrECDHCommitment},
	} {
		for _, kr := range []*keyring.RawECDH{p.swapped, p.discovery} {
			_, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0478, c.ec), []materials.EncryptedDataKey{c.edk})
			var nd *encryptsdk.NoDecryptableKeyError
			if !errors.As(err, &nd) || len(nd.Errs) != 1 || !errors.Is(err, c.is) {
				t.Errorf("%s (%v): err = %v, want a NoDecryptableKeyError with one reason, Is %v", c.name, kr, err, c.is)
			}
			if err != nil && (strings.Contains(err.Error(), string(em.PlaintextDataKey)) || strings.Contains(err.Error(), fmt.Sprintf("%x", em.PlaintextDataKey[:8]))) {
				t.Errorf("%s: the error shows the data key", c.name)
			}
		}
	}
	// An invalid point can only reach a discovery keyring: a static one
	// knows both of its keys.
	for _, sender := range [][]byte{offCurve, append([]byte{4}, offCurve[1:]...), make([]byte, 33)} {
		e := mutate(func(e *materials.EncryptedDataKey) { copy(e.ProviderInfo[1+4+33+4:], sender) })
		_, err := p.discovery.OnDecrypt(ctx, decMaterials(t, 0x0478, ec), []materials.EncryptedDataKey{e})
		if !errors.Is(err, keyring.ErrECDHPublicKey) {
			t.Errorf("sender point %x: err = %v, want ErrECDHPublicKey", sender[:1], err)
		}
		_, err = p.swapped.OnDecrypt(ctx, decMaterials(t, 0x0478, ec), []materials.EncryptedDataKey{e})
		if !errors.Is(err, keyring.ErrECDHOtherKey) {
			t.Errorf("static keyring, sender point %x: err = %v, want ErrECDHOtherKey", sender[:1], err)
		}
	}
	// The bad keys are reported and the good one after them still works;
	// keys of other providers are passed over silently.
	aes, _ := newAES(t, "ns", "aes", key(32, 3)).OnEncrypt(ctx, encMaterials(t, 0x0478, ec))
	bad := mutate(func(e *materials.EncryptedDataKey) { e.Ciphertext[40] ^= 1 })
	dm, err := p.discovery.OnDecrypt(ctx, decMaterials(t, 0x0478, ec), []materials.EncryptedDataKey{aes.EncryptedDataKeys[0], bad, good})
	if err != nil || !dm.DataKey.Equal(good) {
		t.Errorf("good key after bad ones: %v", err)
	}
	_, err = p.discovery.OnDecrypt(ctx, decMaterials(t, 0x0478, ec), aes.EncryptedDataKeys)
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) || len(nd.Errs) != 0 {
		t.Errorf("only a raw AES key: %v", err)
	}
	// The KMS ECDH provider ID is accepted too (same wire format).
	kms := mutate(func(e *materials.EncryptedDataKey) { e.ProviderID = "aws-kms-ecdh" })
	if _, err := p.discovery.OnDecrypt(ctx, decMaterials(t, 0x0478, ec), []materials.EncryptedDataKey{kms}); err != nil {
		t.Errorf("aws-kms-ecdh provider ID: %v", err)
	}
}

// TestRawECDHDamagedMessage: a commitment key damaged inside a whole
// message surfaces through the client as a NoDecryptableKeyError naming
// the reason.
func TestRawECDHDamagedMessage(t *testing.T) {
	p := newParties(t, ecdh.P521())
	msg, err := encryptsdk.New(p.ephemeral).EncryptBytes(ctx, []byte("hello"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, _, err := encryptsdk.New(p.discovery).DecryptBytes(ctx, msg, nil)
	if err != nil || string(pt) != "hello" {
		t.Fatalf("decrypt: %q, %v", pt, err)
	}
	// The EDK ciphertext follows its u16 length 0x0070 (112 bytes).
	i := bytes.Index(msg, []byte{0x00, 0x70})
	if i < 0 {
		t.Fatal("EDK ciphertext not found")
	}
	msg[i+2+32] ^= 1 // first byte of the commitment key
	_, _, err = encryptsdk.New(p.discovery).DecryptBytes(ctx, msg, nil)
	var nd *encryptsdk.NoDecryptableKeyError
	if !errors.As(err, &nd) || !errors.Is(err, keyring.ErrECDHCommitment) {
		t.Errorf("damaged message: %v", err)
	}
}

// hsmKey is a private key that only exposes the key agreement, as a
// hardware module would.
type hsmKey struct {
	k     *ecdh.PrivateKey
	calls atomic.Int32
}

func (h *hsmKey) PublicKey() *ecdh.PublicKey { return h.k.PublicKey() }
func (h *hsmKey) Curve() ecdh.Curve          { return h.k.Curve() }
func (h *hsmKey) ECDH(pub *ecdh.PublicKey) ([]byte, error) {
	h.calls.Add(1)
	return h.k.ECDH(pub)
}

func TestRawECDHKeyExchanger(t *testing.T) {
	p := newParties(t, ecdh.P256())
	hsm := &hsmKey{k: p.recipient}
	kr := newECDH(t, keyring.RawECDHConfig{Schema: keyring.ECDHDiscovery, PrivateKey: hsm})
	em, _ := p.static.OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
	dm, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), em.EncryptedDataKeys)
	if err != nil || !bytes.Equal(dm.PlaintextDataKey, em.PlaintextDataKey) {
		t.Fatalf("decrypt with a KeyExchanger: %v", err)
	}
	if hsm.calls.Load() != 1 {
		t.Errorf("%d key agreements, want 1", hsm.calls.Load())
	}
}

func TestRawECDHConcurrent(t *testing.T) {
	p := newParties(t, ecdh.P256())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				em, err := p.ephemeral.OnEncrypt(ctx, encMaterials(t, 0x0478, nil))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := p.discovery.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), em.EncryptedDataKeys); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestParseECDHKeys(t *testing.T) {
	for _, c := range ecdhCurves {
		priv := genECDH(t, c.curve)
		pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		ecdsaKey, _ := ecdsa.GenerateKey(map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}[c.name], rand.Reader)
		sec1, _ := x509.MarshalECPrivateKey(ecdsaKey)
		spki, _ := x509.MarshalPKIXPublicKey(priv.PublicKey())
		for _, in := range []struct {
			name string
			pem  []byte
			want *ecdh.PublicKey
		}{
			{"PKCS #8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), priv.PublicKey()},
			{"SEC 1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), nil},
		} {
			k, err := keyring.ParseECDHPrivateKeyPEM(in.pem)
			if err != nil || k.Curve() != c.curve || (in.want != nil && !k.PublicKey().Equal(in.want)) {
				t.Errorf("%s %s: %v", c.name, in.name, err)
			}
		}
		if k, err := keyring.ParseECDHPrivateKeyDER(pkcs8); err != nil || !k.Equal(priv) {
			t.Errorf("%s PKCS #8 DER: %v", c.name, err)
		}
		for name, parse := range map[string]func() (*ecdh.PublicKey, error){
			"SPKI PEM": func() (*ecdh.PublicKey, error) {
				return keyring.ParseECDHPublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
			},
			"SPKI DER":     func() (*ecdh.PublicKey, error) { return keyring.ParseECDHPublicKeyDER(spki) },
			"uncompressed": func() (*ecdh.PublicKey, error) { return keyring.ParseECDHPublicKey(c.curve, priv.PublicKey().Bytes()) },
			"compressed": func() (*ecdh.PublicKey, error) {
				return keyring.ParseECDHPublicKey(c.curve, compress(priv.PublicKey()))
			},
		} {
			if pub, err := parse(); err != nil || !pub.Equal(priv.PublicKey()) {
				t.Errorf("%s %s: %v", c.name, name, err)
			}
		}
		// A point off the curve, in SPKI and as a raw point.
		bad := bytes.Clone(spki)
		bad[len(bad)-1] ^= 1
		if _, err := keyring.ParseECDHPublicKeyDER(bad); !errors.Is(err, keyring.ErrECDHPublicKey) {
			t.Errorf("%s SPKI off the curve: %v", c.name, err)
		}
		raw := priv.PublicKey().Bytes()
		raw[len(raw)-1] ^= 1
		if _, err := keyring.ParseECDHPublicKey(c.curve, raw); !errors.Is(err, keyring.ErrECDHPublicKey) {
			t.Errorf("%s uncompressed point off the curve: %v", c.name, err)
		}
		if _, err := keyring.ParseECDHPublicKey(c.curve, []byte{0}); !errors.Is(err, keyring.ErrECDHPublicKey) {
			t.Errorf("%s point at infinity: %v", c.name, err)
		}
		if _, err := keyring.ParseECDHPublicKey(c.curve, notOnCurve(t, map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}[c.name])); !errors.Is(err, keyring.ErrECDHPublicKey) {
			t.Errorf("%s compressed point off the curve: %v", c.name, err)
		}
	}
	// Keys of other curves and types.
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	spki224, _ := x509.MarshalPKIXPublicKey(&p224.PublicKey)
	pkcs8224, _ := x509.MarshalPKCS8PrivateKey(p224)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	spkiX, _ := x509.MarshalPKIXPublicKey(x.PublicKey())
	pkcs8X, _ := x509.MarshalPKCS8PrivateKey(x)
	spkiRSA, _ := x509.MarshalPKIXPublicKey(&testRSAKey(t).PublicKey)
	for name, der := range map[string][]byte{"P-224": spki224, "X25519": spkiX, "RSA": spkiRSA} {
		if _, err := keyring.ParseECDHPublicKeyDER(der); !errors.Is(err, keyring.ErrECDHCurve) {
			t.Errorf("%s public key: %v", name, err)
		}
	}
	for name, der := range map[string][]byte{"P-224": pkcs8224, "X25519": pkcs8X} {
		if _, err := keyring.ParseECDHPrivateKeyDER(der); !errors.Is(err, keyring.ErrECDHCurve) {
			t.Errorf("%s private key: %v", name, err)
		}
	}
	if _, err := keyring.ParseECDHPublicKey(ecdh.X25519(), x.PublicKey().Bytes()); !errors.Is(err, keyring.ErrECDHCurve) {
		t.Errorf("X25519 point: %v", err)
	}
	for _, in := range []string{"", "not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := keyring.ParseECDHPrivateKeyPEM([]byte(in)); err == nil {
			t.Errorf("private key %q accepted", in)
		}
		if _, err := keyring.ParseECDHPublicKeyPEM([]byte(in)); err == nil {
			t.Errorf("public key %q accepted", in)
		}
	}
}

// TestECDHVectorKeyrings unwraps the data key of every raw ECDH message of
// the Dafny 4.1.0 ECDH manifest (written by the Material Providers
// Library) and proves it right by the commitment key and the header
// authentication tag.
func TestECDHVectorKeyrings(t *testing.T) {
	dir := filepath.Join(vectorsDir, "dafny-4.1.0")
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		t.Skip("test vectors not present")
	}
	var manifest struct {
		Tests map[string]struct {
			Scenario struct {
				Ciphertext string `json:"ciphertext"`
				Key        struct {
					Type, Sender, Recipient, Schema string
				} `json:"decryptKeyDescription"`
			} `json:"decryption-scenario"`
		} `json:"tests"`
	}
	var keys struct {
		Keys map[string]struct {
			Sender       string `json:"sender-material"`
			Recipient    string `json:"recipient-material"`
			RecipientPub string `json:"recipient-material-public-key"`
		} `json:"keys"`
	}
	readJSON(t, filepath.Join(dir, "manifest-ecdh-hierarchy.json"), &manifest)
	readJSON(t, filepath.Join(dir, "keys.json"), &keys)
	n := map[string]int{}
	for name, tc := range manifest.Tests {
		d := tc.Scenario.Key
		if d.Type != "raw-ecdh" {
			continue
		}
		var cfg keyring.RawECDHConfig
		var err error
		switch d.Schema {
		case "static":
			cfg.Schema = keyring.ECDHStatic
			if cfg.PrivateKey, err = keyring.ParseECDHPrivateKeyPEM([]byte(keys.Keys[d.Sender].Sender)); err != nil {
				t.Fatal(err)
			}
			der, _ := base64.StdEncoding.DecodeString(keys.Keys[d.Recipient].RecipientPub)
			if cfg.RecipientPublicKey, err = keyring.ParseECDHPublicKeyDER(der); err != nil {
				t.Fatal(err)
			}
		case "discovery":
			cfg.Schema = keyring.ECDHDiscovery
			if cfg.PrivateKey, err = keyring.ParseECDHPrivateKeyPEM([]byte(keys.Keys[d.Recipient].Recipient)); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: schema %q", name, d.Schema)
		}
		msg, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(tc.Scenario.Ciphertext, "file://")))
		if err != nil {
			t.Fatal(err)
		}
		if err := unwrapAndAuthenticate(msg, newECDH(t, cfg)); err != nil {
			t.Errorf("%s (%s %s): %v", name, d.Schema, d.Recipient, err)
		}
		n[d.Schema]++
	}
	t.Logf("unwrapped %v", n)
	if n["static"] < 33 || n["discovery"] < 66 {
		t.Errorf("only %v messages checked", n)
	}
}
