// Package cli is the encrypt-cli command: flag parsing, key configuration,
// the per-file encrypt/decrypt loop, metadata output and "inspect". It is a
// package rather than the main package so that other binaries (such as one
// that also registers the pkcs11 key provider) can run the same command.
package cli

import (
	"context"
	"io"
)

// Main runs encrypt-cli with the given arguments (without the program
// name) and standard streams, stopping early when ctx is cancelled, and
// returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContext(ctx, args, stdin, stdout, stderr)
}
