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
type CacheEntry struct {
	Encryption *EncryptionMaterials
	Decryption *DecryptionMaterials
	Expires    time.Time

	mu       sync.Mutex
	messages uint64
	bytes    uint64
}

// use records one more message of n bytes if that keeps the entry within
// the limits, and reports whether it did.
func (e *CacheEntry) use(n, maxMessages, maxBytes uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.messages+1 > maxMessages || e.bytes+n > maxBytes || e.bytes+n < e.bytes {
		return false
	}
	e.messages++
	e.bytes += n
	return true
}

// LocalCache is an in-memory [Cache] with a fixed capacity that evicts the
// least recently used entry, and never returns an expired entry. Get, Put
// and Delete take constant time.
type LocalCache struct {
	mu       sync.Mutex
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
		return nil, false
	}
	c.order.MoveToFront(el)
	return it.entry, true
}

// Put implements [Cache].
func (c *LocalCache) Put(key string, e *CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value.(*localItem).entry = e
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&localItem{key: key, entry: e})
	for c.order.Len() > c.capacity {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*localItem).key)
	}
}

// Delete implements [Cache].
func (c *LocalCache) Delete(key string, e *CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok && el.Value.(*localItem).entry == e {
		c.order.Remove(el)
		delete(c.entries, key)
	}
}

// Len returns the number of entries, expired or not.
func (c *LocalCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
