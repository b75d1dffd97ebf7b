package hierarchy

// CacheIdentifiers exposes the cache identifiers to tests.
func CacheIdentifiers(partition []byte, store, branchKeyID, version string) (active, ver [48]byte) {
	return activeCacheID(partition, store, branchKeyID), versionCacheID(partition, store, branchKeyID, version)
}

// Waiting returns the number of callers waiting in a storm-tracking cache.
func Waiting(c *Cache) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiting
}
