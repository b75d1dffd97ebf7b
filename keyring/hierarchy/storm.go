package hierarchy

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StormTracking configures a storm-tracking cache ([NewStormTrackingCache]),
// the specification's storm-tracking cryptographic materials cache. A zero
// field takes its default.
type StormTracking struct {
	// GracePeriod: an entry that expires within this time is renewed by
	// one caller per GraceInterval, in the background, while every caller
	// keeps using it. Default 10 s. It must be shorter than the TTL of
	// every keyring that uses the cache.
	GracePeriod time.Duration
	// GraceInterval is how often a renewal (or, for a missing entry, a
	// new read beside one still in flight) may be started for one entry.
	// Default 1 s, or InflightTTL if that is shorter.
	GraceInterval time.Duration
	// FanOut bounds the number of distinct entries being read from the
	// key store at once; a caller that needs a missing entry while FanOut
	// reads are in flight waits for one to end, and renewals are not
	// started. Default 20.
	FanOut int
	// InflightTTL bounds how long a caller waits (for another caller's
	// read of the same entry, or for a fan-out slot): after it, the call
	// fails with an error wrapping [ErrInflightTTL]. Default 10 s, or
	// GracePeriod if that is shorter.
	InflightTTL time.Duration
	// Sleep is how often a waiting caller re-examines the cache when
	// nothing has woken it (the end of a read wakes it at once). Default
	// 20 ms.
	Sleep time.Duration
}

// Defaults of [StormTracking]: the specification's, except InflightTTL,
// whose 20 s there would exceed the default grace period, against the
// specification's own rule InflightTTL ≤ GracePeriod.
const (
	DefaultGracePeriod   = 10 * time.Second
	DefaultGraceInterval = time.Second
	DefaultFanOut        = 20
	DefaultInflightTTL   = 10 * time.Second
	DefaultStormSleep    = 20 * time.Millisecond
)

// ErrInflightTTL is wrapped by the error of an encryption or decryption
// that waited longer than a storm-tracking cache's
// [StormTracking.InflightTTL] for a branch key.
var ErrInflightTTL = errors.New("hierarchy: waited longer than the inflight TTL of the storm-tracking cache")

// NewStormTrackingCache returns an empty storm-tracking cache that holds
// at most entries branch key versions (at least 1). Like the cache of
// [NewCache] it is a shared LRU cache; beyond it:
//
//   - within GracePeriod of its expiry an entry is renewed in the
//     background, at most one renewal per GraceInterval per entry, and
//     callers keep using it (a failed renewal leaves it in place until it
//     expires);
//   - a missing entry is read by one caller while the others wait for that
//     read (they share its result, or its error); if the read is still in
//     flight after GraceInterval, the next caller starts another one;
//   - at most FanOut distinct entries are read at once; callers needing
//     another missing entry wait;
//   - a caller that has waited InflightTTL fails with [ErrInflightTTL].
//
// The settings must be consistent: GraceInterval ≤ InflightTTL ≤
// GracePeriod. A keyring refuses a storm-tracking cache together with
// [Config.RefreshBefore] (the grace period is the cache's own refresh
// setting) and with a TTL not longer than GracePeriod.
func NewStormTrackingCache(entries int, st StormTracking) (*Cache, error) {
	if entries < 1 {
		return nil, fmt.Errorf("hierarchy: cache entry limit must be at least 1, not %d", entries)
	}
	if st.GracePeriod < 0 || st.GraceInterval < 0 || st.InflightTTL < 0 || st.Sleep < 0 || st.FanOut < 0 {
		return nil, fmt.Errorf("hierarchy: storm tracking: negative setting in %+v", st)
	}
	if st.GracePeriod == 0 {
		st.GracePeriod = DefaultGracePeriod
	}
	if st.InflightTTL == 0 {
		st.InflightTTL = min(DefaultInflightTTL, st.GracePeriod)
	}
	if st.GraceInterval == 0 {
		st.GraceInterval = min(DefaultGraceInterval, st.InflightTTL)
	}
	if st.FanOut == 0 {
		st.FanOut = DefaultFanOut
	}
	if st.Sleep == 0 {
		st.Sleep = DefaultStormSleep
	}
	if st.GraceInterval > st.InflightTTL || st.InflightTTL > st.GracePeriod {
		return nil, fmt.Errorf("hierarchy: storm tracking: need GraceInterval (%v) <= InflightTTL (%v) <= GracePeriod (%v)",
			st.GraceInterval, st.InflightTTL, st.GracePeriod)
	}
	return &Cache{limit: entries, storm: &st}, nil
}

// wakeLocked returns a channel closed at the next end of a read.
func (c *Cache) wakeLocked() <-chan struct{} {
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	return c.wake
}

// broadcastLocked wakes the callers waiting in getStorm.
func (c *Cache) broadcastLocked() {
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// finished reports whether call has ended, and then whether its result
// is final for a caller whose context is ctx (a read given up by its own
// caller is not).
func finished(ctx context.Context, call *fetchCall) (done, final bool) {
	select {
	case <-call.done:
	default:
		return false, false
	}
	return true, call.err == nil || !isContextError(call.err) || ctx.Err() != nil
}

// getStorm is get for a storm-tracking cache.
func (c *Cache) getStorm(ctx context.Context, id cacheID, l lookup, fetch fetchFunc) (BranchKeyMaterials, error) {
	st := c.storm
	start := l.now()
	var waitedOn *fetchCall
	for {
		c.mu.Lock()
		// Checked under the lock, under which a read publishes its result
		// and leaves the inflight set: a caller must not miss a failed
		// read that ended since it woke and take it for no read at all.
		if waitedOn != nil {
			if done, final := finished(ctx, waitedOn); done {
				if final {
					c.mu.Unlock()
					return waitedOn.m, waitedOn.err
				}
				waitedOn = nil
			}
		}
		now := l.now()
		if el, ok := c.entries[id]; ok {
			e := el.Value.(*cacheEntry)
			expiry := e.expires
			if ttlEnd := e.created.Add(l.ttl); ttlEnd.Before(expiry) {
				expiry = ttlEnd
			}
			if now.Before(expiry) {
				c.lru.MoveToFront(el)
				if !now.Before(expiry.Add(-st.GracePeriod)) && c.renewDueLocked(id, e, now) {
					e.renewed = now
					call := c.startLocked(id, now)
					go c.run(context.WithoutCancel(ctx), id, l, fetch, call)
				}
				m := e.m
				c.mu.Unlock()
				return m, nil
			}
		}
		call := c.inflight[id]
		fanOutFull := len(c.inflight) >= st.FanOut
		if waited := now.Sub(start); (fanOutFull || call != nil) && waited >= st.InflightTTL {
			c.mu.Unlock()
			return BranchKeyMaterials{}, fmt.Errorf("%w (waited %v)", ErrInflightTTL, waited)
		}
		if fanOutFull || (call != nil && now.Sub(call.started) < st.GraceInterval) {
			// Wait: for a fan-out slot, or for the read in flight.
			wake := c.wakeLocked()
			var done <-chan struct{}
			if call != nil {
				waitedOn, done = call, call.done
			}
			c.waiting++
			c.mu.Unlock()
			t := time.NewTimer(st.Sleep)
			var err error
			select {
			case <-wake:
			case <-done:
			case <-t.C:
			case <-ctx.Done():
				err = ctx.Err()
			}
			t.Stop()
			c.mu.Lock()
			c.waiting--
			c.mu.Unlock()
			if err != nil {
				return BranchKeyMaterials{}, err
			}
			continue
		}
		// Not in flight, or in flight for longer than the grace interval:
		// this caller reads.
		call = c.startLocked(id, now)
		c.mu.Unlock()
		c.run(ctx, id, l, fetch, call)
		return call.m, call.err
	}
}

// renewDueLocked reports whether a caller finding entry e (id) within its
// grace period at now starts a renewal.
func (c *Cache) renewDueLocked(id cacheID, e *cacheEntry, now time.Time) bool {
	if len(c.inflight) >= c.storm.FanOut {
		return false
	}
	if call := c.inflight[id]; call != nil {
		return now.Sub(call.started) >= c.storm.GraceInterval
	}
	return e.renewed.IsZero() || now.Sub(e.renewed) >= c.storm.GraceInterval
}

// stormTracking returns the settings of a storm-tracking cache, else nil.
func (c *Cache) stormTracking() *StormTracking {
	if c == nil {
		return nil
	}
	return c.storm
}
