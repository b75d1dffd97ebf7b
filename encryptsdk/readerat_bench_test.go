package encryptsdk_test

import (
	"fmt"
	"testing"

	"github.com/go-esdk/esdk/encryptsdk"
)

// BenchmarkReaderAtOffset reads one 4 KiB frame at increasing offsets of a
// 1 GiB message: the time per read should not depend on the offset. The generated
// source seals each frame it serves, a cost that is the same at every offset.
func BenchmarkReaderAtOffset(b *testing.B) {
	const frameLen, frames = 4096, 1 << 18
	s, c := newSynth(b, frameLen, frames)
	ra, err := c.OpenReaderAt(bg, s, s.size(), &encryptsdk.RandomAccessOptions{CacheFrames: -1})
	if err != nil {
		b.Fatal(err)
	}
	p := make([]byte, frameLen)
	for _, off := range []int64{0, 1 << 20, 64 << 20, 512 << 20, 1<<30 - 2*frameLen} {
		b.Run(fmt.Sprintf("offset=%d", off), func(b *testing.B) {
			b.SetBytes(frameLen)
			for b.Loop() {
				if _, err := ra.ReadAt(p, off); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
