// Command encrypt-cli encrypts and decrypts files in the AWS Encryption SDK
// message format. It is a drop-in replacement for the Python
// aws-encryption-cli (same flags, same output naming, same metadata
// lines), with local raw AES and raw RSA keys besides AWS KMS, parallel
// files (--jobs), atomic outputs, and "encrypt-cli inspect FILE".
//
// Run "encrypt-cli --help" for the flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
