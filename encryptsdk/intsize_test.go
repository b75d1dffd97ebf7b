package encryptsdk_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
)

// TestFrameLengthBeyondInt: a valid message whose frame length is 2^31+16
// (written by this library on a 64-bit platform: one final frame of 25
// bytes) decrypts alike on 64-bit and 32-bit platforms, where the length
// does not fit int: no panic, no truncated conversion. A regular frame of
// that length, cut short, is ErrTruncated everywhere. Encrypting with such
// a frame length, which would need regular frames larger than an int
// holds, is ErrBodyTooLarge on 32-bit platforms.
func TestFrameLengthBeyondInt(t *testing.T) {
	msg, err := os.ReadFile("testdata/framelen-2p31+16.esdk")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i) ^ 0x5a
	}
	want := []byte("a frame length of 2^31+16")
	// The same header followed by the start of a regular frame.
	r := format.NewBytesReader(msg, format.Limits{})
	if _, _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadHeaderAuth(); err != nil {
		t.Fatal(err)
	}
	regular := append(bytes.Clone(msg[:r.Offset()]), 0, 0, 0, 1)
	regular = append(regular, make([]byte, 12+100)...)

	for _, workers := range []int{1, 4} {
		c := encryptsdk.New(mustAES(t, "ns", "k", key))
		c.Concurrency = workers
		got, _, err := c.DecryptBytes(bg, msg, nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("workers=%d, DecryptBytes: %q, %v", workers, got, err)
		}
		d, err := c.Decrypt(bg, bytes.NewReader(msg), nil)
		if err == nil {
			got, err = io.ReadAll(d)
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("workers=%d, Decrypt: %q, %v", workers, got, err)
		}

		if _, _, err := c.DecryptBytes(bg, regular, nil); !errors.Is(err, encryptsdk.ErrTruncated) {
			t.Errorf("workers=%d, DecryptBytes of a cut regular frame: %v, want ErrTruncated", workers, err)
		}
		d, err = c.Decrypt(bg, bytes.NewReader(regular), nil)
		if err == nil {
			_, err = io.ReadAll(d)
		}
		if !errors.Is(err, encryptsdk.ErrTruncated) {
			t.Errorf("workers=%d, Decrypt of a cut regular frame: %v, want ErrTruncated", workers, err)
		}

		ct, err := c.EncryptBytes(bg, want, &encryptsdk.EncryptOptions{FrameLength: math.MaxInt32 + 17})
		if err == nil {
			got, _, err = c.DecryptBytes(bg, ct, nil)
		}
		switch {
		case strconv.IntSize == 64 && (err != nil || !bytes.Equal(got, want)):
			t.Errorf("workers=%d, EncryptBytes: %q, %v", workers, got, err)
		case strconv.IntSize == 32 && !errors.Is(err, encryptsdk.ErrBodyTooLarge):
			t.Errorf("workers=%d, EncryptBytes: %v, want ErrBodyTooLarge on a 32-bit platform", workers, err)
		}
	}
}
