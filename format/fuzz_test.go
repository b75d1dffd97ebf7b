package format_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/go-esdk/esdk/format"
)

// fuzzSeeds returns hand-built headers and messages plus a sample of the
// shared test vectors: for each set, suite and content type the smallest
// message (whole, if small) and its header.
func fuzzSeeds(tb testing.TB) (headers, messages [][]byte) {
	nf := v1Header()
	nf.contentType, nf.frameLen = 1, 0
	legacy := v2Header()
	legacy.ec = []byte{0, 0}
	empty := v1Header()
	empty.ec = nil
	signed := v2Header()
	signed.suite = 0x0578
	many := v1Header()
	many.edks = append(many.edks, [3][]byte{[]byte("aws-kms"), []byte("arn:aws:kms:us-west-2:111122223333:key/x"), fill(40, 9)})
	for _, h := range []hb{v1Header(), v2Header(), nf, legacy, empty, signed, many} {
		headers = append(headers, h.bytes())
	}
	fl := int(v1Header().frameLen)
	messages = append(messages,
		message(v1Header(), regularFrame(1, fl), finalFrame(2, 3)),
		message(v2Header(), finalFrame(1, 0)),
		message(nf, iv(1), []byte{0, 0, 0, 0, 0, 0, 0, 2}, fill(18, 1)),
		message(signed, finalFrame(1, 5), []byte{0, 3, 1, 2, 3}),
		message(legacy, regularFrame(1, fl), finalFrame(2, fl)),
	)

	if _, err := os.Stat(vectorsDir); err != nil {
		return headers, messages
	}
	type key struct {
		set   string
		suite uint16
		ct    format.ContentType
	}
	best := map[key][]byte{}
	for _, v := range loadVectors(tb) {
		if !v.positive {
			continue
		}
		data, err := os.ReadFile(v.path)
		if err != nil {
			tb.Fatal(err)
		}
		hdr, _, err := readHeader(data, format.Limits{})
		if err != nil {
			continue
		}
		k := key{v.set, uint16(hdr.Suite.ID()), hdr.ContentType}
		if old, ok := best[k]; !ok || len(data) < len(old) {
			best[k] = data
		}
	}
	for _, data := range best {
		_, raw, _ := readHeader(data, format.Limits{})
		headers = append(headers, raw)
		if len(data) <= 4096 {
			messages = append(messages, data)
		}
	}
	return headers, messages
}

// FuzzReadHeader: ReadHeader never panics, and a header it accepts is the
// prefix of the input it consumed and serializes back to exactly those bytes.
func FuzzReadHeader(f *testing.F) {
	headers, _ := fuzzSeeds(f)
	for _, h := range headers {
		f.Add(h)
	}
	f.Add([]byte("AYAAFJ"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := format.NewReader(bytes.NewReader(data), format.Limits{MaxEncryptedDataKeys: 100})
		hdr, raw, err := r.ReadHeader()
		if err != nil {
			var pe *format.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Offset < 0 || pe.Offset > int64(len(data)) {
				t.Fatalf("error offset %d outside the %d-byte input", pe.Offset, len(data))
			}
			return
		}
		if !bytes.Equal(raw, data[:len(raw)]) || r.Offset() != int64(len(raw)) {
			t.Fatalf("raw header is not the consumed prefix")
		}
		again, err := hdr.AppendBinary(nil)
		if err != nil {
			t.Fatalf("accepted header does not serialize: %v", err)
		}
		if !bytes.Equal(again, raw) {
			t.Fatalf("AppendBinary = %x\nconsumed      %x", again, raw)
		}
		if len(hdr.EncryptedDataKeys) > 100 {
			t.Fatalf("%d EDKs accepted with a limit of 100", len(hdr.EncryptedDataKeys))
		}
	})
}

// FuzzReadMessage runs the whole reader over arbitrary input: no panic, and
// no buffer much larger than the input.
func FuzzReadMessage(f *testing.F) {
	_, messages := fuzzSeeds(f)
	for _, m := range messages {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := readMessageBounded(data); err != nil && !isParseError(err) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}

func isParseError(err error) bool {
	var pe *format.ParseError
	return errors.As(err, &pe)
}

// readMessageBounded parses data like parseMessage, without verifying the
// signature, and checks that no frame buffer outgrows the input.
func readMessageBounded(data []byte) error {
	r := format.NewReader(bytes.NewReader(data), format.Limits{})
	hdr, _, err := r.ReadHeader()
	if err != nil {
		return err
	}
	if _, err := r.ReadHeaderAuth(); err != nil {
		return err
	}
	limit := 3*len(data) + 16<<10
	var buf []byte
	for {
		var f format.Frame
		if hdr.ContentType == format.Framed {
			f, err = r.ReadFrame(buf)
		} else {
			f, err = r.ReadNonFramed(buf)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if cap(f.Raw) > limit {
			panic(fmt.Sprintf("frame buffer of %d bytes for a %d-byte input", cap(f.Raw), len(data)))
		}
		if len(f.Sealed) < 16 || int64(len(f.Raw)) > r.Offset() {
			panic(fmt.Sprintf("inconsistent frame: sealed %d, raw %d", len(f.Sealed), len(f.Raw)))
		}
		buf = f.Raw
	}
	if hdr.Suite.Signed() {
		sig, err := r.ReadFooter()
		if err != nil {
			return err
		}
		if len(sig) == 0 {
			panic("empty signature accepted")
		}
	}
	if err := r.ExpectEOF(); err != nil {
		return err
	}
	if r.Offset() != int64(len(data)) {
		panic("accepted message shorter than the input")
	}
	return nil
}

// TestFuzzSeedsParse makes sure the seeds exercise the happy path.
func TestFuzzSeedsParse(t *testing.T) {
	_, messages := fuzzSeeds(t)
	for i, m := range messages {
		if err := readMessageBounded(m); err != nil {
			t.Errorf("seed message %d: %v", i, err)
		}
	}
	// base64 of a seed is reported as such.
	enc := base64.StdEncoding.EncodeToString(messages[0])
	if err := readMessageBounded([]byte(enc)); !errors.Is(err, format.ErrBase64) {
		t.Errorf("base64 seed: %v", err)
	}
}
