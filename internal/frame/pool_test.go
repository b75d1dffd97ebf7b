package frame

import (
	"runtime"
	"testing"
	"time"
)

// waitFor polls cond for up to 5 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestPoolFollowsGOMAXPROCS: the pool never runs more workers than
// GOMAXPROCS, grows when it is raised, shrinks when it is lowered, and
// leaves no worker behind once idle.
func TestPoolFollowsGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer idleExit.Store(idleExit.Load())
	idleExit.Store(int64(50 * time.Millisecond))
	c := testCipher(t, 1024)
	src := pattern(256*1024, 3)
	run := func() {
		b := c.NewSealBatchAt(make([]byte, len(sealOneByOne(c, src, 1))), src, 1)
		b.Start(8)
		var s Scratch
		b.Wait(&s)
	}
	runtime.GOMAXPROCS(3)
	run()
	if n := pool.running.Load(); n < 1 || n > 3 {
		t.Errorf("GOMAXPROCS 3: %d workers", n)
	}
	runtime.GOMAXPROCS(1)
	run()
	if !waitFor(func() bool { return pool.running.Load() <= 1 }) {
		t.Errorf("GOMAXPROCS 1: still %d workers", pool.running.Load())
	}
	runtime.GOMAXPROCS(4)
	run()
	if n := pool.running.Load(); n < 1 || n > 4 {
		t.Errorf("GOMAXPROCS 4: %d workers", n)
	}
	if !waitFor(func() bool { return pool.running.Load() == 0 }) {
		t.Errorf("%d workers left after the pool went idle", pool.running.Load())
	}
}
