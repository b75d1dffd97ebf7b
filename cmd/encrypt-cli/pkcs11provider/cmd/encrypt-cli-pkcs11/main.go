// Command encrypt-cli-pkcs11 is encrypt-cli with the -w provider=pkcs11
// key provider: wrapping keys kept inside a PKCS #11 token (an HSM such as
// AWS CloudHSM, or SoftHSM2 for tests). Everything else — flags, output
// naming, metadata, exit statuses — is encrypt-cli's.
//
//	encrypt-cli-pkcs11 -e -i FILE -o DIR -S \
//	    -w provider=pkcs11 module=/opt/cloudhsm/lib/libcloudhsm_pkcs11.so \
//	       token=LABEL key=LABEL pin-env=HSM_PIN namespace=NS name=NAME
//
// It needs cgo, which is why it is built from this module and not from the
// library's.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/cli"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/pkcs11provider"
)

func main() {
	pkcs11provider.Register()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
