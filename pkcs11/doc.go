// Package pkcs11 provides keyrings whose wrapping keys live in a PKCS #11
// token (a hardware security module such as AWS CloudHSM, or SoftHSM2 for
// tests) and never leave it.
//
//   - [Token.NewAESKeyring] writes and reads the raw AES keyring's encrypted
//     data keys (provider ID = namespace, provider info = name ‖ tag bits ‖
//     IV length ‖ IV, the serialized encryption context as AAD), with the
//     AES-GCM wrap and unwrap done by the token (CKM_AES_GCM). Its messages
//     decrypt with [keyring.NewRawAES] given the same key bytes, and with the
//     raw AES keyrings of the other SDKs, and the reverse.
//   - [Token.NewRSAKeyring] is a [keyring.RawRSA] whose private key is the
//     token key, exposed as a [crypto.Decrypter] ([Token.RSAKey]):
//     decryption on the token (CKM_RSA_PKCS_OAEP, or CKM_RSA_PKCS for
//     PKCS #1 v1.5), encryption local with the public key read from the
//     token. Reusing the library's raw RSA keyring keeps one implementation
//     of the wire format and of its PKCS #1 v1.5 rule: a padding failure is
//     not reported but yields a random data key, so the message fails its
//     header authentication like any wrong key (see [RSAKey.Decrypt]).
//
// A [Token] is opened with [Open] from a module path, a token label or slot
// and a PIN supplied by the caller; the PIN is never logged nor put in an
// error. All handles opened for one token share one pool of logged-in
// sessions, so keyrings are safe for concurrent use. Errors wrap the
// sentinels of this package ([ErrModule], [ErrTokenNotFound],
// [ErrWrongPIN], [ErrKeyNotFound], [ErrUnsupportedMechanism], ...) and,
// where the token answered, the binding's Error (a CKR_ return value).
//
// The binding is github.com/miekg/pkcs11, used directly rather than
// through crypto11: the AES keyring needs CKM_AES_GCM with caller-chosen
// AAD and the read-back of a token-generated IV, and the RSA key needs the
// OAEP hash and MGF parameters per call, which crypto11's higher-level
// types do not all expose; miekg/pkcs11 is the thin, widely used cgo
// binding both are built on. The package needs cgo; it is its own module
// so that the library module stays pure Go.
package pkcs11
