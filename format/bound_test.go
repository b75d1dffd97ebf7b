package format_test

import (
	"testing"

	"github.com/go-esdk/esdk/format"
)

// TestMaxPlaintextLen checks the bound against every way to lay out
// plaintexts of up to four frames: k regular frames and a final one of 0 to
// frame-length bytes (some writers end a multiple of the frame length with
// an empty final frame, others with a full one), with and without a footer,
// and bodies cut short before their final frame. The bound must hold the
// plaintext of every frame and exceed it by at most 8 bytes and the footer.
func TestMaxPlaintextLen(t *testing.T) {
	for _, fl := range []int{1, 2, 7, 100, 4096} {
		h := &format.Header{ContentType: format.Framed, FrameLength: uint32(fl)}
		for k := 0; k <= 3; k++ {
			for c := 0; c <= fl; c++ {
				pt := k*fl + c
				body := k*(fl+32) + c + 40
				if got := h.MaxPlaintextLen(body); got < pt || got > pt+8 {
					t.Fatalf("frame length %d, %d regular frames, final %d bytes: body %d bytes, bound %d, want %d to %d", fl, k, c, body, got, pt, pt+8)
				}
				for footer := 1; footer <= 110; footer++ {
					if got := h.MaxPlaintextLen(body + footer); got < pt || got > pt+8+footer {
						t.Fatalf("frame length %d, plaintext %d, body %d + footer %d: bound %d", fl, pt, body, footer, got)
					}
				}
			}
		}
		// A body cut short after k regular frames, perhaps inside the
		// next one: the frames read before the reader fails must fit.
		for k := 0; k <= 3; k++ {
			for cut := 0; cut < fl+32; cut++ {
				if got := h.MaxPlaintextLen(k*(fl+32) + cut); got < k*fl {
					t.Fatalf("frame length %d: %d regular frames and %d bytes more, no final frame: bound %d", fl, k, cut, got)
				}
			}
		}
	}
	nf := &format.Header{ContentType: format.NonFramed}
	for _, c := range []struct{ body, want int }{{0, 0}, {35, 0}, {36, 0}, {37, 1}, {36 + 1<<20, 1 << 20}} {
		if got := nf.MaxPlaintextLen(c.body); got != c.want {
			t.Errorf("non-framed, %d-byte body: bound %d, want %d", c.body, got, c.want)
		}
	}
	// The largest frame length: no overflow.
	big := &format.Header{ContentType: format.Framed, FrameLength: 1<<32 - 1}
	if got := big.MaxPlaintextLen(1 << 30); got != 1<<30-40 {
		t.Errorf("frame length 2^32-1, 1 GiB body: bound %d", got)
	}
}
