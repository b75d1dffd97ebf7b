package frame

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"math"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/internal/wire"
)

// ErrAuthentication means a frame's AES-GCM tag did not verify.
var ErrAuthentication = errors.New("frame: authentication failed")

// ErrInternal means sealing or opening a batch of frames failed in a way
// no input should cause: a bug of this module, reported as an error rather
// than a panic on a goroutine the caller cannot recover.
var ErrInternal = errors.New("frame: internal error")

// Cipher seals and opens the frames of one message. The AES key schedule
// and GCM tables are built once per message. A Cipher's methods may be
// called from several goroutines at once as long as each passes its own
// scratch buffer.
type Cipher struct {
	aead      cipher.AEAD
	messageID []byte
	frameLen  uint32
	// fl is frameLen as an int, capped at what an int holds less room for
	// a frame header and tag: on 32-bit platforms a message may declare a
	// frame length that only regular frames, which it may not have, need.
	fl int
}

// maxFrameInt caps frame lengths used in int arithmetic.
const maxFrameInt = math.MaxInt - 64

// New returns a Cipher for a message with the given data key, message ID
// and frame length (0 for non-framed).
func New(dataKey, messageID []byte, frameLen uint32) (*Cipher, error) {
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead, messageID: messageID, frameLen: frameLen, fl: int(min(uint64(frameLen), maxFrameInt))}, nil
}

// AEAD returns the message's AES-GCM instance (used for the header tag).
func (c *Cipher) AEAD() cipher.AEAD { return c.aead }

// Scratch is per-goroutine working memory for building AADs.
type Scratch struct{ aad []byte }

func (c *Cipher) aad(s *Scratch, kind wire.BodyKind, seq uint32, n int) []byte {
	length := uint64(n)
	if kind == wire.RegularFrame {
		length = uint64(c.frameLen)
	}
	s.aad = wire.AppendBodyAAD(s.aad[:0], c.messageID, kind, seq, length)
	return s.aad
}

// SealFrame writes frame seq into dst, which must have room for the frame
// header, len(plaintext) bytes and the tag, and returns the frame bytes.
// plaintext may be dst[FinalFrameHeaderLen or RegularFrameHeaderLen:]
// exactly (in place), or not overlap dst at all.
func (c *Cipher) SealFrame(s *Scratch, dst []byte, seq uint32, final bool, plaintext []byte) []byte {
	hl := wire.PutFrameHeader(dst, seq, final, len(plaintext))
	iv := dst[hl-algorithms.IVLen : hl]
	if final {
		iv = dst[8 : 8+algorithms.IVLen]
	}
	kind := wire.RegularFrame
	if final {
		kind = wire.FinalFrame
	}
	sealed := c.aead.Seal(dst[hl:hl], iv, plaintext, c.aad(s, kind, seq, len(plaintext)))
	return dst[:hl+len(sealed)]
}

// SealSingleBlock encrypts a non-framed body in place: buf holds the body
// header (wire.NonFramedHeaderLen bytes) followed by the plaintext and
// capacity for the tag. It returns the complete body.
func (c *Cipher) SealSingleBlock(s *Scratch, buf []byte) []byte {
	hl := wire.NonFramedHeaderLen
	pt := buf[hl:]
	sealed := c.aead.Seal(pt[:0], buf[:algorithms.IVLen], pt, c.aad(s, wire.SingleBlock, 1, len(pt)))
	return buf[:hl+len(sealed)]
}

// Open verifies and decrypts f in place and returns its plaintext, which
// aliases f.Sealed. single says f is a non-framed body.
func (c *Cipher) Open(s *Scratch, f *format.Frame, single bool) ([]byte, error) {
	return c.OpenTo(s, f.Sealed[:0], f, single)
}

// OpenTo verifies and decrypts f into dst, which must have room for the
// plaintext and either not overlap f.Sealed or start exactly where it does.
func (c *Cipher) OpenTo(s *Scratch, dst []byte, f *format.Frame, single bool) ([]byte, error) {
	kind := wire.RegularFrame
	switch {
	case single:
		kind = wire.SingleBlock
	case f.Final:
		kind = wire.FinalFrame
	}
	pt, err := c.aead.Open(dst, f.IV, f.Sealed, c.aad(s, kind, f.Seq, f.ContentLen()))
	if err != nil {
		return nil, ErrAuthentication
	}
	return pt, nil
}
