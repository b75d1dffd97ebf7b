package hierarchy

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-esdk/esdk/internal/kdf"
	"github.com/go-esdk/esdk/materials"
)

// BranchKeyIDSupplier chooses the branch key of a message from its
// encryption context (for multi-tenant applications: one branch key per
// tenant). Implementations must be safe for concurrent use.
type BranchKeyIDSupplier interface {
	BranchKeyID(ctx context.Context, ec materials.EncryptionContext) (string, error)
}

// BranchKeyIDSupplierFunc adapts a function to a [BranchKeyIDSupplier].
type BranchKeyIDSupplierFunc func(ctx context.Context, ec materials.EncryptionContext) (string, error)

// BranchKeyID returns f(ctx, ec).
func (f BranchKeyIDSupplierFunc) BranchKeyID(ctx context.Context, ec materials.EncryptionContext) (string, error) {
	return f(ctx, ec)
}

// Config configures a hierarchical keyring.
type Config struct {
	// KeyStore gives the branch keys. Required.
	KeyStore KeyStore
	// BranchKeyID is the branch key of every message; exactly one of
	// BranchKeyID and BranchKeyIDSupplier must be set.
	BranchKeyID string
	// BranchKeyIDSupplier chooses the branch key of each message from its
	// encryption context.
	BranchKeyIDSupplier BranchKeyIDSupplier
	// TTL is how long a branch key read from the key store is used before
	// it is read again. Required (positive).
	TTL time.Duration
	// Cache holds the branch keys; nil means a new cache of
	// DefaultCacheEntries entries for this keyring alone. [NoCache] reads
	// the key store for every message; [NewStormTrackingCache] is the
	// specification's storm-tracking cache.
	Cache *Cache
	// PartitionID separates keyrings that share a Cache: keyrings with
	// the same partition ID and logical key store name share entries.
	// Empty means a random partition ID (no sharing).
	PartitionID string
	// RefreshBefore, if positive, renews a cached branch key in the
	// background when it is used less than RefreshBefore before it
	// expires; callers keep using the cached key meanwhile, and a failed
	// renewal leaves the entry in place (the next use tries again). It is
	// the grace period of the specification's storm-tracking cache, with
	// one renewal at a time per entry; a missing entry is read once
	// whatever the number of waiting callers, so no fan-out limit is
	// needed. It cannot be combined with a storm-tracking cache
	// ([NewStormTrackingCache]), whose GracePeriod plays this part.
	RefreshBefore time.Duration
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
}

// Keyring is the AWS KMS hierarchical keyring. It is safe for concurrent
// use.
type Keyring struct {
	store     KeyStore
	storeName string // store.LogicalKeyStoreName()
	id        string
	supplier  BranchKeyIDSupplier
	cache     *Cache
	partition []byte
	lookup    lookup

	idsMu sync.RWMutex
	ids   map[idKey]cacheID // memoized cache identifiers
}

// idKey names a cache identifier of a keyring: the active version of a
// branch key, or one version.
type idKey struct {
	branchKeyID string
	version     [versionLen]byte
	active      bool
}

// maxMemoIDs bounds the memoized cache identifiers of a keyring (a branch
// key supplier may name many branch keys); past it the memo starts over.
const maxMemoIDs = 4096

// ErrConfig is wrapped by the errors of [New].
var ErrConfig = errors.New("hierarchy: invalid keyring configuration")

// New returns a hierarchical keyring.
func New(cfg Config) (*Keyring, error) {
	if cfg.KeyStore == nil {
		return nil, fmt.Errorf("%w: no key store", ErrConfig)
	}
	if (cfg.BranchKeyID == "") == (cfg.BranchKeyIDSupplier == nil) {
		return nil, fmt.Errorf("%w: exactly one of BranchKeyID and BranchKeyIDSupplier must be set", ErrConfig)
	}
	if cfg.BranchKeyID != "" && !utf8.ValidString(cfg.BranchKeyID) {
		return nil, fmt.Errorf("%w: branch key ID is not UTF-8", ErrConfig)
	}
	if cfg.TTL <= 0 {
		return nil, fmt.Errorf("%w: TTL must be positive, not %v", ErrConfig, cfg.TTL)
	}
	if cfg.RefreshBefore < 0 || cfg.RefreshBefore >= cfg.TTL {
		return nil, fmt.Errorf("%w: RefreshBefore (%v) must be at least 0 and less than the TTL (%v)", ErrConfig, cfg.RefreshBefore, cfg.TTL)
	}
	if st := cfg.Cache.stormTracking(); st != nil {
		if cfg.RefreshBefore > 0 {
			return nil, fmt.Errorf("%w: RefreshBefore cannot be combined with a storm-tracking cache (its GracePeriod renews entries)", ErrConfig)
		}
		if st.GracePeriod >= cfg.TTL {
			return nil, fmt.Errorf("%w: the storm-tracking cache's GracePeriod (%v) must be shorter than the TTL (%v)", ErrConfig, st.GracePeriod, cfg.TTL)
		}
	}
	k := &Keyring{store: cfg.KeyStore, storeName: cfg.KeyStore.LogicalKeyStoreName(), id: cfg.BranchKeyID, supplier: cfg.BranchKeyIDSupplier, cache: cfg.Cache,
		lookup: lookup{ttl: cfg.TTL, refreshBefore: cfg.RefreshBefore, now: cfg.Now}}
	if k.lookup.now == nil {
		k.lookup.now = time.Now
	}
	if k.cache == nil {
		k.cache = &Cache{limit: DefaultCacheEntries}
	}
	if cfg.PartitionID != "" {
		k.partition = []byte(cfg.PartitionID)
	} else {
		var u [16]byte
		rand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		k.partition = []byte(FormatVersion(u))
	}
	return k, nil
}

func (k *Keyring) String() string {
	if k.id != "" {
		return fmt.Sprintf("hierarchical keyring (branch key %q)", k.id)
	}
	return "hierarchical keyring (branch key supplier)"
}

// branchKeyID returns the branch key for a message with context ec.
func (k *Keyring) branchKeyID(ctx context.Context, ec materials.EncryptionContext) (string, error) {
	if k.supplier == nil {
		return k.id, nil
	}
	id, err := k.supplier.BranchKeyID(ctx, ec)
	if err != nil {
		return "", fmt.Errorf("hierarchy: branch key ID supplier: %w", err)
	}
	if id == "" || !utf8.ValidString(id) {
		return "", fmt.Errorf("%w: branch key ID supplier returned an empty or non-UTF-8 ID", ErrConfig)
	}
	return id, nil
}

// cacheID returns the cache identifier of the active version of branch
// key id (active true) or of one version, computed once.
func (k *Keyring) cacheID(id string, active bool, version [versionLen]byte) cacheID {
	key := idKey{branchKeyID: id, version: version, active: active}
	k.idsMu.RLock()
	cid, ok := k.ids[key]
	k.idsMu.RUnlock()
	if ok {
		return cid
	}
	if active {
		cid = activeCacheID(k.partition, k.storeName, id)
	} else {
		cid = versionCacheID(k.partition, k.storeName, id, FormatVersion(version))
	}
	k.idsMu.Lock()
	if k.ids == nil || len(k.ids) >= maxMemoIDs {
		k.ids = make(map[idKey]cacheID)
	}
	k.ids[key] = cid
	k.idsMu.Unlock()
	return cid
}

// active returns the active version of branch key id, from the cache or
// the key store.
func (k *Keyring) active(ctx context.Context, id string) (BranchKeyMaterials, error) {
	cid := k.cacheID(id, true, [versionLen]byte{})
	if m, ok := k.cache.peek(cid, k.lookup); ok {
		return m, nil
	}
	return k.cache.get(ctx, cid, k.lookup, func(ctx context.Context) (BranchKeyMaterials, error) {
		return k.readActive(ctx, id)
	})
}

func (k *Keyring) readActive(ctx context.Context, id string) (BranchKeyMaterials, error) {
	m, err := k.store.GetActiveBranchKey(ctx, id)
	if err != nil {
		return m, err
	}
	if err := m.check(id, ""); err != nil {
		return BranchKeyMaterials{}, err
	}
	return m, nil
}

// version returns one version of branch key id.
func (k *Keyring) version(ctx context.Context, id string, v [versionLen]byte) (BranchKeyMaterials, error) {
	cid := k.cacheID(id, false, v)
	if m, ok := k.cache.peek(cid, k.lookup); ok {
		return m, nil
	}
	version := FormatVersion(v)
	return k.cache.get(ctx, cid, k.lookup, func(ctx context.Context) (BranchKeyMaterials, error) {
		return k.readVersion(ctx, id, version)
	})
}

func (k *Keyring) readVersion(ctx context.Context, id, version string) (BranchKeyMaterials, error) {
	m, err := k.store.GetBranchKeyVersion(ctx, id, version)
	if err != nil {
		return m, err
	}
	if err := m.check(id, version); err != nil {
		return BranchKeyMaterials{}, err
	}
	return m, nil
}

// Prewarm reads branch key id from the key store and puts it in the
// cache, replacing any entry, so that encryption (no versions given: the
// active version) or decryption (the given versions) with it does not
// wait for the key store. Calling it periodically, more often than the
// TTL, keeps the entries from ever expiring.
func (k *Keyring) Prewarm(ctx context.Context, id string, versions ...string) error {
	if len(versions) == 0 {
		m, err := k.readActive(ctx, id)
		if err != nil {
			return err
		}
		k.cache.put(k.cacheID(id, true, [versionLen]byte{}), k.lookup, m)
		return nil
	}
	for _, v := range versions {
		u, err := ParseVersion(v)
		if err != nil {
			return err
		}
		m, err := k.readVersion(ctx, id, FormatVersion(u))
		if err != nil {
			return err
		}
		k.cache.put(k.cacheID(id, false, u), k.lookup, m)
	}
	return nil
}

// providerID is ProviderID as bytes, the label of the key derivation.
var providerID = []byte(ProviderID)

// wrappingAEAD derives the wrapping key of one encrypted data key (the
// specification's derivation, for every message). The wrapping IV is
// random, so the AES-GCM is Go's with random nonces (approved in FIPS
// 140-only mode): Seal chooses the IV and returns it in front of the
// ciphertext, and Open reads it from there.
func wrappingAEAD(branchKey, salt []byte) (cipher.AEAD, error) {
	key, err := kdf.CounterModeSHA256x32(branchKey, providerID, salt)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key[:])
	clear(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// wrappingAAD returns the additional data of AES-GCM,
//
//	"aws-kms-hierarchy" || branch key ID || version || serialized ec,
//
// with the version zero, in one allocation; setVersion fills it in.
func wrappingAAD(id string, ec materials.EncryptionContext) ([]byte, error) {
	prefix := len(ProviderID) + len(id) + versionLen
	size := 0
	if len(ec) > 0 {
		size = 2
		for k, v := range ec {
			size += 4 + len(k) + len(v)
		}
	}
	// A context too long to serialize fails in AppendBinary; its size is
	// not allocated.
	size = min(size, materials.MaxSerializedLen)
	aad := make([]byte, prefix, prefix+size)
	copy(aad, ProviderID)
	copy(aad[len(ProviderID):], id)
	return ec.AppendBinary(aad)
}

// setVersion writes version into an AAD of wrappingAAD for branch key id.
func setVersion(aad []byte, id string, version [versionLen]byte) {
	copy(aad[len(ProviderID)+len(id):], version[:])
}

// OnEncrypt implements [materials.Keyring].
func (k *Keyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	id, err := k.branchKeyID(ctx, m.EncryptionContext)
	if err != nil {
		return m, err
	}
	aad, err := wrappingAAD(id, m.EncryptionContext)
	if err != nil {
		return m, fmt.Errorf("%v: %w", k, err)
	}
	bk, err := k.active(ctx, id)
	if err != nil {
		return m, fmt.Errorf("%v: active branch key %q: %w", k, id, err)
	}
	version, err := ParseVersion(bk.Version)
	if err != nil {
		return m, fmt.Errorf("%v: %w", k, err)
	}
	if m.PlaintextDataKey == nil {
		m.PlaintextDataKey = make([]byte, m.Suite.KeyLen())
		rand.Read(m.PlaintextDataKey)
	}
	// The EDK is salt || IV || version || ciphertext || tag. Seal chooses
	// the random IV and appends IV || ciphertext || tag; it writes after
	// room for the salt and the version, and the IV is then moved in front
	// of the version.
	ct := make([]byte, saltLen+versionLen, overhead+len(m.PlaintextDataKey))
	salt := ct[:saltLen]
	rand.Read(salt)
	aead, err := wrappingAEAD(bk.Key, salt)
	if err != nil {
		return m, fmt.Errorf("%v: %w", k, err)
	}
	setVersion(aad, id, version)
	ct = aead.Seal(ct, nil, m.PlaintextDataKey, aad)
	var iv [ivLen]byte
	copy(iv[:], ct[saltLen+versionLen:])
	copy(ct[saltLen:], iv[:])
	copy(ct[saltLen+ivLen:], version[:])
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: ProviderID, ProviderInfo: []byte(id), Ciphertext: ct}), nil
}

// OnDecrypt implements [materials.Keyring]. It tries the encrypted data
// keys with provider ID "aws-kms-hierarchy" whose branch key is this
// keyring's (or the supplier's choice for the message's context).
func (k *Keyring) OnDecrypt(ctx context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	if m.PlaintextDataKey != nil {
		return m, materials.ErrPlaintextDataKeyPresent
	}
	id, err := k.branchKeyID(ctx, m.EncryptionContext)
	if err != nil {
		return m, err
	}
	aad, err := wrappingAAD(id, m.EncryptionContext)
	if err != nil {
		return m, fmt.Errorf("%v: %w", k, err)
	}
	var errs []error
	for i, edk := range edks {
		if edk.ProviderID != ProviderID {
			continue
		}
		p, err := parseEDK(edk.ProviderInfo, edk.Ciphertext, m.Suite.KeyLen())
		if err != nil {
			errs = append(errs, fmt.Errorf("encrypted data key %d: %w", i, err))
			continue
		}
		if string(p.branchKeyID) != id {
			continue
		}
		pdk, err := k.unwrap(ctx, id, p, aad)
		if err != nil {
			errs = append(errs, fmt.Errorf("encrypted data key %d: %w", i, err))
			continue
		}
		out, err := m.WithPlaintextDataKey(pdk, edk)
		if err != nil {
			errs = append(errs, fmt.Errorf("encrypted data key %d: %w", i, err))
			continue
		}
		return out, nil
	}
	return m, &materials.NoDecryptableKeyError{Reason: fmt.Sprintf("%v found no usable key", k), Errs: errs}
}

// ErrUnwrap is wrapped by the error for an encrypted data key that does
// not authenticate under its branch key version.
var ErrUnwrap = errors.New("hierarchy: encrypted data key did not authenticate (wrong branch key or encryption context)")

// unwrap decrypts the data key of p, an encrypted data key of branch key
// id, with aad from wrappingAAD.
func (k *Keyring) unwrap(ctx context.Context, id string, p edkParts, aad []byte) ([]byte, error) {
	bk, err := k.version(ctx, id, p.version)
	if err != nil {
		return nil, fmt.Errorf("branch key %q version %s: %w", id, FormatVersion(p.version), err)
	}
	aead, err := wrappingAEAD(bk.Key, p.salt)
	if err != nil {
		return nil, err
	}
	setVersion(aad, id, p.version)
	in := make([]byte, 0, len(p.iv)+len(p.wrapped))
	in = append(append(in, p.iv...), p.wrapped...)
	pdk, err := aead.Open(in[:0], nil, in, aad)
	if err != nil {
		return nil, fmt.Errorf("branch key %q version %s: %w", id, FormatVersion(p.version), ErrUnwrap)
	}
	return pdk, nil
}
