// Package bench compares the throughput, allocations and memory use of
// github.com/go-esdk/esdk with the official AWS Encryption SDK for Go and
// with the bare AES-GCM, SHA-384 and ECDSA P-384 speed of the machine.
// It is a separate module so that the library does not depend on the
// official SDK. The benchmarks and the interoperability test live in
// bench_test.go; run.sh runs the whole table.
package bench
