package encryptsdk_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/go-esdk/esdk/encryptsdk"
)

// failingReader returns data, then err instead of the rest.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReaderFaults decrypts through readers that misbehave in the ways
// real sources do: one byte at a time, short reads, data together with
// io.EOF, timeouts, and errors in the middle of a frame.
func TestReaderFaults(t *testing.T) {
	c := encryptsdk.New(mustAES(t, "ns", "k", testKey(32, 8)))
	pt := plaintext(10000, 3)
	ct, err := c.EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{FrameLength: 1000})
	if err != nil {
		t.Fatal(err)
	}
	wrappers := map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
		"timeout":  iotest.TimeoutReader, // the second Read fails
	}
	for name, wrap := range wrappers {
		d, err := c.Decrypt(bg, wrap(bytes.NewReader(ct)), nil)
		if name == "timeout" {
			// The header arrives in the first Read; the error must surface
			// from Decrypt or Read, never as a clean end of message.
			if err == nil {
				_, err = io.ReadAll(d)
			}
			if !errors.Is(err, iotest.ErrTimeout) {
				t.Errorf("%s: %v, want iotest.ErrTimeout", name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
	}

	// An error in the middle of frame 5: frames 1-4 come out, then that error.
	boom := errors.New("disk on fire")
	at := bytes.Index(ct, ct[len(ct)-5000:]) // somewhere in the body
	for _, e := range []error{boom, io.ErrUnexpectedEOF} {
		d, err := c.Decrypt(bg, &failingReader{data: ct[:at+10], err: e}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d)
		if !bytes.HasPrefix(pt, got) || len(got)%1000 != 0 {
			t.Errorf("%v: released %d bytes, not whole verified frames of the plaintext", e, len(got))
		}
		want := e
		if e == io.ErrUnexpectedEOF {
			want = encryptsdk.ErrTruncated
		}
		if !errors.Is(err, want) {
			t.Errorf("read error %v surfaced as %v", e, err)
		}
	}
}
