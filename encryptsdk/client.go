package encryptsdk

import (
	"runtime"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// CommitmentPolicy says which algorithm suites may encrypt and decrypt.
// The zero value, RequireEncryptRequireDecrypt, is the default.
type CommitmentPolicy = algorithms.CommitmentPolicy

// The commitment policies; see [algorithms.CommitmentPolicy].
const (
	RequireEncryptRequireDecrypt = algorithms.RequireEncryptRequireDecrypt
	RequireEncryptAllowDecrypt   = algorithms.RequireEncryptAllowDecrypt
	ForbidEncryptAllowDecrypt    = algorithms.ForbidEncryptAllowDecrypt
)

// DefaultFrameLength is the frame length used when none is set.
const DefaultFrameLength = 4096

// Client encrypts and decrypts messages with one materials manager and
// policy. A Client is safe for concurrent use; do not change its fields
// after first use.
type Client struct {
	// Manager supplies the materials of each message. It is required; use
	// [New] to wrap a keyring in a default manager.
	Manager materials.Manager
	// CommitmentPolicy restricts the suites used; the zero value is
	// RequireEncryptRequireDecrypt.
	CommitmentPolicy CommitmentPolicy
	// MaxEncryptedDataKeys limits the encrypted data keys of a message, on
	// encrypt and on decrypt (where it is checked as soon as the count is
	// read, before any key is tried). 0 means no limit.
	MaxEncryptedDataKeys int
	// Concurrency is how many goroutines may seal or open the frames of
	// one stream at once: the stream's own and helpers from a pool shared
	// by all streams (at most GOMAXPROCS, started on demand; an idle
	// helper polls for work for about 100µs before it sleeps, and exits
	// after two seconds without work). 0 means GOMAXPROCS, 1 means
	// sequential: only the caller's goroutine, no helper and no hashing
	// goroutine. Small writes and messages are processed sequentially
	// whatever it says: a decryption whose source tells that it holds less
	// than 384 KiB (a Len method, as bytes.Reader has, or a regular file)
	// opens its frames one at a time, into the caller's Read buffer when a
	// frame fits there.
	Concurrency int
}

func (c *Client) workers() int {
	if c.Concurrency > 0 {
		return c.Concurrency
	}
	return runtime.GOMAXPROCS(0)
}

// New returns a Client that uses kr through a default materials manager,
// with the default commitment policy.
func New(kr materials.Keyring) *Client {
	return &Client{Manager: materials.NewDefaultManager(kr)}
}

// EncryptOptions are the per-message settings of [Client.Encrypt]. The zero
// value (or nil) encrypts with the policy's default suite, 4096-byte
// frames and an empty encryption context.
type EncryptOptions struct {
	// EncryptionContext is bound to the message and stored in its header
	// (except keys a required-encryption-context manager withholds). Keys
	// may not start with "aws-crypto-".
	EncryptionContext map[string]string
	// Suite is the algorithm suite; zero means the policy's default
	// (0x0578, or 0x0378 under ForbidEncryptAllowDecrypt).
	Suite algorithms.ID
	// FrameLength is the plaintext length of each frame, 1 to 2^32−1; zero
	// means 4096. Other SDKs read at most 2^31−1.
	FrameLength int64
	// NonFramed writes the legacy non-framed body, which holds the whole
	// plaintext (at most 2^36−32 bytes) in memory until Close. Use it only
	// for readers that need it.
	NonFramed bool
	// PlaintextLength, when positive, is the exact plaintext length: it is
	// passed to the materials manager (data key caching uses it; without
	// it, a stream bypasses the cache) and writing more or fewer bytes is
	// an error. The one-shot calls pass their plaintext's length, 0
	// included.
	PlaintextLength int64
}

// DecryptOptions are the per-message settings of [Client.Decrypt]. The zero
// value (or nil) is the usual choice.
type DecryptOptions struct {
	// EncryptionContext is the context the caller expects. Pairs stored in
	// the header must have the same values; pairs not stored there are
	// authenticated as required pairs (a required-encryption-context
	// manager withheld them at encryption).
	EncryptionContext map[string]string
	// UnsignedOnly rejects signed suites right after the header is read, so
	// that every byte released is final (the streaming "decrypt unsigned"
	// mode of the other SDKs).
	UnsignedOnly bool
	// BufferUntilVerified releases no plaintext until the whole message,
	// including its signature, has verified. The plaintext is held in memory.
	BufferUntilVerified bool
	// MaxBodySize rejects messages whose frame length or non-framed body is
	// larger, before allocating memory for it. 0 means no limit.
	MaxBodySize int64
	// NetV400Retry retries header authentication the way messages written
	// by the ESDK for .NET 4.0.0 need (their header tag was computed
	// wrongly). Off by default; enable it only to read such messages.
	NetV400Retry bool
}
