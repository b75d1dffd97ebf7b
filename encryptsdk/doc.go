// Package encryptsdk encrypts and decrypts messages in the AWS Encryption
// SDK message format, so that what it writes the official Python, Java, C,
// JavaScript, .NET and Go SDKs decrypt, and what they write it decrypts.
//
// A message holds the data encrypted under a fresh data key, and that data
// key wrapped by one or more wrapping keys (AWS KMS keys, raw AES or RSA
// keys). A [Client] gets each message's keys from a materials manager over
// a keyring, and does the rest: header, key commitment, frames, signature.
//
//	kr, err := keyring.NewRawAES("my-namespace", "my-key", key)
//	client := encryptsdk.New(kr)
//	ct, err := client.EncryptBytes(ctx, plaintext, nil)
//	pt, dec, err := client.DecryptBytes(ctx, ct, nil)
//
// # Keyrings and materials managers
//
// Package keyring has the raw AES, raw RSA and multi-keyrings, package
// keyring/awskms the AWS KMS keyrings. [New] wraps a keyring in the default
// materials manager; set [Client.Manager] for another manager, such as
// [materials.CachingManager] (data key caching) or
// [materials.RequiredContextManager] (encryption context pairs that are
// authenticated but not stored).
//
// # Streaming and one-shot
//
// [Client.Encrypt] returns an [Encryptor], an io.WriteCloser that writes
// the message to a destination as frames fill; [Client.Decrypt] returns a
// [Decryptor], an io.Reader of the plaintext. Memory is bounded by the
// frame length, not the message length. [Client.EncryptBytes],
// [Client.DecryptBytes] and their Append forms work on whole messages in
// memory and may reuse the caller's buffer.
//
// # When plaintext is released
//
// A Decryptor returns a frame's plaintext only after the frame's
// authentication tag has verified, and the final frame only after the
// signature (for signed suites) has verified and the input has ended;
// io.EOF comes only then. With a signed suite, earlier frames are
// authenticated but not yet known to be signed: set
// [DecryptOptions.BufferUntilVerified] to release nothing before the end,
// or [DecryptOptions.UnsignedOnly] to refuse signed messages. The one-shot
// functions return nothing unless the whole message verified.
//
// # Random access
//
// [Client.OpenReaderAt] opens a framed message held in an io.ReaderAt and
// returns a [RandomAccessReader] over its plaintext: each read fetches and
// opens only the frames it covers, and releases a frame once its tag has
// verified. Truncation and extension are detected when the message is
// opened. Signed messages are refused unless
// [RandomAccessOptions.SkipSignatureVerification] is set, in which case
// their signature is never checked.
//
// # Policies and limits
//
// The default [CommitmentPolicy], RequireEncryptRequireDecrypt, encrypts
// with suite 0x0578 (AES-256-GCM, key commitment, ECDSA P-384) and
// decrypts only committing suites. As in the official SDKs, the number of
// encrypted data keys and the frame size are not limited by default; when
// decrypting messages from parties you do not trust, set
// [Client.MaxEncryptedDataKeys] and [DecryptOptions.MaxBodySize].
//
// # Concurrency
//
// A Client is safe for concurrent use; an Encryptor or Decryptor is not.
// Large streams and messages are sealed and opened by several goroutines:
// the caller's own and workers of a pool shared by every stream in the
// process ([Client.Concurrency] caps how many work on one stream). The
// pool starts workers on demand, never more than GOMAXPROCS (read again as
// work arrives, so it follows changes), and a worker exits after two
// seconds without work, so a process that stops encrypting keeps no
// goroutine of the library. With Concurrency 1 a stream uses only the
// caller's goroutine: no pool worker and no hashing goroutine.
//
// # Errors
//
// Every failure wraps a sentinel usable with errors.Is ([ErrCommitmentMismatch],
// [ErrHeaderAuthentication], [ErrFrameAuthentication], [ErrSignature],
// [ErrTruncated], [ErrBodyTooLarge], ...) or is a typed error for errors.As:
// [*format.ParseError] (the field and byte offset of a malformed message)
// and [*NoDecryptableKeyError] (no wrapping key could decrypt, with each
// key's failure). Error texts start with the name of the package that
// detected the failure — "format:", "materials:", "algorithms:",
// "keyring:", "encryptsdk:" — even when encryptsdk re-exports the
// sentinel, so that a message says where it failed. No error contains key
// material or plaintext.
package encryptsdk
