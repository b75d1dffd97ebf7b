package frame

import (
	"errors"
	"testing"

	"github.com/go-esdk/esdk/internal/wire"
)

// TestPoolFaultIsAnError: a fault while sealing or opening a chunk — here
// a seal batch whose source is too short, which only a bug of the caller
// package could produce — never takes the process down from a pool
// goroutine: it ends the batch and surfaces as ErrInternal from Err, on
// the goroutine that waits.
func TestPoolFaultIsAnError(t *testing.T) {
	c := testCipher(t, 1024)
	for _, helpers := range []int{0, 1, 4} {
		src := pattern(256*1024, 2)
		dst := make([]byte, 256*(1024+16+wire.RegularFrameHeaderLen))
		b := c.NewSealBatchAt(dst, src, 1)
		b.Src = src[: len(src)/2 : len(src)/2] // frames past the middle have no plaintext
		b.Start(helpers)
		var s Scratch
		b.Wait(&s)
		if err := b.Err(); !errors.Is(err, ErrInternal) {
			t.Errorf("%d helpers: Err() = %v, want ErrInternal", helpers, err)
		}
		b.Reset()
		if err := b.Err(); err != nil {
			t.Errorf("%d helpers: Err() after Reset = %v", helpers, err)
		}
	}
}
