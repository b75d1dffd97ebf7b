// Package hierarchy_test tests the branch key store (package keystore) and
// the hierarchical keyring (package keyring/hierarchy) against moto in
// server mode: real DynamoDB and AWS KMS requests over HTTP on 127.0.0.1.
package hierarchy_test
