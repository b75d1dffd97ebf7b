package materials

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"slices"

	"github.com/go-esdk/esdk/algorithms"
)

// EncryptionMaterials is what a message needs to be encrypted: the suite,
// the encryption context (including any reserved pairs the manager added),
// the plaintext data key and its encrypted copies, and for signed suites
// the signing key.
//
// Keyrings take materials by value and return a new value; they never
// modify the slices or maps of the value they were given.
type EncryptionMaterials struct {
	Suite             algorithms.Suite
	EncryptionContext EncryptionContext
	// RequiredEncryptionContextKeys lists the context keys that are
	// authenticated but not stored in the message header; the decrypting
	// party must supply them again.
	RequiredEncryptionContextKeys []string
	EncryptedDataKeys             []EncryptedDataKey
	PlaintextDataKey              []byte
	SigningKey                    *ecdsa.PrivateKey
}

// WithEncryptedDataKey returns a copy of m with edk appended; m itself is
// unchanged.
func (m EncryptionMaterials) WithEncryptedDataKey(edk EncryptedDataKey) EncryptionMaterials {
	m.EncryptedDataKeys = append(slices.Clip(m.EncryptedDataKeys), edk)
	return m
}

// DecryptionMaterials is what a message needs to be decrypted.
type DecryptionMaterials struct {
	Suite                         algorithms.Suite
	EncryptionContext             EncryptionContext
	RequiredEncryptionContextKeys []string
	PlaintextDataKey              []byte
	VerificationKey               *ecdsa.PublicKey
	// DataKey is the encrypted data key the keyring decrypted to obtain the
	// plaintext data key.
	DataKey EncryptedDataKey
	// Candidates are data keys that keyrings obtained but could not
	// authenticate: RSA PKCS #1 v1.5 decryption with implicit rejection
	// turns a wrong key or a bad padding into a random data key rather than
	// an error, so that its timing and result reveal nothing (the
	// Bleichenbacher defence). The client tries the candidates in order,
	// then PlaintextDataKey if set, and keeps the first that passes the key
	// commitment and header authentication; every failed candidate costs
	// the same work and gives the same error. Materials whose keyring found
	// only candidates have no PlaintextDataKey.
	Candidates []CandidateKey
	// Failures are the errors of keyrings that were tried and failed while
	// candidates were collected (for example the other children of a
	// multi-keyring). If no candidate authenticates the message, the client
	// reports them beside the candidates' failures.
	Failures []error
}

// CandidateKey is a data key a keyring could not authenticate, with the
// encrypted data key it came from (see [DecryptionMaterials.Candidates]).
type CandidateKey struct {
	PlaintextDataKey []byte
	DataKey          EncryptedDataKey
}

// WithCandidate returns a copy of m with one more candidate data key,
// obtained from edk without being authenticated; m itself is unchanged. It
// fails if m already has a plaintext data key (a keyring stops at the
// first authenticated key, so candidates always precede it) or pdk has the
// wrong length for the suite.
func (m DecryptionMaterials) WithCandidate(pdk []byte, edk EncryptedDataKey) (DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, ErrPlaintextDataKeyPresent
	}
	if len(pdk) != m.Suite.KeyLen() {
		return m, fmt.Errorf("%w: candidate data key is %d bytes, suite needs %d", ErrInvalidMaterials, len(pdk), m.Suite.KeyLen())
	}
	m.Candidates = append(slices.Clip(m.Candidates), CandidateKey{PlaintextDataKey: pdk, DataKey: edk})
	return m, nil
}

// HasDataKey reports whether m holds a data key to try: an authenticated
// one, or at least one candidate.
func (m DecryptionMaterials) HasDataKey() bool {
	return m.PlaintextDataKey != nil || len(m.Candidates) > 0
}

// WithPlaintextDataKey returns a copy of m holding pdk, which was obtained
// by decrypting edk. It fails if m already has a plaintext data key or pdk
// has the wrong length for the suite.
func (m DecryptionMaterials) WithPlaintextDataKey(pdk []byte, edk EncryptedDataKey) (DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, ErrPlaintextDataKeyPresent
	}
	if len(pdk) != m.Suite.KeyLen() {
		return m, fmt.Errorf("%w: data key is %d bytes, suite needs %d", ErrInvalidMaterials, len(pdk), m.Suite.KeyLen())
	}
	m.PlaintextDataKey = pdk
	m.DataKey = edk
	return m, nil
}

// Keyring generates, wraps and unwraps data keys.
//
// OnEncrypt generates a plaintext data key when the materials have none,
// and adds one encrypted data key (or more) for it. OnDecrypt tries the
// encrypted data keys it can handle, in order, and returns materials with
// the first plaintext data key it obtains and authenticates (an AEAD tag,
// a KMS response); when none works it returns an error, usually a
// [*NoDecryptableKeyError] listing each failure. A keyring never returns a
// data key it has not authenticated as PlaintextDataKey: where its scheme
// cannot tell a right key from a wrong one (RSA PKCS #1 v1.5), it adds
// each key it obtains with [DecryptionMaterials.WithCandidate] and returns
// the materials without error, and the client tries them.
//
// Implementations must be safe for concurrent use.
type Keyring interface {
	OnEncrypt(ctx context.Context, m EncryptionMaterials) (EncryptionMaterials, error)
	OnDecrypt(ctx context.Context, m DecryptionMaterials, edks []EncryptedDataKey) (DecryptionMaterials, error)
}

// EncryptionRequest asks a [Manager] for encryption materials.
type EncryptionRequest struct {
	EncryptionContext EncryptionContext
	CommitmentPolicy  algorithms.CommitmentPolicy
	// Suite is the requested suite; zero means the policy's default.
	Suite algorithms.ID
	// PlaintextLength is the message's plaintext length if known, else -1.
	PlaintextLength int64
	// RequiredEncryptionContextKeys are context keys to authenticate
	// without storing them in the message.
	RequiredEncryptionContextKeys []string
}

// DecryptionRequest asks a [Manager] for decryption materials.
type DecryptionRequest struct {
	Suite             algorithms.Suite
	CommitmentPolicy  algorithms.CommitmentPolicy
	EncryptedDataKeys []EncryptedDataKey
	// EncryptionContext is the context stored in the message header.
	EncryptionContext EncryptionContext
	// ReproducedEncryptionContext is the context the caller expects: pairs
	// already in the header must match; other pairs are authenticated as
	// required (not stored) pairs.
	ReproducedEncryptionContext EncryptionContext
}

// Manager (a cryptographic materials manager, or CMM) assembles the
// materials for each message. Implementations must be safe for concurrent use.
type Manager interface {
	GetEncryptionMaterials(ctx context.Context, req EncryptionRequest) (EncryptionMaterials, error)
	DecryptMaterials(ctx context.Context, req DecryptionRequest) (DecryptionMaterials, error)
}
