package format_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/frame"
)

// readTrace reads a whole message with r and describes what it returned:
// every frame's bytes, the signature, the offset at the end and the first
// error (with its field and offset), in one string.
func readTrace(r *format.Reader) string {
	var b bytes.Buffer
	hdr, raw, err := r.ReadHeader()
	if err != nil {
		return fmt.Sprintf("header: %v", err)
	}
	fmt.Fprintf(&b, "header %x\n%s", raw, headerFields(hdr))
	auth, err := r.ReadHeaderAuth()
	if err != nil {
		return b.String() + fmt.Sprintf("auth: %v", err)
	}
	fmt.Fprintf(&b, "auth %x %x\n", auth.IV, auth.Tag)
	for {
		var f format.Frame
		if hdr.ContentType == format.Framed {
			f, err = r.ReadFrame(nil)
		} else {
			f, err = r.ReadNonFramed(nil)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return b.String() + fmt.Sprintf("frame: %v", err)
		}
		fmt.Fprintf(&b, "frame %d %v %x %x %d\n", f.Seq, f.Final, f.IV, f.Raw, r.Offset())
		if f.Final {
			break
		}
	}
	if hdr.Suite.Signed() {
		sig, err := r.ReadFooter()
		if err != nil {
			return b.String() + fmt.Sprintf("footer: %v", err)
		}
		fmt.Fprintf(&b, "signature %x\n", sig)
	}
	return b.String() + fmt.Sprintf("end %v at %d", r.ExpectEOF(), r.Offset())
}

// trickle returns at most n bytes per Read.
type trickle struct {
	r io.Reader
	n int
}

func (t *trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), t.n)]) }

// checkInPlace reads data through a copying Reader, a Reader over the
// message in memory and Readers over the streaming decryption's input
// (read in place, from memory and in small pieces), and fails if any
// returns anything else, or fails differently.
// headerFields prints every field of a parsed header, and its
// serialization.
func headerFields(h *format.Header) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "fields %d %v %x %q %d %d %x\n", h.Version, h.Suite.ID(), h.MessageID, h.EncryptionContext, h.ContentType, h.FrameLength, h.SuiteData)
	for _, k := range h.EncryptedDataKeys {
		fmt.Fprintf(&b, "edk %q %x %x\n", k.ProviderID, k.ProviderInfo, k.Ciphertext)
	}
	ser, err := h.AppendBinary(nil)
	fmt.Fprintf(&b, "serialized %x %v\n", ser, err)
	return b.String()
}

func checkInPlace(t *testing.T, data []byte) {
	t.Helper()
	// A header read from a message in memory keeps nothing of the
	// caller's buffer: it does not change when the buffer does.
	msg := bytes.Clone(data)
	if h, _, err := format.NewBytesReader(msg, format.Limits{}).ReadHeader(); err == nil {
		before := headerFields(h)
		for i := range msg {
			msg[i] ^= 0xFF
		}
		if after := headerFields(h); after != before {
			t.Fatalf("the header changed with the message buffer:\n%s\nwas\n%s", after, before)
		}
	}
	want := readTrace(format.NewReader(bytes.NewReader(data), format.Limits{}))
	for name, r := range map[string]*format.Reader{
		"in memory":          format.NewBytesReader(data, format.Limits{}),
		"in place":           format.NewReader(frame.NewInput(bytes.NewReader(data), true), format.Limits{}),
		"in place, trickled": format.NewReader(frame.NewInput(&trickle{bytes.NewReader(data), 7}, false), format.Limits{}),
	} {
		if got := readTrace(r); got != want {
			t.Fatalf("%s: read\n%.2000s\nwant\n%.2000s", name, got, want)
		}
	}
}

// TestInPlaceReadsTheSame: frames read in place from the streaming
// decryption's input are exactly those a copying Reader returns, at the
// same offsets, and every malformed or truncated message fails the same
// way (field, offset, error), for the seed messages, each truncated at
// many points, and with trailing bytes.
func TestInPlaceReadsTheSame(t *testing.T) {
	_, messages := fuzzSeeds(t)
	for _, m := range messages {
		checkInPlace(t, m)
		checkInPlace(t, append(bytes.Clone(m), 0))
		step := max(1, len(m)/97)
		for n := 0; n < len(m); n += step {
			checkInPlace(t, m[:n])
		}
	}
}

// FuzzReadInPlace: on any input, reading in place and copying agree.
func FuzzReadInPlace(f *testing.F) {
	_, messages := fuzzSeeds(f)
	for _, m := range messages {
		f.Add(m)
	}
	f.Fuzz(checkInPlace)
}
