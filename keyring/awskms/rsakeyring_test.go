package awskms_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// The RSA keys of the fake world: rsaWest in us-west-2, and a multi-Region
// RSA key in both regions (same private key).
const (
	rsaWest     = "arn:aws:kms:us-west-2:111122223333:key/8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	rsaOther    = "arn:aws:kms:us-west-2:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	rsaMRKWest  = "arn:aws:kms:us-west-2:111122223333:key/mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	rsaMRKEast  = "arn:aws:kms:us-east-1:111122223333:key/mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	sha1Alg     = types.EncryptionAlgorithmSpecRsaesOaepSha1
	sha256Alg   = types.EncryptionAlgorithmSpecRsaesOaepSha256
	unsignedID  = algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
	signedSuite = algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
)

var (
	rsaOnce          sync.Once
	rsaKey1, rsaKey2 *rsa.PrivateKey
	rsaKeyErr        error
)

// rsaKeys returns two 2048-bit RSA keys, generated once per test binary.
func rsaKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	rsaOnce.Do(func() {
		if rsaKey1, rsaKeyErr = rsa.GenerateKey(rand.Reader, 2048); rsaKeyErr != nil {
			return
		}
		rsaKey2, rsaKeyErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	if rsaKeyErr != nil {
		t.Fatal(rsaKeyErr)
	}
	return rsaKey1, rsaKey2
}

// rsaWorld is the fake world with RSA keys: rsaWest and the MRK use the
// first key, rsaOther the second.
func rsaWorld(t testing.TB) (*world, *rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	w := newWorld(t)
	k1, k2 := rsaKeys(t)
	w.west.rsaKeys[rsaWest] = k1
	w.west.rsaKeys[rsaOther] = k2
	w.west.rsaKeys[rsaMRKWest] = k1
	w.east.rsaKeys[rsaMRKEast] = k1
	return w, k1, k2
}

func unsignedEnc(t testing.TB, ec materials.EncryptionContext) materials.EncryptionMaterials {
	return materials.EncryptionMaterials{Suite: suite(t, unsignedID), EncryptionContext: ec}
}

func unsignedDec(t testing.TB, ec materials.EncryptionContext) materials.DecryptionMaterials {
	return materials.DecryptionMaterials{Suite: suite(t, unsignedID), EncryptionContext: ec}
}

// serializeEC serializes an encryption context as the message header does,
// written out here independently of package materials.
func serializeEC(ec map[string]string) []byte {
	if len(ec) == 0 {
		return nil
	}
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := binary.BigEndian.AppendUint16(nil, uint16(len(ec)))
	for _, k := range keys {
		b = binary.BigEndian.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(ec[k])))
		b = append(b, ec[k]...)
	}
	return b
}

func TestRSAKeyringRoundTrip(t *testing.T) {
	w, priv, _ := rsaWorld(t)
	for _, tc := range []struct {
		alg types.EncryptionAlgorithmSpec
		h   func() hash.Hash
	}{{sha1Alg, sha1.New}, {sha256Alg, sha256.New}} {
		for _, ec := range []materials.EncryptionContext{nil, {"purpose": "test", "tenant": "42", "é": "ü"}} {
			t.Run(string(tc.alg), func(t *testing.T) {
				w.reset()
				kr := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaWest, tc.alg, &priv.PublicKey, awskms.WithGrantTokens("g1", "g2")))
				em, err := kr.OnEncrypt(context.Background(), unsignedEnc(t, ec))
				if err != nil {
					t.Fatal(err)
				}
				if n := len(w.west.Calls()); n != 0 {
					t.Fatalf("encrypt made %d KMS calls", n)
				}
				if len(em.EncryptedDataKeys) != 1 || len(em.PlaintextDataKey) != 32 {
					t.Fatalf("%d encrypted data keys, %d-byte data key", len(em.EncryptedDataKeys), len(em.PlaintextDataKey))
				}
				edk := em.EncryptedDataKeys[0]
				if edk.ProviderID != "aws-kms-rsa" || string(edk.ProviderInfo) != rsaWest || len(edk.Ciphertext) != 256 {
					t.Fatalf("encrypted data key %q %q, %d bytes", edk.ProviderID, edk.ProviderInfo, len(edk.Ciphertext))
				}
				// The wire format: RSA-OAEP of SHA-384(serialized context) ‖ data key.
				pt, err := rsa.DecryptOAEP(tc.h(), nil, priv, edk.Ciphertext, nil)
				if err != nil {
					t.Fatalf("OAEP with %s: %v", tc.alg, err)
				}
				digest := sha512.Sum384(serializeEC(ec))
				if !bytes.Equal(pt, append(digest[:], em.PlaintextDataKey...)) {
					t.Fatal("wrapped plaintext is not SHA-384(encryption context) ‖ data key")
				}

				dm, err := kr.OnDecrypt(context.Background(), unsignedDec(t, ec), em.EncryptedDataKeys)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(dm.PlaintextDataKey, em.PlaintextDataKey) || string(dm.DataKey.ProviderInfo) != rsaWest {
					t.Fatal("decrypted another data key")
				}
				calls := w.west.Calls()
				if len(calls) != 1 || calls[0].Op != "Decrypt" || calls[0].KeyID != rsaWest || calls[0].EncryptionAlgorithm != string(tc.alg) || !slices.Equal(calls[0].GrantTokens, []string{"g1", "g2"}) {
					t.Fatalf("calls: %+v", calls)
				}
			})
		}
	}
}

func TestRSAKeyringEncryptionContextBound(t *testing.T) {
	w, priv, _ := rsaWorld(t)
	kr := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaWest, sha256Alg, &priv.PublicKey))
	em, err := kr.OnEncrypt(context.Background(), unsignedEnc(t, materials.EncryptionContext{"a": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, ec := range []materials.EncryptionContext{nil, {"a": "2"}, {"a": "1", "b": "2"}} {
		_, err := kr.OnDecrypt(context.Background(), unsignedDec(t, ec), em.EncryptedDataKeys)
		var nd *materials.NoDecryptableKeyError
		if !errors.As(err, &nd) || len(nd.Errs) != 1 || !errors.Is(err, awskms.ErrEncryptionContextDigest) {
			t.Fatalf("context %v: got %v", ec, err)
		}
	}
}

func TestRSAKeyringSignedSuiteRefused(t *testing.T) {
	w, priv, _ := rsaWorld(t)
	kr := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaWest, sha1Alg, &priv.PublicKey))
	for _, id := range []algorithms.ID{signedSuite, algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384} {
		m := materials.EncryptionMaterials{Suite: suite(t, id)}
		if _, err := kr.OnEncrypt(context.Background(), m); !errors.Is(err, awskms.ErrSignedSuite) {
			t.Fatalf("encrypt %v: %v", id, err)
		}
	}
	em, err := kr.OnEncrypt(context.Background(), unsignedEnc(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	dm := materials.DecryptionMaterials{Suite: suite(t, signedSuite)}
	if _, err := kr.OnDecrypt(context.Background(), dm, em.EncryptedDataKeys); !errors.Is(err, awskms.ErrSignedSuite) {
		t.Fatalf("decrypt: %v", err)
	}
	if n := len(w.west.Calls()); n != 0 {
		t.Fatalf("%d KMS calls", n)
	}
	// Every unsigned suite works.
	for _, id := range []algorithms.ID{0x0014, 0x0046, 0x0078, 0x0114, 0x0146, 0x0178, 0x0478} {
		s := suite(t, id)
		em, err := kr.OnEncrypt(context.Background(), materials.EncryptionMaterials{Suite: s})
		if err != nil {
			t.Fatalf("%v: %v", id, err)
		}
		if _, err := kr.OnDecrypt(context.Background(), materials.DecryptionMaterials{Suite: s}, em.EncryptedDataKeys); err != nil {
			t.Fatalf("%v: %v", id, err)
		}
	}
}

func TestRSAKeyringConfiguration(t *testing.T) {
	w, priv, _ := rsaWorld(t)
	c := w.client(t, "us-west-2")
	small := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 2047-1), E: 65537} // 2047 bits
	small.N.SetBit(small.N, 0, 1)
	for name, f := range map[string]func() (*awskms.RSAKeyring, error){
		"no client, no key": func() (*awskms.RSAKeyring, error) { return awskms.NewRSAKeyring(nil, rsaWest, sha1Alg, nil) },
		"alias":             func() (*awskms.RSAKeyring, error) { return awskms.NewRSAKeyring(c, "alias/rsa", sha1Alg, nil) },
		"alias ARN": func() (*awskms.RSAKeyring, error) {
			return awskms.NewRSAKeyring(c, "arn:aws:kms:us-west-2:111122223333:alias/rsa", sha1Alg, nil)
		},
		"key ID": func() (*awskms.RSAKeyring, error) {
			return awskms.NewRSAKeyring(c, "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", sha1Alg, nil)
		},
		"symmetric alg": func() (*awskms.RSAKeyring, error) {
			return awskms.NewRSAKeyring(c, rsaWest, types.EncryptionAlgorithmSpecSymmetricDefault, nil)
		},
		"SM2": func() (*awskms.RSAKeyring, error) {
			return awskms.NewRSAKeyring(c, rsaWest, types.EncryptionAlgorithmSpecSm2pke, nil)
		},
		"2047-bit key": func() (*awskms.RSAKeyring, error) { return awskms.NewRSAKeyring(c, rsaWest, sha1Alg, small) },
		"even exponent": func() (*awskms.RSAKeyring, error) {
			return awskms.NewRSAKeyring(c, rsaWest, sha1Alg, &rsa.PublicKey{N: priv.N, E: 4})
		},
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	// Encrypt-only and decrypt-only keyrings.
	encOnly := must(awskms.NewRSAKeyring(nil, rsaWest, sha1Alg, &priv.PublicKey))
	em, err := encOnly.OnEncrypt(context.Background(), unsignedEnc(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := encOnly.OnDecrypt(context.Background(), unsignedDec(t, nil), em.EncryptedDataKeys); err == nil || !strings.Contains(err.Error(), "no AWS KMS client") {
		t.Fatalf("decrypt without a client: %v", err)
	}
	decOnly := must(awskms.NewRSAKeyring(c, rsaWest, sha1Alg, nil))
	if _, err := decOnly.OnEncrypt(context.Background(), unsignedEnc(t, nil)); err == nil || !strings.Contains(err.Error(), "no public key") {
		t.Fatalf("encrypt without a public key: %v", err)
	}
	if _, err := decOnly.OnDecrypt(context.Background(), unsignedDec(t, nil), em.EncryptedDataKeys); err != nil {
		t.Fatal(err)
	}
	// The keyring keeps its own copy of the public key.
	pub := priv.PublicKey
	kr := must(awskms.NewRSAKeyring(nil, rsaWest, sha1Alg, &pub))
	pub.E = 3
	em, err = kr.OnEncrypt(context.Background(), unsignedEnc(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decOnly.OnDecrypt(context.Background(), unsignedDec(t, nil), em.EncryptedDataKeys); err != nil {
		t.Fatalf("after the caller changed its key: %v", err)
	}
}

func TestRSAKeyringWrongKey(t *testing.T) {
	w, priv, other := rsaWorld(t)
	em, err := must(awskms.NewRSAKeyring(nil, rsaWest, sha256Alg, &priv.PublicKey)).OnEncrypt(context.Background(), unsignedEnc(t, testEC))
	if err != nil {
		t.Fatal(err)
	}
	// A keyring of another key does not call KMS.
	kr := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaOther, sha256Alg, &other.PublicKey))
	_, err = kr.OnDecrypt(context.Background(), unsignedDec(t, testEC), em.EncryptedDataKeys)
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) || len(nd.Errs) != 0 || !strings.Contains(err.Error(), rsaWest) {
		t.Fatalf("got %v", err)
	}
	if n := w.decrypts(""); n != 0 {
		t.Fatalf("%d Decrypt calls", n)
	}
	// An encrypted data key that names rsaOther but was wrapped under
	// rsaWest's public key: KMS fails to decrypt it.
	edks := slices.Clone(em.EncryptedDataKeys)
	edks[0].ProviderInfo = []byte(rsaOther)
	_, err = kr.OnDecrypt(context.Background(), unsignedDec(t, testEC), edks)
	var ke *awskms.KMSError
	var ice *types.InvalidCiphertextException
	if !errors.As(err, &nd) || len(nd.Errs) != 1 || !errors.As(err, &ke) || ke.KeyID != rsaOther || !errors.As(err, &ice) {
		t.Fatalf("got %v", err)
	}
	// The wrong padding fails too.
	_, err = must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaWest, sha1Alg, nil)).OnDecrypt(context.Background(), unsignedDec(t, testEC), em.EncryptedDataKeys)
	if !errors.As(err, &ice) {
		t.Fatalf("SHA-1 keyring, SHA-256 key: %v", err)
	}
	// Other keyrings' keys are not this keyring's business, and aws-kms
	// keys are not RSA keys.
	mixed := append([]materials.EncryptedDataKey{{ProviderID: "aws-kms", ProviderInfo: []byte(rsaWest), Ciphertext: []byte("x")}, {ProviderID: "raw", ProviderInfo: []byte("junk")}}, em.EncryptedDataKeys...)
	w.reset()
	if _, err := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaWest, sha256Alg, nil)).OnDecrypt(context.Background(), unsignedDec(t, testEC), mixed); err != nil {
		t.Fatal(err)
	}
	if w.decrypts("") != 1 {
		t.Fatalf("calls: %+v", w.west.Calls())
	}
}

func TestRSAKeyringMRK(t *testing.T) {
	w, priv, _ := rsaWorld(t)
	em, err := must(awskms.NewRSAKeyring(nil, rsaMRKEast, sha256Alg, &priv.PublicKey)).OnEncrypt(context.Background(), unsignedEnc(t, testEC))
	if err != nil {
		t.Fatal(err)
	}
	// The us-west-2 replica decrypts, calling us-west-2 with its own ARN.
	if _, err := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaMRKWest, sha256Alg, nil)).OnDecrypt(context.Background(), unsignedDec(t, testEC), em.EncryptedDataKeys); err != nil {
		t.Fatal(err)
	}
	if w.west.Count("Decrypt", rsaMRKWest) != 1 || len(w.east.Calls()) != 0 {
		t.Fatalf("calls: west %+v, east %+v", w.west.Calls(), w.east.Calls())
	}
}

func TestRSAKeyringMalformed(t *testing.T) {
	w, priv, _ := rsaWorld(t)
	kr := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaWest, sha256Alg, &priv.PublicKey))
	em, err := kr.OnEncrypt(context.Background(), unsignedEnc(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range []string{"alias/rsa", "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "arn:aws:kms:us-west-2:111122223333:alias/rsa", ""} {
		edks := append(slices.Clone(em.EncryptedDataKeys), materials.EncryptedDataKey{ProviderID: "aws-kms-rsa", ProviderInfo: []byte(info), Ciphertext: []byte("x")})
		if _, err := kr.OnDecrypt(context.Background(), unsignedDec(t, nil), edks); !errors.Is(err, awskms.ErrMalformedProviderInfo) {
			t.Errorf("provider info %q: %v", info, err)
		}
	}
	// Ciphertexts KMS would refuse are not sent.
	for _, n := range []int{0, 6145} {
		edks := []materials.EncryptedDataKey{{ProviderID: "aws-kms-rsa", ProviderInfo: []byte(rsaWest), Ciphertext: make([]byte, n)}}
		var nd *materials.NoDecryptableKeyError
		if _, err := kr.OnDecrypt(context.Background(), unsignedDec(t, nil), edks); !errors.As(err, &nd) || len(nd.Errs) != 1 {
			t.Errorf("%d-byte ciphertext: %v", n, err)
		}
	}
	if n := w.decrypts(""); n != 0 {
		t.Fatalf("%d Decrypt calls", n)
	}
	// Materials that already hold a data key.
	dm := unsignedDec(t, nil)
	dm.PlaintextDataKey = make([]byte, 32)
	if _, err := kr.OnDecrypt(context.Background(), dm, em.EncryptedDataKeys); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Fatalf("got %v", err)
	}
}

// rsaResponder answers Decrypt with whatever its fields say.
type rsaResponder struct {
	fakeClient
	keyID string
	pt    []byte
}

func (r *rsaResponder) Decrypt(context.Context, *kms.DecryptInput, ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	return &kms.DecryptOutput{KeyId: aws.String(r.keyID), Plaintext: bytes.Clone(r.pt)}, nil
}

func TestRSAKeyringInvalidResponses(t *testing.T) {
	edks := []materials.EncryptedDataKey{{ProviderID: "aws-kms-rsa", ProviderInfo: []byte(rsaWest), Ciphertext: make([]byte, 256)}}
	digest := sha512.Sum384(nil)
	good := append(digest[:], bytes.Repeat([]byte{7}, 32)...)
	for _, r := range []*rsaResponder{
		{keyID: rsaOther, pt: good},
		{keyID: "", pt: good},
		{keyID: rsaWest, pt: good[:79]},
		{keyID: rsaWest, pt: append(slices.Clone(good), 0)},
	} {
		kr := must(awskms.NewRSAKeyring(r, rsaWest, sha1Alg, nil))
		if _, err := kr.OnDecrypt(context.Background(), unsignedDec(t, nil), edks); !errors.Is(err, awskms.ErrInvalidResponse) {
			t.Errorf("KeyId %q, %d bytes: %v", r.keyID, len(r.pt), err)
		}
	}
	// A digest that differs in one bit.
	bad := slices.Clone(good)
	bad[47] ^= 1
	kr := must(awskms.NewRSAKeyring(&rsaResponder{keyID: rsaWest, pt: bad}, rsaWest, sha1Alg, nil))
	_, err := kr.OnDecrypt(context.Background(), unsignedDec(t, nil), edks)
	if !errors.Is(err, awskms.ErrEncryptionContextDigest) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(strings.ToLower(err.Error()), "0707070707") {
		t.Fatalf("error leaks the data key: %v", err)
	}
	dm, err := must(awskms.NewRSAKeyring(&rsaResponder{keyID: rsaWest, pt: good}, rsaWest, sha1Alg, nil)).OnDecrypt(context.Background(), unsignedDec(t, nil), edks)
	if err != nil || !bytes.Equal(dm.PlaintextDataKey, good[48:]) {
		t.Fatalf("good response: %v", err)
	}
}

func TestRSAKeyringInMessages(t *testing.T) {
	w, priv, _ := rsaWorld(t)
	ctx := context.Background()
	aesKR := must(keyring.NewRawAES("ns", "aes", bytes.Repeat([]byte{1}, 32)))
	rsaKR := must(awskms.NewRSAKeyring(w.client(t, "us-west-2"), rsaWest, sha256Alg, &priv.PublicKey))
	// As the second keyring of a multi-keyring, the RSA keyring wraps the
	// data key the generator made.
	multi := must(keyring.NewMulti(aesKR, rsaKR))
	ec := map[string]string{"purpose": "kms rsa"}
	opts := &encryptsdk.EncryptOptions{Suite: unsignedID, EncryptionContext: ec}
	ct, err := encryptsdk.New(multi).EncryptBytes(ctx, []byte("hello, RSA"), opts)
	if err != nil {
		t.Fatal(err)
	}
	pt, d, err := encryptsdk.New(rsaKR).DecryptBytes(ctx, ct, &encryptsdk.DecryptOptions{EncryptionContext: ec})
	if err != nil || string(pt) != "hello, RSA" || d.DataKey().ProviderID != "aws-kms-rsa" {
		t.Fatalf("decrypt with the RSA keyring: %q, %v", pt, err)
	}
	// The client's default suite signs: the RSA keyring refuses it.
	if _, err := encryptsdk.New(rsaKR).EncryptBytes(ctx, []byte("x"), nil); !errors.Is(err, awskms.ErrSignedSuite) {
		t.Fatalf("default suite: %v", err)
	}
}
