package materials

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"
	"slices"
	"sync"
	"time"

	"github.com/go-esdk/esdk/algorithms"
)

// Default and largest limits of a [CachingManager].
const (
	MaxMessagesEncryptedLimit = 1 << 32
	MaxBytesEncryptedLimit    = 1<<63 - 1
)

// CachingConfig configures [NewCachingManager].
type CachingConfig struct {
	// Cache holds the entries; it may be shared by several managers.
	Cache Cache
	// MaxAge is how long an entry may be used; it must be positive.
	MaxAge time.Duration
	// MaxMessagesEncrypted is how many messages one data key may encrypt;
	// 0 means 2^32.
	MaxMessagesEncrypted uint64
	// MaxBytesEncrypted is how many plaintext bytes one data key may
	// encrypt; 0 means 2^63−1.
	MaxBytesEncrypted uint64
	// Partition separates this manager's entries from other managers'
	// sharing the cache; managers with the same partition share entries.
	// Empty means a random partition of its own.
	Partition string
}

// CachingManager reuses materials from another manager so that many
// messages share one data key (and one KMS call). On encrypt an entry is
// used for at most MaxMessagesEncrypted messages and MaxBytesEncrypted
// plaintext bytes, and never after MaxAge; on decrypt only MaxAge applies.
//
// Requests without a known plaintext length, for identity-KDF suites
// (0x0014, 0x0046, 0x0078), or for a single message larger than the byte
// limit bypass the cache. For signed suites the cached materials include
// the signing key, so messages encrypted from one entry share it.
//
// When an entry is missing or used up, one caller fetches new materials and
// concurrent callers for the same entry wait for it instead of each making
// their own call.
type CachingManager struct {
	under     Manager
	cfg       CachingConfig
	partition []byte
	now       func() time.Time

	mu      sync.Mutex
	flights map[string]*flight
}

type flight struct {
	done chan struct{}
	err  error
}

// NewCachingManager returns a CachingManager over under.
func NewCachingManager(under Manager, cfg CachingConfig) (*CachingManager, error) {
	switch {
	case under == nil:
		return nil, errors.New("materials: caching manager needs an underlying manager")
	case cfg.Cache == nil:
		return nil, errors.New("materials: caching manager needs a cache")
	case cfg.MaxAge <= 0:
		return nil, errors.New("materials: caching manager needs a positive MaxAge")
	case cfg.MaxMessagesEncrypted > MaxMessagesEncryptedLimit:
		return nil, errors.New("materials: MaxMessagesEncrypted is above 2^32")
	case cfg.MaxBytesEncrypted > MaxBytesEncryptedLimit:
		return nil, errors.New("materials: MaxBytesEncrypted is above 2^63-1")
	}
	if cfg.MaxMessagesEncrypted == 0 {
		cfg.MaxMessagesEncrypted = MaxMessagesEncryptedLimit
	}
	if cfg.MaxBytesEncrypted == 0 {
		cfg.MaxBytesEncrypted = MaxBytesEncryptedLimit
	}
	partition := []byte(cfg.Partition)
	if cfg.Partition == "" {
		partition = make([]byte, 16)
		rand.Read(partition)
	}
	return &CachingManager{under: under, cfg: cfg, partition: partition, now: time.Now, flights: map[string]*flight{}}, nil
}

// GetEncryptionMaterials implements [Manager].
func (c *CachingManager) GetEncryptionMaterials(ctx context.Context, req EncryptionRequest) (EncryptionMaterials, error) {
	if req.PlaintextLength < 0 || uint64(req.PlaintextLength) > c.cfg.MaxBytesEncrypted {
		return c.under.GetEncryptionMaterials(ctx, req)
	}
	if req.Suite != 0 {
		if s, err := algorithms.Lookup(req.Suite); err == nil && s.KDF() == algorithms.KDFIdentity {
			return c.under.GetEncryptionMaterials(ctx, req)
		}
	}
	key, err := c.encryptKey(req)
	if err != nil {
		return EncryptionMaterials{}, err
	}
	n := uint64(req.PlaintextLength)
	for {
		if e, ok := c.cfg.Cache.Get(key, c.now()); ok {
			if m, ok := e.takeEncryption(n, c.cfg.MaxMessagesEncrypted, c.cfg.MaxBytesEncrypted); ok {
				return m, nil
			}
			c.cfg.Cache.Delete(key, e)
		}
		var uncached *EncryptionMaterials
		var mine EncryptionMaterials // the fetching caller's copy, taken before the entry is shared
		waited, fetched, err := c.fetch(ctx, key, func() (*CacheEntry, error) {
			under := req
			under.PlaintextLength = -1
			m, err := c.under.GetEncryptionMaterials(ctx, under)
			if err != nil {
				return nil, err
			}
			if m.Suite.KDF() == algorithms.KDFIdentity {
				uncached = &m // the manager chose a suite that is never cached
				return nil, nil
			}
			e := &CacheEntry{Encryption: &m, Expires: c.now().Add(c.cfg.MaxAge)}
			mine, _ = e.takeEncryption(n, c.cfg.MaxMessagesEncrypted, c.cfg.MaxBytesEncrypted)
			return e, nil
		})
		switch {
		case err != nil:
			return EncryptionMaterials{}, err
		case fetched != nil:
			return mine, nil
		case uncached != nil:
			return *uncached, nil
		case !waited:
			return EncryptionMaterials{}, errors.New("materials: caching manager: internal error: empty fetch")
		}
		// Another caller fetched the entry: look it up again.
	}
}

// DecryptMaterials implements [Manager].
func (c *CachingManager) DecryptMaterials(ctx context.Context, req DecryptionRequest) (DecryptionMaterials, error) {
	if req.Suite.KDF() == algorithms.KDFIdentity {
		return c.under.DecryptMaterials(ctx, req)
	}
	key, err := c.decryptKey(req)
	if err != nil {
		return DecryptionMaterials{}, err
	}
	for {
		if e, ok := c.cfg.Cache.Get(key, c.now()); ok {
			if m, ok := e.takeDecryption(); ok {
				return m, nil
			}
			c.cfg.Cache.Delete(key, e)
		}
		var mine DecryptionMaterials
		waited, fetched, err := c.fetch(ctx, key, func() (*CacheEntry, error) {
			m, err := c.under.DecryptMaterials(ctx, req)
			if err != nil {
				return nil, err
			}
			mine = cloneDecryption(m)
			return &CacheEntry{Decryption: &m, Expires: c.now().Add(c.cfg.MaxAge)}, nil
		})
		if err != nil {
			return DecryptionMaterials{}, err
		}
		if fetched != nil {
			return mine, nil
		}
		if !waited {
			return DecryptionMaterials{}, errors.New("materials: caching manager: internal error: empty fetch")
		}
	}
}

// fetch runs get once per key at a time. The caller that runs it gets the
// new entry (already counted for its message) and stores it; callers that
// arrive meanwhile wait and get waited = true, then look the entry up.
func (c *CachingManager) fetch(ctx context.Context, key string, get func() (*CacheEntry, error)) (waited bool, e *CacheEntry, err error) {
	c.mu.Lock()
	if f, ok := c.flights[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.err != nil {
				return false, nil, f.err
			}
			return true, nil, nil
		case <-ctx.Done():
			return false, nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()

	// An earlier flight may have stored an entry after this caller looked.
	if _, ok := c.cfg.Cache.Get(key, c.now()); ok {
		waited = true
	} else {
		e, err = get()
	}
	if err == nil && e != nil {
		c.cfg.Cache.Put(key, e)
	}
	c.mu.Lock()
	delete(c.flights, key)
	c.mu.Unlock()
	f.err = err
	close(f.done)
	return waited, e, err
}

// Cache identifiers are SHA-384 over an unambiguous encoding of the
// request: every variable-length part is preceded by its length and every
// list by its count, so that no two different requests encode to the same
// bytes (the parts cannot slide into one another).

// idWriter writes the length-prefixed parts of a cache identifier.
type idWriter struct{ h hash.Hash }

func (w idWriter) u64(n int) { w.h.Write(binary.BigEndian.AppendUint64(nil, uint64(n))) }

func (w idWriter) bytes(b []byte) {
	w.u64(len(b))
	w.h.Write(b)
}

// encryptKey follows the caching CMM spec's identifier (SHA-384 over the
// resource and scope bytes, partition, suite and serialized encryption
// context), extended with the commitment policy and the required keys,
// which change the materials too.
func (c *CachingManager) encryptKey(req EncryptionRequest) (string, error) {
	ec, err := req.EncryptionContext.MarshalBinary()
	if err != nil {
		return "", err
	}
	w := idWriter{sha512.New384()}
	w.h.Write([]byte{0x01, 0x01})
	w.bytes(c.partition)
	w.h.Write(binary.BigEndian.AppendUint16(nil, uint16(req.Suite)))
	w.h.Write([]byte{byte(req.CommitmentPolicy)})
	keys := sortedCopy(req.RequiredEncryptionContextKeys)
	w.u64(len(keys))
	for _, k := range keys {
		w.bytes([]byte(k))
	}
	w.bytes(ec)
	return string(w.h.Sum(nil)), nil
}

// decryptKey: resource and scope bytes, partition, suite, policy, the
// encrypted data keys (sorted, each the SHA-512 of its length-prefixed
// fields, as the spec's identifier does), the stored and the reproduced
// encryption contexts.
func (c *CachingManager) decryptKey(req DecryptionRequest) (string, error) {
	ec, err := req.EncryptionContext.MarshalBinary()
	if err != nil {
		return "", err
	}
	rec, err := req.ReproducedEncryptionContext.MarshalBinary()
	if err != nil {
		return "", err
	}
	edks := make([][]byte, len(req.EncryptedDataKeys))
	for i, k := range req.EncryptedDataKeys {
		d := idWriter{sha512.New()}
		d.bytes([]byte(k.ProviderID))
		d.bytes(k.ProviderInfo)
		d.bytes(k.Ciphertext)
		edks[i] = d.h.Sum(nil)
	}
	slices.SortFunc(edks, bytes.Compare)
	w := idWriter{sha512.New384()}
	w.h.Write([]byte{0x01, 0x02})
	w.bytes(c.partition)
	w.h.Write(binary.BigEndian.AppendUint16(nil, uint16(req.Suite.ID())))
	w.h.Write([]byte{byte(req.CommitmentPolicy)})
	w.u64(len(edks))
	for _, b := range edks {
		w.h.Write(b) // fixed length
	}
	w.bytes(ec)
	w.bytes(rec)
	return string(w.h.Sum(nil)), nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// cloneEncryption copies everything the caller may modify or clear (the
// client zeroes the data key after use).
func cloneEncryption(m EncryptionMaterials) EncryptionMaterials {
	m.EncryptionContext = m.EncryptionContext.Clone()
	m.RequiredEncryptionContextKeys = slices.Clone(m.RequiredEncryptionContextKeys)
	m.EncryptedDataKeys = slices.Clone(m.EncryptedDataKeys)
	m.PlaintextDataKey = slices.Clone(m.PlaintextDataKey)
	return m
}

func cloneDecryption(m DecryptionMaterials) DecryptionMaterials {
	m.EncryptionContext = m.EncryptionContext.Clone()
	m.RequiredEncryptionContextKeys = slices.Clone(m.RequiredEncryptionContextKeys)
	m.PlaintextDataKey = slices.Clone(m.PlaintextDataKey)
	m.Candidates = slices.Clone(m.Candidates)
	m.Failures = slices.Clone(m.Failures)
	for i := range m.Candidates {
		m.Candidates[i].PlaintextDataKey = slices.Clone(m.Candidates[i].PlaintextDataKey)
	}
	return m
}
