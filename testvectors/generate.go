package testvectors

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/materials"
)

// Generate writes an awses-decrypt version 2 manifest (manifest.json),
// keys.json, plaintexts/ and ciphertexts/ into dir: messages made by this
// library for every suite with raw AES 128/192/256 and raw RSA (each
// padding) keys, a multi-keyring, frame lengths 1, 4096 and 65536,
// non-framed bodies, empty and unicode encryption contexts, an empty
// plaintext and exact frame multiples. Beside it, manifest-ecdh.json
// (version 5, the form of the Material Providers Library's ECDH vectors)
// holds raw ECDH messages: every curve and every schema that encrypts
// (static, ephemeral), each with an unsigned and a signed suite, each
// decrypted by the recipient's private key through the static schema
// (static messages) and through discovery. Both use keys.json. It returns
// the number of tests of all manifests. manifest-hierarchy.json (version
// 5) holds a message per suite with the hierarchical keyring and a static
// branch key, in the form of the Material Providers Library's vectors.
func Generate(ctx context.Context, dir string) (int, error) {
	for _, sub := range []string{"plaintexts", "ciphertexts"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return 0, err
		}
	}
	keys, err := newGeneratedKeys()
	if err != nil {
		return 0, err
	}
	plaintexts := map[string][]byte{
		"empty":  {},
		"small":  pattern(10240),
		"exact":  pattern(8192), // two 4096-byte frames exactly
		"single": pattern(1),
	}
	for name, p := range plaintexts {
		if err := os.WriteFile(filepath.Join(dir, "plaintexts", name), p, 0o644); err != nil {
			return 0, err
		}
	}
	contexts := map[string]map[string]string{
		"empty":   nil,
		"unicode": {"purpose": "test vectors", "ключ": "значение", "\U0001F600 emoji": "\uFFFD and \U00010348", "\uFFFF": "sorts before the emoji in UTF-16, after it in UTF-8"},
	}

	type gen struct {
		name      string
		suite     algorithms.Suite
		encrypt   []KeyDescription // first is the generator
		decrypt   []KeyDescription
		frame     int64
		nonFramed bool
		plaintext string
		context   string
	}
	var gens []gen
	aes := func(bits int) KeyDescription {
		return KeyDescription{Type: "raw", Key: fmt.Sprintf("aes-%d", bits), ProviderID: "go-esdk-raw-aes", Algorithm: "aes"}
	}
	rsaKey := func(padding, hash string) KeyDescription {
		return KeyDescription{Type: "raw", Key: "rsa-2048-private", ProviderID: "go-esdk-raw-rsa", Algorithm: "rsa", Padding: padding, PaddingHash: hash}
	}
	paddings := [][2]string{{"pkcs1", ""}, {"oaep-mgf1", "sha1"}, {"oaep-mgf1", "sha256"}, {"oaep-mgf1", "sha384"}, {"oaep-mgf1", "sha512"}}
	for _, s := range algorithms.All() {
		id := fmt.Sprintf("%04x", uint16(s.ID()))
		for _, bits := range []int{128, 192, 256} {
			k := aes(bits)
			gens = append(gens, gen{name: fmt.Sprintf("%s-aes%d", id, bits), suite: s, encrypt: []KeyDescription{k}, decrypt: []KeyDescription{k}, frame: 4096, plaintext: "small", context: "unicode"})
		}
		for _, p := range paddings {
			k := rsaKey(p[0], p[1])
			gens = append(gens, gen{name: fmt.Sprintf("%s-rsa-%s%s", id, p[0], p[1]), suite: s, encrypt: []KeyDescription{k}, decrypt: []KeyDescription{k}, frame: 4096, plaintext: "small", context: "unicode"})
		}
		multi := []KeyDescription{aes(256), rsaKey("oaep-mgf1", "sha256")}
		gens = append(gens,
			gen{name: id + "-multi-decrypt-with-rsa", suite: s, encrypt: multi, decrypt: multi[1:], frame: 4096, plaintext: "small", context: "unicode"},
			gen{name: id + "-multi-decrypt-with-aes", suite: s, encrypt: multi, decrypt: multi[:1], frame: 4096, plaintext: "small", context: "empty"},
			gen{name: id + "-frame-1", suite: s, encrypt: []KeyDescription{aes(256)}, decrypt: []KeyDescription{aes(256)}, frame: 1, plaintext: "single", context: "unicode"},
			gen{name: id + "-frame-65536", suite: s, encrypt: []KeyDescription{aes(128)}, decrypt: []KeyDescription{aes(128)}, frame: 65536, plaintext: "small", context: "empty"},
			gen{name: id + "-non-framed", suite: s, encrypt: []KeyDescription{aes(256)}, decrypt: []KeyDescription{aes(256)}, nonFramed: true, plaintext: "small", context: "unicode"},
			gen{name: id + "-empty-plaintext", suite: s, encrypt: []KeyDescription{aes(192)}, decrypt: []KeyDescription{aes(192)}, frame: 4096, plaintext: "empty", context: "empty"},
			gen{name: id + "-exact-frames", suite: s, encrypt: []KeyDescription{aes(256)}, decrypt: []KeyDescription{aes(256)}, frame: 4096, plaintext: "exact", context: "unicode"},
		)
	}

	m := &DecryptManifest{dir: dir, keys: keys}
	manifest := map[string]any{
		"manifest": map[string]any{"type": "awses-decrypt", "version": 2},
		"client":   map[string]any{"name": "go-esdk", "version": "dev"},
		"keys":     "file://keys.json",
	}
	tests := map[string]any{}
	for _, g := range gens {
		var krs []materials.Keyring
		for _, d := range g.encrypt {
			kr, err := m.keyring(d, true, new(error))
			if err != nil {
				return 0, err
			}
			krs = append(krs, kr)
		}
		kr, err := keyring.NewMulti(krs[0], krs[1:]...)
		if err != nil {
			return 0, err
		}
		c := encryptsdk.New(kr)
		if !g.suite.Committing() {
			c.CommitmentPolicy = algorithms.ForbidEncryptAllowDecrypt
		}
		ct, err := c.EncryptBytes(ctx, plaintexts[g.plaintext], &encryptsdk.EncryptOptions{
			Suite:             g.suite.ID(),
			FrameLength:       g.frame,
			NonFramed:         g.nonFramed,
			EncryptionContext: contexts[g.context],
		})
		if err != nil {
			return 0, fmt.Errorf("%s: %w", g.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ciphertexts", g.name), ct, 0o644); err != nil {
			return 0, err
		}
		tests[g.name] = map[string]any{
			"description": fmt.Sprintf("go-esdk: suite %v, frame length %d (non-framed: %v), plaintext %s, encryption context %s", g.suite.ID(), g.frame, g.nonFramed, g.plaintext, g.context),
			"ciphertext":  "file://ciphertexts/" + g.name,
			"master-keys": g.decrypt,
			"result":      map[string]any{"output": map[string]any{"plaintext": "file://plaintexts/" + g.plaintext}},
		}
	}
	manifest["tests"] = tests
	if err := writeJSON(filepath.Join(dir, "manifest.json"), manifest); err != nil {
		return 0, err
	}
	n, err := generateECDH(ctx, m, plaintexts["small"], contexts["unicode"])
	if err != nil {
		return 0, err
	}
	nh, err := generateHierarchy(ctx, m, plaintexts["small"], contexts["unicode"])
	if err != nil {
		return 0, err
	}
	n += nh
	if err := writeJSON(filepath.Join(dir, "keys.json"), keys); err != nil {
		return 0, err
	}
	return len(tests) + n, nil
}

// ECDHSuites are the suites of the generated ECDH messages: one unsigned,
// one signed.
var ECDHSuites = []algorithms.ID{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384}

// generateECDH writes manifest-ecdh.json and its ciphertexts with the
// ecdh-* entries of m's keys and returns the number of tests.
func generateECDH(ctx context.Context, m *DecryptManifest, plaintext []byte, ec map[string]string) (int, error) {
	tests := map[string]any{}
	for _, curve := range []string{"ecc-256", "ecc-384", "ecc-521"} {
		entry := "ecdh-" + curve[len("ecc-"):]
		desc := func(schema, sender, recipient string) KeyDescription {
			d := KeyDescription{Type: "raw-ecdh", Sender: sender, Recipient: recipient, SenderPublicKey: "sender-material-public-key",
				RecipientPublicKey: "recipient-material-public-key", ProviderID: "go-esdk-raw-ecdh " + curve, Curve: curve, Schema: schema}
			if sender == "" {
				d.Sender, d.SenderPublicKey = "discovery", "discovery"
			}
			return d
		}
		discovery := desc("discovery", "", entry)
		for _, schema := range []string{"static", "ephemeral"} {
			enc := desc(schema, entry, entry)
			if schema == "ephemeral" {
				enc.Sender, enc.SenderPublicKey = "ephemeral", "ephemeral"
			}
			readers := map[string]KeyDescription{"discovery": discovery}
			if schema == "static" {
				// The recipient's own static keyring: its private key and
				// the sender's public key (the entry with the roles swapped).
				readers["static"] = desc("static", entry+"-swapped", entry+"-swapped")
			}
			kr, err := m.keyring(enc, true, new(error))
			if err != nil {
				return 0, err
			}
			for _, id := range ECDHSuites {
				name := fmt.Sprintf("%04x-ecdh-%s-%s", uint16(id), curve, schema)
				ct, err := encryptsdk.New(kr).EncryptBytes(ctx, plaintext, &encryptsdk.EncryptOptions{Suite: id, FrameLength: 4096, EncryptionContext: ec})
				if err != nil {
					return 0, fmt.Errorf("%s: %w", name, err)
				}
				if err := os.WriteFile(filepath.Join(m.dir, "ciphertexts", name), ct, 0o644); err != nil {
					return 0, err
				}
				for reader, d := range readers {
					tests[name+"-decrypt-"+reader] = map[string]any{"decryption-scenario": Scenario{
						Type: "positive-esdk", Ciphertext: "file://ciphertexts/" + name, Result: "file://plaintexts/small",
						Description: fmt.Sprintf("go-esdk: raw ECDH %s %s encrypt, %s decrypt, suite %v", curve, schema, reader, id),
						Key:         &d, Reproduced: map[string]string{}, Suite: fmt.Sprintf("%04x", uint16(id)), FrameSize: 4096,
					}}
				}
			}
		}
	}
	manifest := map[string]any{
		"manifest": map[string]any{"type": "awses-decrypt", "version": 5},
		"client":   map[string]any{"name": "go-esdk", "version": "dev"},
		"keys":     "file://keys.json",
		"tests":    tests,
	}
	return len(tests), writeJSON(filepath.Join(m.dir, "manifest-ecdh.json"), manifest)
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// newGeneratedKeys returns a keys manifest (version 3) with fresh AES keys
// and a fresh RSA key pair.
func newGeneratedKeys() (*KeysManifest, error) {
	k := &KeysManifest{Keys: map[string]KeySpec{}}
	k.Manifest.Type, k.Manifest.Version = "keys", 3
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	for _, bits := range []int{128, 192, 256} {
		key := make([]byte, bits/8)
		rand.Read(key)
		name := fmt.Sprintf("aes-%d", bits)
		k.Keys[name] = KeySpec{Encrypt: true, Decrypt: true, Algorithm: "aes", Type: "symmetric", Bits: bits, Encoding: "base64",
			Material: str(base64Std(key)), KeyID: name}
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	k.Keys["rsa-2048-private"] = KeySpec{Encrypt: true, Decrypt: true, Algorithm: "rsa", Type: "private", Bits: 2048, Encoding: "pem",
		Material: str(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))), KeyID: "rsa-2048"}
	k.Keys["rsa-2048-public"] = KeySpec{Encrypt: true, Decrypt: false, Algorithm: "rsa", Type: "public", Bits: 2048, Encoding: "pem",
		Material: str(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))), KeyID: "rsa-2048"}
	k.Keys["static-branch-key-1"] = newStaticBranchKey()
	// ECDH: for each curve a sender and a recipient key pair, in the
	// ecc-private form of the Dafny vectors, and the same pairs with the
	// roles swapped (the recipient's view of a static exchange).
	for _, c := range []struct {
		bits  int
		curve ecdh.Curve
	}{{256, ecdh.P256()}, {384, ecdh.P384()}, {521, ecdh.P521()}} {
		var pemKeys, pubKeys [2]string
		for i := range 2 {
			priv, err := c.curve.GenerateKey(rand.Reader)
			if err != nil {
				return nil, err
			}
			der, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				return nil, err
			}
			pub, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
			if err != nil {
				return nil, err
			}
			pemKeys[i] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
			pubKeys[i] = base64Std(pub)
		}
		name := fmt.Sprintf("ecdh-%d", c.bits)
		for j, entry := range []string{name, name + "-swapped"} {
			s, r := j, 1-j
			k.Keys[entry] = KeySpec{Encrypt: true, Decrypt: true, Algorithm: "ecdh", Type: "ecc-private", Bits: c.bits, Encoding: "pem",
				SenderMaterial: pemKeys[s], RecipientMaterial: pemKeys[r], PublicKeyEncoding: "base64-der",
				SenderPublicKey: pubKeys[s], RecipientPublicKey: pubKeys[r], KeyID: name}
		}
	}
	return k, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// generateHierarchy writes manifest-hierarchy.json (version 5, the form of
// the Material Providers Library's hierarchy vectors) and its ciphertexts:
// one message per suite with the hierarchical keyring and the static
// branch key of m's keys entry "static-branch-key-1". It returns the
// number of tests.
func generateHierarchy(ctx context.Context, m *DecryptManifest, plaintext []byte, ec map[string]string) (int, error) {
	d := KeyDescription{Type: "aws-kms-hierarchy", Key: "static-branch-key-1"}
	kr, err := m.keyring(d, true, new(error))
	if err != nil {
		return 0, err
	}
	tests := map[string]any{}
	for _, s := range algorithms.All() {
		name := fmt.Sprintf("%04x-hierarchy", uint16(s.ID()))
		c := encryptsdk.New(kr)
		if !s.Committing() {
			c.CommitmentPolicy = algorithms.ForbidEncryptAllowDecrypt
		}
		ct, err := c.EncryptBytes(ctx, plaintext, &encryptsdk.EncryptOptions{Suite: s.ID(), FrameLength: 4096, EncryptionContext: ec})
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(m.dir, "ciphertexts", name), ct, 0o644); err != nil {
			return 0, err
		}
		tests[name] = map[string]any{"decryption-scenario": Scenario{
			Type: "positive-esdk", Ciphertext: "file://ciphertexts/" + name, Result: "file://plaintexts/small",
			Description: fmt.Sprintf("go-esdk: hierarchical keyring with a static branch key, suite %v", s.ID()),
			Key:         &d, Reproduced: map[string]string{}, Suite: fmt.Sprintf("%04x", uint16(s.ID())), FrameSize: 4096,
		}}
	}
	manifest := map[string]any{
		"manifest": map[string]any{"type": "awses-decrypt", "version": 5},
		"client":   map[string]any{"name": "go-esdk", "version": "dev"},
		"keys":     "file://keys.json",
		"tests":    tests,
	}
	return len(tests), writeJSON(filepath.Join(m.dir, "manifest-hierarchy.json"), manifest)
}

// newStaticBranchKey returns a static-branch-key entry with a fresh branch
// key ID, version, branch key and beacon key.
func newStaticBranchKey() KeySpec {
	uuid := func() string {
		var u [16]byte
		rand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		return hierarchy.FormatVersion(u)
	}
	bk, beacon := make([]byte, 32), make([]byte, 32)
	rand.Read(bk)
	rand.Read(beacon)
	return KeySpec{Encrypt: true, Decrypt: true, Type: "static-branch-key", KeyID: uuid(), BranchKeyVersion: uuid(),
		BranchKey: base64Std(bk), BeaconKey: base64Std(beacon)}
}
