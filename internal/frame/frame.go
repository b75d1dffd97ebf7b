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
	// aead seals and opens with the format's IVs; nil in FIPS 140-only
	// mode, where Go refuses AES-GCM with caller-chosen IVs.
	aead cipher.AEAD
	// approved opens in FIPS 140-only mode: AES-GCM whose Open takes
	// IV || ciphertext || tag, an approved service of Go's module whatever
	// the IV (only its Seal chooses the IV).
	approved  cipher.AEAD
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
//
// In FIPS 140-only mode (algorithms.FIPSOnly) the Cipher only opens: it
// uses Go's approved AES-GCM, which reads the IV in front of the
// ciphertext, and its sealing methods must not be called (encryption is
// refused before a Cipher is made, with algorithms.ErrFIPSEncrypt).
func New(dataKey, messageID []byte, frameLen uint32) (*Cipher, error) {
	c := new(Cipher)
	if err := c.Init(dataKey, messageID, frameLen); err != nil {
		return nil, err
	}
	return c, nil
}

// Init makes c what [New] returns, in place (in the memory of the value
// that holds it). On error c is left zero.
func (c *Cipher) Init(dataKey, messageID []byte, frameLen uint32) error {
	*c = Cipher{}
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return err
	}
	var a, approved cipher.AEAD
	if algorithms.FIPSOnly() {
		approved, err = cipher.NewGCMWithRandomNonce(block)
	} else {
		a, err = cipher.NewGCM(block)
	}
	if err != nil {
		return err
	}
	*c = Cipher{aead: a, approved: approved, messageID: messageID, frameLen: frameLen, fl: int(min(uint64(frameLen), maxFrameInt))}
	return nil
}

// AEAD returns the message's AES-GCM instance (used to seal the header
// tag); nil in FIPS 140-only mode, where the Cipher only opens.
func (c *Cipher) AEAD() cipher.AEAD { return c.aead }

// OpenHeaderTag verifies the header's authentication tag: an AES-GCM
// encryption of nothing with the given IV and the header as AAD.
func (c *Cipher) OpenHeaderTag(iv, tag, aad []byte) error {
	var err error
	if c.approved != nil {
		in := make([]byte, 0, algorithms.IVLen+algorithms.TagLen)
		_, err = c.approved.Open(nil, nil, append(append(in, iv...), tag...), aad)
	} else {
		_, err = c.aead.Open(nil, iv, tag, aad)
	}
	return err
}

// maxKeptInput is the largest assembled input a Scratch keeps for reuse.
const maxKeptInput = 1 << 20

// Scratch is per-goroutine working memory for building AADs (and, in FIPS
// 140-only mode, for the IV || ciphertext || tag input of the approved
// AES-GCM).
type Scratch struct {
	aad [maxBodyAAD]byte
	in  []byte
}

// maxBodyAAD is the longest body AAD: a 32-byte message ID, the longest
// content string ("AWSKMSEncryptionClient Single Block"), the sequence
// number and the content length.
const maxBodyAAD = 32 + 35 + 4 + 8

func (c *Cipher) aad(s *Scratch, kind wire.BodyKind, seq uint32, n int) []byte {
	length := uint64(n)
	if kind == wire.RegularFrame {
		length = uint64(c.frameLen)
	}
	return wire.AppendBodyAAD(s.aad[:0], c.messageID, kind, seq, length)
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
	aad := c.aad(s, kind, f.Seq, f.ContentLen())
	var pt []byte
	var err error
	if c.approved != nil {
		// The IV does not always sit right before the ciphertext (a final
		// frame has the content length between them): assemble the
		// input. dst may then alias f.Sealed freely.
		s.in = append(append(s.in[:0], f.IV...), f.Sealed...)
		pt, err = c.approved.Open(dst, nil, s.in, aad)
		if cap(s.in) > maxKeptInput {
			s.in = nil // a long-lived worker's scratch keeps no huge frame
		}
	} else {
		pt, err = c.aead.Open(dst, f.IV, f.Sealed, aad)
	}
	if err != nil {
		return nil, ErrAuthentication
	}
	return pt, nil
}
