package keyring_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

var vectorsDir = filepath.Join("..", "..", "shared", "testvectors")

type masterKey struct {
	Type        string `json:"type"`
	Key         string `json:"key"`
	ProviderID  string `json:"provider-id"`
	Algorithm   string `json:"encryption-algorithm"`
	Padding     string `json:"padding-algorithm"`
	PaddingHash string `json:"padding-hash"`
}

type keyEntry struct {
	Type     string `json:"type"`
	KeyID    string `json:"key-id"`
	Encoding string `json:"encoding"`
	Material string `json:"material"`
}

// rawKeyring builds a raw keyring from a manifest master key; the key name
// is the keys-manifest entry's key-id.
func rawKeyring(t *testing.T, mk masterKey, keys map[string]keyEntry) keyring.Keyring {
	t.Helper()
	k, ok := keys[mk.Key]
	if !ok {
		t.Fatalf("no key %q", mk.Key)
	}
	switch mk.Algorithm {
	case "aes":
		material, err := base64.StdEncoding.DecodeString(k.Material)
		if err != nil {
			t.Fatal(err)
		}
		kr, err := keyring.NewRawAES(mk.ProviderID, k.KeyID, material)
		if err != nil {
			t.Fatal(err)
		}
		return kr
	case "rsa":
		var p keyring.Padding
		switch {
		case mk.Padding == "pkcs1":
			p = keyring.PKCS1
		case mk.Padding == "oaep-mgf1":
			var err error
			if p, err = keyring.ParsePadding("oaep-" + mk.PaddingHash); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("padding %q", mk.Padding)
		}
		cfg := keyring.RawRSAConfig{Namespace: mk.ProviderID, Name: k.KeyID, Padding: p}
		if k.Type == "private" {
			priv, err := keyring.ParseRSAPrivateKeyPEM([]byte(k.Material))
			if err != nil {
				t.Fatal(err)
			}
			cfg.PrivateKey = priv
		} else {
			pub, err := keyring.ParseRSAPublicKeyPEM([]byte(k.Material))
			if err != nil {
				t.Fatal(err)
			}
			cfg.PublicKey = pub
		}
		kr, err := keyring.NewRawRSA(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return kr
	}
	t.Fatalf("algorithm %q", mk.Algorithm)
	return nil
}

// unwrapAndAuthenticate parses the header of msg, gets its data key through
// the default manager over kr, checks the key commitment and the header
// authentication tag. It fails if any step fails.
func unwrapAndAuthenticate(msg []byte, kr keyring.Keyring) error {
	r := format.NewReader(bytes.NewReader(msg), format.Limits{})
	hdr, raw, err := r.ReadHeader()
	if err != nil {
		return err
	}
	auth, err := r.ReadHeaderAuth()
	if err != nil {
		return err
	}
	dm, err := materials.NewDefaultManager(kr).DecryptMaterials(ctx, materials.DecryptionRequest{
		Suite: hdr.Suite, CommitmentPolicy: algorithms.RequireEncryptAllowDecrypt,
		EncryptedDataKeys: hdr.EncryptedDataKeys, EncryptionContext: hdr.EncryptionContext,
	})
	if err != nil {
		return err
	}
	// As the client does: candidates (RSA PKCS #1 v1.5) first, then the
	// authenticated key; the first that authenticates the header wins.
	var keys [][]byte
	for _, c := range dm.Candidates {
		keys = append(keys, c.PlaintextDataKey)
	}
	if dm.PlaintextDataKey != nil {
		keys = append(keys, dm.PlaintextDataKey)
	}
	for _, pdk := range keys {
		if err = authenticateHeader(hdr, raw, auth, pdk); err == nil {
			return nil
		}
	}
	return err
}

func authenticateHeader(hdr *format.Header, raw []byte, auth format.HeaderAuth, pdk []byte) error {
	dk, ck, err := hdr.Suite.DeriveKeys(pdk, hdr.MessageID)
	if err != nil {
		return err
	}
	if hdr.Suite.Committing() {
		if err := algorithms.CheckCommitment(ck, hdr.SuiteData); err != nil {
			return err
		}
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return err
	}
	gcm, _ := cipher.NewGCM(block)
	if _, err := gcm.Open(nil, auth.AuthIV(), auth.Tag, raw); err != nil {
		return fmt.Errorf("header authentication: %w", err)
	}
	return nil
}

// TestVectorKeyrings unwraps the data key of every raw-keyring message in
// the JS 5.0.2 and Dafny 4.1.0 (v2 manifest) sets and proves it right by
// checking the commitment key and the header authentication tag. Negative
// cases that damage the header or the encrypted data keys, or use the wrong
// key, must fail.
func TestVectorKeyrings(t *testing.T) {
	if _, err := os.Stat(vectorsDir); os.IsNotExist(err) {
		t.Skip("test vectors not present")
	}
	total := map[string]int{}
	for _, m := range []string{"js-5.0.2-generated/manifest.json", "dafny-4.1.0/manifest-v2.json"} {
		dir := filepath.Join(vectorsDir, filepath.Dir(m))
		var manifest struct {
			Tests map[string]struct {
				Ciphertext string      `json:"ciphertext"`
				MasterKeys []masterKey `json:"master-keys"`
				Result     struct {
					Error json.RawMessage `json:"error"`
				} `json:"result"`
				Method string `json:"decryption-method"`
			} `json:"tests"`
		}
		var keys struct {
			Keys map[string]keyEntry `json:"keys"`
		}
		readJSON(t, filepath.Join(vectorsDir, m), &manifest)
		readJSON(t, filepath.Join(dir, "keys.json"), &keys)
		for name, tc := range manifest.Tests {
			negative := tc.Result.Error != nil
			if negative && !(strings.HasPrefix(name, "neg-header-") || strings.HasPrefix(name, "neg-edk-") ||
				strings.HasPrefix(name, "neg-wrong-") || strings.HasPrefix(name, "neg-half-signed")) {
				continue // body, footer and option cases need the full decryptor
			}
			var krs []keyring.Keyring
			for _, mk := range tc.MasterKeys {
				if mk.Type != "raw" {
					t.Fatalf("%s: master key type %q", name, mk.Type)
				}
				krs = append(krs, rawKeyring(t, mk, keys.Keys))
			}
			kr, err := keyring.NewMulti(nil, krs...)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(tc.Ciphertext, "file://")))
			if err != nil {
				t.Fatal(err)
			}
			err = unwrapAndAuthenticate(msg, kr)
			switch {
			case negative && err == nil:
				t.Errorf("%s: negative case unwrapped and authenticated", name)
			case !negative && err != nil:
				t.Errorf("%s: %v", name, err)
			}
			if negative {
				total["negative"]++
			} else {
				total["positive"]++
			}
		}
	}
	t.Logf("checked %d positive and %d negative messages", total["positive"], total["negative"])
	if total["positive"] < 250 {
		t.Errorf("only %d positive messages checked", total["positive"])
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
