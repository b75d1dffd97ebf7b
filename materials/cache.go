package materials

import (
	"container/list"
	"sync"
	"time"
)

// Cache stores materials for a [CachingManager]. Implementations must be
// safe for concurrent use.
type Cache interface {
	// Get returns the entry stored under key, unless it has expired at now.
	Get(key string, now time.Time) (*CacheEntry, bool)
	// Put stores e under key, replacing any entry there.
	Put(key string, e *CacheEntry)
	// Delete removes the entry stored under key, if it is still e.
	Delete(key string, e *CacheEntry)
}

// CacheEntry is one cached set of materials with its usage. Exactly one of
// Encryption and Decryption is set.
//
// A cache calls Zero on an entry it lets go of; the caching manager hands
// out copies of the materials, never the entry's own data key.
type CacheEntry struct {
	Encryption *EncryptionMaterials
	Decryption *DecryptionMaterials
	Expires    time.Time

	mu       sync.Mutex
	messages uint64
	bytes    uint64
	zeroed   bool
}

// Zero overwrites the entry's plaintext data key with zeros; the entry is
// never used again. A [Cache] calls it when it evicts, replaces, deletes
// or expires an entry. It does not reach copies already handed out, nor
// the signing key of a signed suite (Go offers no way to clear an
// *ecdsa.PrivateKey).
func (e *CacheEntry) Zero() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.zeroed = true
	if e.Encryption != nil {
		clear(e.Encryption.PlaintextDataKey)
	}
	if e.Decryption != nil {
		clear(e.Decryption.PlaintextDataKey)
		for _, c := range e.Decryption.Candidates {
			clear(c.PlaintextDataKey)
		}
	}
}

// use records one more message of n bytes if that keeps the entry within
// the limits, and reports whether it did.
func (e *CacheEntry) use(n, maxMessages, maxBytes uint64) bool {
	_, ok := e.takeEncryption(n, maxMessages, maxBytes)
	return ok
}

// takeEncryption records one more message of n bytes if that keeps the
// entry within the limits and returns a copy of its materials.
func (e *CacheEntry) takeEncryption(n, maxMessages, maxBytes uint64) (EncryptionMaterials, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.zeroed || e.Encryption == nil || e.messages+1 > maxMessages || e.bytes+n > maxBytes || e.bytes+n < e.bytes {
		return EncryptionMaterials{}, false
	}
	e.messages++
	e.bytes += n
	return cloneEncryption(*e.Encryption), true
}

// takeDecryption returns a copy of the entry's decryption materials.
func (e *CacheEntry) takeDecryption() (DecryptionMaterials, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.zeroed || e.Decryption == nil {
		return DecryptionMaterials{}, false
	}
	return cloneDecryption(*e.Decryption), true
}

// LocalCache is an in-memory [Cache] with a fixed capacity that evicts the
// least recently used entry, and never returns an expired entry. Get, Put
// and Delete take constant time. It zeroes the data key of every entry it
// evicts, replaces, deletes or finds expired, and of all of them on Close.
type LocalCache struct {
	mu       sync.Mutex
	closed   bool
	capacity int
	order    *list.List // front: most recently used
	entries  map[string]*list.Element
}

type localItem struct {
	key   string
	entry *CacheEntry
}

// NewLocalCache returns a LocalCache holding at most capacity entries
// (at least 1).
func NewLocalCache(capacity int) *LocalCache {
	return &LocalCache{capacity: max(capacity, 1), order: list.New(), entries: make(map[string]*list.Element)}
}

// Get implements [Cache].
func (c *LocalCache) Get(key string, now time.Time) (*CacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	it := el.Value.(*localItem)
	if !now.Before(it.entry.Expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		it.entry.Zero()
		return nil, false
	}
	c.order.MoveToFront(el)
	return it.entry, true
}

// Put implements [Cache].
func (c *LocalCache) Put(key string, e *CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		e.Zero()
		return
	}
	if el, ok := c.entries[key]; ok {
		it := el.Value.(*localItem)
		if it.entry != e {
			it.entry.Zero()
		}
		it.entry = e
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&localItem{key: key, entry: e})
	for c.order.Len() > c.capacity {
		last := c.order.Back()
		c.order.Remove(last)
		it := last.Value.(*localItem)
		delete(c.entries, it.key)
		it.entry.Zero()
	}
}

// Delete implements [Cache].
func (c *LocalCache) Delete(key string, e *CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok && el.Value.(*localItem).entry == e {
		c.order.Remove(el)
		delete(c.entries, key)
		e.Zero()
	}
}

// Close zeroes and removes every entry. A closed cache stores nothing:
// Get misses and Put zeroes the entry it is given.
func (c *LocalCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for el := c.order.Front(); el != nil; el = el.Next() {
		el.Value.(*localItem).entry.Zero()
	}
	c.order.Init()
	clear(c.entries)
	return nil
}

// Len returns the number of entries, expired or not.
func (c *LocalCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
