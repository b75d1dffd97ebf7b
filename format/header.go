// Package format reads and writes the AWS Encryption SDK message format:
// the header (versions 1 and 2), header authentication, framed and
// non-framed bodies, and the footer. It checks structure and limits; it
// holds no keys and does no cryptography.
package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// ContentType says whether a message body is framed.
type ContentType byte

// The two content types.
const (
	NonFramed ContentType = 1
	Framed    ContentType = 2
)

// Header is a message header body: every field from the version byte
// through the frame length (format 1) or the algorithm suite data (format 2).
type Header struct {
	// Version is the message format version, 1 or 2.
	Version byte
	Suite   algorithms.Suite
	// MessageID is 16 bytes in format 1 and 32 bytes in format 2.
	MessageID []byte
	// EncryptionContext is the context stored in the header (it excludes
	// required, authenticate-only pairs).
	EncryptionContext materials.EncryptionContext
	EncryptedDataKeys []materials.EncryptedDataKey
	ContentType       ContentType
	// FrameLength is the plaintext length of a regular frame; 0 for
	// non-framed messages.
	FrameLength uint32
	// SuiteData is the commitment key (format 2 only).
	SuiteData []byte

	// rawEC keeps the encryption context section exactly as read, so that a
	// parsed header re-serializes to the bytes it came from (legacy empty
	// form, non-canonical pair order).
	rawEC []byte
	// edk holds the encrypted data key of a header read with only one
	// (the common case), so that reading it allocates no slice for it.
	edk [1]materials.EncryptedDataKey
}

// Format 1 header constants.
const (
	typeCustomerAED = 0x80
)

// AppendBinary appends the serialized header body to b. A header returned
// by [Reader.ReadHeader] serializes to exactly the bytes it was read from.
func (h *Header) AppendBinary(b []byte) ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	ec := h.rawEC
	if ec == nil {
		var err error
		if ec, err = h.EncryptionContext.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	if len(ec) > materials.MaxSerializedLen {
		return nil, errors.New("format: encryption context is too large for a header")
	}
	// Grow b once: the header, and room for the header authentication
	// that usually follows it (IV and tag).
	n := 2 + 2 + len(h.MessageID) + 2 + len(ec) + 2 + 1 + 5 + 4 + len(h.SuiteData) + algorithms.IVLen + algorithms.TagLen
	for _, k := range h.EncryptedDataKeys {
		n += 6 + len(k.ProviderID) + len(k.ProviderInfo) + len(k.Ciphertext)
	}
	b = slices.Grow(b, n)
	b = append(b, h.Version)
	if h.Version == 1 {
		b = append(b, typeCustomerAED)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(h.Suite.ID()))
	b = append(b, h.MessageID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ec)))
	b = append(b, ec...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.EncryptedDataKeys)))
	for _, k := range h.EncryptedDataKeys {
		b = appendField(b, []byte(k.ProviderID))
		b = appendField(b, k.ProviderInfo)
		b = appendField(b, k.Ciphertext)
	}
	b = append(b, byte(h.ContentType))
	if h.Version == 1 {
		b = append(b, 0, 0, 0, 0, algorithms.IVLen)
	}
	b = binary.BigEndian.AppendUint32(b, h.FrameLength)
	if h.Version == 2 {
		b = append(b, h.SuiteData...)
	}
	return b, nil
}

func appendField(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// check validates a header about to be written.
func (h *Header) check() error {
	switch {
	case h.Suite.ID() == 0:
		return errors.New("format: header has no algorithm suite")
	case int(h.Version) != h.Suite.MessageFormat():
		return fmt.Errorf("format: suite %v needs message format %d, header is %d", h.Suite.ID(), h.Suite.MessageFormat(), h.Version)
	case len(h.MessageID) != h.Suite.MessageIDLen():
		return fmt.Errorf("format: message ID is %d bytes, want %d", len(h.MessageID), h.Suite.MessageIDLen())
	case len(h.SuiteData) != h.Suite.SuiteDataLen():
		return fmt.Errorf("format: suite data is %d bytes, want %d", len(h.SuiteData), h.Suite.SuiteDataLen())
	case len(h.EncryptedDataKeys) == 0 || len(h.EncryptedDataKeys) > 0xffff:
		return fmt.Errorf("format: a header holds 1 to 65535 encrypted data keys, not %d", len(h.EncryptedDataKeys))
	case h.ContentType == Framed && h.FrameLength == 0:
		return errors.New("format: framed content needs a frame length above 0")
	case h.ContentType == NonFramed && h.FrameLength != 0:
		return errors.New("format: non-framed content needs frame length 0")
	case h.ContentType != Framed && h.ContentType != NonFramed:
		return fmt.Errorf("format: unknown content type %d", h.ContentType)
	}
	for _, k := range h.EncryptedDataKeys {
		if len(k.ProviderID) > 0xffff || len(k.ProviderInfo) > 0xffff || len(k.Ciphertext) > 0xffff {
			return errors.New("format: an encrypted data key field is longer than 65535 bytes")
		}
	}
	return nil
}

// MaxPlaintextLen is the longest plaintext that the frames of a body of
// bodyLen bytes (everything after the header and its authentication, a
// footer included) can hold under h's content type and frame length:
// room for the plaintext of every frame a [Reader] accepts from it, even
// when the body is cut short before its final frame. For an unsigned
// message it exceeds the plaintext length by at most 8 bytes (0 for a
// non-framed body).
//
// A framed body spends 32 bytes on each regular frame (sequence number,
// IV, tag) and 40 on the final one (marker, sequence number, IV, content
// length, tag), whose content is at most a frame; a non-framed body spends
// 36 (IV, content length, tag).
func (h *Header) MaxPlaintextLen(bodyLen int) int {
	const regular, final, nonFramed = 4 + algorithms.IVLen + algorithms.TagLen, 4 + 4 + algorithms.IVLen + 4 + algorithms.TagLen, algorithms.IVLen + 8 + algorithms.TagLen
	if h.ContentType != Framed || h.FrameLength == 0 {
		return max(0, bodyLen-nonFramed)
	}
	fl, n := int64(h.FrameLength), int64(max(0, bodyLen))
	onlyRegular := n / (fl + regular) * fl // a body cut before its final frame
	if n < final {
		return int(onlyRegular)
	}
	frames := (n - final) / (fl + regular) // regular frames before the final one
	left := n - final - frames*(fl+regular)
	return int(max(onlyRegular, frames*fl+min(fl, left)))
}

// HeaderAuth is the header authentication that follows the header body:
// a 12-byte IV (format 1 only) and a 16-byte AES-GCM tag.
type HeaderAuth struct {
	IV  []byte // nil in format 2, where the IV is 12 zero bytes
	Tag []byte
}

// AuthIV returns the IV to open the header authentication with.
func (a HeaderAuth) AuthIV() []byte {
	if a.IV != nil {
		return a.IV
	}
	return make([]byte, algorithms.IVLen)
}
