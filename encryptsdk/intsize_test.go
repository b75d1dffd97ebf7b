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
)

// TestFrameLengthBeyondInt: a valid message whose frame length is 2^31+16
// (written by this library on a 64-bit platform: one final frame of 25
// bytes) decrypts on 64-bit platforms; on 32-bit ones, where the length
// does not fit int, every path returns ErrBodyTooLarge instead of
// panicking. Encrypting with such a frame length behaves the same way.
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
	fits := strconv.IntSize == 64
	for _, workers := range []int{1, 4} {
		c := encryptsdk.New(mustAES(t, "ns", "k", key))
		c.Concurrency = workers
		check := func(what string, got []byte, err error) {
			t.Helper()
			switch {
			case fits && (err != nil || !bytes.Equal(got, want)):
				t.Errorf("workers=%d, %s: %q, %v; want the plaintext", workers, what, got, err)
			case !fits && !errors.Is(err, encryptsdk.ErrBodyTooLarge):
				t.Errorf("workers=%d, %s: %v; want ErrBodyTooLarge on a %d-bit platform", workers, what, err, strconv.IntSize)
			}
		}
		got, _, err := c.DecryptBytes(bg, msg, nil)
		check("DecryptBytes", got, err)
		d, err := c.Decrypt(bg, bytes.NewReader(msg), nil)
		if err == nil {
			got, err = io.ReadAll(d)
		}
		check("Decrypt", got, err)

		ct, err := c.EncryptBytes(bg, want, &encryptsdk.EncryptOptions{FrameLength: math.MaxInt32 + 17})
		if err == nil {
			got, _, err = c.DecryptBytes(bg, ct, nil)
		}
		check("EncryptBytes", got, err)
	}
}
