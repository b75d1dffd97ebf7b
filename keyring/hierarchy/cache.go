package hierarchy

import (
	"container/list"
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultCacheEntries is the entry limit of the cache a keyring creates
// when its [Config] names none (the official SDKs' default too).
const DefaultCacheEntries = 1000

// Cache holds branch keys for hierarchical keyrings: a least-recently-used
// cache with an entry limit. One Cache can be shared by several keyrings;
// keyrings that should share entries give the same [Config.PartitionID],
// and keyrings that should not share them different ones (the default).
//
// Concurrent requests for an entry that is missing or expired wait for a
// single key-store read (no stampede), and an entry that [Config.RefreshBefore]
// says is about to expire is renewed in the background by one request
// while the others keep using it.
//
// A Cache is safe for concurrent use.
type Cache struct {
	limit int // 0: store nothing

	mu       sync.Mutex
	entries  map[cacheID]*list.Element // of *cacheEntry
	lru      list.List                 // front: most recently used
	inflight map[cacheID]*fetchCall

	storm *StormTracking // nil: not storm-tracking
	wake  chan struct{}  // closed at the end of a read (storm tracking)
	// waiting counts the callers waiting in getStorm (for tests).
	waiting int
}

type cacheID [sha512.Size384]byte

type cacheEntry struct {
	id               cacheID
	m                BranchKeyMaterials
	created, expires time.Time
	renewed          time.Time // last renewal started (storm tracking)
}

type fetchCall struct {
	started time.Time
	done    chan struct{}
	m       BranchKeyMaterials
	err     error
}

// NewCache returns an empty cache that holds at most entries branch key
// versions; entries must be at least 1.
func NewCache(entries int) (*Cache, error) {
	if entries < 1 {
		return nil, fmt.Errorf("hierarchy: cache entry limit must be at least 1, not %d", entries)
	}
	return &Cache{limit: entries}, nil
}

// NoCache returns a cache that holds nothing: every encryption and
// decryption reads the key store.
func NoCache() *Cache { return &Cache{} }

// Len returns the number of entries in the cache.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// fetchFunc reads a branch key from the key store.
type fetchFunc func(ctx context.Context) (BranchKeyMaterials, error)

// lookup parameters of one keyring.
type lookup struct {
	ttl, refreshBefore time.Duration
	now                func() time.Time
}

// get returns the cached entry id if it is still valid for the caller's
// TTL, else reads it with fetch (one read for all concurrent callers) and
// caches the result. Failed reads are not cached.
func (c *Cache) get(ctx context.Context, id cacheID, l lookup, fetch fetchFunc) (BranchKeyMaterials, error) {
	if c.limit == 0 {
		return fetch(ctx)
	}
	if c.storm != nil {
		return c.getStorm(ctx, id, l, fetch)
	}
	for {
		c.mu.Lock()
		if el, ok := c.entries[id]; ok {
			e := el.Value.(*cacheEntry)
			now := l.now()
			// The entry may have been written by a keyring with a longer
			// TTL: it must also be young enough for this one.
			if now.Before(e.expires) && now.Sub(e.created) < l.ttl {
				c.lru.MoveToFront(el)
				remaining := min(e.expires.Sub(now), l.ttl-now.Sub(e.created))
				if l.refreshBefore > 0 && remaining <= l.refreshBefore && c.inflight[id] == nil {
					call := c.startLocked(id, now)
					go c.run(context.WithoutCancel(ctx), id, l, fetch, call)
				}
				m := e.m
				c.mu.Unlock()
				return m, nil
			}
		}
		if call, ok := c.inflight[id]; ok {
			c.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return BranchKeyMaterials{}, ctx.Err()
			}
			if call.err != nil && isContextError(call.err) && ctx.Err() == nil {
				// The reading caller gave up; this one has not: read again.
				continue
			}
			return call.m, call.err
		}
		call := c.startLocked(id, l.now())
		c.mu.Unlock()
		c.run(ctx, id, l, fetch, call)
		return call.m, call.err
	}
}

// peek returns entry id if get would return it at once without starting
// a renewal (the common case, without the closure get needs).
func (c *Cache) peek(id cacheID, l lookup) (BranchKeyMaterials, bool) {
	if c.limit == 0 {
		return BranchKeyMaterials{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		return BranchKeyMaterials{}, false
	}
	e := el.Value.(*cacheEntry)
	now := l.now()
	if !now.Before(e.expires) || now.Sub(e.created) >= l.ttl {
		return BranchKeyMaterials{}, false
	}
	remaining := min(e.expires.Sub(now), l.ttl-now.Sub(e.created))
	if (l.refreshBefore > 0 && remaining <= l.refreshBefore) || (c.storm != nil && remaining <= c.storm.GracePeriod) {
		return BranchKeyMaterials{}, false
	}
	c.lru.MoveToFront(el)
	return e.m, true
}

// put stores m under id now, replacing any entry.
func (c *Cache) put(id cacheID, l lookup, m BranchKeyMaterials) {
	if c.limit == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(id, l, m)
}

func (c *Cache) startLocked(id cacheID, now time.Time) *fetchCall {
	if c.inflight == nil {
		c.inflight = map[cacheID]*fetchCall{}
	}
	call := &fetchCall{started: now, done: make(chan struct{})}
	c.inflight[id] = call
	return call
}

// run performs a started read and publishes its result.
func (c *Cache) run(ctx context.Context, id cacheID, l lookup, fetch fetchFunc, call *fetchCall) {
	m, err := fetch(ctx)
	c.mu.Lock()
	// A storm-tracking cache may have started a newer read of id meanwhile.
	if c.inflight[id] == call {
		delete(c.inflight, id)
	}
	if err == nil {
		c.putLocked(id, l, m)
	}
	// The result is published under the lock, so that a caller woken by
	// the broadcast sees the read ended.
	call.m, call.err = m, err
	close(call.done)
	c.broadcastLocked()
	c.mu.Unlock()
}

func (c *Cache) putLocked(id cacheID, l lookup, m BranchKeyMaterials) {
	now := l.now()
	e := &cacheEntry{id: id, m: m, created: now, expires: now.Add(l.ttl)}
	if c.entries == nil {
		c.entries = map[cacheID]*list.Element{}
	}
	if el, ok := c.entries[id]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[id] = c.lru.PushFront(e)
	for c.lru.Len() > c.limit {
		last := c.lru.Back()
		delete(c.entries, last.Value.(*cacheEntry).id)
		c.lru.Remove(last)
	}
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Resource and scope IDs of the cache identifiers of the specification.
const (
	resourceHierarchy = 0x02
	scopeEncrypt      = 0x01
	scopeDecrypt      = 0x02
)

// activeCacheID is SHA-384(0x02 0x00 0x01 0x00 partition 0x00 storeName 0x00 branchKeyID).
func activeCacheID(partition []byte, storeName, branchKeyID string) cacheID {
	return newCacheID(scopeEncrypt, partition, storeName, branchKeyID, "")
}

// versionCacheID is SHA-384(0x02 0x00 0x02 0x00 partition 0x00 storeName 0x00 branchKeyID 0x00 version).
func versionCacheID(partition []byte, storeName, branchKeyID, version string) cacheID {
	return newCacheID(scopeDecrypt, partition, storeName, branchKeyID, version)
}

func newCacheID(scope byte, partition []byte, storeName, branchKeyID, version string) cacheID {
	h := sha512.New384()
	h.Write([]byte{resourceHierarchy, 0, scope, 0})
	h.Write(partition)
	h.Write([]byte{0})
	h.Write([]byte(storeName))
	h.Write([]byte{0})
	h.Write([]byte(branchKeyID))
	if scope == scopeDecrypt {
		h.Write([]byte{0})
		h.Write([]byte(version))
	}
	var id cacheID
	h.Sum(id[:0])
	return id
}
