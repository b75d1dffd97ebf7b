// Package hierarchy provides the AWS KMS hierarchical keyring of the AWS
// Encryption SDK: data keys are wrapped with AES-256-GCM under keys derived
// from a branch key, and branch keys come from a [KeyStore] and are cached,
// so that a busy application makes one key-store read (one DynamoDB GetItem
// and one AWS KMS Decrypt for the DynamoDB store of package keystore) per
// branch key version and cache lifetime instead of one AWS KMS call per
// message.
//
// Its encrypted data keys are byte-compatible with the hierarchical
// keyrings of the official SDKs (Material Providers Library): provider ID
// "aws-kms-hierarchy", provider info the branch key ID, and ciphertext
//
//	salt (16) || IV (12) || branch key version (16, a raw UUID) || encrypted data key || tag (16)
//
// The wrapping key is derived from the branch key with the counter-mode
// KDF of NIST SP 800-108 (HMAC-SHA256, label "aws-kms-hierarchy", context
// the salt); the additional data of AES-GCM is "aws-kms-hierarchy" ||
// branch key ID || version (16 bytes) || serialized encryption context.
//
// The package needs no AWS SDK: the DynamoDB and AWS KMS branch key store
// is in package keystore; [StaticKeyStore] holds branch keys in memory
// (for tests and test vectors).
//
// Beyond the official SDKs, a cold [Cache] never stampedes: concurrent
// requests for the same branch key version wait for one key-store read,
// and [Keyring.Prewarm] and [Config.RefreshBefore] renew entries before
// they expire without stalling callers. [NewStormTrackingCache] is the
// specification's storm-tracking cache (grace period and interval,
// fan-out, inflight TTL), with its renewals in the background too.
package hierarchy
