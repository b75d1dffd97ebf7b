// Package keystore is the branch key store of the AWS KMS hierarchical
// keyring (package keyring/hierarchy): branch keys and beacon keys kept in
// an Amazon DynamoDB table, each wrapped by an AWS KMS key under an
// encryption context that binds it to its table entry.
//
// The table is the one of the AWS Encryption SDK specification and the
// Material Providers Library (hierarchy version 1), so a table written by
// the key stores of the official Python, Java, .NET or Rust SDKs is read
// by this package and the reverse:
//
//   - partition key "branch-key-id" (S), sort key "type" (S);
//   - per branch key an item of type "branch:ACTIVE" (the active version,
//     with attribute "version" = "branch:version:" + version), one of type
//     "branch:version:<version>" per version, and one of type
//     "beacon:ACTIVE" (the beacon key);
//   - attributes "enc" (B, the wrapped key), "kms-arn" (S), "create-time"
//     (S, ISO 8601 in UTC with microseconds), "hierarchy-version" (N, 1),
//     and the custom encryption context as "aws-crypto-ec:<key>" (S).
//
// The AWS KMS encryption context of a wrapped key is the item's attributes
// without "enc", plus "tablename" = the logical key store name.
//
// DynamoDB and AWS KMS are reached through narrow interfaces
// ([DynamoDBClient], [KMSClient]) that *dynamodb.Client and *kms.Client
// satisfy. Throttled requests are retried by those clients' retryers
// (the AWS SDK's standard retryer: a bounded number of attempts with
// exponential backoff and jitter); the store adds no retries of its own.
package keystore
