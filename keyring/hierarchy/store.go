package hierarchy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
)

// BranchKeyMaterials is one version of a branch key: the plaintext key and
// where it comes from.
type BranchKeyMaterials struct {
	// BranchKeyID identifies the branch key (all its versions).
	BranchKeyID string
	// Version is the version's UUID in its canonical text form
	// ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case).
	Version string
	// Key is the 32-byte plaintext branch key. It is a secret.
	Key []byte
	// EncryptionContext is the custom encryption context the branch key
	// was created with (without the key store's "aws-crypto-ec:" prefix).
	EncryptionContext map[string]string
}

// String describes m without its key.
func (m BranchKeyMaterials) String() string {
	return fmt.Sprintf("branch key %q version %s", m.BranchKeyID, m.Version)
}

// BranchKeyLen is the length of a branch key in bytes.
const BranchKeyLen = 32

// check validates m as returned for branch key id (and version, if not "").
func (m BranchKeyMaterials) check(id, version string) error {
	if m.BranchKeyID != id {
		return fmt.Errorf("%w: key store returned branch key %q for %q", ErrKeyStore, m.BranchKeyID, id)
	}
	if _, err := ParseVersion(m.Version); err != nil {
		return fmt.Errorf("%w: %v: %w", ErrKeyStore, m, err)
	}
	if version != "" && m.Version != version {
		return fmt.Errorf("%w: key store returned version %s of branch key %q for version %s", ErrKeyStore, m.Version, id, version)
	}
	if len(m.Key) != BranchKeyLen {
		return fmt.Errorf("%w: %v is %d bytes, not %d", ErrKeyStore, m, len(m.Key), BranchKeyLen)
	}
	return nil
}

// KeyStore gives the hierarchical keyring its branch keys. The DynamoDB
// and AWS KMS store of package keystore implements it, and so does
// [StaticKeyStore].
//
// Implementations must be safe for concurrent use.
type KeyStore interface {
	// GetActiveBranchKey returns the active version of a branch key,
	// the one new messages are encrypted under.
	GetActiveBranchKey(ctx context.Context, branchKeyID string) (BranchKeyMaterials, error)
	// GetBranchKeyVersion returns one version of a branch key.
	GetBranchKeyVersion(ctx context.Context, branchKeyID, version string) (BranchKeyMaterials, error)
	// LogicalKeyStoreName names the key store in cache identifiers: key
	// stores with the same logical name hold the same branch keys (a
	// DynamoDB table and its replicas, for example). A keyring reads it
	// once, when it is created.
	LogicalKeyStoreName() string
}

// ErrKeyStore is wrapped by errors about branch keys a key store returned
// or could not find.
var ErrKeyStore = errors.New("hierarchy: branch key store")

// ErrBranchKeyNotFound is wrapped by the errors of [StaticKeyStore] for a
// branch key or version it does not hold.
var ErrBranchKeyNotFound = errors.New("branch key not found")

// StaticKeyStore is a [KeyStore] holding branch keys in memory. It is for
// tests and test vectors; it is safe for concurrent use.
type StaticKeyStore struct {
	name string

	mu       sync.RWMutex
	active   map[string]string // branch key ID -> active version
	versions map[[2]string]BranchKeyMaterials
}

// NewStaticKeyStore returns an empty static key store with the given
// logical name.
func NewStaticKeyStore(logicalName string) *StaticKeyStore {
	return &StaticKeyStore{name: logicalName, active: map[string]string{}, versions: map[[2]string]BranchKeyMaterials{}}
}

// Add stores a version of a branch key (copying the key); with active
// true it also becomes the branch key's active version.
func (s *StaticKeyStore) Add(m BranchKeyMaterials, active bool) error {
	if m.BranchKeyID == "" {
		return fmt.Errorf("hierarchy: static key store: empty branch key ID")
	}
	v, err := ParseVersion(m.Version)
	if err != nil {
		return fmt.Errorf("hierarchy: static key store: %v: %w", m, err)
	}
	if len(m.Key) != BranchKeyLen {
		return fmt.Errorf("hierarchy: static key store: %v is %d bytes, not %d", m, len(m.Key), BranchKeyLen)
	}
	m.Version = FormatVersion(v)
	m.Key = append([]byte(nil), m.Key...)
	m.EncryptionContext = maps.Clone(m.EncryptionContext)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions[[2]string{m.BranchKeyID, m.Version}] = m
	if active {
		s.active[m.BranchKeyID] = m.Version
	}
	return nil
}

// GetActiveBranchKey implements [KeyStore].
func (s *StaticKeyStore) GetActiveBranchKey(_ context.Context, id string) (BranchKeyMaterials, error) {
	s.mu.RLock()
	v, ok := s.active[id]
	s.mu.RUnlock()
	if !ok {
		return BranchKeyMaterials{}, fmt.Errorf("hierarchy: static key store %q: branch key %q has no active version: %w", s.name, id, ErrBranchKeyNotFound)
	}
	return s.GetBranchKeyVersion(context.Background(), id, v)
}

// GetBranchKeyVersion implements [KeyStore].
func (s *StaticKeyStore) GetBranchKeyVersion(_ context.Context, id, version string) (BranchKeyMaterials, error) {
	s.mu.RLock()
	m, ok := s.versions[[2]string{id, version}]
	s.mu.RUnlock()
	if !ok {
		return BranchKeyMaterials{}, fmt.Errorf("hierarchy: static key store %q: branch key %q version %s: %w", s.name, id, version, ErrBranchKeyNotFound)
	}
	m.Key = append([]byte(nil), m.Key...)
	m.EncryptionContext = maps.Clone(m.EncryptionContext)
	return m, nil
}

// LogicalKeyStoreName implements [KeyStore].
func (s *StaticKeyStore) LogicalKeyStoreName() string { return s.name }
