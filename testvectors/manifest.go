// Package testvectors runs and writes the cross-SDK test vectors of the AWS
// Encryption SDK: awses-decrypt manifests (versions 1, 2, 4 and 5) with
// their keys manifests, a keyless inspection of every message in a
// manifest, and a generator of new vectors made by this library.
package testvectors

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DecryptManifest is an awses-decrypt manifest.
type DecryptManifest struct {
	Manifest struct {
		Type    string `json:"type"`
		Version int    `json:"version"`
	} `json:"manifest"`
	Client *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"client,omitempty"`
	Keys  string                 `json:"keys"`
	Tests map[string]DecryptTest `json:"tests"`

	dir  string
	keys *KeysManifest
}

// DecryptTest is one test of an awses-decrypt manifest. Fields of every
// manifest version are read; whichever are present apply.
type DecryptTest struct {
	Description string            `json:"description,omitempty"`
	Ciphertext  string            `json:"ciphertext,omitempty"`
	Plaintext   string            `json:"plaintext,omitempty"` // version 1
	MasterKeys  []KeyDescription  `json:"master-keys,omitempty"`
	Result      *Result           `json:"result,omitempty"`
	Method      string            `json:"decryption-method,omitempty"`
	CMM         string            `json:"cmm,omitempty"`
	Context     map[string]string `json:"encryption-context,omitempty"`
	Options     *DecryptOptions   `json:"decrypt-options,omitempty"`
	Scenario    *Scenario         `json:"decryption-scenario,omitempty"` // version 5
}

// Result is the expected outcome of a version 2 to 4 test.
type Result struct {
	Output *struct {
		Plaintext string `json:"plaintext"`
	} `json:"output,omitempty"`
	Error *struct {
		Description string `json:"error-description"`
	} `json:"error,omitempty"`
}

// DecryptOptions is the decrypt-options extension of these test vectors.
type DecryptOptions struct {
	CommitmentPolicy     string `json:"commitment-policy,omitempty"`
	MaxEncryptedDataKeys int    `json:"max-encrypted-data-keys,omitempty"`
	UnsignedOnly         bool   `json:"unsigned-only,omitempty"`
}

// Scenario is a version 5 decryption scenario.
type Scenario struct {
	Type        string            `json:"type"`
	Ciphertext  string            `json:"ciphertext"`
	Result      string            `json:"result"`
	Description string            `json:"description"`
	Key         *KeyDescription   `json:"decryptKeyDescription"`
	Reproduced  map[string]string `json:"reproduced-encryption-context"`
	Suite       string            `json:"algorithmSuiteId,omitempty"`
	FrameSize   int64             `json:"frame-size,omitempty"`
}

// KeyDescription describes a keyring (version 5) or a master key (earlier
// versions).
type KeyDescription struct {
	Type         string           `json:"type"`
	Key          string           `json:"key,omitempty"`
	ProviderID   string           `json:"provider-id,omitempty"`
	Algorithm    string           `json:"encryption-algorithm,omitempty"`
	Padding      string           `json:"padding-algorithm,omitempty"`
	PaddingHash  string           `json:"padding-hash,omitempty"`
	Generator    *KeyDescription  `json:"generator,omitempty"`
	Children     []KeyDescription `json:"childKeyrings,omitempty"`
	Underlying   *KeyDescription  `json:"underlying,omitempty"`
	RequiredKeys []string         `json:"requiredEncryptionContextKeys,omitempty"`
	// The raw-ecdh keyring (version 5): Sender and Recipient name keys
	// entries ("discovery" for no sender), Schema is static, ephemeral or
	// discovery, Curve ecc-256, ecc-384 or ecc-521. SenderPublicKey and
	// RecipientPublicKey name the entry fields the public keys come from.
	Sender             string `json:"sender,omitempty"`
	Recipient          string `json:"recipient,omitempty"`
	SenderPublicKey    string `json:"sender-public-key,omitempty"`
	RecipientPublicKey string `json:"recipient-public-key,omitempty"`
	Curve              string `json:"ecc-curve,omitempty"`
	Schema             string `json:"schema,omitempty"`
}

// KeysManifest is a keys manifest (versions 1 to 3).
type KeysManifest struct {
	Manifest struct {
		Type    string `json:"type"`
		Version int    `json:"version"`
	} `json:"manifest"`
	Keys map[string]KeySpec `json:"keys"`
}

// KeySpec is one entry of a keys manifest.
type KeySpec struct {
	Encrypt   bool            `json:"encrypt"`
	Decrypt   bool            `json:"decrypt"`
	Algorithm string          `json:"algorithm,omitempty"`
	Type      string          `json:"type"`
	Bits      int             `json:"bits,omitempty"`
	Encoding  string          `json:"encoding,omitempty"`
	Material  json.RawMessage `json:"material,omitempty"`
	LineSep   string          `json:"line-separator,omitempty"`
	KeyID     string          `json:"key-id,omitempty"`
	// PlaintextDataKey is the data key of a static-material entry (base64).
	PlaintextDataKey string `json:"plaintextDataKey,omitempty"`
	// An ecc-private (ECDH) entry holds two key pairs: the sender's and
	// the recipient's private keys (PEM, PKCS #8) and their public keys
	// (PublicKeyEncoding: base64-der, SubjectPublicKeyInfo).
	SenderMaterial     string `json:"sender-material,omitempty"`
	RecipientMaterial  string `json:"recipient-material,omitempty"`
	PublicKeyEncoding  string `json:"public-key-encoding,omitempty"`
	SenderPublicKey    string `json:"sender-material-public-key,omitempty"`
	RecipientPublicKey string `json:"recipient-material-public-key,omitempty"`
	// A static-branch-key entry (aws-kms-hierarchy) holds one version of
	// a branch key: KeyID is the branch key ID, BranchKeyVersion the
	// version's UUID, BranchKey and BeaconKey the keys (base64).
	BranchKeyVersion string `json:"branchKeyVersion,omitempty"`
	BranchKey        string `json:"branchKey,omitempty"`
	BeaconKey        string `json:"beaconKey,omitempty"`
}

// material returns the key material: a string or an array of strings
// joined with the line separator.
func (k KeySpec) material() (string, error) {
	var s string
	if err := json.Unmarshal(k.Material, &s); err == nil {
		return s, nil
	}
	var parts []string
	if err := json.Unmarshal(k.Material, &parts); err != nil {
		return "", fmt.Errorf("key material is neither a string nor a list of strings")
	}
	return strings.Join(parts, k.LineSep), nil
}

// bytes decodes base64 material.
func (k KeySpec) bytes() ([]byte, error) {
	m, err := k.material()
	if err != nil {
		return nil, err
	}
	if k.Encoding != "base64" {
		return []byte(m), nil
	}
	return base64.StdEncoding.DecodeString(m)
}

// LoadDecryptManifest reads an awses-decrypt manifest and its keys manifest.
func LoadDecryptManifest(path string) (*DecryptManifest, error) {
	var m DecryptManifest
	if err := readJSON(path, &m); err != nil {
		return nil, err
	}
	if m.Manifest.Type != "awses-decrypt" {
		return nil, fmt.Errorf("%s: manifest type is %q, want awses-decrypt", path, m.Manifest.Type)
	}
	m.dir = filepath.Dir(path)
	var keys KeysManifest
	if err := readJSON(m.resolve(m.Keys), &keys); err != nil {
		return nil, err
	}
	m.keys = &keys
	return &m, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// resolve turns a manifest URI (file://relative/path) into a path.
func (m *DecryptManifest) resolve(uri string) string {
	p := strings.TrimPrefix(uri, "file://")
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.dir, filepath.FromSlash(p))
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
