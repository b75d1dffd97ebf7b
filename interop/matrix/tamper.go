package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/go-esdk/esdk/format"
)

// variant is a tampered copy of a valid message; every reader must reject it.
type variant struct {
	name string
	msg  []byte
}

// tamper returns the tampered variants of a valid message msg: one bit
// flipped in each part that is authenticated (encryption context, suite ID,
// message ID, encrypted data key, commitment key, header tag, frame content,
// final tag, signature), frames swapped, and truncations. trailing adds
// a variant with one byte appended (which this library rejects and the other
// SDKs tolerate).
func tamper(msg []byte, trailing bool) ([]variant, error) {
	r := format.NewBytesReader(msg, format.Limits{})
	h, hb, err := r.ReadHeader()
	if err != nil {
		return nil, fmt.Errorf("tamper: parse header: %w", err)
	}
	headerLen := len(hb)
	if _, err := r.ReadHeaderAuth(); err != nil {
		return nil, fmt.Errorf("tamper: parse header auth: %w", err)
	}
	authEnd := int(r.Offset())
	type span struct{ start, end int }
	var frames []span // offsets of every frame (or the non-framed body)
	var contentStart []int
	if h.ContentType == format.Framed {
		for {
			start := int(r.Offset())
			f, err := r.ReadFrame(nil)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("tamper: parse frame: %w", err)
			}
			frames = append(frames, span{start, int(r.Offset())})
			contentStart = append(contentStart, int(r.Offset())-len(f.Sealed))
		}
	} else {
		start := int(r.Offset())
		f, err := r.ReadNonFramed(nil)
		if err != nil {
			return nil, fmt.Errorf("tamper: parse body: %w", err)
		}
		frames = append(frames, span{start, int(r.Offset())})
		contentStart = append(contentStart, int(r.Offset())-len(f.Sealed))
	}
	bodyEnd := int(r.Offset())

	flip := func(name string, off int) variant {
		m := bytes.Clone(msg)
		m[off] ^= 0x01
		return variant{name, m}
	}
	var vs []variant
	// Layout of the header body: v1 = version, type, suite(2), message ID(16),
	// EC length(2), EC; v2 = version, suite(2), message ID(32), EC length(2), EC.
	suiteOff, idOff, ecOff := 2, 4, 22
	if h.Version == 2 {
		suiteOff, idOff, ecOff = 1, 3, 37
	}
	if len(h.EncryptionContext) > 0 {
		// EC = count(2) keyLen(2) key...: flip the first key's first byte.
		vs = append(vs, flip("flip a bit of the encryption context", ecOff+4))
	}
	// Another suite of the same message format: 0x0578<->0x0478, 0x0378<->0x0178 ...
	m := bytes.Clone(msg)
	id := binary.BigEndian.Uint16(m[suiteOff:])
	other := map[uint16]uint16{0x0578: 0x0478, 0x0478: 0x0578, 0x0378: 0x0178, 0x0178: 0x0378, 0x0346: 0x0146, 0x0146: 0x0346,
		0x0214: 0x0114, 0x0114: 0x0214, 0x0014: 0x0114, 0x0046: 0x0146, 0x0078: 0x0178}[id]
	binary.BigEndian.PutUint16(m[suiteOff:], other)
	vs = append(vs, variant{fmt.Sprintf("suite ID changed to 0x%04X", other), m})
	vs = append(vs, flip("flip a bit of the message ID", idOff+5))
	if len(h.EncryptedDataKeys) > 0 {
		edk := h.EncryptedDataKeys[0].Ciphertext
		if i := bytes.Index(msg[:headerLen], edk); i >= 0 && len(edk) > 0 {
			vs = append(vs, flip("flip a bit of the encrypted data key", i+len(edk)-1))
		}
	}
	if h.Version == 2 {
		vs = append(vs, flip("flip a bit of the commitment key", headerLen-1))
	}
	vs = append(vs, flip("flip a bit of the header tag", authEnd-1))
	if frames[0].end-16 > contentStart[0] {
		vs = append(vs, flip("flip a bit of the first frame's content", contentStart[0]))
	}
	vs = append(vs, flip("flip a bit of the final frame's tag", bodyEnd-1))
	if bodyEnd < len(msg) {
		vs = append(vs, flip("flip a bit of the signature", len(msg)-1))
	}
	if len(frames) >= 3 && frames[0].end-frames[0].start == frames[1].end-frames[1].start {
		m := bytes.Clone(msg)
		a, b := frames[0], frames[1]
		copy(m[a.start:a.end], msg[b.start:b.end])
		copy(m[b.start:b.end], msg[a.start:a.end])
		vs = append(vs, variant{"first two frames swapped", m})
		// The same, keeping each frame's sequence number in place: only the
		// body AAD (which holds the sequence number) can tell.
		m = bytes.Clone(msg)
		copy(m[a.start+4:a.end], msg[b.start+4:b.end])
		copy(m[b.start+4:b.end], msg[a.start+4:a.end])
		vs = append(vs, variant{"first two frames' IV and content swapped, sequence numbers kept", m})
	}
	vs = append(vs,
		variant{"last byte cut off", bytes.Clone(msg[:len(msg)-1])},
		variant{"cut after the header", bytes.Clone(msg[:authEnd])},
	)
	if trailing {
		vs = append(vs, variant{"one byte appended", append(bytes.Clone(msg), 0)})
	}
	return vs, nil
}
