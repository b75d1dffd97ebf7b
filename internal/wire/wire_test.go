package wire_test

import (
	"bytes"
	"testing"

	"github.com/go-esdk/esdk/internal/wire"
)

func fill(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

// TestBodyAAD checks the AAD of each kind byte for byte (spec-format §3.4).
func TestBodyAAD(t *testing.T) {
	mid16 := fill(16, 0xa1)
	mid32 := fill(32, 0xb2)
	for _, c := range []struct {
		name    string
		mid     []byte
		kind    wire.BodyKind
		seq     uint32
		length  uint64
		content string
	}{
		{"regular v1", mid16, wire.RegularFrame, 1, 4096, "AWSKMSEncryptionClient Frame"},
		{"regular v2", mid32, wire.RegularFrame, 0x01020304, 0xffffffff, "AWSKMSEncryptionClient Frame"},
		{"final v1", mid16, wire.FinalFrame, 7, 0, "AWSKMSEncryptionClient Final Frame"},
		{"final v2", mid32, wire.FinalFrame, 3, 17, "AWSKMSEncryptionClient Final Frame"},
		{"single block", mid16, wire.SingleBlock, 1, 1 << 35, "AWSKMSEncryptionClient Single Block"},
	} {
		var want []byte
		want = append(want, c.mid...)
		want = append(want, c.content...)
		want = append(want, byte(c.seq>>24), byte(c.seq>>16), byte(c.seq>>8), byte(c.seq))
		for i := 7; i >= 0; i-- {
			want = append(want, byte(c.length>>(8*i)))
		}
		got := wire.AppendBodyAAD([]byte{0xee}, c.mid, c.kind, c.seq, c.length)
		if !bytes.Equal(got, append([]byte{0xee}, want...)) {
			t.Errorf("%s: AppendBodyAAD = %x\nwant             ee%x", c.name, got, want)
		}
		if n := len(got) - 1 - len(c.mid) - 12; n != len(c.content) {
			t.Errorf("%s: content string is %d bytes", c.name, n)
		}
	}
	// The lengths the spec gives for the content strings.
	for kind, n := range map[wire.BodyKind]int{wire.RegularFrame: 28, wire.FinalFrame: 34, wire.SingleBlock: 35} {
		if got := len(wire.AppendBodyAAD(nil, nil, kind, 0, 0)) - 12; got != n {
			t.Errorf("kind %d: content string %d bytes, want %d", kind, got, n)
		}
	}
}
