package encryptsdk_test

import (
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/go-esdk/esdk/encryptsdk"
)

// zeroReader is an endless source of zero bytes.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestStreamingHeapIsFlat streams 1 GiB (64 MiB under the race detector,
// which is too slow for more) through encrypt and decrypt connected by a
// pipe, and samples the heap: it must stay under 16 MiB.
func TestStreamingHeapIsFlat(t *testing.T) {
	size := int64(1 << 30)
	if raceEnabled || testing.Short() {
		size = 64 << 20
	}
	kr := mustAES(t, "ns", "k", testKey(32, 5))
	c := encryptsdk.New(kr)
	runtime.GC()

	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		e, err := c.Encrypt(bg, pw, nil)
		if err == nil {
			_, err = io.CopyN(e, zeroReader{}, size)
		}
		if err == nil {
			err = e.Close()
		}
		pw.CloseWithError(err)
		errc <- err
	}()
	d, err := c.Decrypt(bg, pr, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, d)
	if err != nil || n != size {
		t.Fatalf("decrypted %d bytes: %v", n, err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d MiB streamed, peak heap in use %.1f MiB", size>>20, float64(peak)/(1<<20))
	if peak > 16<<20 {
		t.Errorf("peak heap in use %d bytes, want under 16 MiB", peak)
	}
}
