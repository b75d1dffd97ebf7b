// Package wire writes the parts of a message body that only this module's
// pipeline needs: frame headers with their deterministic IVs, the body AAD,
// the non-framed body header, header authentication and the footer, and
// the exact length of a message. The user-facing parser (headers, frames,
// parse errors) is package format.
package wire

import (
	"encoding/binary"

	"github.com/go-esdk/esdk/algorithms"
)

// BodyKind names the three kinds of body AAD.
type BodyKind int

// The kinds of body content, each with its own AAD content string.
const (
	RegularFrame BodyKind = iota
	FinalFrame
	SingleBlock // non-framed body
)

// finalFrameMarker is the sequence number field that starts the final
// frame (format.FinalFrameMarker).
const finalFrameMarker = 0xffffffff

var contentStrings = [...]string{
	RegularFrame: "AWSKMSEncryptionClient Frame",
	FinalFrame:   "AWSKMSEncryptionClient Final Frame",
	SingleBlock:  "AWSKMSEncryptionClient Single Block",
}

// AppendBodyAAD appends the AES-GCM additional data of a frame or
// non-framed body: message ID || content string || u32 sequence number ||
// u64 content length. For regular frames length is the header's frame
// length; for non-framed bodies seq is 1.
func AppendBodyAAD(dst, messageID []byte, kind BodyKind, seq uint32, length uint64) []byte {
	dst = append(dst, messageID...)
	dst = append(dst, contentStrings[kind]...)
	dst = binary.BigEndian.AppendUint32(dst, seq)
	return binary.BigEndian.AppendUint64(dst, length)
}

// Frame header sizes: the bytes before a frame's encrypted content.
const (
	RegularFrameHeaderLen = 4 + algorithms.IVLen         // sequence number, IV
	FinalFrameHeaderLen   = 4 + 4 + algorithms.IVLen + 4 // marker, sequence number, IV, content length
	NonFramedHeaderLen    = algorithms.IVLen + 8         // IV, content length
)

// PutIV writes the IV this library uses for sequence number seq (8 zero
// bytes and the big-endian sequence number) into iv, which must be 12 bytes.
func PutIV(iv []byte, seq uint32) {
	clear(iv[:8])
	binary.BigEndian.PutUint32(iv[8:], seq)
}

// PutFrameHeader writes a frame header into b, which must have room for
// RegularFrameHeaderLen or FinalFrameHeaderLen bytes, with the
// deterministic IV for seq. It returns the header length.
func PutFrameHeader(b []byte, seq uint32, final bool, contentLen int) int {
	if !final {
		binary.BigEndian.PutUint32(b, seq)
		PutIV(b[4:16], seq)
		return RegularFrameHeaderLen
	}
	binary.BigEndian.PutUint32(b, finalFrameMarker)
	binary.BigEndian.PutUint32(b[4:], seq)
	PutIV(b[8:20], seq)
	binary.BigEndian.PutUint32(b[20:], uint32(contentLen))
	return FinalFrameHeaderLen
}

// AppendNonFramedHeader appends the header of a non-framed body: the IV
// for sequence number 1 and the content length.
func AppendNonFramedHeader(b []byte, contentLen uint64) []byte {
	var iv [algorithms.IVLen]byte
	PutIV(iv[:], 1)
	b = append(b, iv[:]...)
	return binary.BigEndian.AppendUint64(b, contentLen)
}

// AppendFooter appends the footer: u16 signature length and the signature.
func AppendFooter(b, sig []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(sig)))
	return append(b, sig...)
}

// MessageLen returns the exact length of a message with the given header
// and header-authentication length, frame length (0 for non-framed) and
// plaintext length, when a framed body ends with an empty final frame
// after full frames, as this library writes it, and the signature has the
// fixed length sigLen (0 for unsigned suites).
func MessageLen(headerLen int, frameLen uint32, plaintextLen int64, sigLen int) int64 {
	n := int64(headerLen)
	if frameLen == 0 {
		n += NonFramedHeaderLen + plaintextLen + algorithms.TagLen
	} else {
		fl := int64(frameLen)
		full := plaintextLen / fl
		n += full*(RegularFrameHeaderLen+fl+algorithms.TagLen) + FinalFrameHeaderLen + plaintextLen - full*fl + algorithms.TagLen
	}
	if sigLen > 0 {
		n += 2 + int64(sigLen)
	}
	return n
}

// AppendHeaderAuth appends header authentication for a header of the given
// version: in format 1 a zero IV then the tag, in format 2 only the tag.
func AppendHeaderAuth(b []byte, version byte, tag []byte) []byte {
	if version == 1 {
		b = append(b, make([]byte, algorithms.IVLen)...)
	}
	return append(b, tag...)
}
