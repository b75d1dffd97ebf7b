// Package awskms provides the AWS KMS keyrings of the AWS Encryption SDK:
// data keys generated and wrapped by AWS Key Management Service. It is the
// only package of this module that depends on the AWS SDK for Go v2.
//
// Its encrypted data keys (provider ID "aws-kms", provider info the key
// ARN, ciphertext the KMS CiphertextBlob) are the same as those of the
// KMS keyrings and KMS master key providers of the other AWS Encryption
// SDKs, so messages cross languages both ways.
//
// # Keyrings
//
//   - [Keyring] (strict): one key; encrypts with it and decrypts only what
//     was written under exactly that key ARN.
//   - [MRKKeyring]: as Keyring, but also decrypts what a replica of its
//     multi-Region key wrote in another region.
//   - [DiscoveryKeyring]: decrypt-only; uses whatever key the message
//     names, optionally limited by a [DiscoveryFilter] to some accounts.
//   - [MRKDiscoveryKeyring]: decrypt-only discovery in one region, using
//     the local replica of multi-Region keys.
//   - [AnyRegionDiscoveryKeyring]: decrypt-only discovery with no list of
//     regions (as the Python SDK's MRK-aware discovery provider): each key
//     in the region of its ARN, multi-Region keys through their replica in
//     one region, clients from a [ClientSupplier].
//   - [NewStrictMultiKeyring], [NewMRKMultiKeyring],
//     [NewDiscoveryMultiKeyring] and [NewMRKDiscoveryMultiKeyring] combine
//     these into a [keyring.Multi] over several keys or regions, getting
//     one client per region from a [ClientSupplier] such as
//     [NewClientSupplier]. They replace the KMS master key providers of
//     the other SDKs.
//   - [RSAKeyring]: an asymmetric RSA KMS key. It encrypts locally with
//     the key's public key (RSA-OAEP with SHA-1 or SHA-256, no KMS call)
//     and decrypts with KMS Decrypt; provider ID "aws-kms-rsa". Only
//     algorithm suites without signatures ([ErrSignedSuite]).
//
// Decrypting needs key ARNs: a message records the ARN of each key, and a
// keyring configured with an alias or key ID matches none of them (its
// error then wraps [ErrDecryptNeedsKeyARN] and says which ARNs the message
// holds).
//
// # AWS KMS calls
//
// The keyrings call GenerateDataKey (or Encrypt, for each further key) on
// encrypt, and Decrypt with KeyId always set on decrypt, passing the
// message's encryption context and any grant tokens ([WithGrantTokens]).
// They send AWS KMS only the encrypted data keys they may use: a key
// excluded by configuration or filter costs no request. The context of
// each operation is passed to every call, so cancellation and deadlines
// work as usual; a client's own timeouts and retries are its business.
//
// Failures of individual keys on decrypt are collected, and the next key
// is tried; when none works the error is a [*materials.NoDecryptableKeyError]
// whose Unwrap lists a [*KMSError] (or another error) per key tried.
// [*KMSError] wraps the AWS SDK error. Error messages name keys and
// operations, never key material or ciphertext.
//
// A message whose aws-kms encrypted data key does not name a key ARN is
// rejected as a whole ([ErrMalformedProviderInfo]), as the specification
// requires.
//
// # Clients
//
// [Client] is the subset of *kms.Client the keyrings use. With AWS:
//
//	cfg, err := config.LoadDefaultConfig(ctx) // github.com/aws/aws-sdk-go-v2/config
//	kr, err := awskms.NewKeyring(kms.NewFromConfig(cfg), keyARN)
//	// or, for keys in several regions:
//	kr, err := awskms.NewStrictMultiKeyring(awskms.NewClientSupplier(cfg), generatorARN, otherARNs)
//
// Tests without an AWS account can supply their own [Client] (the
// keyrings call only its three methods). Module
// github.com/go-esdk/esdk/kmstest, separate from this one so that its
// dependencies stay out of this module's go.mod, runs a KMS-compatible
// server (local-kms) for tests over HTTP.
//
// # Concurrency
//
// All keyrings and the client supplier are safe for concurrent use.
package awskms
